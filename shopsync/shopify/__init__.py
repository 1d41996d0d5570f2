"""Shopify's Admin GraphQL API: the client, its documents, bulk operations."""

from shopsync.shopify.bulk import (
    bulk_customers,
    changed_customers,
    run_bulk_mutation,
    run_bulk_query,
)
from shopsync.shopify.client import MutationResult, ShopifyClient, read_token

__all__ = [
    "MutationResult",
    "ShopifyClient",
    "bulk_customers",
    "changed_customers",
    "read_token",
    "run_bulk_mutation",
    "run_bulk_query",
]
