"""The notebook panels in plain pytest: build, change a setting, press a button, see the result."""

from __future__ import annotations

import pandas as pd
import pytest

from shopsync.errors import UserInputError
from shopsync.notebook import (
    ImportPreview,
    SyncJob,
    load_erp_into_store,
    load_shopify,
    open_shop,
    validation_report,
)
from shopsync.widgets import PreviewPanel, SyncPanel, ValidationPanel
from tests.tests_paths import SAMPLE

ERP = SAMPLE / "erp_customers.csv"


@pytest.fixture
def shop(tmp_path):
    return open_shop(SAMPLE / "shop.toml", f"sqlite:///{tmp_path / 'store.db'}")


@pytest.fixture
def preview(shop):
    config, store = shop
    customers = load_shopify(config, store, str(SAMPLE / "customers.jsonl"))
    return ImportPreview(
        config, store, customers, erp_file=ERP, orders_file=SAMPLE / "orders.jsonl"
    )


def _rule_counts(plan: pd.DataFrame) -> dict[str, int]:
    return plan["rule"].value_counts().to_dict()


def test_preview_panel_shows_the_configured_settings_and_their_plan(preview):
    panel = PreviewPanel(preview)
    assert panel.settings()["mapping_type"] == "by_email_phone"
    assert panel.settings()["auto_create_unknown_customers"] is True
    assert panel.result is not None
    assert len(panel.result.plan) == len(preview.shopify.customers)
    assert panel.result.settings == {}
    assert f"PLAN: {len(panel.result.plan)} Shopify customers" in panel.plan_view.value
    assert "as configured" in panel.plan_view.value
    # the review list holds exactly the customers with candidates
    review = panel.result.review()
    assert [value for _, value in panel.customer.options] == list(review["shopify_id"])
    assert len(review) > 0
    assert panel.customer.value == review.iloc[0]["shopify_id"]  # chosen, not blank


@pytest.mark.slow
def test_changing_a_setting_and_pressing_preview_gives_the_new_plan(preview):
    panel = PreviewPanel(preview)
    before = panel.result
    assert "default_customer" not in _rule_counts(before.plan)

    # (mapping_type governs order customers only: a customer import ignores it, as BC)
    panel.controls["phone_match"].value = "bc"
    assert panel.result is before  # nothing re-plans until the button is pressed
    panel.preview_button.click()

    after = panel.result
    assert after is not before
    assert after.settings == {"phone_match": "bc"}
    expected = preview.plan({"phone_match": "bc"}).plan
    pd.testing.assert_frame_equal(after.plan, expected)
    assert _rule_counts(after.plan) != _rule_counts(before.plan)
    assert "phone_match = bc" in panel.plan_view.value


def test_turning_auto_create_off_turns_creates_into_skips(preview):
    panel = PreviewPanel(preview)
    creates = int((panel.result.plan["action"] == "create").sum())
    assert creates > 0
    panel.controls["auto_create_unknown_customers"].value = False
    panel.preview_button.click()
    assert int((panel.result.plan["action"] == "create").sum()) == 0
    assert panel.result.settings == {"auto_create_unknown_customers": False}


@pytest.mark.slow
def test_link_button_writes_the_link_only_when_pressed(preview):
    config, store = preview.config, preview.store
    load_erp_into_store(store, ERP)
    panel = PreviewPanel(preview)
    shopify_id = panel.customer.options[-1][1]
    panel.customer.value = shopify_id
    candidates = panel.result.candidates(shopify_id)
    assert panel.customer_no.value == candidates.iloc[0]["customer_no"]
    assert candidates.iloc[0]["customer_no"] in panel.candidates_view.value
    assert store.links(config.shop.code) == {}  # choosing writes nothing

    said = panel.link_button.click() or panel.link_status.value
    assert "linked Shopify customer" in said
    assert store.links(config.shop.code) == {shopify_id: candidates.iloc[0]["customer_no"]}
    # the mirror row has no updatedAt, so the next sync imports it through the link
    assert store.mirror_state(config.shop.code).at[shopify_id, "updated_at"] == ""
    replanned = preview.plan().plan.set_index("shopify_id")
    assert replanned.at[shopify_id, "rule"] == "existing_link"


@pytest.mark.slow
def test_link_to_an_unknown_erp_customer_is_refused_and_writes_nothing(preview):
    config, store = preview.config, preview.store
    panel = PreviewPanel(preview)
    panel.customer.value = panel.customer.options[0][1]
    panel.customer_no.value = "NOPE0001"
    panel.link_button.click()
    assert "UserInputError" in panel.link_status.value
    assert "not in the store" in panel.link_status.value
    assert store.links(config.shop.code) == {}
    with pytest.raises(UserInputError, match="not among the loaded customers"):
        preview.link("999", "C00010")


