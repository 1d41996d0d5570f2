"""Links: which ERP customer a Shopify customer is, a fact of its own."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from shopsync.store.base import StoreBase, iso_now
from shopsync.store.tables import links

__all__ = ["CustomerLinks"]


class CustomerLinks(StoreBase):
    """Shopify customer <-> ERP customer, per shop."""

    def links(self, shop_code: str) -> dict[str, str]:
        """Shopify customer id -> linked ERP customer no, for one shop."""
        query = select(links.c.shopify_id, links.c.customer_no).where(
            links.c.shop_code == shop_code
        )
        with self.engine.connect() as conn:
            return dict(conn.execute(query).all())

    def link(self, shop_code: str, shopify_id: str, customer_no: str, *, conn: Any = None) -> None:
        """Link a Shopify customer to an ERP customer (an upsert; '' unlinks)."""
        with self._begin(conn) as active:
            active.execute(
                links.delete().where(
                    links.c.shop_code == shop_code, links.c.shopify_id == shopify_id
                )
            )
            if customer_no:
                active.execute(
                    links.insert().values(
                        shop_code=shop_code,
                        shopify_id=str(shopify_id),
                        customer_no=customer_no,
                        linked_at=iso_now(),
                    )
                )
