"""The store's copy of a shop's Shopify customers and addresses, with our write marks."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import pandas as pd
from sqlalchemy import select

from shopsync.schema import (
    ADDRESS_COLUMNS,
    ADDRESS_TEXT_COLUMNS,
    CUSTOMER_COLUMNS,
    MIRROR_ADDRESS_NAMES,
    MIRROR_CUSTOMER_NAMES,
    InviteState,
)
from shopsync.shopify_io import ShopifyCustomers
from shopsync.store.base import StoreBase, chunks
from shopsync.store.tables import links, shopify_addresses, shopify_customers

__all__ = ["Mirror"]


class Mirror(StoreBase):
    """The Shopify mirror: customers, addresses, our writes' echo marks, invite states."""

    def shopify_mirror(self, shop_code: str) -> ShopifyCustomers:
        """The stored copy of a shop's Shopify customers and addresses."""
        customers = self._frame(
            select(shopify_customers)
            .where(shopify_customers.c.shop_code == shop_code)
            .order_by(shopify_customers.c.id)
        ).rename(columns=MIRROR_CUSTOMER_NAMES)
        addresses = self._frame(
            select(shopify_addresses)
            .where(shopify_addresses.c.shop_code == shop_code)
            .order_by(shopify_addresses.c.customer_id, shopify_addresses.c.id)
        ).rename(columns=MIRROR_ADDRESS_NAMES)
        customers["record_error"] = ""
        customers["tags"] = customers["tags"].map(lambda t: ",".join(json.loads(t or "[]")))
        addresses["position"] = addresses.groupby("shopify_id").cumcount()
        return ShopifyCustomers(
            customers.reindex(columns=CUSTOMER_COLUMNS, fill_value=""),
            addresses.reindex(columns=ADDRESS_COLUMNS, fill_value=""),
        )

    def _mirror_rows(self, shop_code: str, ids: list[str], conn: Any) -> pd.DataFrame:
        c = shopify_customers.c
        frames = []
        with self._begin(conn) as active:
            for chunk in chunks(ids, 500):
                result = active.execute(
                    select(c.id, c.last_updated_by_erp, c.invite).where(
                        c.shop_code == shop_code, c.id.in_(chunk)
                    )
                )
                frames.append(pd.DataFrame(result.fetchall(), columns=list(result.keys())))
        frame = pd.concat(frames) if frames else pd.DataFrame(columns=["id"])
        return frame.set_index("id")

    def mirror_state(self, shop_code: str) -> pd.DataFrame:
        """Per stored Shopify customer: updated_at, last_updated_by_erp, customer_no (the link,
        '' when none), invite, email, phone (index: Shopify id)."""
        c = shopify_customers.c
        frame = self._frame(
            select(
                c.id,
                c.updated_at,
                c.last_updated_by_erp,
                c.invite,
                c.email,
                c.phone,
                c.default_address_id,
            ).where(c.shop_code == shop_code)
        ).set_index("id")
        frame.insert(
            2, "customer_no", frame.index.map(self.links(shop_code)).astype(object).fillna("")
        )
        return frame

    def save_mirror(self, shop_code: str, shopify: ShopifyCustomers, *, conn: Any = None) -> None:
        """Upsert Shopify customers and replace their addresses; our write markers and invite
        states are kept (links live apart). Shopify is the truth: an address id the mirror
        holds for another customer (a re-seeded shop, a restored store) moves with Shopify."""
        if shopify.customers.empty:
            return
        customers = shopify.customers[shopify.customers["record_error"] == ""]
        ids = customers["shopify_id"].tolist()
        kept = self._mirror_rows(shop_code, ids, conn)
        rows = []
        for record in customers.to_dict("records"):
            previous = (
                kept.loc[record["shopify_id"]] if record["shopify_id"] in kept.index else None
            )
            rows.append(
                {
                    "shop_code": shop_code,
                    "id": record["shopify_id"],
                    "first_name": record["first_name"],
                    "last_name": record["last_name"],
                    "email": record["email"],
                    "phone": record["phone"],
                    "state": record["state"],
                    "tags": json.dumps([t for t in str(record["tags"]).split(",") if t]),
                    "note": record["note"],
                    "verified_email": bool(record["verified_email"]),
                    "tax_exempt": bool(record["tax_exempt"]),
                    "default_address_id": record["default_address_id"],
                    "created_at": record["created_at"],
                    "updated_at": record["updated_at"],
                    "last_updated_by_erp": ""
                    if previous is None
                    else previous["last_updated_by_erp"],
                    "invite": "" if previous is None else previous["invite"],
                }
            )
        addresses = shopify.addresses[shopify.addresses["shopify_id"].isin(ids)]
        address_rows = [
            {
                "shop_code": shop_code,
                "id": a["address_id"],
                "customer_id": a["shopify_id"],
                **{k: a[k] for k in ADDRESS_TEXT_COLUMNS},
                "is_default": bool(a["is_default"]),
            }
            for a in addresses.to_dict("records")
        ]
        with self._begin(conn) as conn:
            for chunk in chunks(ids, 500):
                conn.execute(
                    shopify_customers.delete().where(
                        shopify_customers.c.shop_code == shop_code,
                        shopify_customers.c.id.in_(chunk),
                    )
                )
                conn.execute(
                    shopify_addresses.delete().where(
                        shopify_addresses.c.shop_code == shop_code,
                        shopify_addresses.c.customer_id.in_(chunk),
                    )
                )
            for chunk in chunks([a["id"] for a in address_rows], 500):
                conn.execute(
                    shopify_addresses.delete().where(
                        shopify_addresses.c.shop_code == shop_code,
                        shopify_addresses.c.id.in_(chunk),
                    )
                )
            conn.execute(shopify_customers.insert(), rows)
            if address_rows:
                conn.execute(shopify_addresses.insert(), address_rows)

    def forget_shopify_customers(
        self, shop_code: str, shopify_ids: Iterable[str], *, conn: Any = None
    ) -> None:
        """Drop Shopify customers that no longer exist in Shopify: mirror rows, addresses,
        links (their ERP customers are kept and go through discovery again)."""
        ids = [str(i) for i in shopify_ids]
        with self._begin(conn) as active:
            for chunk in chunks(ids, 500):
                for table, column in (
                    (shopify_customers, shopify_customers.c.id),
                    (shopify_addresses, shopify_addresses.c.customer_id),
                    (links, links.c.shopify_id),
                ):
                    active.execute(
                        table.delete().where(table.c.shop_code == shop_code, column.in_(chunk))
                    )

    def mark_written(
        self,
        shop_code: str,
        shopify_id: str,
        updated_at: str,
        *,
        invite: str | None = None,
        conn: Any = None,
    ) -> None:
        """Remember our own write to a Shopify customer (echo suppression), optionally its
        invite state."""
        values: dict[str, Any] = {"last_updated_by_erp": updated_at, "updated_at": updated_at}
        if invite is not None:
            values["invite"] = invite
        self._execute(
            shopify_customers.update()
            .where(shopify_customers.c.shop_code == shop_code, shopify_customers.c.id == shopify_id)
            .values(**values),
            conn,
        )

    def set_invite(self, shop_code: str, shopify_id: str, state: str, *, conn: Any = None) -> None:
        """Record where a created customer's invite stands (pending, sending, sent, failed...)."""
        self._execute(
            shopify_customers.update()
            .where(shopify_customers.c.shop_code == shop_code, shopify_customers.c.id == shopify_id)
            .values(invite=state),
            conn,
        )

    def pending_invites(self, shop_code: str) -> dict[str, str]:
        """Customers we created whose invite is not known to be sent: Shopify id -> state
        (``pending``: never sent; ``sending``: sent, but the answer was not recorded)."""
        c = shopify_customers.c
        with self.engine.connect() as conn:
            return dict(
                conn.execute(
                    select(c.id, c.invite)
                    .where(
                        c.shop_code == shop_code,
                        c.invite.in_([InviteState.PENDING.value, InviteState.SENDING.value]),
                    )
                    .order_by(c.id)
                ).all()
            )
