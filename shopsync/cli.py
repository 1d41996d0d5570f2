"""The ``shopsync`` command: a thin argparse layer over the library's verbs."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from shopsync import __version__
from shopsync.errors import ShopsyncError, UserInputError
from shopsync.lazy_commands import (
    SHOPIFY_PLANS,
    add_emulator_command,
    add_run_notebook_command,
)

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The full command-line parser (every verb, every option)."""
    parser = argparse.ArgumentParser(
        prog="shopsync",
        description="Keep an ERP's customer master and a Shopify store's customers in step.",
    )
    parser.add_argument("--version", action="version", version=f"shopsync {__version__}")
    verbs = parser.add_subparsers(dest="verb", metavar="COMMAND", required=True)

    init = verbs.add_parser(
        "init", help="create the store or upgrade it in place, seed countries and provinces"
    )
    _store_options(init)
    init.add_argument("--config", type=Path, help="shop TOML file to save into the store")
    init.set_defaults(handler=_init)

    load = verbs.add_parser("load-erp", help="load ERP customers from a CSV or Excel file")
    load.add_argument("file", type=Path, help="CSV (, ; or tab separated) or .xlsx file")
    load.add_argument("--encoding", help="text encoding of a CSV file (default UTF-8)")
    _sheet_option(load)
    _store_options(load)
    load.set_defaults(handler=_load_erp)

    preview = verbs.add_parser(
        "preview-import", help="plan: which ERP customer each Shopify customer maps to"
    )
    _job_options(preview)
    _shopify_options(preview)
    preview.set_defaults(handler=_preview_import)

    orders = verbs.add_parser("preview-orders", help="sell-to and bill-to customer of each order")
    _job_options(orders)
    orders.add_argument("--orders", type=Path, required=True, help="Shopify orders JSONL")
    _shopify_options(orders)
    orders.set_defaults(handler=_preview_orders)

    validate = verbs.add_parser(
        "validate-export", help="can each ERP customer be exported to Shopify, and if not why"
    )
    _job_options(validate)
    validate.set_defaults(handler=_validate_export)

    run = verbs.add_parser("sync", help="synchronise customers with Shopify (import, export)")
    run.add_argument("--config", type=Path, required=True, help="shop TOML file")
    run.add_argument("--direction", choices=["import", "export", "both"], default="both")
    run.add_argument("--dry-run", action="store_true", help="plan only: write nothing anywhere")
    run.add_argument("--customers", type=_csv_list, default=(), help="ERP numbers: NO,NO,...")
    run.add_argument("--shopify-ids", type=_csv_list, default=(), help="Shopify ids: ID,ID,...")
    run.add_argument("--orders", action="store_true", help="also resolve new orders' customers")
    run.add_argument(
        "--emulator", type=Path, metavar="DIR", help="sync with an in-process emulator seeded here"
    )
    run.add_argument("--reports", type=Path, default=Path("reports"), help="report folder")
    run.add_argument("--out", type=Path, help="with --dry-run: the planned records as a report")
    run.add_argument(
        "--plan-out", type=Path, metavar="FILE", help="with --dry-run: save the plan (JSON)"
    )
    run.add_argument(
        "--plan",
        type=Path,
        metavar="FILE",
        help="apply this saved plan (refused when the store or config changed since)",
    )
    _progress_option(run)
    _store_options(run)
    run.set_defaults(handler=_sync)

    handover = verbs.add_parser(
        "export-erp", help="hand the imports' ERP changes over to the ERP (Excel or CSV)"
    )
    handover.add_argument("--config", type=Path, required=True, help="shop TOML file")
    handover.add_argument(
        "--all", action="store_true", help="everything recorded, not only what is new"
    )
    handover.add_argument(
        "--out",
        type=Path,
        required=True,
        help="FILE.xlsx (three sheets) or FILE.csv (FILE-new-customers.csv, "
        "FILE-changed-customers.csv, FILE-order-customers.csv)",
    )
    _store_options(handover)
    handover.set_defaults(handler=_export_erp)

    runs = verbs.add_parser("runs", help="list the sync runs kept in the store")
    runs.add_argument("--shop", help="only this shop's runs")
    _store_options(runs)
    runs.set_defaults(handler=_runs)

    log = verbs.add_parser("log", help="the skipped and failed records of one run")
    log.add_argument("run_id", type=int)
    _store_options(log)
    log.set_defaults(handler=_log)

    demo = verbs.add_parser("demo", help="run the main job on the sample data, no credentials")
    demo.add_argument(
        "--db",
        default="sqlite:///data/demo.db",
        help="store URL for the demo (recreated; default sqlite:///data/demo.db)",
    )
    demo.add_argument("--reports", type=Path, default=Path("reports"), help="report folder")
    demo.add_argument(
        "--shopify-plan",
        choices=SHOPIFY_PLANS,
        default="standard",
        help="the emulated shop's Shopify plan (its rate limit)",
    )
    _progress_option(demo)
    demo.set_defaults(handler=_demo)

    record = verbs.add_parser(
        "record", help="record the store's answers to read-only queries, personal data scrubbed"
    )
    record.add_argument("--config", type=Path, required=True, help="shop TOML file")
    record.add_argument("--out", type=Path, default=Path("captures"), help="folder (./captures)")
    record.set_defaults(handler=_record)

    add_emulator_command(verbs)
    add_run_notebook_command(verbs)
    return parser


