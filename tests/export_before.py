"""The export rules as they stood at 4aabca0, before issue 14's column-wise rewrite: the
oracle the differential tests (tests/test_export_differential.py) hold the rules to. Frozen:
never edited but to follow a change of the rules' answers (then in both places)."""

from __future__ import annotations

from collections.abc import Collection, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from shopsync.arrow_text import TEXT, to_arrow, to_series
from shopsync.eligibility import COUNTY_CODE_LIMIT, ELIGIBILITY_COLUMNS, SHOPIFY_FIELD_LIMIT
from shopsync.erp_io import read_blocked
from shopsync.export_plan import EXPORT_PLAN_COLUMNS
from shopsync.exporting import MIRROR_COMPARED, changed_columns, erp_limits_for, match_in_mirror
from shopsync.fixes import field_of
from shopsync.names import PERSON_SOURCES, split_names
from shopsync.normalize import casefold_texts, countries_to_iso, normalize_emails, normalize_phones
from shopsync.reasons import explain, is_error, join_codes, split_codes
from shopsync.rules_context import RulesContext
from shopsync.schema import ERP_FIELD_LENGTHS
from shopsync.settings import ShopSettings


def shopify_fields(customers: pd.DataFrame, context: RulesContext) -> pd.DataFrame:
    """The Shopify customer and address values each ERP customer maps to (SPEC section 5).

    Returns, on the customers' index: the contact columns of ELIGIBILITY_COLUMNS plus the
    intermediate facts the checks need (``email_*``, ``phone_*``, ``country_reason``,
    ``has_provinces``, ``province_found``). The county becomes a province only in a country
    with provinces (Shopify zones or tax-area rows), as in BC; elsewhere it is not sent.
    """
    settings = context.settings
    out = pd.DataFrame(index=customers.index)
    out["customer_no"] = customers["no"].astype(str)

    emails = normalize_emails(customers["email"])
    out = out.join(emails)

    countries = countries_to_iso(
        customers["country_code"], context.countries, context.company_country
    )
    out["country_code"] = countries["iso_code"]
    out["country_reason"] = countries["country_reason"]

    phones = normalize_phones(customers["phone"], out["country_code"])
    out = out.join(phones)
    out["phone"] = phones["phone_e164"].where(phones["phone_valid"], "")

    names = _first_and_last(customers, settings)
    out["first_name"] = names["first_name"]
    out["last_name"] = names["last_name"]
    if settings.name_source == "company_name":
        company = customers["name"].fillna("").astype(str).str.strip()
    elif settings.name_2_source == "company_name":
        company = customers["name_2"].fillna("").astype(str).str.strip()
    else:
        company = pd.Series("", index=customers.index)
    # A person's name in the company field (a consumer whose ERP name is their own name, as
    # an import writes it) is not a company: BC would send it; we leave the company blank.
    full = casefold_texts((names["first_name"] + " " + names["last_name"]).str.strip())
    reverse = casefold_texts((names["last_name"] + " " + names["first_name"]).str.strip())
    folded = casefold_texts(company)
    is_person = (folded == full) | (folded == reverse)
    out["company"] = company.where(~is_person, "")

    for target, source in [
        ("address1", "address"),
        ("address2", "address_2"),
        ("zip", "post_code"),
        ("city", "city"),
    ]:
        out[target] = customers[source].fillna("").astype(str).str.strip()

    # As BC: the county is used only in a country with provinces; elsewhere it is not sent.
    county = customers["county"].fillna("").astype(str).str.strip()
    out["county"] = county
    with_provinces = {
        iso for iso in out["country_code"].unique() if context.provinces.country_has_provinces(iso)
    }
    out["has_provinces"] = out["country_code"].isin(list(with_provinces))
    used = county.where(out["has_provinces"], "")
    mode = "code" if settings.county_source == "code" else "name"
    provinces = context.provinces.resolve_provinces(out["country_code"], used, mode=mode)
    out["province_code"] = provinces["province_code"]
    out["province"] = provinces["province_name"]
    out["province_found"] = provinces["province_found"]
    return out


