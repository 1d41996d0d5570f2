"""Builders for sync tests: a store with the sample ERP, an emulator and a client on one clock."""

from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from tests_paths import SAMPLE

from shopsync.emulator import Emulator
from shopsync.erp_io import read_erp_customers
from shopsync.settings import ShopConfig, load_config
from shopsync.shopify import ShopifyClient
from shopsync.store import Store, open_store

MUTATIONS = ("Set", "Update", "Create", "Invite", "Delete", "BulkRun", "StagedUploads")
#: a sync's options for tests: no progress bars, bulk operations polled twice a second
QUIET = {"progress": False, "bulk_poll_seconds": 0.5}
SEARCH_LAG = 2.0  # seconds (emulator clock) before a write shows in customers(query:)


class FakeClock:
    """Time that passes only when someone sleeps: the client and the emulator share it, so
    rate limits and back-offs cost no real time."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)


def lagging_emulator(clock: FakeClock, **options) -> Emulator:
    """The sample shop on ``clock``, its search lagging SEARCH_LAG behind writes, as
    Shopify's does."""
    return Emulator(
        data_dir=SAMPLE, clock=clock, sleep=clock.sleep, search_delay=SEARCH_LAG, **options
    )


def sample_store(where: Path | str, config: ShopConfig, erp_file: Path | None = None) -> Store:
    """A store (a SQLite file path, or any store URL: the ``db_url`` fixture's) initialised
    for the shop, with the sample ERP customers."""
    url = where if isinstance(where, str) and "://" in where else f"sqlite:///{where}"
    store = open_store(url)
    store.initialise(config)
    store.save_erp_customers(read_erp_customers(erp_file or SAMPLE / "erp_customers.csv").customers)
    return store


def cli_store(tmp_path: Path, erp_file: Path | None = None) -> tuple[str, str]:
    """A store made through the CLI as a user makes one (``init``, then ``load-erp`` of the
    sample ERP file or ``erp_file``): (its URL, the sample shop's config path)."""
    from shopsync.cli import main

    db = f"sqlite:///{tmp_path / 'cli.db'}"
    config = str(SAMPLE / "shop.toml")
    assert main(["init", "--config", config, "--db", db]) == 0
    assert main(["load-erp", str(erp_file or SAMPLE / "erp_customers.csv"), "--db", db]) == 0
    return db, config


def sample_config(name: str = "shop.toml", **changes) -> ShopConfig:
    config = load_config(SAMPLE / name)
    return replace(config, shop=config.shop.with_changes(**changes)) if changes else config


@contextmanager
def served(emulator: Emulator, config: ShopConfig, clock: FakeClock | None = None):
    """(config pointing at the served emulator, a client factory)."""
    with emulator.serve() as server:
        shop_config = replace(config, shop=config.shop.with_changes(url=server.url))

        def client(**options) -> ShopifyClient:
            if clock is not None:
                options.setdefault("sleep", clock.sleep)
                options.setdefault("clock", clock)
            return ShopifyClient(server.url, "test-token", **options)

        yield shop_config, client


def run_sync(store: Store, shop, tmp_path: Path, **options):
    """One sync of ``shop`` ((config, client factory), as ``served`` gives) with a new client,
    quiet, reports in tmp_path; returns (result, the client)."""
    from shopsync.sync import SyncOptions, sync_shop

    config, client_factory = shop
    client = client_factory()
    options = {**QUIET, **options}
    result = sync_shop(
        config, store, client, SyncOptions(report_dir=tmp_path / "reports", **options)
    )
    return result, client


def mutations(client: ShopifyClient) -> dict[str, int]:
    """The write operations a client sent."""
    return {
        name: count
        for name, count in client.stats.by_operation.items()
        if any(word in name for word in MUTATIONS) and name != "BulkRunQuery"  # a read
    }


def shopify_state(emulator: Emulator) -> list[tuple]:
    """Shopify's customers as comparable facts (no generated ids or timestamps)."""
    facts = []
    for customer in emulator.customers():
        address = (customer.get("addressesV2") or {}).get("nodes") or [{}]
        first = address[0] if address else {}
        facts.append(
            (
                ((customer.get("defaultEmailAddress") or {}).get("emailAddress") or ""),
                ((customer.get("defaultPhoneNumber") or {}).get("phoneNumber") or ""),
                customer.get("firstName") or "",
                customer.get("lastName") or "",
                first.get("address1") or "",
                first.get("city") or "",
                first.get("countryCodeV2") or "",
            )
        )
    return sorted(facts)


def erp_state(store: Store, shop: str) -> list[tuple]:
    """ERP customers with the e-mail of the Shopify customer they are linked to (numbers of
    created customers are left out: they depend on creation order)."""
    mirror = store.shopify_mirror(shop).customers.set_index("shopify_id")
    linked_email = {
        no: mirror.at[sid, "email"] for sid, no in store.links(shop).items() if sid in mirror.index
    }
    facts = []
    for row in store.erp_customers().to_dict("records"):
        number = "" if row["no"].startswith("SHOP") else row["no"]
        linked = linked_email.get(row["no"], "")
        facts.append((number, row["name"], row["email"], row["phone"], row["city"], linked))
    return sorted(facts)


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path
