"""The ERP-side changes the imports made, and the hand-over exports that carried them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
from sqlalchemy import select

from shopsync.store.base import StoreBase, chunks, iso_now
from shopsync.store.tables import erp_changes, erp_exports

__all__ = ["Handover", "changed_fields", "record_change"]


class Handover(StoreBase):
    """The ERP-side change log and its bookmark: what no hand-over carried yet."""

    def erp_changes(self, shop_code: str, *, pending: bool = True) -> pd.DataFrame:
        """The ERP-side changes a shop's imports made, oldest first: id, kind (created |
        updated | order), record, shopify_id, fields (updated: field -> [old, new]),
        changed_at, export_id. ``pending``: only those no export has handed over yet."""
        c = erp_changes.c
        query = select(erp_changes).where(c.shop_code == shop_code).order_by(c.id)
        if pending:
            query = query.where(c.export_id.is_(None))
        frame = self._frame(query)
        if frame.empty:
            frame = pd.DataFrame({col.name: pd.Series(dtype=object) for col in erp_changes.c})
        frame["fields"] = frame["fields"].map(lambda text: json.loads(text or "{}"))
        return frame

    def mark_erp_exported(
        self,
        shop_code: str,
        change_ids: Iterable[int],
        *,
        files: Iterable[str],
        counts: Mapping[str, int],
    ) -> int:
        """Move the shop's bookmark past exactly these changes (one transaction); returns the
        export's id. Changes written meanwhile stay pending, whatever their id."""
        ids = sorted(int(i) for i in change_ids)
        with self.engine.begin() as conn:
            export_id = int(
                conn.execute(
                    erp_exports.insert().values(
                        shop_code=shop_code,
                        exported_at=iso_now(),
                        files=json.dumps([str(f) for f in files]),
                        counts=json.dumps(dict(counts)),
                    )
                ).inserted_primary_key[0]
            )
            for chunk in chunks(ids, 500):
                conn.execute(
                    erp_changes.update()
                    .where(
                        erp_changes.c.shop_code == shop_code,
                        erp_changes.c.id.in_(chunk),
                        erp_changes.c.export_id.is_(None),
                    )
                    .values(export_id=export_id)
                )
        return export_id

    def erp_exports(self, shop_code: str) -> pd.DataFrame:
        """The shop's hand-over exports, newest first."""
        return self._frame(
            select(erp_exports)
            .where(erp_exports.c.shop_code == shop_code)
            .order_by(erp_exports.c.id.desc())
        )


def record_change(
    conn: Any,
    shop_code: str,
    kind: str,
    record: str,
    shopify_id: str = "",
    fields: Mapping[str, list[Any]] | None = None,
) -> None:
    """Log one ERP-side change in the writer's own transaction (it commits with the change)."""
    conn.execute(
        erp_changes.insert().values(
            shop_code=shop_code,
            kind=kind,
            record=record,
            shopify_id=shopify_id or "",
            fields=json.dumps(dict(fields or {}), sort_keys=True),
            changed_at=iso_now(),
        )
    )


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """field -> [old, new] for the fields whose value differs (tax_liable compared as bool)."""
    changed = {}
    for name, new in after.items():
        old = before[name]
        if name == "tax_liable":
            old, new = bool(old), bool(new)
        else:
            old, new = "" if old is None else str(old), "" if new is None else str(new)
        if old != new:
            changed[name] = [old, new]
    return changed
