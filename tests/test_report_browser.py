"""The HTML reports in headless Chromium, offline: filter boxes, sortable headers, the table of
contents, and a phone-sized screen."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from tests.test_browser import CHROMIUM, FLAGS
from tests.test_browser import pytestmark as needs_chromium
from tests.tests_paths import SAMPLE

pytestmark = [needs_chromium, pytest.mark.slow]

# (side, record, outcome, shopify_id, reason, message): a run's records as a sync records
# them; the record column holds ERP customer numbers (exports) and Shopify ids (imports).
RECORDS = [
    ("export", "C10", "failed", "", "", "Shopify: Email has already been taken"),
    ("import", "7002", "skipped", "7002", "NO_ADDRESS", ""),
    ("export", "C30", "skipped", "", "EMAIL_MISSING;PHONE_INVALID", ""),
    ("export", "C9", "created", "9100", "", ""),
    ("export", "C100", "created", "10200", "", ""),
    ("import", "70010", "created", "70010", "", ""),
    ("export", "C20", "created", "", "", "not sent: a dry run of the export"),
    ("import", "700", "created", "700", "", ""),
    ("export", "C1", "created", "2.5e3", "", ""),
    ("import", "7005", "created", "7005", "", ""),
    *[
        ("export", f"C{n}", "updated", str(8000 + n), "", "email: a@example.com -> b@example.com")
        for n in range(1000, 1060)
    ],
]
# a run for many customers: its parameters are one long word
CUSTOMERS = [f"C{n}" for n in range(10000, 10400, 10)]


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Path]:
    """A sync run's HTML report (as a run writes it) and the sample's export validation (as
    `shopsync validate-export --out FILE.html` writes it)."""
    from shopsync.cli import main
    from shopsync.notebook import open_shop
    from shopsync.run_record import RunRecorder

    base = tmp_path_factory.mktemp("reports")
    _, store = open_shop(SAMPLE / "shop.toml", f"sqlite:///{base / 'store.db'}")
    run_id = store.start_run("DEMO", "both", {"direction": "both", "customers": CUSTOMERS})
    recorder = RunRecorder(store, "DEMO", run_id, progress=False)
    for side, record, outcome, shopify_id, reason, message in RECORDS:
        recorder.record(
            side,
            record,
            outcome,
            customer_no=record if side == "export" else "",
            shopify_id=shopify_id,
            reason=reason,
            message=message,
        )
    written = recorder.close({}, base / "runs", {}).reports
    store.engine.dispose()
    validation = base / "validation.html"
    args = ["validate-export", "--config", str(SAMPLE / "shop.toml")]
    args += ["--db", f"sqlite:///{base / 'v.db'}", "--erp", str(SAMPLE / "erp_customers.csv")]
    assert main([*args, "--out", str(validation)]) == 0
    return {"run": written["html"], "run_csv": written["csv"], "validation": validation}


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def open_report(browser) -> Iterator:
    """open_report(path, width, height) -> a page showing the report from file://, offline:
    any other request is refused and fails the test, as does a script error."""
    contexts, requests, errors = [], [], []

    def refuse(route) -> None:
        requests.append(route.request.url)
        route.abort()

    def opened(path: Path, width: int = 1000, height: int = 700):
        context = browser.new_context(viewport={"width": width, "height": height}, offline=True)
        contexts.append(context)
        context.route(re.compile(r"^(?!file:)"), refuse)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("request", lambda request: requests.append(request.url))
        page.goto(path.as_uri())
        return page

    yield opened
    for context in contexts:
        context.close()
    assert errors == []
    assert [url for url in requests if not url.startswith("file:")] == []


def _table(page, outcome: str):
    heading = page.locator("h2", has_text=re.compile(rf"^{outcome} \(\d+\)$"))
    table_id = heading.get_attribute("id").replace("records-", "table-")
    return page.locator(f"#{table_id}")


def _column(table, name: str, visible_only: bool = False) -> list[str]:
    """The cells of column ``name``, top to bottom (of the rows shown, or of all rows)."""
    return table.evaluate(
        """(table, [name, visibleOnly]) => {
            const heads = Array.from(table.tHead.rows[0].cells, (cell) => cell.textContent);
            const column = heads.findIndex((text) => text.replace(/[\\u25B2\\u25BC ]+$/, "")
                                                        === name);
            return Array.from(table.tBodies[0].rows)
                .filter((row) => !visibleOnly || row.offsetParent !== null)
                .map((row) => row.cells[column].textContent);
        }""",
        [name, visible_only],
    )


def _ascending(values: list[str]) -> list[str]:
    """The order the report promises: numbers by value, then text with the numbers in it by
    value (C9 before C10), blank cells last."""

    def key(text: str):
        if re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", text):
            return (0, float(text), ())
        parts = re.split(r"(\d+)", text.lower())
        return (1, 0.0, tuple((int(p), "") if p.isdigit() else (-1, p) for p in parts))

    present = [v for v in values if v != ""]
    return sorted(present, key=key) + [v for v in values if v == ""]


def _descending(values: list[str]) -> list[str]:
    ordered = _ascending(values)
    blanks = [v for v in ordered if v == ""]
    return list(reversed(ordered[: len(ordered) - len(blanks)])) + blanks


def test_typing_in_a_filter_box_hides_the_rows_without_the_text_and_shows_them_again(
    reports, open_report
):
    records = pd.read_csv(reports["run_csv"], dtype=str, keep_default_na=False)
    page = open_report(reports["run"])
    created, updated = _table(page, "created"), _table(page, "updated")
    box = page.locator(f'input.filter[data-table="{created.get_attribute("id")}"]')
    every = records.loc[records["outcome"] == "created", "record"].tolist()
    assert sorted(_column(created, "record", visible_only=True)) == sorted(every)

    def expected(text: str) -> list[str]:
        rows = records[records["outcome"] == "created"]
        hit = rows.apply(lambda row: any(text.lower() in str(v).lower() for v in row), axis=1)
        return rows.loc[hit, "record"].tolist()

    box.press_sequentially("c10")  # typed as a person does, in any case
    shown = _column(created, "record", visible_only=True)
    assert shown == expected("c10") == ["C100"]
    assert len(_column(created, "record")) == len(every)  # hidden, not removed
    assert len(_column(updated, "record", visible_only=True)) == 60  # other tables untouched
    box.fill("dry run")
    assert _column(created, "record", visible_only=True) == expected("dry run") == ["C20"]
    box.fill("70")
    assert _column(created, "record", visible_only=True) == expected("70")
    assert set(expected("70")) == {"70010", "700", "7005"}
    box.fill("no such text")
    assert _column(created, "record", visible_only=True) == []
    box.fill("")
    assert sorted(_column(created, "record", visible_only=True)) == sorted(every)

    skipped = _table(page, "skipped")
    page.locator(f'input.filter[data-table="{skipped.get_attribute("id")}"]').fill("no_address")
    assert _column(skipped, "record", visible_only=True) == ["7002"]


def test_a_header_click_sorts_ascending_then_descending_numbers_by_value(reports, open_report):
    page = open_report(reports["run"])
    created = _table(page, "created")
    ids = _column(created, "shopify_id")
    # Shopify ids of several lengths (text order would put 10200 before 700), one in
    # scientific notation, one blank (the customer was not sent)
    assert "" in ids and _ascending(ids)[:3] == ["700", "2.5e3", "7005"]
    header = created.locator("th", has_text="shopify_id")
    header.click()
    assert _column(created, "shopify_id") == _ascending(ids)
    assert header.get_attribute("aria-sort") == "ascending"
    header.click()
    assert _column(created, "shopify_id") == _descending(ids)
    assert header.get_attribute("aria-sort") == "descending"
    assert _column(created, "shopify_id")[-1] == ""  # blanks last either way

    # the record column mixes Shopify ids and customer numbers: ids first, then C9 before C10
    records = _column(created, "record")
    record_header = created.locator("th", has_text="record")
    record_header.click()
    assert _column(created, "record") == _ascending(records)
    assert _column(created, "record") == ["700", "7005", "70010", "C1", "C9", "C20", "C100"]
    assert header.get_attribute("aria-sort") is None  # one column sorts at a time
    record_header.click()
    assert _column(created, "record") == ["C100", "C20", "C9", "C1", "70010", "7005", "700"]
    # each row moves whole: a record keeps its own Shopify id
    pairs = dict(zip(_column(created, "record"), _column(created, "shopify_id"), strict=True))
    assert pairs == {r[1]: r[3] for r in RECORDS if r[2] == "created"}

    # sorting a filtered table keeps the filter; a header sorts from the keyboard too
    box = page.locator(f'input.filter[data-table="{created.get_attribute("id")}"]')
    box.fill("c1")
    header.focus()
    page.keyboard.press("Enter")
    assert header.get_attribute("aria-sort") == "ascending"
    assert _column(created, "record", visible_only=True) == ["C1", "C100"]
    assert _column(created, "shopify_id", visible_only=True) == ["2.5e3", "10200"]


def test_the_table_of_contents_jumps_to_each_section(reports, open_report):
    page = open_report(reports["run"], width=1000, height=600)
    links = page.locator("nav ul.contents a")
    labels = links.all_inner_texts()
    assert labels == [
        "Outcomes",
        "Reasons",
        "failed (1)",
        "skipped (2)",
        "created (7)",
        "updated (60)",
    ]
    at_top = 0
    for number in range(links.count()):
        page.evaluate("() => window.scrollTo(0, 0)")
        link = links.nth(number)
        target = link.get_attribute("href")
        link.click()
        page.wait_for_function("(hash) => location.hash === hash", arg=target)
        where = page.evaluate(
            """(hash) => {
                const box = document.querySelector(hash).getBoundingClientRect();
                const bottom = window.scrollY + window.innerHeight >=
                               document.documentElement.scrollHeight - 1;
                return {top: box.top, bottom: bottom, height: window.innerHeight};
            }""",
            target,
        )
        # the section's heading is at the top of the window, or the page is scrolled to its
        # end with the heading in view
        if abs(where["top"]) <= 1:
            at_top += 1
        else:
            assert where["bottom"] and 0 <= where["top"] < where["height"], (target, where)
        assert page.locator(target).inner_text().startswith(labels[number].split(" (")[0])
    assert at_top >= 5  # only the last section is too near the end to reach the top


@pytest.mark.parametrize("report", ["run", "validation"])
def test_on_a_phone_screen_the_page_never_scrolls_sideways_only_wide_tables_do(
    reports, open_report, report
):
    page = open_report(reports[report], width=375, height=740)
    layout = page.evaluate(
        """() => {
            const width = window.innerWidth;
            const outside = [];
            for (const element of document.body.querySelectorAll("*")) {
                const box = element.getBoundingClientRect();
                if (box.right > width + 0.5 && !element.closest(".scroll")) {
                    outside.push(element.tagName + " " + element.textContent.slice(0, 40));
                }
            }
            const tables = Array.from(document.querySelectorAll("table.records"), (table) => {
                const box = table.parentElement;
                box.scrollLeft = 50;
                return {
                    scroller: box.className,
                    wider: box.scrollWidth > box.clientWidth,
                    scrolled: box.scrollLeft,
                    right: box.getBoundingClientRect().right,
                };
            });
            return {page: document.documentElement.scrollWidth, width: width, outside: outside,
                    tables: tables};
        }"""
    )
    assert layout["width"] == 375
    assert layout["page"] <= 375, layout["outside"]
    assert layout["outside"] == []
    # each records table scrolls in its own box, which fits the screen
    assert layout["tables"] and all(t["scroller"] == "scroll" for t in layout["tables"])
    assert all(t["right"] <= 375 for t in layout["tables"])
    wide = [t for t in layout["tables"] if t["wider"]]
    assert wide and all(t["scrolled"] > 0 for t in wide)
    # the filter boxes fit too
    boxes = page.locator("input.filter")
    for number in range(boxes.count()):
        box = boxes.nth(number).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375
