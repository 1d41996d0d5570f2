"""The run record: one row per input record, the run's log, its end and its report files."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from shopsync.errors import ShopsyncError
from shopsync.export_plan import mirror_with_default_address
from shopsync.lock import ShopLock
from shopsync.reports import path_inside, write_report
from shopsync.run_report import report_rows
from shopsync.schema import PLAN_REASON_COLUMN, RECORD_REASON_COLUMN, Outcome
from shopsync.store import Store

__all__ = ["OUTCOMES", "RECORD_COLUMNS", "RunRecorder", "SyncResult"]

OUTCOMES = tuple(Outcome)  # the run report's column order (a planned action's: Action.outcome)
RECORD_COLUMNS = [
    "side",
    "record",
    "outcome",
    "action",
    "rule",
    "customer_no",
    "shopify_id",
    RECORD_REASON_COLUMN,  # a plan row's PLAN_REASON_COLUMN
    "message",
]


@dataclass
class SyncResult:
    """A run's plan and outcome: one row per input record, counts, report files."""

    run_id: int | None
    status: str  # planned (dry run) | succeeded | failed
    records: pd.DataFrame
    plans: dict[str, pd.DataFrame] = field(default_factory=dict)
    reports: dict[str, Path] = field(default_factory=dict)
    watermark: str = ""
    invites: Counter = field(default_factory=Counter)
    aborted: str = ""  # why the run stopped early ('' when it did not)
    plan: Any = None  # the SyncPlan the run applied (or, dry, computed)

    @property
    def counts(self) -> dict[str, int]:
        """Records per outcome (every outcome listed, zeros included)."""
        found = Counter(self.records["outcome"]) if not self.records.empty else Counter()
        return {outcome: int(found.get(outcome, 0)) for outcome in OUTCOMES}

    @property
    def failed(self) -> int:
        return self.counts["failed"]

    def summary(self) -> str:
        """A small text table of outcomes per side, and why the run stopped, if it did."""
        head = f"run {self.run_id or '(dry run)'}: {self.status}"
        lines = [head]
        if self.records.empty:
            lines.append("no records")
        else:
            table = pd.crosstab(self.records["side"], self.records["outcome"])
            table = table.reindex(columns=[o for o in OUTCOMES if o in table.columns])
            lines.append(table.to_string())
        if self.invites:
            lines.append("invites: " + ", ".join(f"{k} {v}" for k, v in self.invites.items()))
        if self.aborted:
            lines.append(f"stopped: {self.aborted}")
        return "\n".join(lines)