def check_export_eligibility(
    customers: pd.DataFrame,
    context: RulesContext,
    *,
    linked: Collection[str] = (),
) -> pd.DataFrame:
    """One row per ERP customer (same order): eligible or not, action, reasons, values to send.

    ``linked`` holds the numbers of ERP customers already linked to a Shopify customer: they
    are updated (when ``can_update_shopify_customers``) rather than created. Errors make
    ``eligible`` false; warnings keep it true. ``details`` says which other customers a
    duplicate shares its e-mail or phone with.

    A blocked customer (a ``blocked`` column with any value but blank, see read_blocked) is
    ``CUSTOMER_BLOCKED``: never sent, so it takes no e-mail or phone from the others (no
    duplicate of theirs); customers without a ``blocked`` column are not blocked.
    """
    fields = shopify_fields(customers, context)
    n = len(fields)
    # the codes in the order a row lists them, each with the rows it applies to
    flags: list[tuple[str, np.ndarray]] = []

    def flag(mask: pd.Series | np.ndarray, code: str) -> None:
        flags.append((code, np.asarray(mask, dtype=bool)))

    if "blocked" in customers:
        blocked_as = read_blocked(customers["blocked"])["blocked"]
    else:
        blocked_as = pd.Series("", index=customers.index)
    blocked = blocked_as != ""
    flag(blocked, "CUSTOMER_BLOCKED")
    details = _Details(n)
    shown = "CUSTOMER_BLOCKED: Blocked " + blocked_as[blocked].astype(str)
    details.add(np.flatnonzero(blocked.to_numpy(dtype=bool)), shown.to_numpy(dtype=object))
    flag(fields["email_missing"], "EMAIL_MISSING")
    flag(~fields["email_missing"] & ~fields["email_valid"], "EMAIL_INVALID")
    flag(fields["email_is_list"], "EMAIL_LIST")
    keys = fields["email_key"].where(fields["email_valid"] & ~blocked, "")
    flag(_flag_duplicates(keys, fields, "EMAIL_DUPLICATE", details), "EMAIL_DUPLICATE")
    flag(fields["country_reason"] == "COUNTRY_NO_ISO", "COUNTRY_NO_ISO")
    flag(fields["country_reason"] == "COUNTRY_UNKNOWN", "COUNTRY_UNKNOWN")
    flag(~fields["phone_missing"] & ~fields["phone_valid"], "PHONE_INVALID")
    flag(fields["phone_valid"] & (fields["phone_extension"] != ""), "PHONE_EXTENSION_DROPPED")
    keys = fields["phone"].where(~blocked, "")
    flag(_flag_duplicates(keys, fields, "PHONE_DUPLICATE", details), "PHONE_DUPLICATE")

    has_county = fields["county"] != ""
    used_county = has_county & fields["has_provinces"]
    flag(used_county & ~fields["province_found"], "PROVINCE_UNKNOWN")
    needs_province = fields["country_code"].isin(list(context.provinces_required))
    flag(~has_county & needs_province, "PROVINCE_MISSING")
    if context.settings.county_source == "code":
        flag(used_county & (fields["county"].str.len() > COUNTY_CODE_LIMIT), "COUNTY_TOO_LONG")

    too_long = pd.Series(False, index=fields.index)
    for column in ["email", "first_name", "last_name", "company", "address1", "address2", "city"]:
        too_long |= fields[column].str.len() > SHOPIFY_FIELD_LIMIT
    flag(too_long, "FIELD_TOO_LONG")

    # each row's set of codes as one number: the texts and verdicts are made once per set
    combination = np.zeros(n, dtype=np.int64)
    for bit, (_, mask) in enumerate(flags):
        combination |= mask.astype(np.int64) << bit
    rows, sets = pd.factorize(combination)
    texts, verdicts = [], []
    for value in np.asarray(sets, dtype=np.int64):
        codes = [code for bit, (code, _) in enumerate(flags) if value >> bit & 1]
        texts.append(";".join(dict.fromkeys(codes)))
        verdicts.append(not any(is_error(code) for code in codes))
    report = fields.copy()
    reasons = pa.array(texts, pa.string()).take(pa.array(rows, pa.int64()))
    report["reasons"] = pd.Series(reasons, dtype=TEXT, index=fields.index)
    report["details"] = details.series(fields.index)
    eligible = np.asarray(verdicts, dtype=bool)[rows] if n else np.zeros(0, dtype=bool)
    report["eligible"] = eligible
    is_linked = report["customer_no"].isin(list(linked)).to_numpy(dtype=bool)
    can_update = context.settings.can_update_shopify_customers
    report["action"] = np.select(
        [~eligible, is_linked & can_update, is_linked],
        ["skip", "update", "unchanged"],
        default="create",
    ).astype(object)
    return report[ELIGIBILITY_COLUMNS].reset_index(drop=True)


