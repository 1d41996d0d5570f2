"""Write notebooks/*.ipynb from the cell sources below (no outputs); --check compares only."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"

CHECK = "nbval-check-output"  # nbval --nbval-lax compares this cell's output


def _setup(extra: str = "") -> str:
    return (
        "import shopsync\n"
        "import shopsync.notebook as nb\n"
        "from IPython.display import HTML, display\n"
        "\n"
        "nb.setup()  # interactive tables when someone can click\n"
        "# refuses secret-looking or unknown parameters and values of the wrong type; relative\n"
        "# paths are read from the project folder, wherever Jupyter started the kernel\n"
        "params = nb.check_parameters(globals())\n" + extra
    )


PREVIEW = [
    (
        "markdown",
        """# 01 · Preview the import matches

For every Shopify customer: the ERP customer it maps to, by which rule (`email`, `phone`,
`bill_to`, `default_customer`, `existing_link`), and the action a sync would take (`link`,
`update`, `create`, `skip`). Nothing is written, except a manual link you confirm with the
**Link in the store** button.

Parameters that matter: `config` (the shop), `erp` (an ERP file, or `""` for the store's
customers), `shopify` (`emulator`, `live`, `store` or a customers JSONL file), `orders` (an
orders file for the order-customer table), and the mapping settings (`mapping_type`,
`phone_match`...; `""` keeps the configured value). In Jupyter, the panel at the end changes
the same settings and re-plans.""",
        [],
    ),
    (
        "code",
        """config: str = "data/sample/shop.toml"  # shop TOML file (settings, templates, countries)
db: str = ""  # store URL; empty: SHOPSYNC_DB, else data/shopsync.db (as the command line)
erp: str = "data/sample/erp_customers.csv"  # ERP customers file (CSV or Excel); empty: the store's
shopify: str = "emulator"  # emulator | live | store (the mirror) | a customers JSONL file
emulator_data: str = "data/sample"  # seed folder of the in-process emulator
emulator_plan: str = "standard"  # emulated Shopify plan: standard | advanced | plus
orders: str = "data/sample/orders.jsonl"  # orders JSONL (order customers); empty: none
mapping_type: str = ""  # empty: as configured; by_email_phone | by_bill_to | default_customer
phone_match: str = ""  # empty: as configured; e164 | bc
auto_create_unknown_customers: str = ""  # empty: as configured; true | false
shopify_can_update_customers: str = ""  # empty: as configured; true | false
default_customer_no: str = ""  # empty: as configured; the default ERP customer
output_dir: str = "reports"  # folder of the plan report""",
        ["parameters"],
    ),
    (
        "code",
        _setup(
            "settings = nb.setting_overrides(\n"
            "    mapping_type=mapping_type,\n"
            "    phone_match=phone_match,\n"
            "    auto_create_unknown_customers=auto_create_unknown_customers,\n"
            "    shopify_can_update_customers=shopify_can_update_customers,\n"
            "    default_customer_no=default_customer_no,\n"
            ")"
        ),
        [],
    ),
    ("markdown", "## Load the inputs", []),
    (
        "code",
        """shop_config, store = nb.open_shop(config, db)
shopify_customers = nb.load_shopify(
    shop_config, store, shopify, emulator_data=emulator_data, emulator_plan=emulator_plan
)
preview = nb.ImportPreview(
    shop_config,
    store,
    shopify_customers,
    erp_file=erp or None,
    orders_file=orders or None,
    base_settings=settings,
)
print(
    f"shop {shop_config.shop.code}: {len(shopify_customers.customers)} Shopify customers "
    f"({shopify}); ERP customers from {erp or 'the store'}; {store!r}"
)""",
        [],
    ),
    ("markdown", "## The import plan", []),
    ("code", "result = preview.plan()\nprint(result.counts_text())", [CHECK]),
    (
        "code",
        """display(nb.count_table(result.plan, "action", "rule"))
nb.show_chart(result.plan["action"].value_counts().sort_index().to_dict(), "customers per action")
nb.show_chart(result.plan["rule"].value_counts().sort_index().to_dict(), "customers per rule")""",
        [],
    ),
    (
        "markdown",
        "Ties (several ERP customers fit; the lowest number was chosen) and near misses (no "
        "exact match, but a likely candidate): check them, and link by hand where right.",
        [],
    ),
    ("code", 'nb.show_table(result.review(), "Ties and near misses to review")', []),
    ("code", 'nb.show_table(result.plan, "The whole plan")', []),
    ("markdown", "## Order customers", []),
    (
        "code",
        """if result.orders is None:
    print("no orders file given (parameter orders)")
else:
    nb.show_chart(result.orders["rule"].value_counts().sort_index().to_dict(), "orders per rule")
    nb.show_table(result.orders, "Sell-to and bill-to customer of each order")""",
        [],
    ),
    (
        "code",
        """from pathlib import Path

plan_file = shopsync.write_report(
    result.plan,
    Path(output_dir) / f"{shop_config.shop.code}-import-plan.xlsx",
    title=f"Import plan for shop {shop_config.shop.code}",
)
print(f"plan report: {plan_file}")""",
        [],
    ),
    (
        "markdown",
        """## Interactive: change the settings, re-plan, link by hand

Shown only in Jupyter. **Preview** re-plans with the settings chosen (settings the config
refuses are refused here, with its message); pick a customer to review (by name and e-mail),
check its candidates (the ERP customer's name and address), and **Link in the store** writes
that link: the only write this notebook makes. The link lives in the store, so when the store
lacks the ERP file's customers the panel says so, and the button loads the file into the
store first (as `shopsync load-erp`).""",
        [],
    ),
    (
        "code",
        """if nb.has_frontend():
    from shopsync.widgets import PreviewPanel

    panel = PreviewPanel(preview)
    display(panel)
else:
    print("no Jupyter frontend (a papermill run): the panel is not shown")""",
        [],
    ),
]

