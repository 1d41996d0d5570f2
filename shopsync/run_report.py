"""A run report's rows: each record with its customer's name and e-mail, updates old -> new."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

__all__ = ["REPORT_EXTRA_COLUMNS", "report_rows"]

REPORT_EXTRA_COLUMNS = ["name", "email", "changes"]

# export plan columns that are Shopify customer fields; the others are its default address's
_CUSTOMER_FIELDS = ("email", "phone", "first_name", "last_name")


def report_rows(
    records: pd.DataFrame,
    plans: Mapping[str, pd.DataFrame],
    before: pd.DataFrame | None = None,
    *,
    erp_changes: Mapping[str, Mapping[str, Sequence[Any]]] | None = None,
) -> pd.DataFrame:
    """``records`` (one row per input record) with ``name``, ``email`` and ``changes``.

    ``plans`` are the run's plan frames (``import``: one row per Shopify customer as read,
    ``export``: one per ERP customer). ``before`` holds the Shopify customers the store knew
    before the run (the mirror_with_default_address shape: ``address_city``...). An export
    update's ``changes`` read ``email: old -> new``, the old value from ``before``, else from
    the import plan (the customer fields); ``field -> new`` when neither knows it.
    ``erp_changes`` (Shopify id -> ERP field -> [old, new], as the import wrote them) gives
    an import update's ``changes`` in the same shape, per changed ERP field.
    """
    rows = records.copy()
    names = pd.Series("", index=rows.index, dtype=object)
    emails = names.copy()
    changes = names.copy()
    exports = _indexed(plans.get("export"), "customer_no")
    imports = _indexed(plans.get("import"), "shopify_id")
    old = _indexed(before, "shopify_id")
    for position, row in rows.iterrows():
        if row["side"] == "export" and row["record"] in exports.index:
            planned = exports.loc[row["record"]]
            names[position] = _name(planned, "company")
            emails[position] = str(planned.get("email", "") or "")
            if row["outcome"] == "updated":
                sid = str(row["shopify_id"])
                known = old.loc[sid] if sid in old.index else None
                if known is None and sid in imports.index:  # as this run read it from Shopify
                    known = imports.loc[sid]
                changes[position] = _changes(planned, known)
        elif row["side"] == "import" and row["record"] in imports.index:
            planned = imports.loc[row["record"]]
            names[position] = _name(planned, "erp_name")
            emails[position] = str(planned.get("email", "") or "")
            written = (erp_changes or {}).get(str(row["record"]))
            if row["outcome"] == "updated" and written:
                changes[position] = "; ".join(
                    f"{field}: {_text(old)} -> {_text(new)}"
                    for field, (old, new) in written.items()
                )
    return rows.assign(name=names, email=emails, changes=changes)


def _text(value: Any) -> str:
    """A stored ERP value as the report shows it (booleans as the ERP files write them)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _indexed(frame: pd.DataFrame | None, key: str) -> pd.DataFrame:
    if frame is None or frame.empty or key not in frame:
        return pd.DataFrame(index=pd.Index([], dtype=object))
    frame = frame.copy()
    frame[key] = frame[key].astype(str)
    return frame.drop_duplicates(key).set_index(key, drop=False)


def _name(row: pd.Series, company_column: str) -> str:
    company = str(row.get(company_column, "") or "").strip()
    person = " ".join(str(row.get(k, "") or "").strip() for k in ("first_name", "last_name"))
    return company or person.strip()


def _changes(planned: pd.Series, known: pd.Series | None) -> str:
    fields = [f for f in str(planned.get("changes", "") or "").split(",") if f]
    said = []
    for field in fields:
        new = str(planned.get(field, "") or "")
        if known is None:
            said.append(f"{field} -> {new}")
            continue
        column = field if field in _CUSTOMER_FIELDS else f"address_{field}"
        if column not in known.index:
            said.append(f"{field} -> {new}")
        else:
            said.append(f"{field}: {known.get(column, '') or ''} -> {new}")
    return "; ".join(said)
