"""Shared fixtures: project paths, the sample data, a fresh store per test."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"


@pytest.fixture
def sample_dir() -> Path:
    return SAMPLE


@pytest.fixture
def store(tmp_path):
    from shopsync.store import open_store

    return open_store(f"sqlite:///{tmp_path / 'store.db'}")
