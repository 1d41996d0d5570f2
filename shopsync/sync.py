"""Sync runs: take the lock, plan (a value), apply exactly that plan, record the run."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from shopsync.apply import apply_plan
from shopsync.emulator import Emulator
from shopsync.lock import ShopLock
from shopsync.run_record import OUTCOMES, RECORD_COLUMNS, RunRecorder, SyncResult
from shopsync.run_state import next_watermark
from shopsync.schema import Action, Direction
from shopsync.session import shopify_session
from shopsync.settings import ShopConfig, load_config
from shopsync.shopify import ShopifyClient
from shopsync.store import Store, open_store
from shopsync.sync_plan import PlanOptions, SyncPlan, number_series, plan_sync
from shopsync.versions import verdict_versions

__all__ = [
    "OUTCOMES",
    "RECORD_COLUMNS",
    "SyncOptions",
    "SyncResult",
    "dry_run_records",
    "sync",
    "sync_shop",
]


@dataclass(frozen=True)
class SyncOptions:
    """What one run does. ``dry_run`` plans only: nothing is written anywhere."""

    direction: str = "both"  # import | export | both
    dry_run: bool = False
    customers: tuple[str, ...] = ()  # limit the export to these ERP customers
    shopify_ids: tuple[str, ...] = ()  # limit the import to these Shopify customers
    orders: bool = False
    overlap_seconds: int = 300  # incremental imports look this far behind the watermark
    batch_size: int = 100  # records per store transaction
    bulk_poll_seconds: float = 1.0
    progress: bool = True
    report_dir: Path | None = Path("reports")

    def __post_init__(self) -> None:
        if self.direction not in tuple(Direction):
            raise ValueError(f"direction must be import, export or both; got {self.direction!r}")

    def plan_options(self) -> PlanOptions:
        names = {f.name for f in fields(PlanOptions)}
        return PlanOptions(**{k: getattr(self, k) for k in names})


def sync(
    config: ShopConfig | str | Path,
    *,
    db: str | None = None,
    emulator: str | Path | Emulator | None = None,
    plan: SyncPlan | str | Path | None = None,
    **options: Any,
) -> SyncResult:
    """Run one synchronisation: ``shopsync.sync("shop.toml", direction="both")``.

    ``config`` is a ShopConfig or a TOML path; ``db`` a store URL (default: SHOPSYNC_DB, then
    data/shopsync.db); ``emulator`` a seed folder to sync against an in-process emulator
    instead of the shop's URL; ``plan`` a plan computed before (a SyncPlan or its JSON
    file), applied after checking that its inputs did not change; ``options`` are
    SyncOptions fields (direction, dry_run, customers, shopify_ids, orders, report_dir...).
    """
    if not isinstance(config, ShopConfig):
        config = load_config(config)
    if plan is not None and not isinstance(plan, SyncPlan):
        plan = SyncPlan.load(plan)
    store = open_store(db)
    with shopify_session(config, emulator=emulator) as (shop_config, client):
        return sync_shop(shop_config, store, client, SyncOptions(**options), plan=plan)


def sync_shop(
    config: ShopConfig,
    store: Store,
    client: ShopifyClient,
    options: SyncOptions | None = None,
    *,
    plan: SyncPlan | None = None,
) -> SyncResult:
    """Run one synchronisation of ``config``'s shop with this store and client.

    Life cycle: take the shop's lock (runs it finds still ``running`` were killed: they
    become ``interrupted``), record the run, plan — or check a given plan's fingerprint —,
    apply exactly the plan, then close the run (log, counts, watermarks) and write its
    reports. A dry run only plans: it writes nothing anywhere.
    """
    options = options or SyncOptions()
    if options.dry_run:
        plan = plan or plan_sync(config, store, client, options.plan_options())
        return SyncResult(
            run_id=None,
            status="planned",
            records=dry_run_records(plan),
            plans=_plan_frames(plan),
            plan=plan,
        )
    with ShopLock(store, config.shop.code) as lock:
        store.initialise(config)
        store.ensure_series(number_series(config), config.shop.customer_no_prefix)
        if plan is not None:
            plan.check_inputs(config, store)
        store.mark_interrupted(config.shop.code)
        plan_options = plan.options if plan is not None else options.plan_options()
        run_id = store.start_run(
            config.shop.code, plan_options.direction, _parameters(plan_options)
        )
        plan = plan or plan_sync(config, store, client, plan_options)
        recorder = RunRecorder(
            store, config.shop.code, run_id, lock=lock, progress=options.progress
        )
        apply_plan(
            plan,
            config,
            store,
            client,
            recorder,
            batch_size=options.batch_size,
            bulk_poll_seconds=options.bulk_poll_seconds,
        )
        result = recorder.close(
            _watermarks(plan, config, store, recorder), options.report_dir, _plan_frames(plan)
        )
        result.plan = plan
        return result


def dry_run_records(plan: SyncPlan) -> Any:
    """The records a plan would give, one per input record, with the planned outcome."""
    recorder = RunRecorder(None, plan.shop, None, progress=False)
    for skipped in plan.skipped_reads:
        sid = skipped["shopify_id"]
        recorder.record("import", sid, "skipped", shopify_id=sid, reason=skipped["reason"])
    for row in plan.imports.to_dict("records"):
        recorder.record_import(row, Action(row["action"]).outcome)
    for row in plan.orders.to_dict("records") if len(plan.orders) else []:
        recorder.record_order(row)
    for row in plan.exports.to_dict("records") if len(plan.exports) else []:
        recorder.record_export(row, Action(row["action"]).outcome)
    return recorder.frame()


def _plan_frames(plan: SyncPlan) -> dict[str, Any]:
    frames = {"import": plan.imports, "export": plan.exports, "orders": plan.orders}
    return {name: frame for name, frame in frames.items() if len(frame)}


def _watermarks(
    plan: SyncPlan, config: ShopConfig, store: Store, recorder: RunRecorder
) -> dict[str, str]:
    """Each stream's next watermark: the customers' when this run imported them (all of
    them, not a chosen few), the orders' when their customers were recorded; never past a
    failed record, never moved by a run that stopped early."""
    if recorder.aborted:
        return {}
    marks = {}
    options = plan.options
    imported = options.imports and not options.shopify_ids and "customers" in plan.read_at
    if imported and config.shop.customer_import != "none":
        marks["customers"] = next_watermark(
            store.watermark(plan.shop, "customers"),
            plan.read_at["customers"],
            recorder.failed_updated_at,
        )
    if "orders" in plan.read_at:
        marks["orders"] = plan.read_at["orders"]
    return marks


def _parameters(options: PlanOptions) -> dict[str, Any]:
    """What the run record keeps of a run's options, and the versions its verdicts come from
    (phonenumbers' metadata decides which phones are valid)."""
    return {
        "direction": options.direction,
        "customers": list(options.customers),
        "shopify_ids": list(options.shopify_ids),
        "orders": options.orders,
        "versions": verdict_versions(),
    }