VALIDATE = [
    (
        "markdown",
        """# 02 · Validate the export

Can each ERP customer be exported to Shopify, and if not, what to fix: counts per reason,
the ineligible customers with the fix in words, filters by reason and country, and the
report as CSV, Excel or HTML. Nothing is sent to Shopify.

Parameters that matter: `config`, `erp` (a file, or `""` for the store's customers),
`reason` and `country` (filters, `""` = all), `export_formats`, `csv_style` (`data`: the
values as they are, for Business Central or another tool; `spreadsheet`: text starting with
`=`, `+`, `-` or `@` gets an apostrophe, for Excel) and `output_dir`.""",
        [],
    ),
    (
        "code",
        """config: str = "data/sample/shop.toml"  # shop TOML file (settings, templates, countries)
db: str = ""  # store URL; empty: SHOPSYNC_DB, else data/shopsync.db (as the command line)
erp: str = "data/sample/erp_customers.csv"  # ERP customers file (CSV or Excel); empty: the store's
reason: str = ""  # only customers with this reason code (e.g. EMAIL_INVALID); empty: all
country: str = ""  # only customers of this ISO country (quote NO in YAML); empty: all
export_formats: str = "csv,xlsx,html"  # report formats to write, comma separated
csv_style: str = "data"  # data: values as they are, for BC | spreadsheet: formulas escaped
output_dir: str = "reports"  # folder of the reports""",
        ["parameters"],
    ),
    ("code", _setup(), []),
    (
        "code",
        """shop_config, store = nb.open_shop(config, db)
report = nb.validation_report(shop_config, store, erp)
print(f"shop {shop_config.shop.code}: ERP customers from {erp or 'the store'}; {store!r}")""",
        [],
    ),
    ("markdown", "## Counts per reason", []),
    ("code", "print(nb.reason_counts_text(report))", [CHECK]),
    (
        "code",
        """actions = report["action"].value_counts().sort_index().to_dict()
nb.show_chart(actions, "customers per action")
nb.show_chart(nb.reason_counts(report), "customers per reason")""",
        [],
    ),
    ("markdown", "## What to fix (filtered by `reason` and `country`)", []),
    (
        "code",
        """selected = nb.filter_validation(report, reason, country)
nb.show_table(nb.validation_fixes(selected), "Ineligible customers and what to fix")""",
        [],
    ),
    (
        "code",
        """parts = [f"{shop_config.shop.code}-export-validation", reason, country]
stem = "-".join(part for part in parts if part)
for path in nb.export_reports(selected, output_dir, stem, export_formats, csv_style):
    print(f"report: {path}")""",
        [],
    ),
    (
        "markdown",
        "## Interactive filters and export\n\nShown only in Jupyter: the same filters as the "
        "parameters, and buttons that write the filtered report.",
        [],
    ),
    (
        "code",
        """if nb.has_frontend():
    from shopsync.widgets import ValidationPanel

    panel = ValidationPanel(
        report, output_dir=output_dir, stem=stem, reason=reason, country=country
    )
    display(panel)
else:
    print("no Jupyter frontend (a papermill run): the panel is not shown")""",
        [],
    ),
]

