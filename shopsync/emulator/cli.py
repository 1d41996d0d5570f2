"""The ``shopsync emulator`` sub-command: run the Admin API emulator in the foreground."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from shopsync import lazy_commands

from .app import Emulator
from .faults import FaultSpec
from .server import EmulatorServer, is_loopback

DEFAULT_PORT = lazy_commands.EMULATOR_PORT


def add_emulator_command(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``emulator`` on an argparse sub-parsers object; returns the new parser."""
    return lazy_commands.add_emulator_command(subparsers, run_emulator_command)


def run_emulator_command(
    args: argparse.Namespace,
    *,
    on_ready: Callable[[EmulatorServer], None] | None = None,
) -> int:
    """Run the server in the foreground; returns the exit status."""
    if not is_loopback(args.host) and not args.allow_remote:
        print(
            f"error: refusing to bind to non-loopback address {args.host!r}; "
            "pass --allow-remote to do it anyway",
            file=sys.stderr,
        )
        return 2
    try:
        faults = FaultSpec.parse(args.faults)
    except ValueError as exc:
        print(f"error: --faults: {exc}", file=sys.stderr)
        return 2
    if args.data is not None and not args.data.is_dir():
        print(f"error: --data {args.data} is not a directory", file=sys.stderr)
        return 2
    emulator = Emulator(
        data_dir=args.data,
        shopify_plan=args.shopify_plan,
        token=args.token,
        faults=faults,
        seed=args.seed,
        search_delay=getattr(args, "search_delay", 0.0),
        protected_data=getattr(args, "protected_data", "approved"),
    )
    server = EmulatorServer(emulator, args.host, args.port, verbose=getattr(args, "verbose", False))
    emulator._base_url = server.url
    print(
        f"Shopify Admin API emulator on {server.graphql_url} "
        f"(plan {emulator.shopify_plan}, {len(emulator.state.customers)} customers, "
        f"faults {faults})",
        flush=True,
    )
    if on_ready is not None:
        on_ready(server)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopping", file=sys.stderr)
    finally:
        server.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m shopsync.emulator.cli [options]``: the sub-command on its own."""
    parser = argparse.ArgumentParser(prog="shopsync")
    subparsers = parser.add_subparsers(dest="verb")
    add_emulator_command(subparsers)
    args = parser.parse_args(["emulator", *(sys.argv[1:] if argv is None else argv)])
    return run_emulator_command(args)


if __name__ == "__main__":
    raise SystemExit(main())
