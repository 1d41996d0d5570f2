"""Fixtures for the emulator tests: a fake clock and seeded emulators."""

from __future__ import annotations

from pathlib import Path

import pytest
from emulator_helpers import FakeClock

from shopsync.emulator import Emulator

DATA = Path(__file__).with_name("data")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def emu(clock: FakeClock) -> Emulator:
    """An empty standard-plan emulator on the fake clock."""
    return Emulator(clock=clock, now=clock.now, sleep=clock.sleep)


@pytest.fixture
def seeded(clock: FakeClock) -> Emulator:
    """An emulator seeded from tests/emulator/data (advanced plan, 6 customers, 3 orders)."""
    return Emulator(data_dir=DATA, clock=clock, now=clock.now, sleep=clock.sleep)
