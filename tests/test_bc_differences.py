"""The README's table of deliberate differences from Business Central stays true to the code."""

from __future__ import annotations

import dataclasses
import re

from factories import context, customer, erp, shopify
from tests_paths import ROOT

from shopsync.errors import ConfigError
from shopsync.mapping import plan_import
from shopsync.reasons import REASONS
from shopsync.settings import ShopSettings

SECTION = "## Where shopsync differs from Business Central, and why"
BASE = ShopSettings(code="D", url="http://127.0.0.1:8787")


def accepts(name: str, value: str) -> bool:
    """Whether the shop setting ``name`` takes ``value`` (the settings' own validation)."""
    try:
        BASE.with_changes(**{name: value})
    except (ConfigError, TypeError):
        return False
    return True


def rows() -> list[dict[str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert SECTION in text, "the README lost its section on differences from BC"
    body = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    lines = [line for line in body.splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    assert header == ["rule", "Business Central", "shopsync", "why", "switch"]
    return [
        dict(zip(header, (cell.strip() for cell in line.strip("|").split("|")), strict=True))
        for line in lines[2:]
    ]


def switches() -> dict[str, str]:
    found = {}
    for row in rows():
        for name, value in re.findall(r'`(\w+) = "(\w+)"`', row["switch"]):
            found[name] = value
    return found


def test_every_row_says_what_bc_does_what_shopsync_does_and_why():
    table = rows()
    assert len(table) >= 15
    for row in table:
        assert row["rule"] and row["Business Central"] and row["shopsync"] and row["why"], row


def test_every_switch_named_is_a_setting_whose_non_default_value_restores_bc():
    for name, value in switches().items():
        assert hasattr(BASE, name), f"{name} is not a shop setting"
        assert accepts(name, value), (name, value)
        assert getattr(BASE, name) != value, f"{name} = {value!r} is already the default"


def test_every_bc_compatibility_setting_is_in_the_table():
    # a setting with a fixed list of choices refuses an unknown value; one of them is "bc"
    text_settings = [f.name for f in dataclasses.fields(ShopSettings) if f.type == "str"]
    choices = [name for name in text_settings if not accepts(name, "no-such-choice")]
    compat = {name for name in choices if accepts(name, "bc")}
    assert compat and compat <= set(switches())


def test_the_phone_match_switch_brings_bcs_rule_back():
    # BC's own example (Shpfy Customer Mapping.CreatePhoneFilter): +1 234 56789 -> *1*2*...*9
    shop = shopify(customer(1, None, "+1 234 56789"))
    customers = erp({"no": "C1", "phone": "123456789"})
    value = switches()["phone_match"]
    as_bc = plan_import(shop, customers, context(phone_match=value)).iloc[0]
    default = plan_import(shop, customers, context()).iloc[0]
    assert (as_bc["customer_no"], as_bc["rule"]) == ("C1", "phone")
    assert default["rule"] == "none"


def test_reason_codes_the_table_names_exist():
    named = set()
    for row in rows():
        named |= set(re.findall(r"`([A-Z]{3,}(?:_[A-Z0-9]+)+)`", " ".join(row.values())))
    assert named and named <= set(REASONS)
