"""Pace of a single-mutation export against Shopify's leaky bucket (issue 5).

    python -m benchmarks.rate_limit [--customers 2000] [--plan standard] [--progress]

An empty emulated shop of the plan (``Emulator(shopify_plan=...)``, served on loopback) and a store
with ``--customers`` valid, distinct ERP customers; ``sync_shop(direction="export")`` with
``bulk_mutation_threshold`` above the count, so every create is one ``customerSet`` request.
Real time: this measures the client's real pacing (no fake clock).

Every GraphQL request is logged (sent and answered, ``requestedQueryCost``,
``actualQueryCost``, ``throttleStatus``, THROTTLED) by a recording ``requests.Session``. The
bucket starts full, so the first ``capacity / cost`` creates go at full speed; the figures:

- ``overall``: points/s over the whole create phase (first create sent to last answered) /
  restore rate. The starting burst inflates it (it can exceed 1).
- ``steady``: the same after the bucket was drained (from the first answer that left less
  than one create's requested cost available): the rate the client sustains.
- ``time_efficiency``: the ideal phase time (total points - the starting bucket) / restore
  rate, over the measured time: the whole run, burst included, without the burst's inflation.
- ``throttled``: THROTTLED answers (and HTTP 429s) to any request of the run;
  ``throttled_at`` their positions in the request log; ``throttled_after_first`` those to
  any request but the run's first (the only one sent before the client has seen a
  ``throttleStatus``).

Prints a table and writes ``benchmarks/rate_limit.json`` (rows keyed by plan and count).
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import requests

from benchmarks.run import git_state
from shopsync.emulator import Emulator
from shopsync.erp_io import read_erp_customers
from shopsync.schema import ERP_COLUMNS
from shopsync.settings import load_config
from shopsync.shopify import ShopifyClient
from shopsync.store import open_store
from shopsync.sync import SyncOptions, sync_shop

__all__ = ["RecordingSession", "Request", "main", "measure", "summarise", "write_erp_file"]

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "rate_limit.json"
SAMPLE_CONFIG = ROOT.parent / "data" / "sample" / "shop.toml"
CREATE = "CustomerSet"
TARGET_RATIO = 0.9

_OPERATION = re.compile(r"^\s*(?:query|mutation)\s+(\w+)")


# --------------------------------------------------------------------------------------------
# data


def write_erp_file(path: Path, count: int) -> Path:
    """An ERP customers CSV of ``count`` valid, distinct customers (Dutch, e-mail and mobile)."""
    lines = [",".join(ERP_COLUMNS)]
    for i in range(count):
        row = dict.fromkeys(ERP_COLUMNS, "")
        row.update(
            no=f"R{i:06d}",
            name=f"Rate{i} Client",
            contact=f"Rate{i} Client",
            address=f"Straat {i}",
            city="Utrecht",
            post_code="3511 AA",
            country_code="NL",
            phone=f"06 2{i:07d}",
            email=f"rate{i}@clients.example",
            tax_liable="false",
        )
        lines.append(",".join(row[column] for column in ERP_COLUMNS))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------------
# recording


@dataclass(frozen=True)
class Request:
    """One GraphQL request as the client sent it and the emulator answered it."""

    operation: str
    sent: float
    answered: float
    status: int
    requested: float | None  # extensions.cost.requestedQueryCost
    actual: float | None  # extensions.cost.actualQueryCost (None when not executed)
    available: float | None  # throttleStatus.currentlyAvailable after the request
    maximum: float | None
    restore_rate: float | None
    throttled: bool  # a THROTTLED error (or HTTP 429)


class RecordingSession(requests.Session):
    """A ``requests.Session`` that logs every GraphQL POST (with the given clock)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.clock = clock
        self.log: list[Request] = []

    def post(self, url: Any, data: Any = None, json: Any = None, **kwargs: Any) -> Any:
        if not isinstance(json, dict) or "query" not in json:  # staged uploads
            return super().post(url, data=data, json=json, **kwargs)
        match = _OPERATION.match(json.get("query") or "")
        sent = self.clock()
        response = super().post(url, data=data, json=json, **kwargs)
        answered = self.clock()
        try:
            body = response.json()
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        cost = (body.get("extensions") or {}).get("cost") or {}
        status = cost.get("throttleStatus") or {}
        codes = {
            ((error or {}).get("extensions") or {}).get("code")
            for error in body.get("errors") or []
            if isinstance(error, dict)
        }
        self.log.append(
            Request(
                operation=match.group(1) if match else "anonymous",
                sent=sent,
                answered=answered,
                status=response.status_code,
                requested=_float(cost.get("requestedQueryCost")),
                actual=_float(cost.get("actualQueryCost")),
                available=_float(status.get("currentlyAvailable")),
                maximum=_float(status.get("maximumAvailable")),
                restore_rate=_float(status.get("restoreRate")),
                throttled="THROTTLED" in codes or response.status_code == 429,
            )
        )
        return response


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


