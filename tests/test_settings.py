"""Shop settings: BC defaults, the TOML format, every problem reported at once."""

from __future__ import annotations

import pytest

from shopsync.errors import ConfigError
from shopsync.settings import ShopSettings, load_config, parse_config

ISSUE_EXAMPLE = """
[shop]
code = "DEMO"
url = "http://127.0.0.1:8787"
customer_import = "all_customers"
[company]
country_code = "US"
[erp_countries]
EL = "GR"
[[templates]]
code = "DOMESTIC"
gen_bus_posting_group = "DOMESTIC"
customer_posting_group = "DOMESTIC"
vat_bus_posting_group = "DOMESTIC"
[[templates]]
code = "EU"
gen_bus_posting_group = "EU"
customer_posting_group = "FOREIGN"
vat_bus_posting_group = "EU"
[[countries]]
iso_code = "GR"
customer_template_code = "EU"
default_customer_no = ""
[[tax_areas]]
country = "GR"
province = "Attica"
province_code = "I"
tax_area_code = "GR-ATT"
tax_liable = false
"""


def write(tmp_path, text):
    path = tmp_path / "shop.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_are_business_centrals():
    s = ShopSettings(code="X", url="https://x.myshopify.com")
    assert s.customer_import == "with_order_import"
    assert s.mapping_type == "by_email_phone"
    assert (s.name_source, s.name_2_source) == ("company_name", "first_and_last_name")
    assert s.contact_source == "first_and_last_name"
    assert s.county_source == "code"
    assert s.api_version == "2026-07"
    assert s.phone_match == "e164"
    assert not any(
        [
            s.shopify_can_update_customers,
            s.can_update_shopify_customers,
            s.auto_create_unknown_customers,
            s.export_customers,
            s.send_invites,
        ]
    )


def test_the_issue_example_loads(tmp_path):
    config = load_config(write(tmp_path, ISSUE_EXAMPLE))
    assert config.shop.code == "DEMO"
    assert config.shop.customer_import == "all_customers"
    assert config.company_country == "US"
    assert config.erp_countries == {"EL": "GR"}
    assert config.templates["DOMESTIC"].missing_fields() == []
    assert config.countries["GR"].customer_template_code == "EU"
    assert config.tax_areas[0].province_code == "I"
    assert config.template_for("GR").code == "EU"
    assert config.template_for("US") is None  # no shop template


def test_every_problem_is_listed_at_once(tmp_path):
    text = """
[shop]
code = "DEMO"
url = "ftp://example.com"
mapping_type = "by_phone"
shopify_can_update_customers = true
can_update_shopify_customers = true
send_invites = "yes"
colour = "blue"
[extra]
x = 1
[[countries]]
iso_code = "XX"
"""
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    problems = "\n".join(info.value.problems)
    assert len(info.value.problems) == 7
    for expected in [
        "unknown section [extra]",
        "unknown key 'colour'",
        "mapping_type = 'by_phone'",
        "exclude each other",
        "send_invites: expected true or false",
        "url = 'ftp://example.com'",
        "iso_code 'XX'",
    ]:
        assert expected in problems
    assert str(info.value).startswith(str(tmp_path / "shop.toml"))


def test_a_token_in_the_file_is_refused_without_echoing_it(tmp_path):
    text = '[shop]\ncode = "D"\nurl = "https://d.myshopify.com"\naccess_token = "shpat_0123"\n'
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    assert "SHOPIFY_ACCESS_TOKEN" in str(info.value)
    assert "shpat_0123" not in str(info.value)


@pytest.mark.parametrize(
    "url, ok",
    [
        ("https://my-shop.myshopify.com", True),
        ("http://127.0.0.1:8787", True),
        ("http://localhost:9000", True),
        ("http://my-shop.myshopify.com", False),
        ("https://evil.example.com", False),
        ("http://127.0.0.1", False),
        ("https://my-shop.myshopify.com/admin", False),
    ],
)
def test_shop_url_must_be_shopify_or_loopback(url, ok):
    raw = {"shop": {"code": "D", "url": url}}
    if ok:
        assert parse_config(raw).shop.url == url
    else:
        with pytest.raises(ConfigError):
            parse_config(raw)


def test_turning_one_update_direction_on_turns_the_other_off():
    s = ShopSettings(code="X", url="https://x.myshopify.com", shopify_can_update_customers=True)
    t = s.with_changes(can_update_shopify_customers=True)
    assert t.can_update_shopify_customers and not t.shopify_can_update_customers
    u = t.with_changes(shopify_can_update_customers=True)
    assert u.shopify_can_update_customers and not u.can_update_shopify_customers


def test_with_changes_validates():
    s = ShopSettings(code="X", url="https://x.myshopify.com")
    with pytest.raises(ConfigError, match="county_source"):
        s.with_changes(county_source="province")


def test_template_references_must_exist():
    raw = {
        "shop": {"code": "D", "url": "https://d.myshopify.com", "customer_template_code": "NOPE"},
        "countries": [{"iso_code": "DE", "customer_template_code": "ALSO_NOPE"}],
    }
    with pytest.raises(ConfigError) as info:
        parse_config(raw)
    assert len(info.value.problems) == 2


def test_incomplete_template_is_loaded_but_knows_what_it_lacks():
    raw = {
        "shop": {"code": "D", "url": "https://d.myshopify.com"},
        "templates": [{"code": "HALF", "gen_bus_posting_group": "EU"}],
    }
    template = parse_config(raw).templates["HALF"]
    assert template.missing_fields() == ["vat_bus_posting_group", "customer_posting_group"]


def test_unreadable_files_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[shop\n"))