def _first_and_last(customers: pd.DataFrame, settings: ShopSettings) -> pd.DataFrame:
    """First/last name from the first usable of contact, name 2, name (SPEC section 5)."""
    candidates = [
        ("contact", settings.contact_source),
        ("name_2", settings.name_2_source),
        ("name", settings.name_source),
    ]
    first = pd.Series("", index=customers.index, dtype=TEXT)
    last = first.copy()
    taken = pd.Series(False, index=customers.index)
    for column, source in candidates:
        if source not in PERSON_SOURCES:
            continue
        text = customers[column].fillna("").astype(str).str.strip()
        usable = (text != "") & ~taken
        if usable.any():
            split = split_names(source, text[usable]).reindex(customers.index)
            first = first.where(~usable, split["first_name"])
            last = last.where(~usable, split["last_name"])
            taken |= usable
    return pd.DataFrame({"first_name": first, "last_name": last})


class _Details:
    """Each row's details: texts added in order, ``; ``-joined (sparse: few rows have any)."""

    def __init__(self, n: int) -> None:
        self._n = n
        self._rows: list[np.ndarray] = []
        self._texts: list[np.ndarray] = []

    def add(self, rows: np.ndarray, texts: np.ndarray) -> None:
        """Add ``texts[i]`` to row ``rows[i]`` (row positions, each once)."""
        if len(rows):
            self._rows.append(rows)
            self._texts.append(texts)

    def series(self, index: pd.Index) -> pd.Series:
        joined = np.full(self._n, "", dtype=object)
        for rows, texts in zip(self._rows, self._texts, strict=True):
            current = joined[rows]
            joined[rows] = np.where(current == "", texts, current + "; " + texts)
        return pd.Series(joined, index=index).astype(TEXT)


def _flag_duplicates(
    keys: pd.Series, fields: pd.DataFrame, code: str, details: _Details
) -> np.ndarray:
    """The rows sharing a non-blank key with another row; their details name the other
    members (``code: same as C2, C3``). Members are sorted by key once; a group's numbers
    are joined once and each member's text cut from its group's (groups of two: the other)."""
    encoded = pc.fill_null(to_arrow(keys), "").dictionary_encode()
    codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    blank = pc.index(encoded.dictionary, "").as_py()
    counts = np.bincount(codes, minlength=len(encoded.dictionary))
    if blank >= 0:
        counts[blank] = 0
    member = counts[codes] > 1
    if not member.any():
        return member
    rows = np.flatnonzero(member)
    order = rows[np.argsort(codes[rows], kind="stable")]  # by group, each in row order
    numbers = fields["customer_no"].iloc[order].to_numpy(dtype=object)
    group = codes[order]
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    sizes = np.diff(np.r_[starts, len(order)])
    others = np.empty(len(order), dtype=object)
    first = starts[sizes == 2]
    same = numbers[first] == numbers[first + 1]
    others[first] = np.where(same, "", numbers[first + 1])
    others[first + 1] = np.where(same, "", numbers[first])
    for start, size in zip(starts[sizes > 2], sizes[sizes > 2], strict=True):
        group_numbers = list(numbers[start : start + size])
        for at, no in enumerate(group_numbers, start):
            others[at] = ", ".join(other for other in group_numbers if other != no)
    details.add(order, f"{code}: same as " + others)
    return member


