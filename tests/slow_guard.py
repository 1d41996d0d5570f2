"""A pytest plugin that fails an unmarked test when it starts a slow resource (mark it slow).

`make test` runs `pytest -m "not slow"`, the fast set; the end-to-end tests carry
``@pytest.mark.slow`` and run in `make test-slow`. This plugin keeps that split true: while an
unmarked test runs (its setup, call and teardown), starting a Jupyter kernel, papermill,
nbval, JupyterLab, a Chromium browser (playwright), a PostgreSQL cluster, a virtual
environment or a pip install/wheel build fails the test with "mark this test slow: it starts
<resource>". It watches two places: the Python functions that start those resources (wrapped
once their module is imported) and every ``subprocess.Popen`` command line, which also catches
the ones started from a child process's command (``python -m shopsync.notebook_runs ...``).
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

__all__ = [
    "BROWSER",
    "FUNCTIONS",
    "KERNEL",
    "POSTGRES",
    "VENV",
    "SlowGuard",
    "SlowResource",
    "message",
    "slow_command",
]

KERNEL = "a Jupyter kernel"
BROWSER = "a Chromium browser (playwright)"
POSTGRES = "a PostgreSQL cluster"
VENV = "a virtual environment"


@dataclass(frozen=True)
class SlowResource:
    """A function that starts a slow resource: ``module.owner.name`` (owner None: a function)."""

    module: str
    owner: str | None
    name: str
    resource: str


FUNCTIONS: tuple[SlowResource, ...] = (
    SlowResource("jupyter_client.manager", "KernelManager", "start_kernel", KERNEL),
    SlowResource("jupyter_client.manager", "AsyncKernelManager", "start_kernel", KERNEL),
    SlowResource("papermill", None, "execute_notebook", "a papermill notebook run"),
    SlowResource("papermill.execute", None, "execute_notebook", "a papermill notebook run"),
    SlowResource("playwright.sync_api._generated", "BrowserType", "launch", BROWSER),
    SlowResource("playwright.async_api._generated", "BrowserType", "launch", BROWSER),
    SlowResource("postgres_cluster", None, "_started_cluster", POSTGRES),
    SlowResource("venv", "EnvBuilder", "create", VENV),
)

_JUPYTER_MODULES = {"jupyter", "jupyterlab", "notebook", "jupyter_server", "nbclassic"}
_PIP_BUILDS = {"install", "wheel", "download"}


def message(resource: str) -> str:
    """What an unmarked test that starts ``resource`` fails with."""
    return (
        f"mark this test slow: it starts {resource} (@pytest.mark.slow; the fast set, "
        '`make test` = `pytest -m "not slow"`, must not start it)'
    )


def _module_after_m(argv: Sequence[str]) -> str | None:
    """The module of ``python [options] -m MODULE ...`` (``-m`` may end a cluster: ``-Im``)."""
    words = iter(argv[1:])
    for arg in words:
        flags = re.fullmatch(r"-([bBdEhiIOPqsSuvVxR]*)m(.*)", arg)
        if flags:
            return flags.group(2) or next(words, None)
        if arg in ("-W", "-X", "--check-hash-based-pycs"):
            next(words, None)  # an option that takes a value
        elif not arg.startswith("-") or arg.startswith("-c"):
            return None  # a script or a command: no module
    return None


def slow_command(argv: Sequence[str]) -> str | None:
    """The slow resource a command line starts, or None: a pure rule on the words of argv."""
    names = [Path(arg).name for arg in argv]
    program = names[0] if names else ""
    module = _module_after_m(argv) or ""
    if "initdb" in names or ("pg_ctl" in names and "start" in argv):
        return POSTGRES
    if module in ("ipykernel_launcher", "ipykernel") or "ipykernel_launcher" in names:
        return KERNEL
    if any(arg.startswith("--nbval") for arg in argv):
        return f"{KERNEL} (nbval)"
    if program == "papermill" or module == "papermill":
        return "a papermill notebook run"
    runs_notebook = module == "shopsync.notebook_runs" or (
        "run-notebook" in argv and (module == "shopsync.cli" or program == "shopsync")
    )
    if runs_notebook and any(arg.endswith(".ipynb") for arg in argv):
        return f"{KERNEL} (a notebook run in a child process)"
    if module in _JUPYTER_MODULES or program.startswith("jupyter"):
        return "JupyterLab / a Jupyter server"
    if "chromium" in program or "run-driver" in argv:
        return BROWSER
    if module in ("venv", "virtualenv", "ensurepip") or program == "virtualenv":
        return VENV
    if program == "uv" and "venv" in argv:
        return VENV
    pip = module == "pip" or program.startswith("pip")
    if pip and _PIP_BUILDS & set(argv):
        return "a pip install / wheel build"
    if module == "build":
        return "a wheel build"
    return None


def _words(args: Any) -> list[str]:
    if isinstance(args, (str, bytes, os.PathLike)):
        text = os.fsdecode(args)
        return text.split()
    return [os.fsdecode(arg) for arg in args]


class SlowGuard:
    """The plugin: wraps the starters once per session and fails the unmarked test using one."""

    def __init__(self) -> None:
        self.active: pytest.Item | None = None
        self._undo: list[Callable[[], None]] = []
        self._wrapped: set[SlowResource] = set()
        self._violation = pytest.StashKey[str]()  # per guard: a test's own guard stays its own

    # -- the wrapping -------------------------------------------------------------------------

    def check(self, resource: str) -> None:
        """Fail the running test if it is unmarked; a marked test (or none) goes on."""
        item = self.active
        if item is None:
            return
        text = message(resource)
        item.stash[self._violation] = text
        pytest.fail(text, pytrace=False)

    def wrap(self, owner: Any, name: str, resource: str) -> None:
        """Replace ``owner.name`` by a wrapper that calls ``check(resource)`` first."""
        original = vars(owner)[name]
        function = original.__func__ if isinstance(original, (staticmethod, classmethod)) else None
        target = function or original

        @functools.wraps(target)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            self.check(resource)
            return target(*args, **kwargs)

        replacement: Any = guarded
        if isinstance(original, staticmethod):
            replacement = staticmethod(guarded)
        elif isinstance(original, classmethod):
            replacement = classmethod(guarded)
        setattr(owner, name, replacement)
        self._undo.append(lambda: setattr(owner, name, original))

    def wrap_loaded(self) -> None:
        """Wrap each starter whose module is imported by now (imports nothing itself)."""
        for starter in FUNCTIONS:
            module = sys.modules.get(starter.module)
            if starter in self._wrapped or module is None:
                continue
            owner = getattr(module, starter.owner, None) if starter.owner else module
            if owner is None or starter.name not in vars(owner):
                continue
            self.wrap(owner, starter.name, starter.resource)
            self._wrapped.add(starter)

    def wrap_subprocess(self) -> None:
        """Check every ``subprocess.Popen`` command line (kernels, servers, installs)."""
        original = subprocess.Popen.__init__
        guard = self

        @functools.wraps(original)
        def guarded(popen: subprocess.Popen, args: Any, *rest: Any, **kwargs: Any) -> None:
            if guard.active is not None:
                resource = slow_command(_words(args))
                if resource is not None:
                    guard.check(resource)
            original(popen, args, *rest, **kwargs)

        subprocess.Popen.__init__ = guarded  # type: ignore[method-assign]
        self._undo.append(lambda: setattr(subprocess.Popen, "__init__", original))

    def unwrap(self) -> None:
        """Put every wrapped function back, newest first."""
        while self._undo:
            self._undo.pop()()
        self._wrapped.clear()

    @contextmanager
    def watching(self, item: pytest.Item) -> Iterator[None]:
        """Watch ``item`` while the block runs, unless it is marked slow."""
        if item.get_closest_marker("slow") is not None:
            yield
            return
        self.wrap_loaded()
        previous, self.active = self.active, item
        try:
            yield
        finally:
            self.active = previous

    @contextmanager
    def suspended(self) -> Iterator[None]:
        """Watch nothing while the block runs (a test of this plugin runs pytest inside)."""
        previous, self.active = self.active, None
        try:
            yield
        finally:
            self.active = previous

    # -- the pytest hooks ---------------------------------------------------------------------

    def pytest_configure(self, config: pytest.Config) -> None:
        self.wrap_subprocess()

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self.unwrap()

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        if item.get_closest_marker("slow") is None and "postgres" in item.fixturenames:
            pytest.fail(message(f"{POSTGRES} (fixture `postgres`)"), pytrace=False)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> Any:
        with self.watching(item):
            return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo) -> Any:
        report = yield
        violation = item.stash.get(self._violation, None)
        if violation is not None and report.passed and call.when == "call":
            # the code under test caught the failure (``except BaseException``): fail anyway
            report.outcome = "failed"
            report.longrepr = violation
        return report
