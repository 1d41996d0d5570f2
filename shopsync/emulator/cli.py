"""The ``shopsync emulator`` sub-command: run the Admin API emulator in the foreground."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from .app import Emulator
from .cost import PLAN_LIMITS
from .faults import FaultSpec
from .server import EmulatorServer, is_loopback

DEFAULT_PORT = 8787


def add_emulator_command(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``emulator`` on an argparse sub-parsers object; returns the new parser."""
    parser = subparsers.add_parser(
        "emulator",
        help="run a local Shopify Admin API (2026-07) emulator",
        description=(
            "Serve a local emulation of Shopify's Admin GraphQL API on loopback until Ctrl-C. "
            "Point the client at http://HOST:PORT with any non-empty access token (or --token)."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (0 = any free port)")
    parser.add_argument(
        "--data", type=Path, default=None, help="seed directory (customers.jsonl...)"
    )
    parser.add_argument("--plan", choices=sorted(PLAN_LIMITS), default="standard")
    parser.add_argument(
        "--faults",
        default=None,
        help='fault spec, e.g. "500=0.02,429=0.02,drop_after=0.01,slow=0.01" (default: none)',
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the fault stream")
    parser.add_argument(
        "--search-delay",
        type=float,
        default=0.0,
        help="seconds before customers(query:) sees a create or update (Shopify's index lags)",
    )
    parser.add_argument(
        "--protected-data",
        choices=["approved", "denied"],
        default="approved",
        help="denied: answer like Shopify to an app without protected customer data access",
    )
    parser.add_argument("--token", default=None, help="accept only this access token")
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow binding to a non-loopback address (the emulator has no real security)",
    )
    parser.add_argument("--verbose", action="store_true", help="log every HTTP request")
    parser.set_defaults(func=run_emulator_command, handler=run_emulator_command)
    return parser


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
        plan=args.plan,
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
        f"(plan {emulator.plan}, {len(emulator.store.customers)} customers, faults {faults})",
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
