"""The Shopify-source registry: one vocabulary (emulator, live, store, a JSONL file) for all."""

from __future__ import annotations

import pandas as pd
import pytest

from shopsync.cli import main
from shopsync.errors import UnknownSource, UserInputError
from shopsync.notebook import SyncJob, load_shopify, open_shop
from shopsync.shopify_io import read_shopify_customers
from shopsync.sources import SYNC_SOURCES, ShopifySource, load_shopify_customers, resolve_source
from tests.tests_paths import SAMPLE

CUSTOMERS = SAMPLE / "customers.jsonl"


def test_names_files_and_the_default_resolve():
    assert resolve_source("emulator") == ShopifySource("emulator")
    assert resolve_source(" live ") == ShopifySource("live")
    assert resolve_source(None) == resolve_source("") == ShopifySource("store")
    assert resolve_source(str(CUSTOMERS)) == ShopifySource("file", CUSTOMERS)
    assert resolve_source(CUSTOMERS).path == CUSTOMERS


def test_an_unknown_source_is_a_named_user_error_listing_the_known_ones(tmp_path):
    with pytest.raises(UnknownSource) as caught:
        resolve_source("emulater")
    assert isinstance(caught.value, UserInputError)  # the CLI prints it as one line, exit 2
    assert caught.value.known == ("emulator", "live", "store")
    said = str(caught.value)
    assert "'emulater'" in said and "emulator, live, store" in said and "JSONL file" in said
    with pytest.raises(UnknownSource, match=r"missing\.jsonl' is not known \(no such file\)"):
        resolve_source(str(tmp_path / "missing.jsonl"))


def test_a_sync_refuses_the_sources_it_cannot_write_to():
    with pytest.raises(UnknownSource) as caught:
        resolve_source("store", allowed=SYNC_SOURCES)
    assert caught.value.known == SYNC_SOURCES and "JSONL" not in str(caught.value)
    with pytest.raises(UnknownSource, match="emulator, live"):
        SyncJob(SAMPLE / "shop.toml", shopify="store")


def test_every_source_gives_the_same_customers_where_it_should(tmp_path):
    config, store = open_shop(SAMPLE / "shop.toml", f"sqlite:///{tmp_path / 's.db'}")
    from_file = load_shopify_customers(config, store, str(CUSTOMERS))
    expected = read_shopify_customers(CUSTOMERS)
    pd.testing.assert_frame_equal(from_file.customers, expected.customers)
    assert load_shopify_customers(config, store, "store").customers.empty  # a new mirror
    emulated = load_shopify_customers(config, store, "emulator")  # the sample shop
    assert sorted(emulated.customers["shopify_id"]) == sorted(expected.customers["shopify_id"])
    # the notebooks' name for it is the same registry
    via_notebook = load_shopify(config, store, str(CUSTOMERS))
    pd.testing.assert_frame_equal(via_notebook.customers, expected.customers)


def test_the_command_line_refuses_an_unknown_source_in_one_line(tmp_path, capsys):
    out = tmp_path / "plan.csv"
    args = ["--config", str(SAMPLE / "shop.toml"), "--out", str(out), "--db", "sqlite://"]
    assert main(["preview-import", *args, "--shopify", "livee"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("shopsync: error: Shopify source 'livee' is not known: use emulator")
    assert not out.exists()


def test_the_erp_file_read_beside_the_shopify_reports_as_if_read_after(tmp_path, capsys):
    # the --erp file is read in a second thread while the Shopify customers load: the user
    # still sees the Shopify source's error first, then the file's error, then its notes
    out = tmp_path / "plan.csv"
    args = ["--config", str(SAMPLE / "shop.toml"), "--out", str(out), "--db", "sqlite://"]
    missing = str(tmp_path / "no-such-erp.csv")
    assert main(["preview-import", *args, "--shopify", "livee", "--erp", missing]) == 2
    assert capsys.readouterr().err.startswith("shopsync: error: Shopify source 'livee'")
    shopify = ["--shopify", str(SAMPLE / "customers.jsonl")]
    assert main(["preview-import", *args, *shopify, "--erp", missing]) == 2
    assert "no-such-erp.csv" in capsys.readouterr().err
    assert not out.exists()
    erp = tmp_path / "erp.csv"
    erp.write_text("No.;Name;City\nC1;Contoso;" + "x" * 31 + "\n")
    assert main(["preview-import", *args, *shopify, "--erp", str(erp)]) == 0
    printed = capsys.readouterr().out
    assert printed.index("row 2 (C1) city: VALUE_TOO_LONG") < printed.index("Import plan")
    assert out.exists()
