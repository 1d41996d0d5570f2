"""The order -> sell-to / bill-to customer table, and the order changes it hands over."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from sqlalchemy import select

from shopsync.store.base import StoreBase, chunks
from shopsync.store.handover import record_change
from shopsync.store.tables import order_customers

__all__ = ["OrderCustomers"]


_ORDER_SIDES = ("name", "sell_to_customer_no", "bill_to_customer_no")


class OrderCustomers(StoreBase):
    """Each order's sell-to and bill-to ERP customers."""

    def save_order_customers(self, shop_code: str, plan: pd.DataFrame, run_id: int) -> None:
        """Write the order -> sell-to / bill-to table (one row per order, replaced)."""
        rows = [
            {
                "shop_code": shop_code,
                "order_id": r["order_id"],
                "name": r["name"],
                "sell_to_customer_no": r["sell_to_customer_no"],
                "bill_to_customer_no": r["bill_to_customer_no"],
                "rule": r["rule"],
                "run_id": run_id,
            }
            for r in plan.to_dict("records")
        ]
        with self.engine.begin() as conn:
            for chunk in chunks(rows, 500):
                _record_order_changes(conn, shop_code, chunk)
                conn.execute(
                    order_customers.delete().where(
                        order_customers.c.shop_code == shop_code,
                        order_customers.c.order_id.in_([r["order_id"] for r in chunk]),
                    )
                )
            if rows:
                conn.execute(order_customers.insert(), rows)

    def order_customers(self, shop_code: str) -> pd.DataFrame:
        """The order -> customer table of a shop."""
        return self._frame(
            select(order_customers)
            .where(order_customers.c.shop_code == shop_code)
            .order_by(order_customers.c.order_id)
        )


def _record_order_changes(conn: Any, shop_code: str, rows: list[Mapping[str, Any]]) -> None:
    """Log the orders that are new or whose sell-to / bill-to changed (a re-read is not)."""
    c = order_customers.c
    stored = {
        row.order_id: tuple(row[1:])
        for row in conn.execute(
            select(c.order_id, *[c[k] for k in _ORDER_SIDES]).where(
                c.shop_code == shop_code, c.order_id.in_([r["order_id"] for r in rows])
            )
        )
    }
    for row in rows:
        if stored.get(row["order_id"]) != tuple(row[k] for k in _ORDER_SIDES):
            record_change(conn, shop_code, "order", row["order_id"])
