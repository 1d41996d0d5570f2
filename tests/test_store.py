"""The store: schema, seeding, config, ERP customers; re-running init is harmless."""

from __future__ import annotations

import pandas as pd
import pytest

from shopsync.errors import UserInputError
from shopsync.schema import ERP_COLUMNS, ERP_CUSTOMER_COLUMNS
from shopsync.settings import parse_config
from shopsync.store import open_store, resolve_db_url

CONFIG = parse_config(
    {
        "shop": {"code": "DEMO", "url": "http://127.0.0.1:8787", "customer_template_code": "DOM"},
        "company": {"country_code": "US"},
        "erp_countries": {"EL": "GR", "XK": ""},
        "templates": [{"code": "DOM", "gen_bus_posting_group": "D"}],
        "countries": [{"iso_code": "GR", "default_customer_no": "C9"}],
        "tax_areas": [{"country": "GR", "province": "Attica", "tax_area_code": "GR-ATT"}],
    }
)


def customers(*rows):
    frame = pd.DataFrame([{c: "" for c in ERP_COLUMNS} | r for r in rows])
    frame["tax_liable"] = False
    return frame


def test_init_seeds_countries_and_provinces_and_is_repeatable(store):
    first = store.initialise()
    assert first["countries"] >= 240 and first["tax_areas"] > 1000
    before = store.table_counts()
    second = store.initialise()
    assert second == {"countries": 0, "tax_areas": 0}
    assert store.table_counts() == before
    iso = store.country_iso_map()
    assert iso["DE"] == "DE" and iso["JP"] == "JP"
    provinces = store.tax_area_table()
    canada = provinces[provinces["country"] == "CA"].set_index("province")
    assert canada.at["Ontario", "province_code"] == "ON"


def test_config_maps_erp_codes_and_saves_the_shop(store):
    store.initialise()
    store.initialise(CONFIG)
    iso = store.country_iso_map()
    assert iso["EL"] == "GR" and "GR" not in iso  # the ERP spells Greece EL
    assert iso["XK"] == ""  # an ERP country without ISO code
    assert store.company_country() == "US"
    assert store.shop_settings("DEMO") == CONFIG.shop
    assert store.shop_settings("OTHER") is None
    attica = store.tax_area_table().set_index(["country", "province"]).loc[("GR", "Attica")]
    assert attica["tax_area_code"] == "GR-ATT" and attica["source"] == "config"
    assert store.templates_table()["code"].tolist() == ["DOM"]
    counts = store.table_counts()
    store.initialise(CONFIG)
    assert store.table_counts() == counts


def test_erp_customers_insert_update_unchanged(store):
    first = store.save_erp_customers(customers({"no": "C1", "name": "A"}, {"no": "C2"}))
    assert first == {"inserted": 2, "updated": 0, "unchanged": 0}
    second = store.save_erp_customers(customers({"no": "C1", "name": "B"}, {"no": "C2"}))
    assert second == {"inserted": 0, "updated": 1, "unchanged": 1}
    saved = store.erp_customers()
    assert list(saved.columns) == list(ERP_CUSTOMER_COLUMNS)
    assert saved.set_index("no").at["C1", "name"] == "B"


def test_empty_store_gives_an_empty_frame_with_the_columns(store):
    frame = store.erp_customers()
    assert frame.empty and list(frame.columns) == list(ERP_CUSTOMER_COLUMNS)


def test_blocked_is_kept_when_a_file_without_it_is_loaded(store, tmp_path):
    from shopsync.erp_io import read_erp_customers

    first = tmp_path / "first.csv"
    first.write_text("No.,Name,Blocked\nC1,A,All\nC2,B,\n", encoding="utf-8")
    erp = read_erp_customers(first)
    store.save_erp_customers(erp.customers, erp.columns)
    later = tmp_path / "later.csv"
    later.write_text("No.,Name\nC1,A2\nC2,B\n", encoding="utf-8")
    erp = read_erp_customers(later)
    counts = store.save_erp_customers(erp.customers, erp.columns)
    assert counts == {"inserted": 0, "updated": 1, "unchanged": 1}
    saved = store.erp_customers().set_index("no")
    assert saved["blocked"].tolist() == ["All", ""] and saved.at["C1", "name"] == "A2"
    # a frame without the column (the Python API, older callers): new customers not blocked
    store.save_erp_customers(customers({"no": "C3"}))
    assert store.erp_customers().set_index("no").at["C3", "blocked"] == ""


def test_db_url_comes_from_argument_then_environment(monkeypatch):
    monkeypatch.delenv("SHOPSYNC_DB", raising=False)
    assert resolve_db_url() == "sqlite:///data/shopsync.db"
    monkeypatch.setenv("SHOPSYNC_DB", "sqlite:///x.db")
    assert resolve_db_url() == "sqlite:///x.db"
    assert resolve_db_url("sqlite:///y.db") == "sqlite:///y.db"


def test_bad_urls_are_user_errors(tmp_path):
    with pytest.raises(UserInputError, match="not a database URL"):
        open_store("not a url")
    with pytest.raises(UserInputError):
        open_store("nosuchdriver://x/y")


def test_a_postgresql_url_without_the_driver_says_which_extra_to_install(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name: None if name == "psycopg" else real(name)
    )
    with pytest.raises(UserInputError, match=r"pip install 'shopsync\[postgres\]'"):
        open_store("postgresql://shopsync@127.0.0.1:1/shopsync")


def test_a_log_row_keeps_every_reason_code_of_its_record(store):
    reasons = "EMAIL_MISSING;PHONE_INVALID;COUNTRY_NOT_IN_ERP;SHOPIFY_UNAVAILABLE"
    run_id = store.start_run("DEMO", "export", {})
    row = {"side": "export", "record": "C1", "outcome": "failed", "reason": reasons}
    store.log(run_id, [{**row, "message": "all of them"}])
    assert store.run_log(run_id)["reason"].tolist() == [reasons]
