"""A local emulator of Shopify's Admin GraphQL API (2026-07) for demos, notebooks and tests."""

from shopsync.endpoints import API_VERSION

from .app import GRAPHQL_PATH, Emulator
from .faults import ConnectionDropped, FaultSpec

__all__ = ["API_VERSION", "GRAPHQL_PATH", "ConnectionDropped", "Emulator", "FaultSpec"]