def plan_export(
    report: pd.DataFrame,
    mirror: pd.DataFrame,
    settings: ShopSettings,
) -> pd.DataFrame:
    """One row per ERP customer of the eligibility ``report``, in its order, with the action
    (EXPORT_ACTIONS), the Shopify customer it concerns and the fields that changed.

    ``mirror`` (see mirror_with_default_address) holds the Shopify customers known to the
    store with their links, as they will be when the run's import has been applied. Rules
    (SPEC section 5): an ineligible customer is skipped; a linked one is updated when
    ``can_update_shopify_customers`` and a mapped field really changed, else unchanged; an
    unlinked one whose e-mail (else phone) is a known Shopify customer is linked, or skipped
    ``ALREADY_EXISTS_IN_SHOPIFY`` when that customer is linked to another ERP customer;
    otherwise created. Only a run that creates (``export_customers``) links or creates: an
    update-only run touches linked customers only (``EXPORT_CUSTOMERS_OFF``), as BC.
    """
    claims: dict[str, str] = {}
    for _ in range(_MAX_PASSES):  # the run's own links and updates change what it finds
        plan = _plan(report, mirror, settings, claims)
        linking = plan[plan["action"] == "link"]
        found = dict(zip(linking["customer_no"], linking["shopify_id"], strict=True))
        if found == claims:
            break
        claims = found
    return _with_changes(plan, mirror, settings)  # changes decide no link: once, at the end


_MAX_PASSES = 4


def _plan(
    report: pd.DataFrame, mirror: pd.DataFrame, settings: ShopSettings, claims: dict[str, str]
) -> pd.DataFrame:
    """One pass of the planner, the mirror projected with ``claims`` (ERP no -> Shopify id
    the run links, and so updates) as if they were links already.

    Records are taken in the report's order: the first eligible record that finds an unheld
    Shopify customer claims it, and later records of other ERP customers that find it are
    ``ALREADY_EXISTS_IN_SHOPIFY`` (computed on whole columns, per Shopify customer)."""
    if report.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in EXPORT_PLAN_COLUMNS})
    plan = report.reset_index(drop=True)
    links = {no: sid for sid, no in zip(mirror["shopify_id"], mirror["customer_no"], strict=True)}
    links.pop("", None)
    holders = {sid: no for no, sid in links.items()}
    found = match_in_mirror(plan, _projected(mirror, plan, {**links, **claims}, settings))
    found = found.astype("str").to_numpy(dtype=object)
    numbers = plan["customer_no"].astype("str")
    linked_to = numbers.map(links).astype(object).fillna("").to_numpy(dtype=object)
    numbers = numbers.to_numpy(dtype=object)
    eligible = plan["eligible"].to_numpy(dtype=bool, copy=True)

    # who holds the Shopify customer a record finds, when the record comes to it
    finds = (found != "") & (linked_to == "")
    holder = (
        pd.Series(found).map(holders).astype(object).fillna("").to_numpy(dtype=object, copy=True)
    )
    holder[~finds] = ""
    claiming = finds & (holder == "") & eligible & settings.export_customers
    first_claim = pd.DataFrame({"sid": found[claiming], "at": np.flatnonzero(claiming)})
    first_claim = first_claim.drop_duplicates("sid").set_index("sid")
    claimed_at = pd.Series(found).map(first_claim["at"]).to_numpy(dtype=float)
    claimed_by = numbers[np.nan_to_num(claimed_at, nan=0).astype(np.int64)]
    later = finds & (holder == "") & (claimed_at < np.arange(len(plan)))
    holder[later] = claimed_by[later]
    taken = finds & (holder != "") & (holder != numbers)  # said even when another problem stops

    reasons = plan["reasons"].fillna("").astype("str").to_numpy(dtype=object, copy=True)
    message = np.full(len(plan), "", dtype=object)
    for position in np.flatnonzero(taken):
        reasons[position] = join_codes([*reasons[position].split(";"), "ALREADY_EXISTS_IN_SHOPIFY"])
        message[position] = (
            f"Shopify customer {found[position]} is linked to ERP customer {holder[position]}"
        )
    eligible &= ~taken
    linked = eligible & (linked_to != "")
    links_now = eligible & ~linked & (found != "") & settings.export_customers
    creates = eligible & ~linked & ~links_now & settings.export_customers
    for position in np.flatnonzero(eligible & ~linked & ~settings.export_customers):
        reasons[position] = join_codes([*reasons[position].split(";"), "EXPORT_CUSTOMERS_OFF"])
    shopify_id = np.where(links_now, found, linked_to)  # a skipped linked record keeps its id

    action = np.select(
        [linked, links_now, creates], ["unchanged", "link", "create"], default="skip"
    )
    plan["eligible"] = eligible
    plan["action"] = action
    plan["reasons"] = reasons
    plan["shopify_id"] = shopify_id
    plan["changes"] = ""
    plan["message"] = message
    return plan[EXPORT_PLAN_COLUMNS]


