"""A quick command line: start-up loads nothing heavy; progress bars only where someone looks."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import termios
import threading
from pathlib import Path

import pytest
from tests_paths import ROOT, SAMPLE

from shopsync.cli import main

HEAVY = ["pandas", "numpy", "sqlalchemy", "graphql", "shopsync.emulator"]
# A probe run in a fresh interpreter: the heavy modules loaded after CODE, as JSON.
PROBE = """
import contextlib, io, json, sys
with contextlib.redirect_stdout(io.StringIO()):
{code}
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))
"""


def _environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'tests'}"}


def heavy_modules_after(code: str) -> list[str]:
    """The heavy modules a fresh interpreter has loaded after running ``code``."""
    body = "".join(f"    {line}\n" for line in code.strip().splitlines())
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(code=body, heavy=HEAVY)],
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_import_shopsync_loads_no_heavy_module():
    assert heavy_modules_after("import shopsync") == []


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["sync", "--help"], ["emulator", "--help"], ["run-notebook", "--help"]],
    ids=" ".join,
)
def test_help_loads_no_heavy_module(argv):
    code = f"from shopsync.cli import main\ntry:\n    main({argv!r})\nexcept SystemExit:\n    pass"
    assert heavy_modules_after(code) == []


def test_the_shopsync_command_help_lists_every_command_in_a_fresh_process():
    result = subprocess.run(
        [sys.executable, "-m", "shopsync.cli", "--help"],
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    for verb in ("init", "sync", "demo", "emulator", "run-notebook"):
        assert verb in result.stdout


@pytest.mark.slow
def test_public_names_resolve_on_first_use_and_sync_stays_the_function():
    # In a fresh process, the submodule first: its import must not rebind the package's name.
    heavy_modules_after("import shopsync.sync\nfrom shopsync import sync\nassert callable(sync)")
    import shopsync
    import shopsync.sync

    assert shopsync.sync is shopsync.sync.__globals__["sync"]  # the function, not the module
    assert set(shopsync.__all__) <= set(dir(shopsync))
    for name in shopsync.__all__:
        assert getattr(shopsync, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        shopsync.nothing  # noqa: B018


def test_deferred_commands_still_run_their_code(tmp_path, capsys):
    # Both go through their handler, imported only now: a refusal of each proves it ran.
    assert main(["emulator", "--host", "0.0.0.0"]) == 2
    assert "refusing to bind" in capsys.readouterr().err
    assert main(["run-notebook", str(tmp_path / "missing.ipynb")]) == 2
    assert "no such notebook" in capsys.readouterr().err


def test_the_light_declarations_match_the_code_they_stand_for():
    from shopsync.emulator.cost import SHOPIFY_PLAN_LIMITS
    from shopsync.lazy_commands import SHOPIFY_PLANS
    from shopsync.shopify.client import TOKEN_ENV

    assert tuple(sorted(SHOPIFY_PLAN_LIMITS)) == SHOPIFY_PLANS
    result = subprocess.run(
        [sys.executable, "-m", "shopsync.cli", "run-notebook", "--help"],
        env={**_environment(), "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert f"set {TOKEN_ENV} in the environment" in result.stdout


@pytest.mark.slow
def test_the_startup_benchmark_sees_what_the_tests_see():
    from benchmarks.startup import loaded_heavy_modules, time_command

    heavy, modules = loaded_heavy_modules("help", ROOT)
    assert heavy == [] and modules < 200
    heavy, modules = loaded_heavy_modules("everything", ROOT)
    assert {"pandas", "sqlalchemy", "graphql"} <= set(heavy) and modules > 500
    [seconds] = time_command("import", ROOT, runs=1)
    assert 0 < seconds < 30


# -- progress bars ---------------------------------------------------------------------------


def _sync_command(folder: Path, *options: str) -> list[str]:
    return [
        sys.executable, "-m", "shopsync.cli", "sync", "--config", str(SAMPLE / "shop.toml"),
        "--emulator", str(SAMPLE), "--db", f"sqlite:///{folder / 's.db'}",
        "--reports", str(folder / "reports"), "--direction", "import", *options,
    ]  # fmt: skip


def _has_bars(stderr: str) -> bool:
    return "DEMO import:" in stderr and "it/s" in stderr  # tqdm's line for the import phase


def sync_stderr_piped(folder: Path, *options: str) -> str:
    """stderr of a CLI sync whose stderr is a pipe (like a cron job's log)."""
    result = subprocess.run(
        _sync_command(folder, *options),
        cwd=folder,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "run 1: succeeded" in result.stdout
    return result.stderr


def sync_stderr_on_a_terminal(folder: Path, *options: str) -> str:
    """stderr of a CLI sync whose stderr is a terminal (a pseudo-terminal)."""
    controller, terminal = pty.openpty()
    # 24 rows x 80 columns: a new pseudo-terminal is 0 wide, and tqdm draws nothing in 0 columns
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the terminal closed
                return
            if not chunk:
                return
            chunks.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        result = subprocess.run(
            _sync_command(folder, *options),
            cwd=folder,
            env=_environment(),
            stdout=subprocess.PIPE,
            stderr=terminal,
            text=True,
            timeout=300,
        )
    finally:
        os.close(terminal)
    reader.join(timeout=10)
    os.close(controller)
    assert result.returncode == 0
    return b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.slow
def test_progress_bars_are_off_when_stderr_is_not_a_terminal_and_on_with_progress(tmp_path):
    (tmp_path / "cron").mkdir()
    (tmp_path / "asked").mkdir()
    assert not _has_bars(sync_stderr_piped(tmp_path / "cron"))
    assert _has_bars(sync_stderr_piped(tmp_path / "asked", "--progress"))


@pytest.mark.slow
def test_progress_bars_are_on_on_a_terminal_unless_no_progress(tmp_path):
    (tmp_path / "shown").mkdir()
    (tmp_path / "hidden").mkdir()
    assert _has_bars(sync_stderr_on_a_terminal(tmp_path / "shown"))
    assert not _has_bars(sync_stderr_on_a_terminal(tmp_path / "hidden", "--no-progress"))


def test_submodules_are_reachable_as_attributes_as_in_an_eager_package():
    import shopsync

    assert shopsync.erp_export.handover_path  # notebook 03 reaches it this way
    with pytest.raises(AttributeError):
        _ = shopsync.no_such_module
