"""Where Shopify customers come from: ``emulator``, ``live``, ``store`` or a JSONL file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from shopsync.errors import UnknownSource

if TYPE_CHECKING:
    from shopsync.emulator import Emulator
    from shopsync.settings import ShopConfig
    from shopsync.shopify_io import ShopifyCustomers
    from shopsync.store import Store

__all__ = [
    "FILE",
    "SOURCE_NAMES",
    "SYNC_SOURCES",
    "ShopifySource",
    "load_shopify_customers",
    "resolve_source",
]

# The named sources: an in-process emulator, the shop's API (token from the environment), the
# store's mirror. Any other value is the path of a customers JSONL file.
SOURCE_NAMES = ("emulator", "live", "store")
# The kind of a source given as a file path.
FILE = "file"
# The sources a sync can run against (it writes, so it needs an API).
SYNC_SOURCES = ("emulator", "live")
# An emulator finishes a bulk operation at once: poll it often.
_EMULATOR_POLL = 0.05


@dataclass(frozen=True)
class ShopifySource:
    """A resolved source: its kind (one of SOURCE_NAMES, or FILE) and a file's path."""

    kind: str
    path: Path | None = None

    def __str__(self) -> str:
        return str(self.path) if self.kind == FILE else self.kind


def resolve_source(
    source: str | Path | ShopifySource | None,
    *,
    default: str = "store",
    allowed: tuple[str, ...] = (*SOURCE_NAMES, FILE),
) -> ShopifySource:
    """The source ``source`` names: one of SOURCE_NAMES, or an existing file (a Path is always
    a file); None or "" is ``default``. Raises UnknownSource, listing the known names, for
    anything else, and for a source outside ``allowed`` (a sync refuses ``store``)."""
    if isinstance(source, ShopifySource):
        resolved = source
    elif source is None or (isinstance(source, str) and not source.strip()):
        resolved = ShopifySource(default)
    elif isinstance(source, str) and source.strip() in SOURCE_NAMES:
        resolved = ShopifySource(source.strip())
    elif Path(source).is_file():
        resolved = ShopifySource(FILE, Path(source))
    else:
        text = str(source)
        note = "no such file" if any(mark in text for mark in ("/", "\\", ".")) else ""
        raise UnknownSource("Shopify source", text, _names(allowed), _file_words(allowed), note)
    if resolved.kind not in allowed:
        raise UnknownSource("Shopify source", str(resolved), _names(allowed), _file_words(allowed))
    return resolved


def load_shopify_customers(
    config: ShopConfig,
    store: Store,
    source: str | Path | ShopifySource | None,
    *,
    emulator: str | Path | Emulator | None = None,
    shopify_plan: str = "standard",
    poll: float | None = None,
) -> ShopifyCustomers:
    """The Shopify customers of ``source`` (see resolve_source): through a bulk query from
    the emulator (seeded from ``emulator``, a folder or an Emulator; default the sample shop,
    on ``shopify_plan``'s rate limit) or the live shop, the store's mirror, or a JSONL file.
    ``poll``: seconds between a bulk operation's status checks (default: the client's; an
    emulator's 0.05)."""
    resolved = resolve_source(source)
    if resolved.kind == FILE:
        from shopsync.shopify_io import read_shopify_customers

        return read_shopify_customers(resolved.path)  # type: ignore[arg-type]
    if resolved.kind == "store":
        return store.shopify_mirror(config.shop.code)
    from shopsync.session import shopify_session
    from shopsync.shopify import bulk_customers

    if resolved.kind == "live":
        with shopify_session(config) as (_, client):
            return bulk_customers(client, poll=poll)
    with shopify_session(config, emulator=_emulator(emulator, shopify_plan)) as (_, client):
        return bulk_customers(client, poll=_EMULATOR_POLL if poll is None else poll)


def _emulator(emulator: str | Path | Emulator | None, shopify_plan: str) -> Emulator:
    from shopsync.emulator import Emulator
    from shopsync.reference import sample_dir

    if isinstance(emulator, Emulator):
        return emulator
    return Emulator(data_dir=emulator or sample_dir(), shopify_plan=shopify_plan)


def _names(allowed: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(name for name in allowed if name != FILE)


def _file_words(allowed: tuple[str, ...]) -> str:
    return "the path of a customers JSONL file" if FILE in allowed else ""
