"""Connect a shop's configuration to Shopify: the live store, or an in-process emulator."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from shopsync.emulator import Emulator
from shopsync.endpoints import is_loopback_url
from shopsync.settings import ShopConfig
from shopsync.shopify import ShopifyClient
from shopsync.shopify.client import TOKEN_ENV, read_token

__all__ = ["EMULATOR_TOKEN", "shopify_session"]

# The emulator accepts any non-empty token; this one is not a secret.
EMULATOR_TOKEN = "shopsync-emulator"


@contextmanager
def shopify_session(
    config: ShopConfig,
    *,
    emulator: str | Path | Emulator | None = None,
    **client_options: Any,
) -> Iterator[tuple[ShopConfig, ShopifyClient]]:
    """Yield (config, client) for the shop.

    ``emulator``: a seed folder (or an Emulator) to serve in-process on a free loopback port;
    the config's URL then points at it. Otherwise the config's URL is used, with the token
    from ``SHOPIFY_ACCESS_TOKEN`` (a loopback URL — a ``shopsync emulator`` started by hand —
    needs none).
    """
    if emulator is not None:
        running = emulator if isinstance(emulator, Emulator) else Emulator(data_dir=emulator)
        with running.serve() as server:
            local = dataclasses.replace(config, shop=config.shop.with_changes(url=server.url))
            yield local, ShopifyClient(server.url, EMULATOR_TOKEN, **client_options)
        return
    url = config.shop.url
    if is_loopback_url(url) and not os.environ.get(TOKEN_ENV):
        token = EMULATOR_TOKEN
    else:
        token = read_token()
    yield config, ShopifyClient(url, token, api_version=config.shop.api_version, **client_options)
