"""The ``shopsync`` command: a thin argparse layer over the library's verbs."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from shopsync import __version__
from shopsync.errors import ShopsyncError, UserInputError

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The full command-line parser (every verb, every option)."""
    parser = argparse.ArgumentParser(
        prog="shopsync",
        description="Keep an ERP's customer master and a Shopify store's customers in step.",
    )
    parser.add_argument("--version", action="version", version=f"shopsync {__version__}")
    verbs = parser.add_subparsers(dest="verb", metavar="COMMAND", required=True)

    init = verbs.add_parser("init", help="create the store, seed countries and provinces")
    _store_options(init)
    init.add_argument("--config", type=Path, help="shop TOML file to save into the store")
    init.set_defaults(handler=_init)

    load = verbs.add_parser("load-erp", help="load ERP customers from a CSV or Excel file")
    load.add_argument("file", type=Path, help="CSV (, ; or tab separated) or .xlsx file")
    load.add_argument("--encoding", help="text encoding of a CSV file (default UTF-8)")
    _store_options(load)
    load.set_defaults(handler=_load_erp)

    demo = verbs.add_parser("demo", help="run the main job on the sample data, no credentials")
    demo.add_argument(
        "--db",
        default="sqlite:///data/demo.db",
        help="store URL for the demo (recreated; default sqlite:///data/demo.db)",
    )
    demo.set_defaults(handler=_demo)

    _add_emulator(verbs)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; user errors print one line (no traceback) and return 2."""
    args = build_parser().parse_args(argv)
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


def _store_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        help="store URL (any SQLAlchemy URL; default $SHOPSYNC_DB or sqlite:///data/shopsync.db)",
    )


def _add_emulator(verbs: argparse._SubParsersAction) -> None:
    try:
        from shopsync.emulator.cli import add_emulator_command
    except ImportError:  # the emulator is optional at import time only while it is built
        return
    add_emulator_command(verbs)


def _init(args: argparse.Namespace) -> int:
    from shopsync.settings import load_config
    from shopsync.store import open_store

    config = load_config(args.config) if args.config else None
    store = open_store(args.db)
    gained = store.initialise(config)
    print(f"store ready: {store!r}")
    for table, count in gained.items():
        print(f"  {table}: +{count} row(s)")
    return 0


def _load_erp(args: argparse.Namespace) -> int:
    from shopsync.erp_io import read_erp_customers
    from shopsync.store import open_store

    erp = read_erp_customers(args.file, encoding=args.encoding)
    store = open_store(args.db)
    counts = store.save_erp_customers(erp.customers)
    print(
        f"{args.file}: {len(erp.customers)} customer(s): "
        + ", ".join(f"{k} {v}" for k, v in counts.items())
    )
    _print_issues(erp.issues)
    return 0


def _print_issues(issues) -> None:  # type: ignore[no-untyped-def]
    if issues.empty:
        return
    print(f"{len(issues)} value(s) to look at:")
    for row in issues.itertuples():
        print(f"  row {row.row} ({row.no}) {row.column}: {row.code}: {row.message}")


def _demo(args: argparse.Namespace) -> int:
    from shopsync.demo import run_demo

    return run_demo(db_url=args.db)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