class RunRecorder:
    """Collects a run's records as it applies its plan; writes the log and closes the run."""

    def __init__(
        self,
        store: Store | None,
        shop: str,
        run_id: int | None,
        *,
        lock: ShopLock | None = None,
        progress: bool | Callable[[Any, str, int | None], Any] = True,
    ):
        self.store = store
        self.shop = shop
        self.run_id = run_id
        self.lock = lock
        self.show_progress = progress
        self.records: list[dict[str, str]] = []
        self.invites: Counter = Counter()
        self.failed_updated_at: list[str] = []
        self.aborted = ""
        # the Shopify customers the store knew before the run (mirror_with_default_address
        # shape): the run report's updates say old -> new
        self.before: pd.DataFrame | None = None
        # Shopify id -> the ERP fields its import update changed, field -> [old, new]
        self.erp_changes: dict[str, dict[str, list[Any]]] = {}
        if store is not None and run_id is not None:
            known = store.shopify_mirror(shop)
            self.before = mirror_with_default_address(known.customers, known.addresses, {})

    def record(self, side: str, record: str, outcome: str, **fields: Any) -> None:
        """One input record's outcome (every record once)."""
        self.records.append(
            {column: "" for column in RECORD_COLUMNS}
            | {"side": str(side), "record": str(record), "outcome": str(outcome)}
            | {k: ("" if v is None else str(v)) for k, v in fields.items()}
        )

    def record_import(
        self,
        row: Mapping[str, Any],
        outcome: str,
        *,
        message: str = "",
        changes: Mapping[str, list[Any]] | None = None,
    ) -> None:
        """A Shopify customer's outcome, from its import plan row; ``changes``: the ERP fields
        an update changed (field -> [old, new]), for the run report."""
        if changes:
            self.erp_changes[str(row["shopify_id"])] = dict(changes)
        self.record(
            "import",
            row["shopify_id"],
            outcome,
            action=row["action"],
            rule=row["rule"],
            customer_no=row["customer_no"],
            shopify_id=row["shopify_id"],
            reason=row[PLAN_REASON_COLUMN],
            message=message or row["candidates"],
        )

    def record_order(self, row: Mapping[str, Any]) -> None:
        """An order's outcome, from its order plan row: linked, or skipped with a side left
        blank."""
        blank = not row["sell_to_customer_no"] or not row["bill_to_customer_no"]
        self.record(
            "order",
            row["order_id"],
            "skipped" if row[PLAN_REASON_COLUMN] and blank else "linked",
            action=row["sell_to_action"],
            rule=row["rule"],
            customer_no=row["sell_to_customer_no"],
            shopify_id=row["shopify_id"],
            reason=row[PLAN_REASON_COLUMN],
            message=f"bill-to {row['bill_to_customer_no']}",
        )

    def record_export(
        self, row: Mapping[str, Any], outcome: str, *, reason: str = "", message: str = ""
    ) -> None:
        """An ERP customer's outcome, from its export plan row (``reason`` is added)."""
        reasons = ";".join(c for c in [*str(row[PLAN_REASON_COLUMN]).split(";"), reason] if c)
        self.record(
            "export",
            row["customer_no"],
            outcome,
            action=row["action"],
            customer_no=row["customer_no"],
            shopify_id=row.get("shopify_id", ""),
            reason=reasons,
            message=message or row.get("message", "") or row.get("details", ""),
        )

    def recorded(self, side: str) -> set[str]:
        """The records of ``side`` that already have their outcome."""
        return {r["record"] for r in self.records if r["side"] == side}

    def log_one(self, side: str, record: str, outcome: str, reason: str, message: str) -> None:
        """A log row that is not an input record's (an invite, a run-level note)."""
        if self.run_id is not None and self.store is not None:
            row = {"side": side, "record": record, "outcome": outcome, "reason": reason}
            self.store.log(self.run_id, [{**row, "message": message}])

    def progress(self, items: Any, label: str, total: int | None = None) -> Any:
        """``items``, with a progress bar labelled ``label``; ``progress`` may be a callable
        (items, label, total) -> iterable that shows it its own way (a notebook panel)."""
        if callable(self.show_progress):
            return self.show_progress(items, label, total)
        if not self.show_progress:
            return items
        return tqdm(items, desc=f"{self.shop} {label}", total=total, file=sys.stderr, leave=False)

    def check_lock(self, conn: Any) -> None:
        """The fence, first in each of the run's store transactions (see ShopLock.check)."""
        if self.lock is not None:
            self.lock.check(conn)

    def beat(self) -> None:
        """Keep the shop's lock alive (a run that stops beating is taken over)."""
        if self.lock is not None:
            self.lock.beat()

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.records, columns=RECORD_COLUMNS)

    def close(
        self, watermarks: dict[str, str], report_dir: Path | None, plans: dict[str, pd.DataFrame]
    ) -> SyncResult:
        """Log the skipped and failed records, close the run (status, counts, watermarks),
        then write the report files: a report that cannot be written never undoes a run."""
        records = self.frame()
        failed = records["outcome"] == "failed"
        status = "failed" if failed.any() or self.aborted else "succeeded"
        result = SyncResult(
            run_id=self.run_id,
            status=status,
            records=records,
            plans=plans,
            watermark=watermarks.get("customers", ""),
            invites=self.invites,
            aborted=self.aborted,
        )
        assert self.run_id is not None and self.store is not None
        problems = records[records["outcome"].isin(["skipped", "failed"])]
        log = problems[["side", "record", "outcome", "reason", "message"]].to_dict("records")
        if self.aborted:
            log.append(
                {
                    "side": "run",
                    "record": "*",
                    "outcome": "failed",
                    "reason": "",
                    "message": self.aborted,
                }
            )
        self.store.log(self.run_id, log)
        self.store.finish_run(self.run_id, status=status, counts=result.counts, marks=watermarks)
        if report_dir is not None:
            result.reports = self._write_reports(records, Path(report_dir), plans)
        return result

    def _write_reports(
        self, records: pd.DataFrame, directory: Path, plans: dict[str, pd.DataFrame]
    ) -> dict[str, Path]:
        title = f"Sync run {self.run_id} of shop {self.shop}"
        run = self.store.run_record(self.run_id or 0) or {}
        # run ids restart per store: the run's start time keeps two stores' reports apart
        stamp = "".join(ch for ch in str(run.get("started_at", ""))[:19] if ch.isalnum())
        stem = f"{self.shop}-{self.run_id}-{stamp}Z" if stamp else f"{self.shop}-{self.run_id}"
        settings = self.store.shop_settings(self.shop)
        about = {
            "run": self.run_id,
            "shop": self.shop,
            "started": run.get("started_at", ""),
            "direction": run.get("direction", ""),
            "parameters": ", ".join(
                f"{k}={','.join(map(str, v)) if isinstance(v, list) else v}"
                for k, v in (run.get("parameters") or {}).items()
            ),
            "settings": ", ".join(
                f"{k}={v}" for k, v in (vars(settings) if settings else {}).items()
            ),
        }
        rows = report_rows(records, plans, self.before, erp_changes=self.erp_changes)
        written: dict[str, Path] = {}
        for suffix in ("csv", "xlsx", "html"):
            try:
                written[suffix] = write_report(
                    rows,
                    path_inside(directory, f"{stem}.{suffix}"),
                    title=title,
                    outcome_column="outcome",
                    reason_column="reason",
                    about=about,
                )
            except (OSError, ValueError, ShopsyncError) as exc:
                self.log_one("run", "*", "failed", "", f"report {suffix} not written: {exc}")
        self.store.set_run_report(self.run_id or 0, {k: str(v) for k, v in written.items()})
        return written
