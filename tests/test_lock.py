"""The lock on a shared store, with real processes: one sync runs, a second refuses; a killed
holder's lock is released; a holder stalled past its lease cannot write after a takeover."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from tests_paths import ROOT, SAMPLE

from shopsync.erp_io import read_erp_customers
from shopsync.errors import UserInputError
from shopsync.lock import EXPIRY_VARIABLE, LockLost, ShopLock, ShopLocked
from shopsync.store import locks, meta, open_store

HOLDER = Path(__file__).with_name("lock_holder.py")


def shopsync_sync(db_url: str, folder: Path, *options: str, **env: str) -> subprocess.Popen:
    """``shopsync sync`` of the sample shop on its emulator, in its own process."""
    command = [sys.executable, "-m", "shopsync.cli", "sync", "--config", str(SAMPLE / "shop.toml")]
    command += ["--emulator", str(SAMPLE), "--db", db_url, "--reports", str(folder / "reports")]
    return _start([*command, "--no-progress", *options], folder, env)


def lock_holder(db_url: str, folder: Path, expiry: float, stop_after: int, where: str):
    command = [sys.executable, str(HOLDER), db_url, str(expiry), str(stop_after), where]
    return _start(command, folder, {})


def _start(command: list[str], folder: Path, env: dict[str, str]) -> subprocess.Popen:
    environment = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'tests'}", **env}
    return subprocess.Popen(
        command, cwd=folder, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def finished(process: subprocess.Popen, timeout: float = 120) -> tuple[int, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out + err


def wait_until(condition, timeout: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def holder_of(engine) -> str | None:
    with engine.connect() as conn:
        return conn.execute(select(locks.c.holder).where(locks.c.shop_code == "DEMO")).scalar()


def is_stopped(process: subprocess.Popen) -> bool:
    stat = Path(f"/proc/{process.pid}/stat").read_text()
    return stat.rsplit(")", 1)[1].split()[0] == "T"


def in_transaction(engine, db_url: str) -> bool:
    """Whether another session holds an open transaction on the store."""
    if engine.dialect.name == "sqlite":
        return Path(engine.url.database + "-journal").exists()
    with engine.connect() as conn:
        return bool(
            conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'"
                )
            ).scalar()
        )


def pause_between_transactions(process: subprocess.Popen, engine, db_url: str) -> None:
    """SIGSTOP the process at a moment it holds no transaction open on the store."""
    for _ in range(400):
        process.send_signal(signal.SIGSTOP)
        wait_until(lambda: is_stopped(process), 5, "the process to stop")
        if not in_transaction(engine, db_url):
            return
        process.send_signal(signal.SIGCONT)
        time.sleep(0.02)
    raise AssertionError("the process never paused outside a transaction")


def batches_written(engine) -> list[str]:
    with engine.connect() as conn:
        keys = conn.execute(select(meta.c.key).where(meta.c.key.like("batch-%"))).scalars()
        return sorted(keys)


QUICK = ("--direction", "export", "--customers", "C00010")  # a short sync: one ERP customer


@pytest.fixture
def engine(db_url):
    store = open_store(db_url)  # created at the head before the processes start
    store.save_erp_customers(read_erp_customers(SAMPLE / "erp_customers.csv").customers)
    store.engine.dispose()
    engine = create_engine(db_url)
    yield engine
    engine.dispose()


@pytest.mark.slow
def test_two_syncs_of_one_shop_one_runs_and_the_other_refuses(db_url, engine, tmp_path):
    first = shopsync_sync(db_url, tmp_path)
    wait_until(lambda: holder_of(engine) is not None, what="the first sync to take the lock")
    pause_between_transactions(first, engine, db_url)  # keep it running, holding the lock

    second = shopsync_sync(db_url, tmp_path)
    code, output = finished(second)
    first.send_signal(signal.SIGCONT)
    assert code == 1
    assert "ShopLocked: another sync of shop DEMO is running (holder " in output
    assert f":{first.pid}:" in output  # names the holder: host, process id, token

    code, output = finished(first)
    assert code == 0, output
    assert holder_of(engine) is None  # released at the end
    assert open_store(db_url).runs()["status"].tolist() == ["succeeded"]


@pytest.mark.slow
def test_a_killed_sync_leaves_the_lock_to_the_next_sync(db_url, engine, tmp_path):
    first = shopsync_sync(db_url, tmp_path)
    wait_until(lambda: holder_of(engine) is not None, what="the first sync to take the lock")
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert f":{first.pid}:" in holder_of(engine)  # the dead holder's row is still there

    code, output = finished(shopsync_sync(db_url, tmp_path, *QUICK))
    assert code == 0, output
    assert holder_of(engine) is None


@pytest.mark.slow
def test_a_holder_stalled_past_its_lease_cannot_write_after_a_takeover(db_url, engine, tmp_path):
    holder = lock_holder(db_url, tmp_path, expiry=2, stop_after=3, where="between")
    wait_until(lambda: is_stopped(holder), what="the holder to stall after 3 batches")
    assert batches_written(engine) == ["batch-1", "batch-2", "batch-3"]
    with pytest.raises(ShopLocked, match="another sync of shop DEMO is running"):
        ShopLock(open_store(db_url), "DEMO").acquire()  # its lease still runs
    time.sleep(2.5)  # the lease ran out; the process is alive, only stalled

    code, output = finished(shopsync_sync(db_url, tmp_path, *QUICK))
    assert code == 0, output  # took the lock over
    holder.send_signal(signal.SIGCONT)
    code, output = finished(holder)
    assert code == 3 and "LockLost the lock on shop DEMO expired and another sync" in output
    assert batches_written(engine) == ["batch-1", "batch-2", "batch-3"]  # nothing after


def test_a_holder_stalled_inside_a_batch_never_commits_it_after_a_takeover(
    db_url, engine, tmp_path
):
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: on SQLite the stalled batch keeps the file locked")
    holder = lock_holder(db_url, tmp_path, expiry=2, stop_after=3, where="inside")
    wait_until(lambda: is_stopped(holder), what="the holder to stall inside batch 4")

    started = time.monotonic()  # at once: waits on the stalled batch's row until the server
    taker = ShopLock(open_store(db_url), "DEMO")  # ends that transaction, then judges the
    taker.acquire()  # lease as it is by then (run out), not as it was when the wait began
    assert 1.5 < time.monotonic() - started < 10
    taker.release()
    code, output = finished(shopsync_sync(db_url, tmp_path, *QUICK))
    assert code == 0, output  # a sync runs
    holder.send_signal(signal.SIGCONT)
    code, output = finished(holder)
    assert code == 4, output  # the server ended the stalled transaction: the commit failed
    assert batches_written(engine) == ["batch-1", "batch-2", "batch-3"]  # batch 4 never landed


@pytest.mark.slow
def test_on_sqlite_a_holder_stalled_inside_a_batch_keeps_the_lock(db_url, engine, tmp_path):
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    holder = lock_holder(db_url, tmp_path, expiry=1, stop_after=3, where="inside")
    wait_until(lambda: is_stopped(holder), what="the holder to stall inside batch 4")
    time.sleep(1.5)  # past its lease, but its open batch holds the store's file
    with pytest.raises(ShopLocked, match="is writing to the store; try again when it ends"):
        ShopLock(open_store(db_url), "DEMO").acquire()
    holder.send_signal(signal.SIGCONT)
    code, output = finished(holder)
    assert code == 0, output  # still the holder: it finishes, nobody else wrote
    assert batches_written(engine) == [f"batch-{n}" for n in range(1, 7)]


def test_a_run_whose_lock_was_taken_over_stops_at_its_next_beat(store):
    now = [0.0]
    first = ShopLock(store, "DEMO", expiry=10, clock=lambda: now[0])
    first.acquire()
    now[0] = 11
    ShopLock(store, "DEMO", expiry=10, clock=lambda: now[0]).acquire()
    with pytest.raises(LockLost, match="another sync took it over"):
        first.beat()
    with pytest.raises(LockLost), store.transaction() as conn:
        first.check(conn)


def test_the_lease_comes_from_the_environment(store, monkeypatch):
    monkeypatch.setenv(EXPIRY_VARIABLE, "7.5")
    assert ShopLock(store, "DEMO").expiry == 7.5
    monkeypatch.setenv(EXPIRY_VARIABLE, "soon")
    with pytest.raises(UserInputError, match="SHOPSYNC_LOCK_EXPIRY='soon'"):
        ShopLock(store, "DEMO")
