"""Create intents: Shopify creates sent but not yet recorded, so a kill in between is recovered."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select

from shopsync.store.base import StoreBase, chunks, iso_now
from shopsync.store.tables import create_intents

__all__ = ["CreateIntents"]


class CreateIntents(StoreBase):
    """Creates sent to Shopify whose answer is not recorded yet."""

    def record_create_intents(
        self, shop_code: str, rows: Iterable[Mapping[str, str]], run_id: int
    ) -> None:
        """Before creates are sent: ERP customer no and e-mail of each, with the time."""
        now = iso_now()
        items = [
            {
                "shop_code": shop_code,
                "customer_no": r["customer_no"],
                "email": r["email"],
                "run_id": run_id,
                "started_at": now,
            }
            for r in rows
        ]
        with self.engine.begin() as conn:
            for chunk in chunks([i["customer_no"] for i in items], 500):
                conn.execute(
                    create_intents.delete().where(
                        create_intents.c.shop_code == shop_code,
                        create_intents.c.customer_no.in_(chunk),
                    )
                )
            if items:
                conn.execute(create_intents.insert(), items)

    def create_intents(self, shop_code: str, *, with_emails: bool = False) -> dict[str, Any]:
        """Creates sent but never recorded: ERP customer no -> when they were sent (with
        ``with_emails``: (when, the e-mail sent))."""
        c = create_intents.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(c.customer_no, c.started_at, c.email).where(c.shop_code == shop_code)
            ).all()
        if with_emails:
            return {no: (started, email) for no, started, email in rows}
        return {no: started for no, started, _ in rows}

    def clear_create_intent(self, shop_code: str, customer_no: str, *, conn: Any = None) -> None:
        """The create of ``customer_no`` is recorded (or known not to have happened)."""
        self._execute(
            create_intents.delete().where(
                create_intents.c.shop_code == shop_code,
                create_intents.c.customer_no == customer_no,
            ),
            conn,
        )
