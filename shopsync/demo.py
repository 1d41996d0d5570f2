"""The README's main job on the embedded default: the sample shop on an in-process emulator."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pandas as pd
from sqlalchemy.engine import make_url

from shopsync.emulator import Emulator
from shopsync.erp_io import read_erp_customers
from shopsync.jobs import preview_import, validate_export
from shopsync.reference import sample_dir
from shopsync.reports import reason_counts, write_report
from shopsync.session import shopify_session
from shopsync.settings import load_config
from shopsync.shopify import ShopifyClient, bulk_customers, queries
from shopsync.store import open_store
from shopsync.sync import SyncOptions, sync_shop

__all__ = ["SAMPLE_DIR", "format_validation_summary", "run_demo"]

SAMPLE_DIR = sample_dir()


def run_demo(
    db_url: str = "sqlite:///data/demo.db",
    sample_dir: Path = SAMPLE_DIR,
    report_dir: Path = Path("reports"),
    progress: bool = True,
    shopify_plan: str = "standard",
) -> int:
    """Fresh store, sample ERP file, previews, a two-way sync with invites, then the same sync
    again to show that nothing changes. Returns 0, or 1 when records failed."""
    _remove_sqlite_file(db_url)
    config = load_config(sample_dir / "shop.toml")
    store = open_store(db_url)
    store.initialise(config)
    erp = read_erp_customers(sample_dir / "erp_customers.csv")
    counts = store.save_erp_customers(erp.customers)
    print(f"store {store!r}: shop {config.shop.code}, {counts['inserted']} ERP customers loaded")

    emulator = Emulator(data_dir=sample_dir, shopify_plan=shopify_plan)
    with shopify_session(config, emulator=emulator) as (shop_config, client):
        print(f"Shopify: the emulator at {shop_config.shop.url} (sample shop, no credentials)")
        shopify = bulk_customers(client, poll=0.1)
        plan = preview_import(shop_config, store, shopify=shopify)
        plan_file = write_report(
            plan, report_dir / "DEMO-import-plan.xlsx", title="Import plan (preview)"
        )
        print(f"\nImport plan for {len(plan)} Shopify customers: {_counts(plan['action'])}")
        validation = validate_export(shop_config, store)
        validation_file = write_report(
            validation, report_dir / "DEMO-export-validation.html", title="Export eligibility"
        )
        print(format_validation_summary(validation))

        options = SyncOptions(report_dir=report_dir, progress=progress, bulk_poll_seconds=0.1)
        print("\nSync 1: the plan (a dry run: nothing written), then exactly that plan applied")
        planned = sync_shop(shop_config, store, client, replace(options, dry_run=True))
        print(f"planned: {_plan_counts(planned.plan.counts())}")
        first = sync_shop(shop_config, store, client, options, plan=planned.plan)
        print(first.summary())
        writes_before = _writes(client)
        print("\nSync 2: the same again (nothing should change)")
        second = sync_shop(shop_config, store, client, options)
        print(second.summary())
        sent = _writes(client) - writes_before
        print(f"mutations sent by sync 2: {sent}")

    print("\nReports:")
    for path in [plan_file, validation_file, *first.reports.values(), *second.reports.values()]:
        print(f"  {path}")
    print(f"Runs are kept in the store: `shopsync runs --db {db_url}`")
    return 1 if first.failed or second.failed else 0


def format_validation_summary(report: pd.DataFrame) -> str:
    """A short text summary of an eligibility report: totals and counts per reason."""
    eligible = int(report["eligible"].sum())
    lines = [
        f"Export validation: {len(report)} ERP customers, {eligible} eligible, "
        f"{len(report) - eligible} not eligible",
    ]
    reasons = reason_counts(report)
    if not reasons.empty:
        lines += [f"  {'reason':<26} {'customers':>9}  meaning"]
        for code, count, meaning in reasons.itertuples(index=False):
            lines.append(f"  {code:<26} {count:>9}  {meaning}")
    return "\n".join(lines)


def _plan_counts(counts: dict[str, dict[str, int]]) -> str:
    return "; ".join(
        f"{side}: " + ", ".join(f"{action} {n}" for action, n in sorted(actions.items()))
        for side, actions in counts.items()
        if actions
    )


def _counts(values: pd.Series) -> str:
    return ", ".join(f"{key} {count}" for key, count in values.value_counts().sort_index().items())


# the documents that change Shopify (a bulk query is a mutation in GraphQL, but only reads)
_WRITES = frozenset(re.findall(r"\bmutation (\w+)", "\n".join(queries.ALL_DOCUMENTS.values()))) - {
    "BulkRunQuery"
}


def _writes(client: ShopifyClient) -> int:
    """Write requests a client has sent."""
    return sum(n for name, n in client.stats.by_operation.items() if name in _WRITES)


def _remove_sqlite_file(db_url: str) -> None:
    url = make_url(db_url)
    if url.drivername.startswith("sqlite") and url.database not in (None, "", ":memory:"):
        Path(url.database).unlink(missing_ok=True)
