"""The local store: the ERP side, the Shopify mirror, links and sync runs, in SQLAlchemy Core.

One part per concept: ``tables`` (the schema), ``base`` (engine, transactions, upserts),
``reference``, ``erp``, ``mirror``, ``customer_links``, ``intents``, ``orders``, ``handover``,
``runs`` and ``shop_locks`` (the lock's rows); ``core`` opens a store and makes the Store of
those parts. ``from shopsync.store import X`` is the public way in.
"""

from shopsync.store.base import iso_now
from shopsync.store.core import DEFAULT_DB_URL, Store, open_store, resolve_db_url
from shopsync.store.tables import SCHEMA_VERSION, erp_changes, erp_customers, locks, meta, metadata

__all__ = [
    "DEFAULT_DB_URL",
    "SCHEMA_VERSION",
    "Store",
    "erp_changes",
    "erp_customers",
    "iso_now",
    "locks",
    "meta",
    "metadata",
    "open_store",
    "resolve_db_url",
]
