"""shopsync: keep an ERP's customer master and a Shopify store's customers in step."""

from shopsync.erp_io import ErpFile, read_erp_customers
from shopsync.errors import (
    ConfigError,
    InputFileError,
    RecordError,
    RetriableError,
    ShopsyncError,
    StopError,
    UserInputError,
)
from shopsync.settings import ShopConfig, ShopSettings, load_config
from shopsync.store import Store, open_store

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "ErpFile",
    "InputFileError",
    "RecordError",
    "RetriableError",
    "ShopConfig",
    "ShopSettings",
    "ShopsyncError",
    "StopError",
    "Store",
    "UserInputError",
    "__version__",
    "load_config",
    "open_store",
    "read_erp_customers",
]
