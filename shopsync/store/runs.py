"""Sync runs in the store: their records, logs and the watermark each stream reached."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pandas as pd
from sqlalchemy import func, select

from shopsync.schema import Outcome, RunStatus
from shopsync.store.base import StoreBase, iso_now
from shopsync.store.tables import sync_log, sync_runs, watermarks

__all__ = ["Runs"]


class Runs(StoreBase):
    """Sync runs, their logs and the streams' watermarks."""

    def start_run(self, shop_code: str, direction: str, parameters: Mapping[str, Any]) -> int:
        """Record a new running sync; returns its id."""
        with self.engine.begin() as conn:
            result = conn.execute(
                sync_runs.insert().values(
                    shop_code=shop_code,
                    direction=direction,
                    parameters=json.dumps(dict(parameters), sort_keys=True),
                    status=RunStatus.RUNNING.value,
                    started_at=iso_now(),
                )
            )
            return int(result.inserted_primary_key[0])

    def finish_run(
        self,
        run_id: int,
        *,
        status: str,
        counts: Mapping[str, int],
        marks: Mapping[str, str] | None = None,
        report: Mapping[str, str] | None = None,
    ) -> None:
        """Close a run with its status, counts, the watermark of each stream it read
        (``customers``, ``orders``) and report paths, in one transaction."""
        marks = {k: v for k, v in (marks or {}).items() if v}
        with self.engine.begin() as conn:
            conn.execute(
                sync_runs.update()
                .where(sync_runs.c.id == run_id)
                .values(
                    status=status,
                    finished_at=iso_now(),
                    counts=json.dumps(dict(counts), sort_keys=True),
                    watermark=marks.get("customers", ""),
                    report=json.dumps(dict(report or {})),
                )
            )
            shop_code = conn.execute(
                select(sync_runs.c.shop_code).where(sync_runs.c.id == run_id)
            ).scalar_one()
            for stream, value in marks.items():
                conn.execute(
                    watermarks.delete().where(
                        watermarks.c.shop_code == shop_code, watermarks.c.stream == stream
                    )
                )
                conn.execute(
                    watermarks.insert().values(
                        shop_code=shop_code, stream=stream, value=value, run_id=run_id
                    )
                )

    def mark_interrupted(self, shop_code: str, *, except_run: int | None = None) -> list[int]:
        """Runs of the shop still marked running (killed: their lock is ours now) become
        ``interrupted``, finished now; returns their ids."""
        c = sync_runs.c
        with self.engine.begin() as conn:
            stale = [
                run_id
                for run_id in conn.execute(
                    select(c.id).where(
                        c.shop_code == shop_code, c.status == RunStatus.RUNNING.value
                    )
                ).scalars()
                if run_id != except_run
            ]
            if stale:
                conn.execute(
                    sync_runs.update()
                    .where(c.id.in_(stale))
                    .values(status=RunStatus.INTERRUPTED.value, finished_at=iso_now())
                )
        return stale

    def set_run_report(self, run_id: int, report: Mapping[str, str]) -> None:
        self._execute(
            sync_runs.update()
            .where(sync_runs.c.id == run_id)
            .values(report=json.dumps(dict(report)))
        )

    def run_record(self, run_id: int) -> dict[str, Any] | None:
        """One run as a dict (counts and report decoded), or None."""
        with self.engine.connect() as conn:
            row = conn.execute(select(sync_runs).where(sync_runs.c.id == run_id)).mappings().first()
        if row is None:
            return None
        run = dict(row)
        run["counts"] = json.loads(run["counts"] or "{}")
        run["report"] = json.loads(run["report"] or "{}")
        run["parameters"] = json.loads(run["parameters"] or "{}")
        return run

    def watermark(self, shop_code: str, stream: str = "customers") -> str:
        """Where the next incremental read of ``stream`` (customers, orders) starts: the value
        the last finished run recorded ('' when none: read everything)."""
        with self.engine.connect() as conn:
            value = conn.execute(
                select(watermarks.c.value).where(
                    watermarks.c.shop_code == shop_code, watermarks.c.stream == stream
                )
            ).scalar()
        return value or ""

    def log(self, run_id: int, rows: list[Mapping[str, str]]) -> None:
        """Append skipped/failed records of a run: side, record, outcome, reason, message."""
        if not rows:
            return
        now = iso_now()
        with self.engine.begin() as conn:
            conn.execute(
                sync_log.insert(), [{"run_id": run_id, "created_at": now, **r} for r in rows]
            )

    def run_log(self, run_id: int) -> pd.DataFrame:
        """The skipped/failed records of one run."""
        return self._frame(
            select(
                sync_log.c.side,
                sync_log.c.record,
                sync_log.c.outcome,
                sync_log.c.reason,
                sync_log.c.message,
            )
            .where(sync_log.c.run_id == run_id)
            .order_by(sync_log.c.id)
        )

    def failed_records(self, shop_code: str, side: str) -> list[str]:
        """Records that failed on ``side`` in the shop's latest finished run (retried next)."""
        with self.engine.connect() as conn:
            last = conn.execute(
                select(func.max(sync_runs.c.id)).where(
                    sync_runs.c.shop_code == shop_code,
                    sync_runs.c.status.in_([RunStatus.SUCCEEDED.value, RunStatus.FAILED.value]),
                )
            ).scalar()
            if last is None:
                return []
            return list(
                conn.execute(
                    select(sync_log.c.record).where(
                        sync_log.c.run_id == last,
                        sync_log.c.side == side,
                        sync_log.c.outcome == Outcome.FAILED.value,
                    )
                ).scalars()
            )

    def runs(self, shop_code: str | None = None) -> pd.DataFrame:
        """Sync runs, newest first."""
        query = select(sync_runs).order_by(sync_runs.c.id.desc())
        if shop_code:
            query = query.where(sync_runs.c.shop_code == shop_code)
        return self._frame(query)
