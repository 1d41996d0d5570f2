"""Run state between runs: echo suppression and where each stream's watermark moves."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pandas as pd

__all__ = ["instant", "is_newer", "minus_seconds", "next_watermark"]


def is_newer(shopify_id: str, updated_at: str, state: pd.DataFrame) -> bool:
    """Is Shopify's copy newer than both our stored copy and our own last write?

    ``state`` is the store's mirror state (index: Shopify id; ``updated_at``,
    ``last_updated_by_erp``): a customer we never saw is new.
    """
    if shopify_id not in state.index:
        return True
    stored = str(state.at[shopify_id, "updated_at"] or "")
    ours = str(state.at[shopify_id, "last_updated_by_erp"] or "")
    return instant(updated_at) > max(instant(stored), instant(ours))


def next_watermark(previous: str, read_at: str, failed_updated_at: Iterable[str]) -> str:
    """Where the next incremental read starts: when this one read, but never past a record
    that failed (it is read again); ``previous`` when nothing was read."""
    if not read_at:
        return previous
    candidates = [read_at, *[minus_seconds(t, 1) for t in failed_updated_at if t]]
    return min(candidates, key=instant)


def instant(text: str) -> datetime:
    """An ISO-8601 timestamp (``Z`` or offset) as an aware datetime; '' is the earliest."""
    if not text:
        return datetime.min.replace(tzinfo=UTC)
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def minus_seconds(text: str, seconds: float) -> str:
    """``text`` moved back by ``seconds``, as Shopify's search syntax takes it."""
    moment = instant(text) - timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
