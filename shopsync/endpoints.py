"""Where shopsync talks to Shopify: the Admin API version it is pinned to, and loopback hosts."""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["API_VERSION", "LOOPBACK_HOSTS", "is_loopback_url"]

# The Shopify Admin API version shopsync, its GraphQL documents and the emulator speak.
API_VERSION = "2026-07"

# The host names of this machine's loopback interface: where a local emulator listens.
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def is_loopback_url(url: str) -> bool:
    """True for http(s)://127.0.0.1:port, localhost or [::1]: a local emulator."""
    return (urlsplit(url).hostname or "").lower() in LOOPBACK_HOSTS