def _choose_arrow_allocator() -> None:
    """On Linux the command's Arrow memory comes from jemalloc (pyarrow's Linux wheels carry
    it), not pyarrow's default mimalloc: on the 1M preview it peaks ~10% lower, with less
    time in the kernel zeroing fresh pages (README, Benchmarks). Read by Arrow when it first
    allocates, so it is set before pyarrow is imported; a user's own
    ``ARROW_DEFAULT_MEMORY_POOL`` wins, and a process that imported pyarrow keeps its pool."""
    if sys.platform == "linux" and "pyarrow" not in sys.modules:
        os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "jemalloc")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; user errors print one line (no traceback) and return 2."""
    args = build_parser().parse_args(argv)
    _choose_arrow_allocator()
    try:
        return int(args.handler(args) or 0)
    except UserInputError as exc:
        print(f"shopsync: error: {exc}", file=sys.stderr)
        return 2
    except ShopsyncError as exc:
        print(f"shopsync: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("shopsync: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if not _store_refused(exc):
            raise
        # the store refused a read or write (read-only, full, broken)
        reason = " ".join(str(exc.orig).split())  # type: ignore[attr-defined]
        print(f"shopsync: error: the store refused the command: {reason}", file=sys.stderr)
        return 2


def _store_refused(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLAlchemy's DBAPIError (looked up only when SQLAlchemy was loaded,
    so that commands that never touch the store never import it)."""
    errors = sys.modules.get("sqlalchemy.exc")
    return errors is not None and isinstance(exc, errors.DBAPIError)


def _progress_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bars on stderr (default: only when stderr is a terminal, not in cron logs)",
    )


def _progress(args: argparse.Namespace) -> bool:
    """``--progress`` / ``--no-progress`` as given, else bars only on a terminal."""
    return sys.stderr.isatty() if args.progress is None else bool(args.progress)


def _store_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        help="store URL (any SQLAlchemy URL; default $SHOPSYNC_DB or sqlite:///data/shopsync.db)",
    )


def _shopify_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--shopify",
        help="Shopify customers: a JSONL file, 'live' (the shop's API; token from "
        "SHOPIFY_ACCESS_TOKEN), 'emulator' (the sample shop in-process) or 'store' (the "
        "store's mirror, the default)",
    )
    parser.add_argument(
        "--emulator", type=Path, metavar="DIR", help="read them from an emulator seeded here"
    )


def _shopify_source(args: argparse.Namespace, config, store):  # type: ignore[no-untyped-def]
    """The Shopify customers ``--shopify`` / ``--emulator`` ask for (see shopsync.sources)."""
    from shopsync.sources import load_shopify_customers

    source = "emulator" if args.emulator else args.shopify
    return load_shopify_customers(config, store, source, emulator=args.emulator, poll=0.5)


def _sheet_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sheet", help="Excel: the sheet to read (default: the active one)")


