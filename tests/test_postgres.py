"""A shared PostgreSQL store as the README sets it up: `shopsync init`, then the scheduled sync
notebook (the cron line's `run-notebook ... -p db postgresql://...`), then `shopsync runs`."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from tests_paths import ROOT, SAMPLE

from shopsync.store import open_store

pytestmark = pytest.mark.slow


def shopsync(module: str, *args: str, cwd) -> subprocess.CompletedProcess:
    """``shopsync ...`` (module shopsync.cli) or ``shopsync run-notebook ...``, as cron runs it."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_scheduled_sync_notebook_runs_on_a_postgresql_store(postgres, tmp_path):
    with postgres.database() as url:
        db = url.replace("postgresql+psycopg://", "postgresql://")
        config = ("--config", str(SAMPLE / "shop.toml"))
        init = shopsync("shopsync.cli", "init", "--db", db, *config, cwd=tmp_path)
        assert init.returncode == 0, init.stderr

        notebook = shopsync(
            "shopsync.notebook_runs",
            str(ROOT / "notebooks" / "03-sync.ipynb"),
            *("-p", "config", str(SAMPLE / "shop.toml"), "-p", "db", db),
            *("-p", "erp_file", str(SAMPLE / "erp_customers.csv")),
            *("-p", "emulator_data", str(SAMPLE), "-p", "emulator_plan", "plus"),
            *("-p", "output_dir", str(tmp_path / "reports"), "-p", "dry_run", "false"),
            *("--output-dir", str(tmp_path / "runs")),
            cwd=tmp_path,
        )
        assert notebook.returncode == 0, notebook.stderr[-3000:]

        store = open_store(url)
        (run,) = store.runs().to_dict("records")
        assert run["status"] == "succeeded"
        assert len(store.erp_customers()) > 200  # the ERP file plus the imported customers
        listed = shopsync("shopsync.cli", "runs", "--db", db, cwd=tmp_path)
        assert listed.returncode == 0
        assert re.search(rf"^\s*{run['id']}\s+DEMO\s+both\s+succeeded\s", listed.stdout, re.M)
        store.engine.dispose()
