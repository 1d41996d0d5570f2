"""The store's ERP customers: loaded from the ERP's files, created and updated by imports."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
from sqlalchemy import func, select

from shopsync.schema import ERP_COLUMNS, ERP_CUSTOMER_COLUMNS
from shopsync.store.base import StoreBase, chunks, utc_now
from shopsync.store.handover import changed_fields, record_change
from shopsync.store.tables import erp_customers, number_series

__all__ = ["ErpCustomers"]


class ErpCustomers(StoreBase):
    """ERP customers and the number series new ones are numbered from."""

    def save_erp_customers(
        self, frame: pd.DataFrame, columns: Iterable[str] | None = None
    ) -> dict[str, int]:
        """Insert new and update changed ERP customers (by ``no``); returns the counts.

        ``columns``: the ERP columns the data really has (default: all ERP_CUSTOMER_COLUMNS
        the frame has). An existing customer's other columns keep their stored values; a new
        customer gets them blank.
        """
        existing = self.erp_customers().set_index("no")
        given = [name for name in ERP_CUSTOMER_COLUMNS if name in frame.columns]
        wanted = set(columns or given)
        compared = [k for k in given if k in wanted and k != "no"]
        blanks = {name: False if name == "tax_liable" else "" for name in ERP_CUSTOMER_COLUMNS}
        now = utc_now()
        inserted, updated, unchanged = [], [], 0
        for row in frame[given].to_dict("records"):
            no = row["no"]
            if no not in existing.index:
                inserted.append({**blanks, **row, "created_at": now, "updated_at": now})
            elif any(existing.at[no, k] != row[k] for k in compared):
                updated.append({"no": no, **{k: row[k] for k in compared}, "updated_at": now})
            else:
                unchanged += 1
        with self.engine.begin() as conn:
            if inserted:
                conn.execute(erp_customers.insert(), inserted)
            for row in updated:
                conn.execute(
                    erp_customers.update().where(erp_customers.c.no == row["no"]).values(**row)
                )
        return {"inserted": len(inserted), "updated": len(updated), "unchanged": unchanged}

    def erp_customers(self) -> pd.DataFrame:
        """All ERP customers, ERP_CUSTOMER_COLUMNS (text columns, tax_liable bool)."""
        frame = self._frame(
            select(*[erp_customers.c[name] for name in ERP_CUSTOMER_COLUMNS]).order_by(
                erp_customers.c.no
            )
        )
        if frame.empty:
            frame = pd.DataFrame({name: pd.Series(dtype=object) for name in ERP_CUSTOMER_COLUMNS})
        frame["tax_liable"] = frame["tax_liable"].astype(bool)
        return frame

    def erp_customers_by_no(self, numbers: Iterable[str]) -> pd.DataFrame:
        """The ERP customers with these numbers (ERP_CUSTOMER_COLUMNS, ordered by no)."""
        numbers = sorted(set(numbers))
        columns = [erp_customers.c[name] for name in ERP_CUSTOMER_COLUMNS]
        frames = [
            self._frame(select(*columns).where(erp_customers.c.no.in_(chunk)))
            for chunk in chunks(numbers, 500)
        ]
        frames = [f for f in frames if not f.empty]
        if not frames:
            return pd.DataFrame({name: pd.Series(dtype=object) for name in ERP_CUSTOMER_COLUMNS})
        frame = pd.concat(frames).sort_values("no").reset_index(drop=True)
        frame["tax_liable"] = frame["tax_liable"].astype(bool)
        return frame

    def create_erp_customer(
        self,
        values: Mapping[str, Any],
        *,
        series: str,
        shop_code: str,
        shopify_id: str,
        no: str = "",
        conn: Any = None,
    ) -> str:
        """Insert a new ERP customer numbered from ``series`` (or numbered ``no``, a number the
        plan reserved) and link the Shopify customer, in one transaction (a crash leaves neither
        or both)."""
        now = utc_now()
        with self._begin(conn) as conn:
            no = self._take_number(conn, series, no) if no else self._next_number(conn, series)
            row = {
                name: values.get(name, False if name == "tax_liable" else "")
                for name in ERP_CUSTOMER_COLUMNS
            }
            row.update(no=no, created_at=now, updated_at=now)
            conn.execute(erp_customers.insert().values(**row))
            self.link(shop_code, shopify_id, no, conn=conn)
            record_change(conn, shop_code, "created", no, shopify_id)
        return no

    def update_erp_customer(
        self,
        no: str,
        values: Mapping[str, Any],
        *,
        shop_code: str,
        shopify_id: str,
        conn: Any = None,
    ) -> dict[str, list[Any]]:
        """Overwrite an ERP customer's fields with ``values`` (only those given) and (re)link,
        in one transaction; returns the fields that changed, field -> [old, new]."""
        with self._begin(conn) as conn:
            fields = {k: v for k, v in values.items() if k in ERP_COLUMNS and k != "no"}
            before = (
                conn.execute(
                    select(*[erp_customers.c[k] for k in fields]).where(erp_customers.c.no == no)
                ).first()
                if fields
                else None
            )
            conn.execute(
                erp_customers.update()
                .where(erp_customers.c.no == no)
                .values(**fields, updated_at=utc_now())
            )
            self.link(shop_code, shopify_id, no, conn=conn)
            changed = changed_fields(before._mapping, fields) if before is not None else {}
            if changed:
                record_change(conn, shop_code, "updated", no, shopify_id, changed)
        return changed

    def ensure_series(self, code: str, prefix: str, digits: int = 6) -> None:
        """Create a number series for new ERP customers unless it exists."""
        self._upsert(number_series, [{"code": code, "prefix": prefix, "digits": digits}], ["code"])

    def next_numbers(self, series: str, prefix: str, count: int, digits: int = 6) -> list[str]:
        """The ``count`` numbers the series would give next (nothing is taken): what a plan
        reserves for the customers it creates."""
        with self.engine.connect() as conn:
            row = conn.execute(select(number_series).where(number_series.c.code == series)).first()
            taken = set(conn.execute(select(erp_customers.c.no)).scalars())
        number = row.last_number if row else 0
        prefix, digits = (row.prefix, row.digits) if row else (prefix, digits)
        found: list[str] = []
        while len(found) < count:
            number += 1
            candidate = f"{prefix}{number:0{digits}d}"
            if candidate not in taken:
                found.append(candidate)
        return found

    def _take_number(self, conn: Any, series: str, no: str) -> str:
        """Use a reserved number and move the series past it."""
        row = conn.execute(select(number_series).where(number_series.c.code == series)).one()
        tail = no[len(row.prefix) :]
        if no.startswith(row.prefix) and tail.isdigit() and int(tail) > row.last_number:
            conn.execute(
                number_series.update()
                .where(number_series.c.code == series)
                .values(last_number=int(tail))
            )
        return no

    def _next_number(self, conn: Any, series: str) -> str:
        row = conn.execute(select(number_series).where(number_series.c.code == series)).one()
        number = row.last_number
        while True:
            number += 1
            candidate = f"{row.prefix}{number:0{row.digits}d}"
            taken = conn.execute(
                select(func.count())
                .select_from(erp_customers)
                .where(erp_customers.c.no == candidate)
            ).scalar_one()
            if not taken:
                break
        conn.execute(
            number_series.update().where(number_series.c.code == series).values(last_number=number)
        )
        return candidate