def _with_changes(plan: pd.DataFrame, mirror: pd.DataFrame, settings: ShopSettings) -> pd.DataFrame:
    """The plan with the mapped fields that differ from the Shopify customer, for linked and
    linking records when the shop pushes ERP changes: a linked record with changes is an
    update, and its message names them."""
    action = plan["action"].to_numpy(dtype=object, copy=True)
    compared = np.isin(action, ["unchanged", "link"]) & settings.can_update_shopify_customers
    if not compared.any():
        return plan
    company_field = "name" if settings.name_source == "company_name" else "name_2"
    by_id = mirror.set_index("shopify_id", drop=False)
    rows = by_id.index.get_indexer(plan["shopify_id"].to_numpy()[compared])
    theirs = pd.DataFrame(
        {
            column: by_id[source].to_numpy(dtype=object)[rows]
            for column, source in MIRROR_COMPARED.items()
            if source in by_id
        }
    )
    changed = changed_columns(
        plan[compared], theirs, erp_limits=erp_limits_for(ERP_FIELD_LENGTHS[company_field])
    )
    names = np.array(changed.columns, dtype=object)
    fields = [list(names[flags]) for flags in changed.to_numpy(dtype=bool)]
    changes = np.full(len(plan), "", dtype=object)
    changes[compared] = [",".join(f) for f in fields]
    message = plan["message"].to_numpy(dtype=object, copy=True)
    said = np.full(len(plan), "", dtype=object)
    said[compared] = [f"changed: {', '.join(f)}" if f else "" for f in fields]
    message = np.where(message == "", said, message)
    action[(action == "unchanged") & (changes != "")] = "update"
    return plan.assign(action=action, changes=changes, message=message)


def _projected(
    mirror: pd.DataFrame, report: pd.DataFrame, links: Mapping[str, str], settings: ShopSettings
) -> pd.DataFrame:
    """The mirror as it will be once linked customers carry their ERP e-mail and phone
    (when the run pushes ERP changes), so lookups see Shopify's state after the run."""
    if not settings.can_update_shopify_customers:
        return mirror
    eligible = report[report["eligible"] & report["customer_no"].isin(list(links))]
    target = {
        links[no]: (email, phone)
        for no, email, phone in zip(
            eligible["customer_no"].tolist(),
            eligible["email"].tolist(),
            eligible["phone"].tolist(),
            strict=True,
        )
    }
    projected = mirror.copy()
    sids = projected["shopify_id"].tolist()
    projected["email"] = [
        target.get(s, (e, None))[0] for s, e in zip(sids, mirror["email"].tolist(), strict=True)
    ]
    projected["phone"] = [
        target.get(s, (None, p))[1] for s, p in zip(sids, mirror["phone"].tolist(), strict=True)
    ]
    return projected


# reason code prefix -> (the ERP column it is about, its name in words)
_FIELDS = (
    ("EMAIL_", "email", "e-mail"),
    ("PHONE_", "phone", "phone"),
    ("PROVINCE_", "county", "county"),
    ("COUNTY_", "county", "county"),
    ("COUNTRY_", "country_code", "country"),
    ("CUSTOMER_BLOCKED", "blocked", "Blocked"),
)


