"""shopsync: keep an ERP's customer master and a Shopify store's customers in step."""

from shopsync.emulator import Emulator
from shopsync.erp_export import ErpExport, export_erp
from shopsync.erp_io import ErpFile, read_erp_customers
from shopsync.errors import (
    ConfigError,
    InputFileError,
    RecordError,
    RetriableError,
    ShopifyRefused,
    ShopifyUnavailable,
    ShopsyncError,
    StopError,
    UserInputError,
)
from shopsync.jobs import preview_import, preview_orders, validate_export
from shopsync.reports import write_report
from shopsync.settings import ShopConfig, ShopSettings, load_config
from shopsync.shopify import ShopifyClient
from shopsync.shopify_io import read_shopify_customers, read_shopify_orders
from shopsync.store import Store, open_store
from shopsync.sync import SyncOptions, SyncResult, sync

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "Emulator",
    "ErpExport",
    "ErpFile",
    "InputFileError",
    "RecordError",
    "RetriableError",
    "ShopConfig",
    "ShopSettings",
    "ShopifyClient",
    "ShopifyRefused",
    "ShopifyUnavailable",
    "ShopsyncError",
    "StopError",
    "Store",
    "SyncOptions",
    "SyncResult",
    "UserInputError",
    "__version__",
    "export_erp",
    "load_config",
    "open_store",
    "preview_import",
    "preview_orders",
    "read_erp_customers",
    "read_shopify_customers",
    "read_shopify_orders",
    "sync",
    "validate_export",
    "write_report",
]
