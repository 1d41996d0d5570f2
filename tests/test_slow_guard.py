"""The fast/slow split: `make test` runs the fast set, `make test-slow` the rest, CI runs both,
and an unmarked test that starts a slow resource fails, saying to mark it slow."""

from __future__ import annotations

import re
import sys

import pytest
from slow_guard import BROWSER, KERNEL, POSTGRES, VENV, SlowGuard, message, slow_command
from tests_paths import ROOT

PY = sys.executable


def _target_lines(makefile: str, target: str) -> tuple[str, list[str]]:
    """A Makefile target's prerequisites and recipe lines."""
    match = re.search(rf"^{re.escape(target)}:(.*)\n((?:\t.*\n)*)", makefile, re.MULTILINE)
    assert match, f"no `{target}` target in the Makefile"
    return match.group(1), [line.strip() for line in match.group(2).splitlines()]


def test_make_test_is_the_fast_set_test_slow_the_rest_and_ci_runs_both():
    makefile = (ROOT / "Makefile").read_text()
    _, fast = _target_lines(makefile, "test")
    assert fast[:2] == ["$(BIN)/ruff check .", "$(BIN)/ruff format --check ."]
    assert fast[2:] == ['$(BIN)/python -m pytest -m "not slow"']
    _, slow = _target_lines(makefile, "test-slow")
    assert slow == ["$(BIN)/python -m pytest -m slow"]  # the complement: together, every test
    prerequisites, _ = _target_lines(makefile, "test-all")
    assert prerequisites.split() == ["test", "test-slow"]
    ci = (ROOT / ".ci" / "run").read_text()
    commands = [line for line in ci.splitlines() if line and not line.startswith("#")]
    assert commands[-2:] == ["make test", "make test-slow"]


@pytest.mark.parametrize(
    ("argv", "resource"),
    [
        ([PY, "-m", "ipykernel_launcher", "-f", "/tmp/kernel-1.json"], KERNEL),
        ([PY, "-m", "pytest", "--nbval-lax", "runs/01.ipynb"], f"{KERNEL} (nbval)"),
        (
            [PY, "-m", "shopsync.notebook_runs", "notebooks/03-sync.ipynb", "-p", "dry_run", "1"],
            f"{KERNEL} (a notebook run in a child process)",
        ),
        (["shopsync", "run-notebook", "n.ipynb"], f"{KERNEL} (a notebook run in a child process)"),
        ([PY, "-m", "papermill", "in.ipynb", "out.ipynb"], "a papermill notebook run"),
        ([PY, "-m", "jupyterlab", "--no-browser"], "JupyterLab / a Jupyter server"),
        (["/usr/lib/postgresql/15/bin/initdb", "-D", "data"], POSTGRES),
        (["/usr/lib/postgresql/15/bin/pg_ctl", "-D", "data", "-w", "start"], POSTGRES),
        (["/usr/bin/chromium", "--headless"], BROWSER),
        (["/x/driver/node", "/x/driver/package/cli.js", "run-driver"], BROWSER),
        ([PY, "-m", "venv", "/tmp/v"], VENV),
        ([PY, "-Im", "ensurepip", "--upgrade"], VENV),
        (["/tmp/v/bin/pip", "install", "-q", "shopsync.whl"], "a pip install / wheel build"),
        ([PY, "-m", "pip", "wheel", "--no-deps", "."], "a pip install / wheel build"),
        # fast commands stay allowed
        ([PY, "-m", "shopsync.cli", "run-notebook", "--help"], None),
        ([PY, "-m", "shopsync.cli", "sync", "--db", "sqlite:///s.db"], None),
        (["/usr/lib/postgresql/15/bin/pg_ctl", "-D", "data", "-m", "immediate", "stop"], None),
        ([PY, "-m", "pip", "--version"], None),
        (["git", "status"], None),
        ([], None),
    ],
)
def test_slow_command_names_what_a_command_line_starts(argv, resource):
    assert slow_command(argv) == resource


class _Starter:
    def start(self, value: int) -> int:
        return value * 2


def test_a_wrapped_starter_fails_only_while_an_unmarked_test_is_watched(request):
    guard, original = SlowGuard(), vars(_Starter)["start"]
    guard.wrap(_Starter, "start", "a test resource")
    try:
        assert _Starter().start(2) == 4  # nothing watched: the call goes through
        guard.active = request.node
        with pytest.raises(pytest.fail.Exception, match="mark this test slow: it starts a test"):
            _Starter().start(2)
        with guard.suspended():
            assert _Starter().start(3) == 6
    finally:
        guard.active = None
        guard.unwrap()
    assert vars(_Starter)["start"] is original  # put back as it was


INNER_TESTS = f"""
import subprocess
import sys
import venv

import pytest


def test_unmarked_creates_a_venv(tmp_path):
    venv.EnvBuilder().create(tmp_path / "env")


def test_unmarked_runs_a_kernel_command():
    subprocess.run([sys.executable, "-m", "ipykernel_launcher", "--help"])


def test_unmarked_uses_the_postgres_fixture(postgres):
    pass


def test_unmarked_runs_a_fast_command():
    assert subprocess.run([{PY!r}, "-c", "pass"]).returncode == 0


@pytest.mark.slow
def test_marked_runs_a_venv_command():
    done = subprocess.run([sys.executable, "-m", "venv", "--help"], capture_output=True)
    assert done.returncode == 0
"""

INNER_CONFTEST = """
import pytest
from slow_guard import SlowGuard


def pytest_configure(config):
    config.pluginmanager.register(SlowGuard(), "slow_guard")


@pytest.fixture
def postgres():
    return None  # stands in for the real cluster: the guard goes by the fixture's name
"""


def test_the_guard_fails_unmarked_tests_that_start_slow_resources_and_lets_marked_ones(
    pytester: pytest.Pytester, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # the inner run needs no plugins
    pytester.makeini("[pytest]\nmarkers =\n    slow: long-running end-to-end tests\n")
    pytester.makeconftest(INNER_CONFTEST)
    pytester.makepyfile(test_inner=INNER_TESTS)
    outer = request.config.pluginmanager.get_plugin("slow_guard")
    with outer.suspended():  # this test is the unmarked one; the inner session is watched
        result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-rfE")
    result.assert_outcomes(passed=2, failed=2, errors=1)
    output = result.stdout.str()
    for test, resource in [
        ("test_unmarked_creates_a_venv", VENV),
        ("test_unmarked_runs_a_kernel_command", KERNEL),
        ("test_unmarked_uses_the_postgres_fixture", f"{POSTGRES} (fixture `postgres`)"),
    ]:
        assert message(resource) in output, test
        assert re.search(rf"(FAILED|ERROR) test_inner.py::{test}", output), test
    assert "test_marked_runs_a_venv_command" not in output.split("short test summary")[-1]
