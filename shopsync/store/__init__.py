"""The local store: the ERP side, the Shopify mirror, links and sync runs, in SQLAlchemy Core."""

from shopsync.store.core import (
    DEFAULT_DB_URL,
    SCHEMA_VERSION,
    Store,
    erp_changes,
    erp_customers,
    iso_now,
    locks,
    meta,
    metadata,
    open_store,
    resolve_db_url,
)

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
