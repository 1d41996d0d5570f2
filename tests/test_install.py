"""Installs that work anywhere: the wheel, installed into a clean venv (no source tree) with the
lock file's versions, runs `shopsync demo` from another folder and opens a PostgreSQL store."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest
from tests_paths import ROOT

pytestmark = pytest.mark.slow

SOURCES = ["shopsync", "data/sample", "pyproject.toml", "setup.py", "MANIFEST.in", "README.md"]
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "*.db", "*.so")


def run(command: list[str], cwd: Path, timeout: float = 900) -> str:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL"))}
    done = subprocess.run(
        command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"{command} exited {done.returncode}:\n{done.stdout}{done.stderr}"
    return done.stdout


def copy_sources(source: Path) -> Path:
    """The files a wheel is built from, copied to ``source`` (no stale build/ folder)."""
    for name in SOURCES:
        origin = ROOT / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=IGNORED)
        else:
            shutil.copy2(origin, source / name)
    return source


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A clean venv with the wheel built from a copy of the sources (no stale build/ folder)
    and its dependencies as requirements.lock pins them; returns the venv's bin folder."""
    base = tmp_path_factory.mktemp("install")
    source = copy_sources(base / "source")
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", str(source), "-w", "dist"], base)
    (wheel,) = (base / "dist").glob("shopsync-*.whl")
    venv.create(base / "venv", with_pip=True)  # no system site-packages, no source tree
    bin_dir = base / "venv" / "bin"
    lock = ROOT / "requirements.lock"
    run([str(bin_dir / "pip"), "install", "-q", "-c", str(lock), f"{wheel}[postgres]"], base)
    return bin_dir


def test_the_installed_wheel_runs_the_demo_from_another_folder(installed, tmp_path):
    where = run(
        [str(installed / "python"), "-c", "import shopsync.reference as r; print(r.__file__)"],
        tmp_path,
    )
    assert str(installed.parent) in where  # the installed package, not the checkout
    output = run([str(installed / "shopsync"), "demo"], tmp_path)
    assert "Sync 2: the same again" in output
    assert "mutations sent by sync 2: 0" in output
    assert (tmp_path / "data" / "demo.db").is_file() and (tmp_path / "reports").is_dir()


def test_the_installed_wheel_has_the_compiled_bulk_scanner(installed, tmp_path):
    """The wheel is built with the C scanner of bulk JSONL (a compiler is on this machine), and
    the installed reader uses it."""
    check = "from shopsync import bulk_jsonl as b; print(b._bulk_scan.__file__)"
    where = run([str(installed / "python"), "-c", check], tmp_path)
    assert str(installed.parent) in where and where.strip().endswith(".so")


def test_without_a_c_compiler_the_wheel_builds_without_the_scanner(tmp_path):
    """The scanner is optional: a build whose compiler fails still gives a wheel, with the
    whole package but the scanner (the reader then parses every piece with pyarrow, as the
    reader's tests check with the scanner switched off)."""
    source = copy_sources(tmp_path / "source")
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", str(source), "-w", "dist"]
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL"))}
    done = subprocess.run(
        command, cwd=tmp_path, env=environment | {"CC": "false"}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert 'building extension "shopsync._bulk_scan" failed' in done.stdout + done.stderr
    (wheel,) = (tmp_path / "dist").glob("shopsync-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "shopsync/bulk_jsonl.py" in names and "shopsync/cli.py" in names
    assert not [name for name in names if "_bulk_scan" in name]


def test_the_installed_wheel_seeds_and_migrates_a_postgresql_store(installed, postgres, tmp_path):
    with postgres.database() as url:
        plain = url.replace("postgresql+psycopg://", "postgresql://")  # as the README writes it
        output = run([str(installed / "shopsync"), "init", "--db", plain], tmp_path)
        assert "tax_areas: +" in output and "tax_areas: +0 " not in output
        assert "no runs yet" in run([str(installed / "shopsync"), "runs", "--db", plain], tmp_path)
