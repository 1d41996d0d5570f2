"""Start-up time of ``import shopsync`` and ``shopsync --help``: median of fresh processes.

    python -m benchmarks.startup [--runs 21] [--source DIR]

Each sample is one new interpreter (``sys.executable``) started with ``PYTHONPATH=DIR`` (the
shopsync checkout to time; default this one), timed from start to exit with
``time.perf_counter``. Three commands:

- ``import``: ``python -c "import shopsync"``;
- ``help``: ``python -m shopsync.cli --help``;
- ``everything``: ``import shopsync`` and every name of ``shopsync.__all__`` resolved, i.e.
  what the first command that needs the whole library pays (and what every start-up paid
  while the package imported its modules eagerly).

One more process per command lists the heavy modules it loaded. Prints a table and writes
``benchmarks/startup.json`` (keyed by source folder, ``.`` for this checkout). ``--source`` an
older checkout (``git archive COMMIT | tar -x -C DIR``) times the same commands before a change.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["COMMANDS", "HEAVY", "loaded_heavy_modules", "main", "time_command"]

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "startup.json"
HEAVY = ("pandas", "numpy", "sqlalchemy", "graphql", "shopsync.emulator", "tqdm", "phonenumbers")
_ALL_NAMES = "import shopsync\nfor name in shopsync.__all__:\n    getattr(shopsync, name)\n"
COMMANDS: dict[str, list[str]] = {
    "import": ["-c", "import shopsync"],
    "help": ["-m", "shopsync.cli", "--help"],
    "everything": ["-c", _ALL_NAMES],
}
# The same commands run in-process by the probe (``--help`` exits through SystemExit).
_HELP = "from shopsync.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass"
_PROBES = {
    "import": "import shopsync",
    "help": _HELP,
    "everything": _ALL_NAMES,
}


def _environment(source: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(source)}


def time_command(command: str, source: Path, runs: int) -> list[float]:
    """Wall seconds of ``runs`` fresh interpreters running ``command`` against ``source``."""
    argv = [sys.executable, *COMMANDS[command]]
    env = _environment(source)
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL, cwd=source)
        samples.append(time.perf_counter() - started)
    return samples


def loaded_heavy_modules(command: str, source: Path) -> tuple[list[str], int]:
    """The heavy modules ``command`` loads, and how many modules in all."""
    code = (
        "import sys, json, contextlib, io\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        + "".join(f"    {line}\n" for line in _PROBES[command].splitlines())
        + f"heavy = [m for m in {list(HEAVY)!r} if m in sys.modules]\n"
        "print(json.dumps([heavy, len(sys.modules)]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=_environment(source),
        cwd=source,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    heavy, count = json.loads(out.strip().splitlines()[-1])
    return heavy, count


def _bare_interpreter(runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.startup", description=__doc__)
    parser.add_argument("--runs", type=int, default=21, help="fresh processes per command")
    parser.add_argument(
        "--source", type=Path, default=ROOT.parent, help="shopsync checkout to time (default: this)"
    )
    parser.add_argument("--no-save", action="store_true", help="do not write startup.json")
    args = parser.parse_args(argv)
    source = args.source.resolve()
    bare = _bare_interpreter(args.runs)
    rows: dict[str, Any] = {}
    load = os.getloadavg()[0]
    print(
        f"{source} ({args.runs} runs each; bare interpreter {bare * 1000:.0f} ms; "
        f"load average {load:.2f})"
    )
    print(f"{'command':<11} {'median ms':>9} {'min ms':>7} {'modules':>7}  heavy modules loaded")
    for command in COMMANDS:
        samples = time_command(command, source, args.runs)
        heavy, count = loaded_heavy_modules(command, source)
        rows[command] = {
            "median_ms": round(statistics.median(samples) * 1000, 1),
            "min_ms": round(min(samples) * 1000, 1),
            "modules": count,
            "heavy": heavy,
        }
        row = rows[command]
        print(
            f"{command:<11} {row['median_ms']:>9.0f} {row['min_ms']:>7.0f} {count:>7}  "
            + (", ".join(heavy) or "none")
        )
    if not args.no_save:
        saved = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        key = "." if source == ROOT.parent else str(source)
        saved[key] = {
            "runs": args.runs,
            "load_average": round(load, 2),
            "bare_interpreter_ms": round(bare * 1000, 1),
            "python": platform.python_version(),
            "commands": rows,
        }
        RESULTS.write_text(json.dumps(saved, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
