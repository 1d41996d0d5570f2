"""Helpers shared by the emulator tests: a fake clock and GraphQL shortcuts."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from shopsync.emulator import Emulator
from shopsync.emulator.cli import run_emulator_command


class FakeClock:
    """Monotonic seconds and wall time that only move when a test says so."""

    def __init__(self) -> None:
        self.seconds = 1000.0
        self.start = datetime(2026, 7, 1, 12, 0, 0, tzinfo=UTC)
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.seconds

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.seconds - 1000.0)

    def advance(self, seconds: float) -> None:
        self.seconds += seconds

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.seconds += seconds


def gql(emulator: Emulator, query: str, variables: dict | None = None) -> dict[str, Any]:
    """Execute and return the body, asserting HTTP 200."""
    status, _headers, body = emulator.execute(query, variables)
    assert status == 200, body
    return body


CREATE = """
mutation Create($input: CustomerInput!) {
  customerCreate(input: $input) {
    customer {
      id email phone firstName lastName displayName tags state verifiedEmail note
      createdAt updatedAt
      defaultEmailAddress { emailAddress marketingState }
      defaultPhoneNumber { phoneNumber }
      defaultAddress { id city countryCodeV2 country provinceCode province }
    }
    userErrors { field message }
  }
}
"""


def create(emulator: Emulator, **fields: Any) -> dict:
    """customerCreate and return the payload."""
    return gql(emulator, CREATE, {"input": fields})["data"]["customerCreate"]


@contextmanager
def running_command(args: Any) -> Iterator[Any]:
    """Run ``shopsync emulator`` (parsed ``args``) on a thread; yields its server, then stops."""
    ready = threading.Event()
    holder: dict[str, Any] = {}

    def on_ready(server: Any) -> None:
        holder["server"] = server
        ready.set()

    thread = threading.Thread(
        target=run_emulator_command, args=(args,), kwargs={"on_ready": on_ready}
    )
    thread.start()
    assert ready.wait(10)
    try:
        yield holder["server"]
    finally:
        holder["server"].stop()
        thread.join(10)
    assert not thread.is_alive()