# --------------------------------------------------------------------------------------------
# analysis


def summarise(
    log: list[Request], *, capacity: float, restore_rate: float, operation: str = CREATE
) -> dict[str, Any]:
    """The pacing figures of the ``operation`` requests in ``log`` (see the module's doc)."""
    writes = [r for r in log if r.operation == operation]
    done = [r for r in writes if not r.throttled and r.status == 200 and r.actual is not None]
    throttled_all = [i for i, r in enumerate(log) if r.throttled]
    throttled = [i for i, r in enumerate(writes) if r.throttled]
    result: dict[str, Any] = {
        "creates": len(done),
        "create_requests": len(writes),
        "requests": len(log),
        "throttled": len(throttled_all),
        "throttled_creates": len(throttled),
        "throttled_at": throttled_all[:20],  # positions in the request log
        # the client cannot know the bucket before its first answer: only that one may be
        "throttled_after_first": sum(1 for i in throttled_all if i > 0),
        "capacity": capacity,
        "restore_rate": restore_rate,
    }
    if not done:
        return result
    requested = statistics.median(r.requested or 0.0 for r in done)
    actual = statistics.median(r.actual or 0.0 for r in done)
    # the bucket takes the requested cost and refunds the difference: a create drains `actual`
    cost = actual or requested
    start, end = writes[0].sent, writes[-1].answered
    seconds = max(end - start, 1e-9)
    points = sum(r.actual or 0.0 for r in done)
    sustainable = restore_rate / cost
    ideal = max(points - capacity, 0.0) / restore_rate
    result.update(
        cost_requested=requested,
        cost_actual=actual,
        cost_per_create=cost,
        seconds=seconds,
        points=points,
        points_per_second=points / seconds,
        creates_per_second=len(done) / seconds,
        sustainable_creates_per_second=sustainable,
        overall_ratio=(points / seconds) / restore_rate,
        ideal_seconds=ideal,
        time_efficiency=(ideal / seconds) if ideal else None,
    )
    # steady state: from the first answer leaving less than one create's requested cost
    drained = next(
        (i for i, r in enumerate(done) if r.available is not None and r.available < requested),
        None,
    )
    if drained is not None and drained + 1 < len(done):
        t0 = done[drained].answered
        later = done[drained + 1 :]
        span = max(later[-1].answered - t0, 1e-9)
        later_points = sum(r.actual or 0.0 for r in later)
        result.update(
            burst_creates=drained + 1,
            burst_seconds=t0 - start,
            steady_creates=len(later),
            steady_seconds=span,
            steady_points_per_second=later_points / span,
            steady_creates_per_second=len(later) / span,
            steady_ratio=(later_points / span) / restore_rate,
        )
    latencies = sorted(r.answered - r.sent for r in done)
    result["latency_ms_median"] = 1000 * latencies[len(latencies) // 2]
    result["latency_ms_p99"] = 1000 * latencies[min(len(latencies) - 1, len(latencies) * 99 // 100)]
    return result


# --------------------------------------------------------------------------------------------
# the run


def measure(
    customers: int = 2000,
    plan: str = "standard",
    *,
    progress: bool = False,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], None] | None = None,
    prepare: Callable[[Emulator], None] | None = None,
    workdir: Path | None = None,
) -> dict[str, Any]:
    """Export ``customers`` new ERP customers to an empty emulated shop of ``plan``, one
    ``customerSet`` each; returns the pacing figures (``summarise``) and the run's counts.

    ``clock``/``sleep`` are shared by the emulator and the client (real time by default);
    ``prepare(emulator)`` runs before the sync (tests use it to drain the bucket).
    """
    clock = clock or time.monotonic
    sleep = sleep or time.sleep
    with tempfile.TemporaryDirectory(prefix="shopsync-rate-") as tmp:
        folder = Path(workdir or tmp)
        erp_file = write_erp_file(folder / "erp.csv", customers)
        emulator = Emulator(shopify_plan=plan, clock=clock, sleep=sleep)
        capacity, restore = emulator.bucket.capacity, emulator.bucket.restore_rate
        if prepare is not None:
            prepare(emulator)
        config = load_config(SAMPLE_CONFIG)
        with emulator.serve() as server:
            config = replace(
                config,
                shop=config.shop.with_changes(
                    url=server.url,
                    export_customers=True,
                    send_invites=False,
                    customer_import="none",
                    bulk_mutation_threshold=customers + 1,
                ),
            )
            store = open_store(f"sqlite:///{folder / 'store.db'}")
            store.initialise(config)
            store.save_erp_customers(read_erp_customers(erp_file).customers)
            session = RecordingSession(clock)
            client = ShopifyClient(
                server.url, "bench-token", session=session, sleep=sleep, clock=clock
            )
            options = SyncOptions(
                direction="export", progress=progress, report_dir=None, bulk_poll_seconds=0.05
            )
            started = clock()
            outcome = sync_shop(config, store, client, options)
            run_seconds = clock() - started
            store.engine.dispose()
        result = summarise(session.log, capacity=capacity, restore_rate=restore)
    stats = client.stats
    result.update(
        plan=plan,
        customers=customers,
        run_seconds=run_seconds,
        status=outcome.status,
        counts={k: v for k, v in outcome.counts.items() if v},
        shopify_customers=len(emulator.state.customers),
        client={
            "requests": stats.requests,
            "throttled": stats.throttled,
            "retries": stats.retries,
            "waited_seconds": round(stats.waited_seconds, 3),
            "cost": stats.cost,
            "by_operation": dict(stats.by_operation),
        },
    )
    result["meets_target"] = bool(
        result.get("steady_ratio", result.get("overall_ratio", 0.0)) >= TARGET_RATIO
        and result["throttled_after_first"] == 0
    )
    return result


# --------------------------------------------------------------------------------------------
# output


def _print(result: dict[str, Any]) -> None:
    def num(key: str, fmt: str = ".2f") -> str:
        value = result.get(key)
        return "-" if value is None else format(value, fmt)

    rows = [
        (
            "plan / bucket",
            f"{result['plan']}: {result['capacity']:.0f} points, "
            f"{result['restore_rate']:.0f} points/s",
        ),
        (
            "creates (customerSet)",
            f"{result['creates']} of {result['customers']} ({result['create_requests']} requests)",
        ),
        (
            "cost per create",
            f"{num('cost_requested', '.0f')} requested, {num('cost_actual', '.0f')} actual",
        ),
        ("create phase", f"{num('seconds')} s (whole run {num('run_seconds')} s)"),
        (
            "achieved",
            f"{num('points_per_second', '.1f')} points/s, {num('creates_per_second')} creates/s",
        ),
        (
            "sustainable",
            f"{result['restore_rate']:.0f} points/s, "
            f"{num('sustainable_creates_per_second')} creates/s",
        ),
        ("overall ratio", f"{num('overall_ratio', '.3f')} (burst included)"),
        (
            "starting burst",
            f"{result.get('burst_creates', '-')} creates in {num('burst_seconds')} s",
        ),
        (
            "steady ratio",
            f"{num('steady_ratio', '.3f')} ({num('steady_creates_per_second')} "
            f"creates/s over {result.get('steady_creates', '-')} creates, "
            f"{num('steady_seconds')} s)",
        ),
        (
            "time efficiency",
            f"{num('time_efficiency', '.3f')} (ideal {num('ideal_seconds')} s "
            "= (points - bucket) / restore rate)",
        ),
        (
            "THROTTLED answers",
            f"{result['throttled']} (after the first: "
            f"{result['throttled_after_first']}; at requests "
            f"{result['throttled_at']})",
        ),
        (
            "client waited",
            f"{result['client']['waited_seconds']:.1f} s, {result['client']['retries']} retries",
        ),
        (
            "latency",
            f"median {num('latency_ms_median', '.1f')} ms, p99 {num('latency_ms_p99', '.1f')} ms",
        ),
        ("outcome", f"{result['status']} {result['counts']}"),
        (
            "target",
            f"steady ratio >= {TARGET_RATIO} and no THROTTLED after the first: "
            f"{'met' if result['meets_target'] else 'NOT met'}",
        ),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


def _save(result: dict[str, Any], path: Path = RESULTS) -> None:
    """Write ``result`` to ``path``, keeping earlier rows of other (plan, customers)."""
    try:
        earlier = json.loads(path.read_text())["results"]
    except (OSError, ValueError, KeyError):
        earlier = []
    key = (result["plan"], result["customers"])
    rows = [row for row in earlier if (row.get("plan"), row.get("customers")) != key]
    rows = sorted([*rows, result], key=lambda row: (row["plan"], row["customers"]))
    payload = {"machine": {"python": platform.python_version()}, "results": rows}
    path.write_text(json.dumps(payload, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.rate_limit", description=__doc__)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--plan", default="standard", choices=["standard", "advanced", "plus"])
    parser.add_argument("--progress", action="store_true", help="show the sync's progress bars")
    parser.add_argument("--no-save", action="store_true", help="do not write rate_limit.json")
    args = parser.parse_args(argv)
    result = measure(args.customers, args.plan, progress=args.progress)
    result["git"] = git_state()
    result["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    _print(result)
    if not args.no_save:
        _save(result)
    return 0 if result["meets_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
