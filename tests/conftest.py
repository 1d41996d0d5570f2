"""Shared fixtures: project paths, the sample data, a fresh store per test on each database.

``db_url`` (and ``store`` on it) runs a test on SQLite and on PostgreSQL; ``--db-backend``
picks one. The PostgreSQL runs use a throw-away cluster (tests/postgres_cluster.py) and skip,
saying why, where none can be started — unless SHOPSYNC_TEST_POSTGRES=require (CI). The
PostgreSQL runs are marked slow (`make test-slow`); tests/slow_guard.py fails an unmarked test
that starts a slow resource (a kernel, a browser, a PostgreSQL cluster, a venv, ...).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings
from slow_guard import SlowGuard

# Hypothesis' per-example deadline is a timing test: it fails on a loaded machine (CI shares
# its cores) while the answers are right. Speed lives in benchmarks/, so no deadline here.
settings.register_profile("shopsync", deadline=None)
settings.load_profile("shopsync")

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
BACKENDS = ("sqlite", "postgresql")
pytest_plugins = ["pytester"]  # tests/test_slow_guard.py runs pytest on tests of its own


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db-backend",
        choices=[*BACKENDS, "both"],
        default="both",
        help="database(s) the store tests run on (default both; PostgreSQL skips, saying "
        "why, when no server can be started)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(SlowGuard(), "slow_guard")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "db_backend" in metafunc.fixturenames:
        chosen = metafunc.config.getoption("--db-backend")
        backends = BACKENDS if chosen == "both" else (chosen,)
        # a PostgreSQL run starts a cluster (once per session): it belongs to the slow set
        params = [
            pytest.param(name, marks=pytest.mark.slow) if name == "postgresql" else name
            for name in backends
        ]
        metafunc.parametrize("db_backend", params, scope="session")


@pytest.fixture(scope="session")
def postgres(request: pytest.FixtureRequest):
    """The test PostgreSQL cluster (started once per session, on first use)."""
    from postgres_cluster import ClusterUnavailable, postgres_cluster

    setting = os.environ.get("SHOPSYNC_TEST_POSTGRES", "auto")
    context = postgres_cluster("auto" if setting == "require" else setting)
    try:
        cluster = context.__enter__()
    except ClusterUnavailable as exc:
        if setting == "require":
            pytest.fail(f"PostgreSQL required (SHOPSYNC_TEST_POSTGRES=require): {exc}")
        pytest.skip(f"PostgreSQL tests skipped: {exc}")
    request.addfinalizer(lambda: context.__exit__(None, None, None))
    return cluster


@pytest.fixture
def db_url(db_backend: str, tmp_path: Path, request: pytest.FixtureRequest):
    """A URL of a new, empty store database: a SQLite file, or a PostgreSQL database."""
    if db_backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    cluster = request.getfixturevalue("postgres")
    with cluster.database() as url:
        yield url


@pytest.fixture
def sample_dir() -> Path:
    return SAMPLE


@pytest.fixture
def store(db_url: str):
    from shopsync.store import open_store

    opened = open_store(db_url)
    yield opened
    opened.engine.dispose()
