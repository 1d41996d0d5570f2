"""A notebook's sync: the parameters' job run dry or for real, its problems, its failure."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from shopsync.emulator import Emulator
from shopsync.errors import ShopsyncError
from shopsync.sources import SYNC_SOURCES, resolve_source
from shopsync.sync import SyncResult, sync

__all__ = [
    "RunFailed",
    "SyncJob",
    "latest_run",
    "outcome_counts",
    "problems",
    "raise_if_failed",
]


class RunFailed(ShopsyncError):
    """A sync run in a notebook ended with failed records (raised last, so papermill fails)."""


@dataclass
class SyncJob:
    """A sync as the notebook's parameters describe it; ``run`` does a dry run or a real one
    (against one emulator instance, so the real run sees what the dry run saw)."""

    config: str | Path
    db: str = ""
    shopify: str = "emulator"
    emulator_data: str | Path = "data/sample"
    emulator_plan: str = "standard"
    options: dict[str, Any] = field(default_factory=dict)
    _emulator: Emulator | None = None

    def __post_init__(self) -> None:
        source = resolve_source(self.shopify, allowed=SYNC_SOURCES)
        if source.kind == "emulator":
            self._emulator = Emulator(data_dir=self.emulator_data, shopify_plan=self.emulator_plan)

    def run(
        self,
        *,
        dry_run: bool,
        progress: bool | Callable[[Any, str, int | None], Any] = True,
        planned: SyncResult | None = None,
    ) -> SyncResult:
        """Run the sync; ``dry_run`` plans only and writes nothing anywhere. With
        ``planned`` (a dry run's result) the real run applies exactly that plan, after
        checking that its inputs did not change. ``progress``: bars, none, or a callable
        (items, phase, total) -> iterable that shows each phase its own way."""
        options = dict(self.options)
        if planned is not None and planned.plan is not None:
            options["plan"] = planned.plan
        if self._emulator is not None:  # the emulator finishes bulk operations at once
            options.setdefault("bulk_poll_seconds", 0.1)
        return sync(
            self.config,
            db=self.db or None,
            emulator=self._emulator,
            dry_run=dry_run,
            progress=progress,
            **options,
        )


def outcome_counts(result: SyncResult) -> dict[str, int]:
    """Records per outcome, the outcomes that occurred only."""
    return {k: v for k, v in result.counts.items() if v}


def problems(result: SyncResult) -> pd.DataFrame:
    """The failed and skipped records of a run, failed first."""
    records = result.records
    bad = records[records["outcome"].isin(["failed", "skipped"])].copy()
    bad["_order"] = bad["outcome"].map({"failed": 0, "skipped": 1})
    columns = ["side", "record", "outcome", "reason", "message", "customer_no", "shopify_id"]
    return bad.sort_values(["_order", "side", "record"])[columns].reset_index(drop=True)


def latest_run(result: SyncResult | None, panel: Any = None) -> SyncResult | None:
    """The run the cells below the sync cell show: the panel's, once its button ran one,
    else ``result`` (the parameters' run, or None after a dry run only)."""
    ran = getattr(panel, "result", None)
    return ran if ran is not None else result


def raise_if_failed(result: SyncResult) -> None:
    """Raise RunFailed when records failed: a scheduled run then exits non-zero."""
    if result.status == "failed" or result.failed:
        where = f"; report: {result.reports['html']}" if "html" in result.reports else ""
        raise RunFailed(
            f"run {result.run_id}: {result.failed} record(s) failed (see the failed records "
            f"table){where}"
        )