def _erp_source(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The ``--erp`` file read (its notes printed), or None: the store's ERP customers."""
    erp = _read_erp_file(args)
    if erp is not None:
        _print_file_notes(erp, absent="read as blank")
    return erp


def _read_erp_file(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The ``--erp`` file read, or None when there is none (the store's ERP customers)."""
    if args.erp is None:
        if args.sheet is not None:
            raise UserInputError("--sheet needs --erp FILE")
        return None
    from shopsync.erp_io import read_erp_customers

    return read_erp_customers(args.erp, sheet=args.sheet)


def _both_sources(args: argparse.Namespace, config, store):  # type: ignore[no-untyped-def]
    """The Shopify customers and the ``--erp`` file (or None), the file read in a second
    thread while the customers load: a bulk query waits on Shopify, the JSONL reader leaves a
    core idle part of the time, and Arrow's CSV reader lets go of the GIL. What a user sees is
    as if one came after the other: a Shopify error first, then the file's error or notes."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as second:
        erp_file = second.submit(_read_erp_file, args)
        shopify = _shopify_source(args, config, store)
        erp = erp_file.result()
    if erp is not None:
        _print_file_notes(erp, absent="read as blank")
    return shopify, erp


def _job_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, required=True, help="shop TOML file")
    parser.add_argument("--erp", type=Path, help="ERP customers file (default: the store's)")
    _sheet_option(parser)
    parser.add_argument("--out", type=Path, required=True, help="report file: .csv, .xlsx or .html")
    parser.add_argument(
        "--csv-style",
        choices=["data", "spreadsheet"],
        default="data",
        help="a .csv as data (values as they are; default) or for a spreadsheet (formula-like "
        "text prefixed with ')",
    )
    _store_options(parser)


def _init(args: argparse.Namespace) -> int:
    from shopsync.settings import load_config
    from shopsync.store import open_store

    config = load_config(args.config) if args.config else None
    store = open_store(args.db, upgrade=True)
    gained = store.initialise(config)
    change = store.schema_change
    if change is not None and change.upgraded:
        print(f"store upgraded in place: revision {change.before} -> {change.after}")
    print(f"store ready: {store!r}")
    for table, count in gained.items():
        print(f"  {table}: +{count} row(s)")
    return 0


def _load_erp(args: argparse.Namespace) -> int:
    from shopsync.erp_io import read_erp_customers
    from shopsync.store import open_store

    erp = read_erp_customers(args.file, encoding=args.encoding, sheet=args.sheet)
    store = open_store(args.db)
    print(f"store: {_shown_url(args.db)}")
    counts = store.save_erp_customers(erp.customers, erp.columns)
    print(
        f"{args.file}: {len(erp.customers)} customer(s): "
        + ", ".join(f"{k} {v}" for k, v in counts.items())
    )
    _print_file_notes(erp)
    return 0


def _print_file_notes(erp, absent: str = "stored values kept") -> None:  # type: ignore[no-untyped-def]
    """What a user must know about an ERP file read: rows not loaded, columns ignored (by
    their header as written) or absent, blocked customers, values to look at."""
    for line in erp.notes(absent):
        print(line)


def _preview_import(args: argparse.Namespace) -> int:
    from shopsync.jobs import preview_import
    from shopsync.mapping import import_view
    from shopsync.memory import release_unused

    config, store = _config_and_store(args)
    shopify, erp = _both_sources(args, config, store)
    if erp is not None:
        # what the plan does not read (other addresses, other columns) is let go of first
        shopify, erp = import_view(shopify, erp.customers)
        release_unused()
    plan = preview_import(config, store, shopify=shopify, erp_file=erp)
    del shopify, erp  # the report is written without the inputs in memory
    release_unused()
    return _report(
        plan, args.out, f"Import plan for shop {config.shop.code}", "action", args.csv_style
    )


def _preview_orders(args: argparse.Namespace) -> int:
    from shopsync.jobs import preview_orders

    config, store = _config_and_store(args)
    shopify, erp = _both_sources(args, config, store)
    plan = preview_orders(config, store, args.orders, erp_file=erp, shopify=shopify)
    del shopify, erp  # the report is written without the inputs in memory
    return _report(
        plan, args.out, f"Order customers for shop {config.shop.code}", "rule", args.csv_style
    )


def _validate_export(args: argparse.Namespace) -> int:
    from shopsync.fixes import with_fixes
    from shopsync.jobs import validate_export

    config, store = _config_and_store(args)
    erp = _erp_source(args)
    report = validate_export(config, store, erp_file=erp)
    report = with_fixes(report, erp.customers if erp is not None else store.erp_customers())
    del erp  # the report is written without the ERP customers in memory
    return _report(
        report,
        args.out,
        f"Export eligibility for shop {config.shop.code}",
        "action",
        args.csv_style,
    )


def _config_and_store(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The config and the store of a preview; without a store yet, an in-memory one seeded
    from the config (a preview on files never creates a store file)."""
    from shopsync.settings import load_config
    from shopsync.store import open_store

    config = load_config(args.config)
    store = _existing_store(args.db)
    if store is None:
        store = open_store("sqlite://")
    store.initialise(config)
    return config, store


def _shown_url(url: str | None) -> str:
    """The store URL a command uses (the default resolved), its password hidden."""
    from sqlalchemy.engine import make_url

    from shopsync.store import resolve_db_url

    return make_url(resolve_db_url(url)).render_as_string(hide_password=True)


def _existing_store(url: str | None):  # type: ignore[no-untyped-def]
    """The store at ``url`` (default $SHOPSYNC_DB, else data/shopsync.db) if it exists, else
    None: a read-only command never creates a store file. Prints which store it is."""
    from sqlalchemy.engine import make_url

    from shopsync.store import open_store, resolve_db_url

    resolved = resolve_db_url(url)
    try:
        parsed = make_url(resolved)
    except Exception:  # open_store says what is wrong with it
        return open_store(resolved)
    shown = _shown_url(resolved)
    database = parsed.database or ""
    on_file = parsed.drivername.startswith("sqlite") and database not in ("", ":memory:")
    if on_file and parsed.query.get("uri") != "true" and not Path(database).is_file():
        print(f"store: {shown} (none yet: not created by this command)")
        return None
    print(f"store: {shown}")
    return open_store(resolved)


def _report(frame, out: Path, title: str, outcome_column: str, csv_style: str = "data") -> int:  # type: ignore[no-untyped-def]
    from shopsync.reports import summary_counts, write_report

    path = write_report(frame, out, title=title, outcome_column=outcome_column, csv_style=csv_style)
    counts = summary_counts(frame, outcome_column)
    print(f"{title}: {len(frame)} records")
    for outcome, records in counts.itertuples(index=False):
        print(f"  {outcome:<18} {records:>8}")
    print(f"report: {path}")
    return 0


def _csv_list(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _sync(args: argparse.Namespace) -> int:
    from shopsync.sync import sync

    result = sync(
        args.config,
        db=args.db,
        emulator=args.emulator,
        direction=args.direction,
        dry_run=args.dry_run,
        customers=args.customers,
        shopify_ids=args.shopify_ids,
        orders=args.orders,
        report_dir=args.reports,
        progress=_progress(args),
        plan=args.plan,
    )
    print(f"store: {_shown_url(args.db)}")
    print(result.summary())
    if args.dry_run:
        if args.plan_out:
            print(f"plan saved: {result.plan.save(args.plan_out)}")
        if args.out:
            from shopsync.reports import write_report

            path = write_report(
                result.records,
                args.out,
                title="Sync plan (dry run)",
                outcome_column="outcome",
                reason_column="reason",
            )
            print(f"plan: {path}")
        return _sync_exit(args, result)
    for kind, path in result.reports.items():
        print(f"report ({kind}): {path}")
    return _sync_exit(args, result)


def _sync_exit(args: argparse.Namespace, result) -> int:  # type: ignore[no-untyped-def]
    """1 when any record failed or the run did not end as succeeded (or planned): it could
    not start or was stopped, and stderr says why; else 0."""
    if result.failed:
        print(f"{result.failed} record(s) failed: see `shopsync log {result.run_id}`")
    if result.status not in ("succeeded", "planned"):
        reason = f": {result.aborted}" if result.aborted else ""
        print(f"shopsync: run {result.run_id} {result.status}{reason}", file=sys.stderr)
        return 1
    return 1 if result.failed else 0


def _export_erp(args: argparse.Namespace) -> int:
    from shopsync.erp_export import export_erp

    print(export_erp(args.config, args.out, db=args.db, all_changes=args.all).summary())
    return 0


def _runs(args: argparse.Namespace) -> int:
    store = _existing_store(args.db)
    if store is None:
        print("no runs yet")
        return 0
    runs = store.runs(args.shop)
    if runs.empty:
        print("no runs yet")
        return 0
    columns = ["id", "shop_code", "direction", "status", "started_at", "finished_at", "counts"]
    print(runs[columns].to_string(index=False))
    return 0


def _log(args: argparse.Namespace) -> int:
    store = _existing_store(args.db)
    run = store.run_record(args.run_id) if store is not None else None
    if run is None:
        raise UserInputError(f"no run {args.run_id} in the store")
    print(f"run {run['id']} of shop {run['shop_code']}: {run['status']}, {run['counts']}")
    for kind, path in run["report"].items():
        print(f"report ({kind}): {path}")
    log = store.run_log(args.run_id)
    print(log.to_string(index=False) if not log.empty else "no skipped or failed records")
    return 0


def _record(args: argparse.Namespace) -> int:
    from shopsync.recording import record_store, write_recording
    from shopsync.session import shopify_session
    from shopsync.settings import load_config

    with shopify_session(load_config(args.config)) as (_, client):
        path = write_recording(record_store(client), args.out)
    print(f"recorded {path} (replay it: drop it in tests/fixtures/captures/recorded/)")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from shopsync.demo import run_demo

    return run_demo(
        db_url=args.db,
        report_dir=args.reports,
        shopify_plan=args.shopify_plan,
        progress=_progress(args),
    )


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