SYNC = [
    (
        "markdown",
        """# 03 · Sync

A dry run first: the plan of every record, nothing written. Then, only when `dry_run` is
false (or, in Jupyter, after you confirm with the button), the sync itself: progress bars,
the run summary, the failed and skipped records, and links to the run's report files. A run
with failed records fails the notebook at its last cell, so a scheduled run exits non-zero.

At the end, the way back to the ERP: the customers the import created and changed and the
order customers, as a Business Central hand-over file (`shopsync export-erp`): in Jupyter
the **Hand over to the ERP** button, under papermill `erp_handover` true.

Parameters that matter: `config`, `db` (the store), `shopify` (`emulator` or `live`; the
token is read from `SHOPIFY_ACCESS_TOKEN`, never a parameter), `direction`, `dry_run`
(default true), `erp_file` (loaded into the store first), `output_dir` and
`erp_handover`.""",
        [],
    ),
    (
        "code",
        """config: str = "data/sample/shop.toml"  # shop TOML file (settings, templates, countries)
db: str = ""  # store URL; empty: SHOPSYNC_DB, else data/shopsync.db (as the command line)
erp_file: str = "data/sample/erp_customers.csv"  # ERP file loaded into the store first
shopify: str = "emulator"  # emulator (in-process) | live (the config's url)
emulator_data: str = "data/sample"  # seed folder of the in-process emulator
emulator_plan: str = "standard"  # emulated Shopify plan: standard | advanced | plus
direction: str = "both"  # import | export | both
dry_run: bool = True  # plan only, write nothing; false: sync after the plan
customers: str = ""  # only these ERP customers, comma separated (papermill: -r)
shopify_ids: str = ""  # only these Shopify customer ids, comma separated (pass with -r)
orders: bool = False  # also resolve the customers of new orders
output_dir: str = "reports"  # folder of the run's report files
fail_on_failed: bool = True  # end the notebook with an error when records failed
erp_handover: bool = False  # after a real sync, write output_dir/<shop>-erp-<time>.xlsx""",
        ["parameters"],
    ),
    ("code", _setup(), []),
    (
        "code",
        """shop_config, store = nb.open_shop(config, db)
print(f"shop {shop_config.shop.code}; {store!r}")
if erp_file:
    print(f"{erp_file} -> store: {nb.load_erp_into_store(store, erp_file)}")
job = nb.SyncJob(
    config,
    db=db,
    shopify=shopify,
    emulator_data=emulator_data,
    emulator_plan=emulator_plan,
    options=dict(
        direction=direction,
        customers=nb.text_list(customers),
        shopify_ids=nb.text_list(shopify_ids),
        orders=orders,
        report_dir=output_dir,
    ),
)""",
        [],
    ),
    ("markdown", "## The plan (dry run: nothing is written)", []),
    ("code", "plan = job.run(dry_run=True)", []),
    ("code", "print(plan.summary())", [CHECK]),
    (
        "code",
        """display(HTML(nb.banner_html(plan)))
nb.show_chart(nb.outcome_counts(plan), "planned records per outcome")
nb.show_table(plan.records, "The plan")""",
        [],
    ),
    (
        "markdown",
        "## The sync\n\nWith `dry_run` false the sync applies the plan above. In Jupyter, "
        "the panel's button does it; then run the cells below again (**Run All Below**): "
        "they show the run the button made, and `fail_on_failed` applies to it.",
        [],
    ),
    (
        "code",
        """result = None
sync_panel = None
if not dry_run:
    result = job.run(dry_run=False, planned=plan)
elif nb.has_frontend():
    from shopsync.widgets import SyncPanel

    sync_panel = SyncPanel(job, plan)
    display(sync_panel)
else:
    print("dry_run is true: nothing was written (run with dry_run false to sync)")""",
        [],
    ),
    (
        "code",
        """result = nb.latest_run(result, sync_panel)  # the panel's run, once its button ran one
print(result.summary() if result else "no sync run: dry run")""",
        [CHECK],
    ),
    (
        "code",
        """if result is not None:
    nb.show_summary(result, shop_config.shop.code)  # the line a scheduled run logs
    display(HTML(nb.banner_html(result)))
    nb.show_chart(nb.outcome_counts(result), "records per outcome")
    nb.show_table(nb.problems(result), "Failed and skipped records")
    display(HTML(nb.report_links_html(result.reports)))""",
        [],
    ),
    ("markdown", "## Back to the ERP", []),
    (
        "code",
        """def hand_over():
    out = shopsync.erp_export.handover_path(output_dir, shop_config.shop.code)
    return shopsync.export_erp(shop_config, out, store=store)


if result is not None and erp_handover:
    print(hand_over().summary())
elif nb.has_frontend():
    from shopsync.widgets import ErpExportPanel

    display(ErpExportPanel(hand_over))
else:
    print("no hand-over to the ERP (erp_handover is false, or no real sync ran)")""",
        [],
    ),
    (
        "code",
        """if result is not None and fail_on_failed:
    nb.raise_if_failed(result)  # failed records fail the run: papermill exits non-zero""",
        [],
    ),
]

BOOKS = {
    "01-preview-matches.ipynb": PREVIEW,
    "02-validate-export.ipynb": VALIDATE,
    "03-sync.ipynb": SYNC,
}


def build(cells: list[tuple[str, str, list[str]]]) -> nbformat.NotebookNode:
    """A notebook (nbformat 4, no outputs) from (kind, source, tags) triples."""
    book = nbformat.v4.new_notebook()
    book.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for number, (kind, source, tags) in enumerate(cells):
        make = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
        cell = make(source)
        cell.id = f"cell-{number:02d}"
        if tags:
            cell.metadata["tags"] = list(tags)
        book.cells.append(cell)
    nbformat.validate(book)
    return book


def render(cells: list[tuple[str, str, list[str]]]) -> str:
    """The notebook file's text."""
    return nbformat.writes(build(cells)) + "\n"


def main(argv: list[str]) -> int:
    """Write the notebooks, or with --check report those that differ (exit 1)."""
    check = "--check" in argv
    stale = []
    NOTEBOOKS.mkdir(exist_ok=True)
    for name, cells in BOOKS.items():
        path = NOTEBOOKS / name
        text = render(cells)
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    if stale:
        print("out of date (run scripts/make_notebooks.py): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