def test_validation_panel_filters_and_exports(shop, tmp_path):
    config, store = shop
    report = validation_report(config, store, ERP)
    panel = ValidationPanel(report, output_dir=tmp_path / "out", stem="DEMO-export-validation")
    ineligible = int((~report["eligible"].astype(bool)).sum())
    assert len(panel.filtered) == ineligible
    panel.reason.value = "EMAIL_INVALID"
    expected = report[report["reasons"].str.split(";").map(lambda c: "EMAIL_INVALID" in c)]
    assert len(panel.filtered) == len(expected) > 0
    assert f"<b>{len(expected)}</b>" in panel.count_view.value
    panel.export_buttons["csv"].click()
    written = tmp_path / "out" / "DEMO-export-validation-EMAIL_INVALID.csv"
    assert written.is_file()
    assert len(pd.read_csv(written, dtype=str)) == len(expected)
    panel.reason.value = ""
    panel.country.value = "GR"
    assert set(panel.filtered["country_code"]) <= {"GR"}


@pytest.mark.slow
def test_sync_panel_runs_the_real_sync_only_after_confirmation(shop, tmp_path):
    _, store = shop
    load_erp_into_store(store, ERP)
    job = SyncJob(
        SAMPLE / "shop.toml",
        db=str(store.engine.url),
        emulator_data=SAMPLE,
        emulator_plan="plus",
        options={"report_dir": tmp_path / "reports"},
    )
    plan = job.run(dry_run=True, progress=False)
    assert plan.status == "planned" and store.runs().empty
    panel = SyncPanel(job, plan)
    assert panel.run_button.disabled
    panel.run_button.click()  # not confirmed: nothing happens
    assert panel.result is None and store.runs().empty

    panel.confirm.value = True
    assert not panel.run_button.disabled
    panel.run_button.click()
    assert panel.result is not None and panel.result.status == "succeeded"
    assert panel.run_button.disabled  # once only
    assert len(store.runs()) == 1
    assert f"RUN {panel.result.run_id} SUCCEEDED" in panel.status.value
    html_report = panel.result.reports["html"]
    assert html_report.is_file() and html_report.parent == tmp_path / "reports"
    # each phase counted its records in the panel; the counts are in it
    assert panel.phases["import"] == int((panel.result.records["side"] == "import").sum())
    assert "export" in panel.phases and "phases: import" in panel.phases_view.value
    assert "created " in panel.status.value or "linked " in panel.status.value


def test_the_panel_refuses_both_update_directions_as_the_config_does(preview, tmp_path):
    """The sample lets ERP changes update Shopify; ticking "Shopify can update customers"
    too is what the config refuses: the panel says so, with the config's words, and plans
    nothing (it used to switch the other flag off silently)."""
    from shopsync.errors import ConfigError
    from shopsync.settings import load_config

    assert preview.config.shop.can_update_shopify_customers
    panel = PreviewPanel(preview)
    panel.controls["shopify_can_update_customers"].value = True
    panel.preview_button.click()
    assert panel.result is None and panel.customer.options == ()
    both = tmp_path / "both.toml"
    text = (SAMPLE / "shop.toml").read_text(encoding="utf-8")
    both.write_text(
        text.replace("shopify_can_update_customers = false", "shopify_can_update_customers = true")
    )
    with pytest.raises(ConfigError) as refused:
        load_config(both)
    (message,) = refused.value.problems
    assert message.replace("'", "&#x27;") in panel.plan_view.value


def test_a_default_customer_that_is_no_erp_customer_is_refused(preview):
    panel = PreviewPanel(preview)
    panel.controls["default_customer_no"].value = "NOPE0001"
    panel.preview_button.click()
    assert panel.result is None
    assert (
        "default_customer_no &#x27;NOPE0001&#x27; is not an ERP customer" in panel.plan_view.value
    )
    with pytest.raises(UserInputError, match=r"NOPE0001.*is not an ERP customer"):
        preview.plan({"default_customer_no": "NOPE0001"})


def test_candidates_show_the_erp_customers_name_and_address(preview):
    plan = preview.plan()
    shopify_id = plan.review().iloc[0]["shopify_id"]
    candidates = plan.candidates(shopify_id)
    erp = preview.erp_customers().set_index("no")
    no = candidates.iloc[0]["customer_no"]
    assert candidates.iloc[0]["name"] == erp.at[no, "name"]
    assert erp.at[no, "city"] in candidates.iloc[0]["address"]
    label = dict((v, k) for k, v in plan.review_options())[shopify_id]
    assert plan.review().iloc[0]["email"] in label


def test_report_links_work_from_the_notebooks_and_the_runs_folder(tmp_path):
    from pathlib import Path

    from shopsync.notebook import report_links_html

    links = report_links_html({"html": Path("reports/DEMO-1.html"), "csv": tmp_path / "x.csv"})
    assert 'href="../reports/DEMO-1.html"' in links  # notebooks/ and runs/ are siblings
    assert f'href="{(tmp_path / "x.csv").as_uri()}"' in links
