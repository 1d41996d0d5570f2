"""The commands whose code is heavy (the emulator, papermill): options declared, code deferred."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from pathlib import Path

__all__ = [
    "EMULATOR_PORT",
    "SHOPIFY_PLANS",
    "Handler",
    "add_emulator_command",
    "add_run_notebook_command",
    "deferred",
]

Handler = Callable[[argparse.Namespace], int]

EMULATOR_PORT = 8787
# The Shopify plans the emulator knows (the keys of shopsync.emulator.cost's
# SHOPIFY_PLAN_LIMITS, which needs graphql-core; tests/test_startup.py keeps the two equal).
SHOPIFY_PLANS = ("advanced", "plus", "standard")
# shopsync.shopify.client.TOKEN_ENV, spelt out so that --help need not load the client.
_TOKEN_ENV = "SHOPIFY_ACCESS_TOKEN"


def deferred(module: str, function: str) -> Handler:
    """A command handler that imports ``module`` only when the command runs."""

    def handler(args: argparse.Namespace) -> int:
        return int(getattr(importlib.import_module(module), function)(args) or 0)

    handler.__qualname__ = handler.__name__ = f"deferred:{module}.{function}"
    return handler


def add_emulator_command(
    subparsers: argparse._SubParsersAction,
    handler: Handler | None = None,
) -> argparse.ArgumentParser:
    """Register ``emulator`` on an argparse sub-parsers object; returns the new parser.
    ``handler`` runs it (default: ``shopsync.emulator.cli.run_emulator_command``, imported then).
    """
    parser = subparsers.add_parser(
        "emulator",
        help="run a local Shopify Admin API (2026-07) emulator",
        description=(
            "Serve a local emulation of Shopify's Admin GraphQL API on loopback until Ctrl-C. "
            "Point the client at http://HOST:PORT with any non-empty access token (or --token)."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=EMULATOR_PORT, help="port (0 = any free port)")
    parser.add_argument(
        "--data", type=Path, default=None, help="seed directory (customers.jsonl...)"
    )
    parser.add_argument(
        "--shopify-plan",
        choices=SHOPIFY_PLANS,
        default="standard",
        help="the emulated shop's Shopify plan (its rate limit)",
    )
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
    run = handler or deferred("shopsync.emulator.cli", "run_emulator_command")
    parser.set_defaults(func=run, handler=run)
    return parser


def add_run_notebook_command(
    subparsers: argparse._SubParsersAction,
    handler: Handler | None = None,
) -> argparse.ArgumentParser:
    """Register ``run-notebook`` on an argparse sub-parsers object; returns the new parser.
    ``handler`` runs it (default: ``shopsync.notebook_runs.run_notebook_command``, imported then).
    """
    parser = subparsers.add_parser(
        "run-notebook",
        help="run a notebook headless (papermill) into runs/, scrubbed; exit 1 when it failed",
        description=(
            "Execute a notebook with papermill into OUTPUT_DIR/<name>-<timestamp>.ipynb, scrub "
            "secrets from it, add a banner cell with the outcome, and exit 1 when it failed. "
            "-p values take the type the notebook declares (02134 stays text); secrets are "
            f"refused as parameters: set {_TOKEN_ENV} in the environment."
        ),
    )
    parser.add_argument("notebook", type=Path, help="the notebook (.ipynb)")
    parser.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="a parameter, converted to the type the notebook declares",
    )
    parser.add_argument(
        "-r",
        "--raw",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="a text parameter, never converted",
    )
    parser.add_argument("-f", "--parameters-file", type=Path, help="parameters as a YAML file")
    parser.add_argument("--output-dir", type=Path, default=Path("runs"), help="default runs/")
    parser.add_argument("--cwd", type=Path, help="working folder of the kernel (default: here)")
    parser.add_argument("--kernel", help="kernel name (default: the notebook's)")
    parser.add_argument("--timeout", type=int, help="seconds per cell (default: none)")
    run = handler or deferred("shopsync.notebook_runs", "run_notebook_command")
    parser.set_defaults(handler=run, func=run)
    return parser
