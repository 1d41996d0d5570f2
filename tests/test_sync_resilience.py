"""Sync runs survive faults and crashes: same end state as a clean run, no duplicates."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace

import pytest
from sync_helpers import (
    FakeClock,
    erp_state,
    mutations,
    sample_config,
    sample_store,
    served,
    shopify_state,
    write_jsonl,
)
from tests_paths import ROOT, SAMPLE

from benchmarks.rate_limit import write_erp_file
from shopsync.emulator import Emulator
from shopsync.store import open_store
from shopsync.sync import SyncOptions, sync_shop

pytestmark = pytest.mark.slow  # fault-injected and killed runs: 17-260 s each on 2 loaded cores

TEN_PERCENT_OF_EVERY_KIND = (
    "500=0.015,502=0.015,503=0.015,429=0.015,drop_before=0.015,drop_after=0.015,slow=0.01,"
    "slow_seconds=0.01,retry_after=0.01,internal=0.015,bulk_limit=0.015,url_expired=0.015"
)


def many_customers(directory, count):
    """``count`` Shopify customers and ``count`` other ERP customers, all valid and distinct."""
    directory.mkdir(parents=True, exist_ok=True)
    shopify = []
    for i in range(count):
        address = {
            "id": f"gid://shopify/MailingAddress/{900000 + i}?model_name=CustomerAddress",
            "firstName": f"Shop{i}",
            "lastName": "Buyer",
            "address1": f"Kade {i}",
            "zip": "1011 AB",
            "city": "Amsterdam",
            "countryCodeV2": "NL",
            "country": "Netherlands",
        }
        shopify.append(
            {
                "id": f"gid://shopify/Customer/{500000 + i}",
                "firstName": f"Shop{i}",
                "lastName": "Buyer",
                "defaultEmailAddress": {"emailAddress": f"shop{i}@buyers.example"},
                "defaultPhoneNumber": {"phoneNumber": f"+3161{i:07d}"},
                "createdAt": "2026-02-01T00:00:00Z",
                "updatedAt": "2026-02-02T00:00:00Z",
                "defaultAddress": {"id": address["id"]},
                "addressesV2": {"nodes": [address]},
            }
        )
    write_jsonl(directory / "customers.jsonl", shopify)
    erp_file = write_erp_file(directory / "erp.csv", count)
    return directory, erp_file


@pytest.mark.timeout(1200)  # 2 x 4,000 records, each create looked up exactly first
def test_ten_percent_faults_of_every_kind_give_the_clean_end_state(tmp_path):
    data, erp_file = many_customers(tmp_path / "data", 2000)
    # creates one by one, so the faults hit thousands of requests (a bulk import needs few)
    config = sample_config(send_invites=False, bulk_mutation_threshold=100_000)
    ends = []
    for name, faults in [("clean", None), ("faulty", TEN_PERCENT_OF_EVERY_KIND)]:
        clock = FakeClock()
        emulator = Emulator(data_dir=data, clock=clock, sleep=clock.sleep, faults=faults, seed=3)
        with served(emulator, config, clock) as (shop_config, client_factory):
            store = sample_store(tmp_path / f"{name}.db", shop_config, erp_file)
            client = client_factory(timeout=5)
            options = SyncOptions(progress=False, report_dir=None, bulk_poll_seconds=0.5)
            result = sync_shop(shop_config, store, client, options)
        assert result.counts["failed"] == 0, result.records.query("outcome == 'failed'")
        assert result.counts["created"] == 4000  # 2,000 each way
        if faults:
            assert client.stats.retries > 100  # the faults really happened
        ends.append((shopify_state(emulator), erp_state(store, "DEMO")))
    assert ends[0] == ends[1]
    assert len(ends[0][0]) == 4000 and len(ends[0][1]) == 4000


SYNC_SCRIPT = """
import sys
from shopsync.sync import sync
sync(sys.argv[1], db=sys.argv[2], progress=False, report_dir=None, bulk_poll_seconds=0.05)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_killed_runs_resume_without_duplicates_or_losses(tmp_path):
    def end_state_after(kills, faults, db_name):
        emulator = Emulator(data_dir=SAMPLE, shopify_plan="plus", faults=faults, seed=5)
        config = sample_config()
        with served(emulator, config) as (shop_config, client_factory):
            store = sample_store(tmp_path / db_name, shop_config)
            config_file = tmp_path / f"{db_name}.toml"
            text = (
                (SAMPLE / "shop.toml")
                .read_text()
                .replace('url = "http://127.0.0.1:8787"', f'url = "{shop_config.shop.url}"')
            )
            config_file.write_text(text)
            db_url = f"sqlite:///{tmp_path / db_name}"
            for requests in kills:  # kill each run once it has sent this many requests
                target = emulator.requests_served + requests
                process = subprocess.Popen(
                    [sys.executable, "-c", SYNC_SCRIPT, str(config_file), db_url],
                    cwd=ROOT,
                    env={**os.environ, "PYTHONPATH": str(ROOT)},
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                deadline = time.monotonic() + 120
                while emulator.requests_served < target and process.poll() is None:
                    assert time.monotonic() < deadline, "the run made no progress"
                    time.sleep(0.005)
                process.send_signal(signal.SIGKILL)
                process.wait()
            emulator.faults = None
            store = open_store(db_url)
            if kills:  # the kills really interrupted runs that had done part of their work
                runs = store.runs("DEMO")
                assert runs["status"].isin(["running", "interrupted"]).sum() >= 3
                assert len(store.links("DEMO")) > 0
                assert len(emulator.customers()) > 196  # some creates reached Shopify
            final = sync_shop(
                shop_config,
                store,
                client_factory(),
                SyncOptions(progress=False, report_dir=None, bulk_poll_seconds=0.05),
            )
            assert final.counts["failed"] == 0
            again_client = client_factory()
            sync_shop(
                shop_config, store, again_client, SyncOptions(progress=False, report_dir=None)
            )
            assert mutations(again_client) == {}  # nothing was left half done
            links = store.links("DEMO")
            assert len(set(links.values())) == len(links)  # one Shopify customer per ERP one
            return shopify_state(emulator), erp_state(store, "DEMO")

    clean = end_state_after([], None, "clean.db")
    # kills during the import (bulk query), the export's updates and creates and the invites,
    # with answers lost after Shopify applied the write (drop_after)
    crashed = end_state_after([3, 40, 120, 200, 260, 330], "drop_after=0.1", "crashed.db")
    assert crashed == clean
    emails = [row[0] for row in crashed[0] if row[0]]
    assert len(emails) == len(set(emails))


def test_a_killed_run_leaves_the_lock_to_the_next_run(tmp_path):
    config = sample_config()
    store = sample_store(tmp_path / "s.db", config)
    from shopsync.lock import ShopLock

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    lock = ShopLock(store, "DEMO")
    lock.holder = f"{__import__('socket').gethostname()}:{child.pid}:test"
    lock.acquire()
    child.send_signal(signal.SIGKILL)
    child.wait()
    clock = FakeClock()
    emulator = Emulator(data_dir=SAMPLE, clock=clock, sleep=clock.sleep)
    with served(emulator, config, clock) as (shop_config, client_factory):
        result = sync_shop(
            replace(shop_config),
            store,
            client_factory(),
            SyncOptions(progress=False, report_dir=None),
        )
    assert result.status == "succeeded"
