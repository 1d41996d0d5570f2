"""What to fix in the ERP: each export reason with the ERP value it is about, rows to fix first."""

from __future__ import annotations

import pandas as pd

from shopsync.reasons import explain, is_error, split_codes

__all__ = ["FIX_COLUMNS", "field_of", "offending_values", "with_fixes"]

FIX_COLUMNS = ["values to fix", "what to fix"]

# reason code prefix -> (the ERP column it is about, its name in words)
_FIELDS = (
    ("EMAIL_", "email", "e-mail"),
    ("PHONE_", "phone", "phone"),
    ("PROVINCE_", "county", "county"),
    ("COUNTY_", "county", "county"),
    ("COUNTRY_", "country_code", "country"),
    ("CUSTOMER_BLOCKED", "blocked", "Blocked"),
)


def field_of(code: str) -> tuple[str, str] | None:
    """The ERP column a reason code is about and its name in words (None: no one column)."""
    for prefix, column, words in _FIELDS:
        if code.startswith(prefix):
            return column, words
    return None


def offending_values(codes: list[str], erp: dict[str, object]) -> str:
    """The ERP values the reason codes are about, each once: ``phone "(617) 555-01"``."""
    said: list[str] = []
    seen: set[str] = set()
    for code in codes:
        found = field_of(code)
        if found is None or found[0] in seen:
            continue
        column, words = found
        seen.add(column)
        value = str(erp.get(column, "") or "")
        said.append(f'{words} "{value}"' if value.strip() else f"{words} (blank)")
    return "; ".join(said)


def with_fixes(report: pd.DataFrame, erp: pd.DataFrame) -> pd.DataFrame:
    """The export validation ``report`` with ``values to fix`` (the ERP values its reasons
    are about, from ``erp``, the ERP customers validated) and ``what to fix`` (the reasons in
    words), after ``reasons``; the rows to fix first (ineligible, then eligible with a
    warning), each group in the report's order.

    The words and the rank are worked out once per distinct ``reasons`` text, and the ERP
    values looked up only for the rows whose reasons name a field."""
    reasons = report["reasons"].fillna("").astype("str").tolist()
    about = {text: _about(text) for text in set(reasons)}
    erp = erp.drop_duplicates("no") if len(erp) else erp
    at = pd.Index(erp["no"]).get_indexer(report["customer_no"]) if len(erp) else None
    columns = {column for _, column, _ in _FIELDS if column in erp}
    erp_values = {column: erp[column].tolist() for column in columns}
    values, words, rank = [], [], []
    for position, (text, eligible) in enumerate(zip(reasons, report["eligible"], strict=True)):
        codes, said, errors, fields = about[text]
        row = at[position] if at is not None else -1
        named = {c: erp_values[c][row] for c in fields if c in columns} if row >= 0 else {}
        values.append(offending_values(codes, named))
        words.append(said)
        rank.append(0 if not bool(eligible) or errors else 1 if codes else 2)
    fixed = report.copy()
    at_column = (
        list(fixed.columns).index("reasons") + 1 if "reasons" in fixed else len(fixed.columns)
    )
    fixed.insert(at_column, "values to fix", values)
    fixed.insert(at_column + 1, "what to fix", words)
    order = pd.Series(rank, index=fixed.index).sort_values(kind="stable").index
    return fixed.loc[order].reset_index(drop=True)


def _about(reasons: str) -> tuple[list[str], str, bool, tuple[str, ...]]:
    """(codes, the codes in words, whether one is an error, the ERP columns they name)."""
    codes = split_codes(reasons)
    fields = tuple(dict.fromkeys(f[0] for f in map(field_of, codes) if f is not None))
    return codes, " ".join(explain(code) for code in codes), any(map(is_error, codes)), fields
