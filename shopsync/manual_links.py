"""An analyst's writes to the store: an ERP file loaded, a Shopify customer linked by hand."""

from __future__ import annotations

from pathlib import Path

from shopsync.erp_io import read_erp_customers
from shopsync.errors import UserInputError
from shopsync.settings import ShopConfig
from shopsync.shopify_io import ShopifyCustomers
from shopsync.store import Store

__all__ = ["link_manually", "load_erp_into_store"]


def load_erp_into_store(store: Store, erp_file: str | Path) -> dict[str, int | str]:
    """Load an ERP customers file into the store (as ``shopsync load-erp``); returns the
    counts, the blocked customers, the values to look at and the file's columns not used
    (by their header as written)."""
    erp = read_erp_customers(erp_file)
    counts: dict[str, int | str] = dict(store.save_erp_customers(erp.customers, erp.columns))
    blocked = int((erp.customers["blocked"] != "").sum())
    if blocked:
        counts["blocked"] = blocked
    if not erp.issues.empty:
        counts["values to look at"] = len(erp.issues)
    if erp.ignored:
        counts["columns ignored"] = ", ".join(erp.ignored)
    return counts


def link_manually(
    store: Store,
    config: ShopConfig,
    shopify: ShopifyCustomers,
    shopify_id: str,
    customer_no: str,
) -> str:
    """Write an analyst's link into the store; returns what was done, in words.

    The Shopify customer is saved into the store's mirror first (the link lives there), with
    Shopify's ``updatedAt`` left blank so that the next sync imports it through the new link.
    """
    shopify_id, customer_no = str(shopify_id).strip(), str(customer_no).strip()
    customers = shopify.customers[shopify.customers["shopify_id"] == shopify_id]
    if customers.empty:
        raise UserInputError(f"Shopify customer {shopify_id!r} is not among the loaded customers")
    erp = store.erp_customers()
    if customer_no not in set(erp["no"]):
        raise UserInputError(
            f"ERP customer {customer_no!r} is not in the store {store!r}: load the ERP file "
            "into the store first (shopsync load-erp), then link"
        )
    shop = config.shop.code
    previous = store.links(shop).get(shopify_id, "")
    taken = sorted(sid for sid, no in store.links(shop).items() if no == customer_no)
    mirror = ShopifyCustomers(
        customers.assign(updated_at=""),
        shopify.addresses[shopify.addresses["shopify_id"] == shopify_id],
    )
    with store.transaction() as conn:
        store.save_mirror(shop, mirror, conn=conn)
        store.link(shop, shopify_id, customer_no, conn=conn)
    said = f"linked Shopify customer {shopify_id} to ERP customer {customer_no}"
    if previous and previous != customer_no:
        said += f" (was {previous})"
    others = [sid for sid in taken if sid != shopify_id]
    if others:
        said += f"; note: {customer_no} is also linked to Shopify {', '.join(others)}"
    return said