def with_fixes(report: pd.DataFrame, erp: pd.DataFrame) -> pd.DataFrame:
    """The export validation ``report`` with ``values to fix`` (the ERP values its reasons
    are about, from ``erp``, the ERP customers validated) and ``what to fix`` (the reasons in
    words), after ``reasons``; the rows to fix first (ineligible, then eligible with a
    warning), each group in the report's order.

    The words and the rank are worked out once per distinct ``reasons`` text; the values to
    fix are put together column-wise (Arrow kernels) for the rows of each text naming a
    field, so no Python object is made per row."""
    n = len(report)
    reasons = report["reasons"].fillna("").astype("str")
    text_codes, texts = pd.factorize(reasons, use_na_sentinel=False)
    about = [_about(text) for text in texts]
    erp = erp.drop_duplicates("no") if len(erp) else erp
    at = (
        pd.Index(erp["no"]).get_indexer(report["customer_no"])
        if len(erp)
        else np.full(n, -1, dtype=np.int64)
    )
    columns = {column for _, column, _ in _FIELDS if column in erp}
    words_of = {column: words for _, column, words in _FIELDS}
    erp_text = {column: _erp_text(erp[column]) for column in columns}
    parts_rows: list[np.ndarray] = []
    parts_values: list[pa.Array] = []
    by_text = np.argsort(text_codes, kind="stable")  # the rows of each text, in order
    bounds = np.searchsorted(text_codes[by_text], np.arange(len(about) + 1))
    for code, (_, _, _, fields) in enumerate(about):
        if not fields:
            continue
        rows = by_text[bounds[code] : bounds[code + 1]]
        where = at[rows]
        pieces = [_piece(words_of[column], erp_text.get(column), where) for column in fields]
        joined = pieces[0] if len(pieces) == 1 else pc.binary_join_element_wise(*pieces, "; ")
        parts_rows.append(rows)
        parts_values.append(joined)
    values = pa.concat_arrays([*parts_values, pa.array([""], pa.string())])
    take = np.full(n, len(values) - 1, dtype=np.int64)
    if parts_rows:
        take[np.concatenate(parts_rows)] = np.arange(len(values) - 1)
    said = pa.array([item[1] for item in about], pa.string())
    errors = np.array([item[2] for item in about], dtype=bool)
    has_codes = np.array([bool(item[0]) for item in about], dtype=bool)
    eligible = report["eligible"].to_numpy(dtype=bool)
    if n:
        rank = np.where(~eligible | errors[text_codes], 0, np.where(has_codes[text_codes], 1, 2))
    else:
        rank = np.zeros(0, dtype=np.int64)
    fixed = report.copy()
    at_column = (
        list(fixed.columns).index("reasons") + 1 if "reasons" in fixed else len(fixed.columns)
    )
    fixed.insert(at_column, "values to fix", to_series(values.take(pa.array(take)), fixed.index))
    words = said.take(pa.array(text_codes)) if n else pa.array([], pa.string())
    fixed.insert(at_column + 1, "what to fix", to_series(words, fixed.index))
    # the three ranks one after the other: sequential filters, not a take in random order
    parts = [fixed[rank == value] for value in (0, 1, 2) if (rank == value).any()]
    ordered = pd.concat(parts) if len(parts) > 1 else parts[0] if parts else fixed
    return ordered.reset_index(drop=True)


# What Python's str.strip removes (str.isspace), for RE2: "blank" as offending_values says it.
_PY_SPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
)
_BLANK_RE2 = f"^[{_PY_SPACE}]*$"


def _erp_text(column: pd.Series) -> pa.Array:
    """``str(value or "")`` of every ERP value, as offending_values writes it."""
    if isinstance(column.dtype, pd.StringDtype) and column.dtype.storage == "pyarrow":
        return pc.cast(pc.fill_null(to_arrow(column), "nan"), pa.string())  # a missing value is NaN
    codes, uniques = pd.factorize(column, use_na_sentinel=False)
    texts = pa.array([str(value or "") for value in uniques], pa.string())
    return texts.take(pa.array(codes))


def _piece(words: str, values: pa.Array | None, rows: np.ndarray) -> pa.Array:
    """``words "value"``, or ``words (blank)``, for the ERP rows ``rows`` (-1: none)."""
    if values is None:
        return pa.array([f"{words} (blank)"] * len(rows), pa.string())
    known = rows >= 0
    value = values.take(pa.array(np.where(known, rows, 0)))
    value = pc.if_else(pa.array(known), value, "")
    blank = pc.match_substring_regex(value, _BLANK_RE2)
    quoted = pc.binary_join_element_wise(f'{words} "', value, '"', "")
    return pc.if_else(blank, f"{words} (blank)", quoted)


def _about(reasons: str) -> tuple[list[str], str, bool, tuple[str, ...]]:
    """(codes, the codes in words, whether one is an error, the ERP columns they name)."""
    codes = split_codes(reasons)
    fields = tuple(dict.fromkeys(f[0] for f in map(field_of, codes) if f is not None))
    return codes, " ".join(explain(code) for code in codes), any(map(is_error, codes)), fields
