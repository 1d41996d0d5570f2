"""shopsync: keep an ERP's customer master and a Shopify store's customers in step."""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shopsync.emulator import Emulator
    from shopsync.erp_export import ErpExport, export_erp
    from shopsync.erp_io import ErpFile, read_erp_customers
    from shopsync.errors import (
        ConfigError,
        InputFileError,
        RetriableError,
        ShopifyRefused,
        ShopifyUnavailable,
        ShopsyncError,
        StopError,
        UnknownSource,
        UserInputError,
    )
    from shopsync.jobs import preview_import, preview_orders, validate_export
    from shopsync.reports import write_report
    from shopsync.settings import ShopConfig, ShopSettings, load_config
    from shopsync.shopify import ShopifyClient
    from shopsync.shopify_io import read_shopify_customers, read_shopify_orders
    from shopsync.sources import load_shopify_customers
    from shopsync.store import Store, open_store
    from shopsync.sync import SyncOptions, SyncResult, sync

__version__ = "0.1.0"

# Public name -> the module defining it. Imported on first use (PEP 562), so that
# ``import shopsync`` and ``shopsync --help`` load neither pandas, SQLAlchemy, graphql-core
# nor the emulator until something needs them.
_LAZY: dict[str, str] = {
    "ConfigError": "shopsync.errors",
    "Emulator": "shopsync.emulator",
    "ErpExport": "shopsync.erp_export",
    "ErpFile": "shopsync.erp_io",
    "InputFileError": "shopsync.errors",
    "RetriableError": "shopsync.errors",
    "ShopConfig": "shopsync.settings",
    "ShopSettings": "shopsync.settings",
    "ShopifyClient": "shopsync.shopify",
    "ShopifyRefused": "shopsync.errors",
    "ShopifyUnavailable": "shopsync.errors",
    "ShopsyncError": "shopsync.errors",
    "StopError": "shopsync.errors",
    "Store": "shopsync.store",
    "SyncOptions": "shopsync.sync",
    "SyncResult": "shopsync.sync",
    "UnknownSource": "shopsync.errors",
    "UserInputError": "shopsync.errors",
    "export_erp": "shopsync.erp_export",
    "load_config": "shopsync.settings",
    "load_shopify_customers": "shopsync.sources",
    "open_store": "shopsync.store",
    "preview_import": "shopsync.jobs",
    "preview_orders": "shopsync.jobs",
    "read_erp_customers": "shopsync.erp_io",
    "read_shopify_customers": "shopsync.shopify_io",
    "read_shopify_orders": "shopsync.shopify_io",
    "sync": "shopsync.sync",
    "validate_export": "shopsync.jobs",
    "write_report": "shopsync.reports",
}

__all__ = [
    "ConfigError",
    "Emulator",
    "ErpExport",
    "ErpFile",
    "InputFileError",
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
    "UnknownSource",
    "UserInputError",
    "__version__",
    "export_erp",
    "load_config",
    "load_shopify_customers",
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


def __getattr__(name: str) -> Any:
    """A public name, imported from its module the first time it is asked for."""
    module = _LAZY.get(name)
    if module is None:  # a submodule (``shopsync.erp_export``), as an eager package had it
        if name.startswith("_") or importlib.util.find_spec(f"{__name__}.{name}") is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        return importlib.import_module(f"{__name__}.{name}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


class _Package(types.ModuleType):
    """The package: keeps a public name bound to itself when a submodule of the same name
    (``shopsync.sync``) is imported, which would otherwise rebind it to the submodule."""

    def __setattr__(self, name: str, value: Any) -> None:
        if (
            isinstance(value, types.ModuleType)
            and _LAZY.get(name) == value.__name__
            and hasattr(value, name)
        ):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
