"""What the notebooks call: parameter checks, inputs per source, tables, charts, banners."""

from __future__ import annotations

import ast
import dataclasses
import html
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from shopsync.emulator import Emulator
from shopsync.erp_io import ErpFile, read_erp_customers
from shopsync.errors import ConfigError, ShopsyncError, UserInputError
from shopsync.fixes import FIX_COLUMNS, with_fixes
from shopsync.jobs import preview_import, preview_orders, validate_export
from shopsync.reasons import split_codes
from shopsync.reference import sample_dir
from shopsync.reports import path_inside, write_report
from shopsync.session import shopify_session
from shopsync.settings import (
    CONTACT_SOURCES,
    COUNTY_SOURCES,
    MAPPING_TYPES,
    NAME_SOURCES,
    PHONE_MATCHES,
    ShopConfig,
    ShopSettings,
    load_config,
)
from shopsync.shopify import bulk_customers
from shopsync.shopify.client import TOKEN_ENV
from shopsync.shopify_io import ShopifyCustomers, read_shopify_customers
from shopsync.store import Store, open_store
from shopsync.sync import SyncResult, sync

__all__ = [
    "HEADLESS_ROWS",
    "IMPORT_SETTINGS",
    "SECRET_WORDS",
    "SUMMARY_MIME",
    "ImportPlan",
    "ImportPreview",
    "RunFailed",
    "SyncJob",
    "banner_html",
    "bar_chart",
    "check_parameters",
    "coerce_parameter",
    "count_table",
    "export_reports",
    "filter_validation",
    "has_frontend",
    "injected_names",
    "latest_run",
    "link_manually",
    "load_erp_into_store",
    "load_shopify",
    "looks_secret",
    "open_shop",
    "outcome_counts",
    "problems",
    "raise_if_failed",
    "reason_counts",
    "reason_counts_text",
    "refuse_secrets",
    "report_links_html",
    "setting_overrides",
    "setup",
    "show_chart",
    "show_summary",
    "show_table",
    "summary_line",
    "text_list",
    "validation_fixes",
    "validation_report",
]

# The output a notebook's run summary carries, for shopsync run-notebook to log.
SUMMARY_MIME = "application/vnd.shopsync.summary+json"

# Rows a table shows without a frontend (papermill): the report files hold them all.
HEADLESS_ROWS = 20

# A parameter whose name holds one of these is refused: secrets never enter a notebook.
SECRET_WORDS = ("token", "secret", "password", "passwd", "key", "credential")

# The shop settings the import plan depends on, with their choices (None: free text or bool).
IMPORT_SETTINGS: dict[str, tuple[str, ...] | None] = {
    "mapping_type": MAPPING_TYPES,
    "phone_match": PHONE_MATCHES,
    "auto_create_unknown_customers": None,
    "shopify_can_update_customers": None,
    "name_source": NAME_SOURCES,
    "name_2_source": NAME_SOURCES,
    "contact_source": CONTACT_SOURCES,
    "county_source": COUNTY_SOURCES,
    "customer_template_code": None,
    "default_customer_no": None,
}

# papermill's Python translator opens the cell it injects with this comment
_INJECTED_COMMENT = "# Parameters"

_UPDATE_FLAGS = ("shopify_can_update_customers", "can_update_shopify_customers")
# the ERP columns a candidate shows next to its number
_CANDIDATE_COLUMNS = ("name", "email", "address", "post_code", "city", "country_code")


class RunFailed(ShopsyncError):
    """A sync run in a notebook ended with failed records (raised last, so papermill fails)."""


# -- parameters --------------------------------------------------------------------------------


def looks_secret(name: str) -> bool:
    """Does a parameter name look like it holds a secret (token, secret, password, key...)?"""
    lowered = name.lower()
    return any(word in lowered for word in SECRET_WORDS)


def refuse_secrets(names: Sequence[str]) -> None:
    secret = sorted(name for name in names if looks_secret(name))
    if secret:
        raise UserInputError(
            f"parameter(s) {', '.join(secret)} look like secrets, and secrets never enter a "
            f"notebook (they would be saved in its output): set {TOKEN_ENV} in the environment "
            "instead; shopsync reads it itself"
        )


def check_parameters(namespace: dict[str, Any]) -> dict[str, Any]:
    """Check a notebook's parameters after papermill injected its values; return them.

    ``namespace`` is the notebook's ``globals()``. Only what can be a parameter is checked:
    the declared names (the parameters cell's annotations) and the names papermill injected
    (its ``# Parameters`` cell, found in the kernel's input history after the parameters
    cell). Variables the notebook or the analyst created are not parameters, so re-running
    cells, or Run All twice in one kernel, works. An injected name that looks secret is
    refused; an injected name the parameters cell does not declare is refused; a value of the
    wrong type is refused with the papermill trap that causes it (``-r`` for codes like
    02134, quoted YAML for ON/NO); "true"/"false" text for a bool parameter is converted in
    ``namespace``.
    """
    declared: dict[str, Any] = dict(namespace.get("__annotations__", {}))
    injected = injected_names(namespace.get("In", ()), declared)
    refuse_secrets([*declared, *injected])
    unknown = sorted(name for name in injected if name not in declared)
    if unknown:
        raise UserInputError(
            f"unknown parameter(s) {', '.join(unknown)}; this notebook's parameters are "
            + ", ".join(declared)
        )
    problems = []
    for name, kind in declared.items():
        value = namespace.get(name)
        try:
            namespace[name] = coerce_parameter(name, value, kind)
        except UserInputError as exc:
            problems.append(str(exc))
    if problems:
        raise UserInputError("; ".join(problems))
    return {name: namespace[name] for name in declared}


def injected_names(history: Sequence[str], declared: Mapping[str, Any]) -> list[str]:
    """The names papermill's ``# Parameters`` cell assigns, from a kernel's input history
    (IPython's ``In``): the last such cell run after the last parameters cell, else none."""
    for source in reversed(list(history)):
        text = str(source or "")
        if text.lstrip().startswith(_INJECTED_COMMENT):
            return _assigned_names(text)
        if declared and _declares(text, declared):
            return []  # the parameters cell ran again, without an injection after it
    return []


def _assigned_names(source: str) -> list[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return [
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    ]


def _declares(source: str, declared: Mapping[str, Any]) -> bool:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    return any(
        isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and node.target.id in declared
        for node in tree.body
    )


def coerce_parameter(name: str, value: Any, kind: Any) -> Any:
    kind_name = kind if isinstance(kind, str) else getattr(kind, "__name__", str(kind))
    if kind_name == "str":
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            raise UserInputError(
                f"{name} is text but arrived as {value!r}: YAML reads ON/OFF/YES/NO (country NO "
                f"included) as booleans; quote it (-y '{name}: \"NO\"') or pass it with -r"
            )
        raise UserInputError(
            f"{name} is text but arrived as the number {value!r}: papermill's -p reads 02134 as "
            f"2134; pass it with -r {name} VALUE so it stays text"
        )
    if kind_name == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise UserInputError(f"{name} must be true or false, got {value!r}")
    if kind_name == "int" and not (isinstance(value, int) and not isinstance(value, bool)):
        raise UserInputError(f"{name} must be a whole number, got {value!r}")
    if kind_name == "float" and not isinstance(value, (int, float)):
        raise UserInputError(f"{name} must be a number, got {value!r}")
    return value


def setting_overrides(**values: Any) -> dict[str, Any]:
    """Shop-setting parameters as overrides: "" means "as configured"; "true"/"false" are
    booleans for the boolean settings."""
    overrides: dict[str, Any] = {}
    for name, value in values.items():
        if name not in IMPORT_SETTINGS:
            raise UserInputError(f"{name} is not a setting the import plan depends on")
        if value is None or value == "":
            continue
        if name in ("auto_create_unknown_customers", "shopify_can_update_customers"):
            value = coerce_parameter(name, value, "bool")
        overrides[name] = value
    return overrides


def text_list(value: str) -> tuple[str, ...]:
    """A comma-separated parameter as a tuple of non-blank, stripped items."""
    return tuple(part.strip() for part in str(value).split(",") if part.strip())


# -- the notebook environment ------------------------------------------------------------------


def setup(itables: bool = True) -> None:
    """Start a notebook: run from the project folder (so the default relative paths work when
    Jupyter starts the kernel in notebooks/), and turn on interactive tables when available."""
    here = Path.cwd()
    if here.name == "notebooks" and (here.parent / "data").is_dir():
        os.chdir(here.parent)
    if itables and has_frontend():  # under papermill the tables stay plain and short
        try:
            from itables import init_notebook_mode
        except ImportError:
            pass
        else:
            init_notebook_mode(all_interactive=False, connected=False)


def _ipython() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def _in_kernel() -> bool:
    shell = _ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def has_frontend() -> bool:
    """True when a Jupyter frontend (JupyterLab, Notebook, VS Code) runs this kernel, false
    under papermill, nbval and plain Python: widgets are shown only when someone can click."""
    shell = _ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return False
    # ipykernel sets __session__ for kernels that Jupyter Server starts; VS Code its own name
    return bool(shell.user_ns.get("__session__") or shell.user_ns.get("__vsc_ipynb_file__"))


def _display(*objects: Any) -> None:
    try:
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython comes with the notebook extra
        for obj in objects:
            print(obj)
        return
    display(*objects)


def show_table(
    frame: pd.DataFrame,
    caption: str = "",
    *,
    interactive_from: int = 15,
    headless_rows: int = HEADLESS_ROWS,
) -> None:
    """Display a table: sortable and filterable (itables) when it is long and someone can
    click; without a frontend (papermill) its first ``headless_rows`` rows only, so that a
    scheduled run's output notebook stays small (the report files hold every row)."""
    if caption:
        _display(_html(f"<h4>{html.escape(caption)} ({len(frame)})</h4>"))
    if frame.empty:
        _display(_html("<p><em>none</em></p>"))
        return
    if not has_frontend():
        _display(frame.head(headless_rows))
        if len(frame) > headless_rows:
            _display(
                _html(
                    f"<p><em>the first {headless_rows} of {len(frame)} rows; the report "
                    "files hold them all</em></p>"
                )
            )
        return
    if len(frame) >= interactive_from:
        try:
            from itables import show
        except ImportError:
            pass
        else:
            show(frame, lengthMenu=[10, 25, 100, -1], pageLength=10)
            return
    _display(frame)


def _html(text: str) -> Any:
    try:
        from IPython.display import HTML
    except ImportError:  # pragma: no cover
        return text
    return HTML(text)


def count_table(frame: pd.DataFrame, rows: str, columns: str | None = None) -> pd.DataFrame:
    """Records per ``rows`` value (and per ``columns`` value), with totals."""
    if columns is None:
        counts = frame[rows].value_counts().sort_index()
        return counts.rename_axis(rows).reset_index(name="records")
    table = pd.crosstab(frame[rows], frame[columns], margins=True, margins_name="total")
    return table


def bar_chart(counts: Mapping[str, int], title: str = "records") -> str:
    """An inline SVG bar chart (no plotting library, survives in saved notebooks)."""
    items = [(str(k), int(v)) for k, v in counts.items()]
    if not items:
        return ""
    bar, gap, label, width = 20, 6, 170, 360
    top = max(v for _, v in items) or 1
    rows = []
    for i, (name, value) in enumerate(items):
        y = 24 + i * (bar + gap)
        length = max(int(width * value / top), 1)
        rows.append(
            f'<text x="0" y="{y + 15}">{html.escape(name)}</text>'
            f'<rect x="{label}" y="{y}" width="{length}" height="{bar}" fill="#4a7bd0">'
            f"<title>{html.escape(name)}: {value}</title></rect>"
            f'<text x="{label + length + 6}" y="{y + 15}">{value}</text>'
        )
    height = 24 + len(items) * (bar + gap)
    return (
        f'<svg role="img" aria-label="{html.escape(title)}" width="{label + width + 60}" '
        f'height="{height}" xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" '
        f'font-size="13"><text x="0" y="14" font-weight="bold">{html.escape(title)}</text>'
        f"{''.join(rows)}</svg>"
    )


def show_chart(counts: Mapping[str, int], title: str) -> None:
    """Display a bar chart of ``counts``."""
    _display(_html(bar_chart(counts, title)))


# -- shop, store and Shopify inputs ------------------------------------------------------------


def open_shop(config: str | Path, db: str = "") -> tuple[ShopConfig, Store]:
    """The shop's config and the store (its countries, provinces and settings seeded)."""
    shop_config = load_config(config)
    store = open_store(db or None)
    store.initialise(shop_config)
    return shop_config, store


def load_erp_into_store(store: Store, erp_file: str | Path) -> dict[str, int | str]:
    """Load an ERP customers file into the store (as ``shopsync load-erp``); returns the
    counts, the blocked customers, the values to look at and the file's columns not used
    (by their header as written)."""
    erp = read_erp_customers(erp_file)
    counts: dict[str, int | str] = dict(store.save_erp_customers(erp.customers, erp.columns))
    blocked = int((erp.customers["blocked"] != "").sum())
    if blocked:
        counts["blocked"] = blocked
    if not erp.issues.empty:
        counts["values to look at"] = len(erp.issues)
    if erp.ignored:
        counts["columns ignored"] = ", ".join(erp.ignored)
    return counts


def load_shopify(
    config: ShopConfig,
    store: Store,
    source: str,
    *,
    emulator_data: str | Path = "data/sample",
    emulator_plan: str = "standard",
) -> ShopifyCustomers:
    """Shopify customers from ``source``: ``emulator`` (in-process, seeded from
    ``emulator_data``), ``live`` (the config's URL; the token from the environment), ``store``
    (the store's mirror) or the path of a customers JSONL file."""
    if source == "emulator":
        emulator = Emulator(data_dir=emulator_data, plan=emulator_plan)
        with shopify_session(config, emulator=emulator) as (_, client):
            return bulk_customers(client, poll=0.05)
    if source == "live":
        with shopify_session(config) as (_, client):
            return bulk_customers(client)
    if source == "store":
        return store.shopify_mirror(config.shop.code)
    path = Path(source)
    if not path.is_file():
        raise UserInputError(
            f"shopify = {source!r}: expected emulator, live, store or a customers JSONL file"
        )
    return read_shopify_customers(path)


# -- the import preview (01) -------------------------------------------------------------------


@dataclass
class ImportPlan:
    """One import plan and its order-customer table, for the settings it was made with."""

    plan: pd.DataFrame
    orders: pd.DataFrame | None
    settings: dict[str, Any]
    erp: pd.DataFrame | None = None  # the ERP customers planned against (names, addresses)

    def counts_text(self) -> str:
        """Plain-text counts per action and per rule (what the checked notebook cell prints)."""
        lines = [f"PLAN: {len(self.plan)} Shopify customers"]
        for column in ("action", "rule"):
            counts = self.plan[column].value_counts().sort_index()
            lines.append(f"per {column}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        if self.orders is not None:
            counts = self.orders["rule"].value_counts().sort_index()
            lines.append(
                f"orders: {len(self.orders)}; per rule: "
                + ", ".join(f"{k} {v}" for k, v in counts.items())
            )
        return "\n".join(lines)

    def review(self) -> pd.DataFrame:
        """Ties and near misses: the customers whose candidates an analyst should look at."""
        mask = self.plan["candidates"].fillna("") != ""
        columns = ["shopify_id", "action", "customer_no", "rule", "reasons", "candidates"]
        columns += ["email", "phone", "first_name", "last_name"]
        return self.plan.loc[mask, columns].reset_index(drop=True)

    def review_options(self) -> list[tuple[str, str]]:
        """The customers to review as (label, shopify id): name and e-mail, then the id."""
        options = []
        for row in self.review().to_dict("records"):
            name = " ".join(str(row[k] or "").strip() for k in ("first_name", "last_name"))
            said = " · ".join(part for part in (name.strip(), str(row["email"] or "")) if part)
            options.append(
                (f"{said or 'no name, no e-mail'} ({row['shopify_id']})", row["shopify_id"])
            )
        return options

    def candidates(self, shopify_id: str) -> pd.DataFrame:
        """The candidates of one Shopify customer, one per row: customer_no, why, and the ERP
        customer's name and address (when the plan knows its ERP customers)."""
        rows = self.plan.loc[self.plan["shopify_id"] == str(shopify_id)]
        if rows.empty:
            raise UserInputError(f"Shopify customer {shopify_id} is not in the plan")
        found = []
        for part in str(rows.iloc[0]["candidates"] or "").split(";"):
            part = part.strip()
            if part:
                no, _, why = part.partition(" ")
                found.append({"customer_no": no, "why": why.strip(" ()")})
        frame = pd.DataFrame(found, columns=["customer_no", "why"])
        if self.erp is None:
            return frame
        erp = self.erp.drop_duplicates("no").rename(columns={"no": "customer_no"})
        erp = erp[["customer_no", *_CANDIDATE_COLUMNS]].fillna("").astype(str)
        erp["address"] = erp[["address", "post_code", "city", "country_code"]].apply(
            lambda parts: ", ".join(part for part in parts if part.strip()), axis=1
        )
        return frame.merge(erp[["customer_no", "name", "email", "address"]], how="left").fillna("")

    def summary_html(self) -> str:
        """Counts per action and rule, and a chart, as HTML (the panel's plan view)."""
        table = count_table(self.plan, "action", "rule")
        changed = ", ".join(f"{k} = {v}" for k, v in self.settings.items()) or "as configured"
        return (
            f'<div class="shopsync-plan"><h4>PLAN: {len(self.plan)} Shopify customers</h4>'
            f"<p>settings: {html.escape(changed)}</p>"
            + table.to_html(classes="shopsync-plan-table", border=0)
            + bar_chart(self.plan["action"].value_counts().sort_index().to_dict(), "per action")
            + "</div>"
        )


@dataclass
class ImportPreview:
    """The loaded inputs of an import preview; ``plan`` re-plans with other settings."""

    config: ShopConfig
    store: Store
    shopify: ShopifyCustomers
    erp_file: Path | None = None
    orders_file: Path | None = None
    base_settings: dict[str, Any] = field(default_factory=dict)
    _erp: ErpFile | None = field(default=None, init=False, repr=False)

    def settings(self) -> dict[str, Any]:
        """The effective value of every import setting (config, then the parameters)."""
        shop = self.config.shop
        return {name: self.base_settings.get(name, getattr(shop, name)) for name in IMPORT_SETTINGS}

    def erp_customers(self) -> pd.DataFrame:
        """The ERP customers the plan maps to: the ERP file's (read once), else the store's."""
        if self.erp_file is None:
            return self.store.erp_customers()
        if self._erp is None:
            self._erp = read_erp_customers(self.erp_file)
        return self._erp.customers

    def shop_settings(self, settings: Mapping[str, Any] | None = None) -> ShopSettings:
        """The shop's settings with the parameters' and then ``settings``' changes, refused as
        the config refuses them: both update directions on (whichever was switched), or a
        default customer that is not an ERP customer (BC relates it to the Customer table)."""
        overrides = {**self.base_settings, **setting_overrides(**(settings or {}))}
        shop = self.config.shop
        # name both update flags, so that switching one on cannot silently switch the other off
        flags = {name: overrides.get(name, getattr(shop, name)) for name in _UPDATE_FLAGS}
        shop = shop.with_changes(**{**overrides, **flags})
        default = shop.default_customer_no
        if default and default not in set(self.erp_customers()["no"]):
            where = self.erp_file or f"the store {self.store!r}"
            raise ConfigError(
                "settings",
                [f"[shop] default_customer_no {default!r} is not an ERP customer of {where}"],
            )
        return shop

    def plan(self, settings: Mapping[str, Any] | None = None) -> ImportPlan:
        """Plan the import with the parameters' settings, then ``settings`` on top."""
        shop = self.shop_settings(settings)
        config = dataclasses.replace(self.config, shop=shop)
        erp = self._erp_input()
        plan = preview_import(config, self.store, erp_file=erp, shopify=self.shopify)
        orders = None
        if self.orders_file is not None:
            orders = preview_orders(
                config, self.store, self.orders_file, erp_file=erp, shopify=self.shopify
            )
        changed = {
            k: getattr(shop, k)
            for k in IMPORT_SETTINGS
            if getattr(self.config.shop, k) != getattr(shop, k)
        }
        return ImportPlan(plan, orders, changed, self.erp_customers())

    def _erp_input(self) -> ErpFile | None:
        if self.erp_file is None:
            return None
        self.erp_customers()
        return self._erp

    def link_needs(self) -> str:
        """What linking will do first, in words ("" when the store is ready): linking writes
        to the store, so the ERP file's customers are loaded into it first."""
        if self.erp_file is None:
            return ""
        missing = set(self.erp_customers()["no"]) - set(self.store.erp_customers()["no"])
        if not missing:
            return ""
        return (
            f"The store {self.store!r} lacks {len(missing)} of the ERP file's customers: "
            f"Link in the store loads {self.erp_file} into the store first (as shopsync "
            "load-erp), then writes the link."
        )

    def link(self, shopify_id: str, customer_no: str) -> str:
        """Link a Shopify customer to an ERP customer in the store (see link_manually); an ERP
        customer of the preview's ERP file is loaded into the store first, with the file."""
        customer_no = str(customer_no).strip()
        loaded = ""
        stored = set(self.store.erp_customers()["no"])
        if (
            self.erp_file is not None
            and customer_no not in stored
            and customer_no in set(self.erp_customers()["no"])
        ):
            counts = load_erp_into_store(self.store, self.erp_file)
            loaded = f"loaded {self.erp_file} into the store ({_counts_text(counts)}); "
        return loaded + link_manually(
            self.store, self.config, self.shopify, shopify_id, customer_no
        )


def _counts_text(counts: Mapping[str, int | str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items()) or "nothing"


def link_manually(
    store: Store,
    config: ShopConfig,
    shopify: ShopifyCustomers,
    shopify_id: str,
    customer_no: str,
) -> str:
    """Write an analyst's link into the store; returns what was done, in words.

    The Shopify customer is saved into the store's mirror first (the link lives there), with
    Shopify's ``updatedAt`` left blank so that the next sync imports it through the new link.
    """
    shopify_id, customer_no = str(shopify_id).strip(), str(customer_no).strip()
    customers = shopify.customers[shopify.customers["shopify_id"] == shopify_id]
    if customers.empty:
        raise UserInputError(f"Shopify customer {shopify_id!r} is not among the loaded customers")
    erp = store.erp_customers()
    if customer_no not in set(erp["no"]):
        raise UserInputError(
            f"ERP customer {customer_no!r} is not in the store {store!r}: load the ERP file "
            "into the store first (shopsync load-erp), then link"
        )
    shop = config.shop.code
    previous = store.links(shop).get(shopify_id, "")
    taken = sorted(sid for sid, no in store.links(shop).items() if no == customer_no)
    mirror = ShopifyCustomers(
        customers.assign(updated_at=""),
        shopify.addresses[shopify.addresses["shopify_id"] == shopify_id],
    )
    with store.transaction() as conn:
        store.save_mirror(shop, mirror, conn=conn)
        store.link(shop, shopify_id, customer_no, conn=conn)
    said = f"linked Shopify customer {shopify_id} to ERP customer {customer_no}"
    if previous and previous != customer_no:
        said += f" (was {previous})"
    others = [sid for sid in taken if sid != shopify_id]
    if others:
        said += f"; note: {customer_no} is also linked to Shopify {', '.join(others)}"
    return said


# -- export validation (02) --------------------------------------------------------------------


def validation_report(
    config: ShopConfig, store: Store, erp_file: str | Path | None = None
) -> pd.DataFrame:
    """The eligibility report of the ERP customers (a file, else the store's), with the ERP
    values each reason is about and the reasons in words; the rows to fix first."""
    if erp_file:
        erp = read_erp_customers(erp_file)
        return with_fixes(validate_export(config, store, erp_file=erp), erp.customers)
    return with_fixes(validate_export(config, store), store.erp_customers())


def filter_validation(report: pd.DataFrame, reason: str = "", country: str = "") -> pd.DataFrame:
    """Rows with reason code ``reason`` and ISO country ``country`` ("" = any)."""
    mask = pd.Series(True, index=report.index)
    if reason:
        mask &= report["reasons"].fillna("").map(lambda text: reason in split_codes(text))
    if country:
        mask &= report["country_code"].fillna("").str.upper() == country.strip().upper()
    return report[mask].reset_index(drop=True)


def validation_fixes(report: pd.DataFrame) -> pd.DataFrame:
    """The ineligible customers: the ERP values to fix and each reason in words."""
    if "values to fix" not in report:
        report = with_fixes(report, pd.DataFrame(columns=["no"]))
    ineligible = report[~report["eligible"].astype(bool)]
    columns = ["customer_no", "country_code", "reasons", *FIX_COLUMNS, "details"]
    return ineligible[columns].reset_index(drop=True)


def reason_counts_text(report: pd.DataFrame) -> str:
    """Plain-text eligibility counts: totals and customers per reason code."""
    eligible = int(report["eligible"].astype(bool).sum())
    lines = [
        f"ELIGIBILITY: {len(report)} ERP customers, {eligible} eligible, "
        f"{len(report) - eligible} not eligible"
    ]
    codes = report["reasons"].fillna("").map(split_codes).explode().dropna()
    for code, count in codes[codes != ""].value_counts().sort_index().items():
        lines.append(f"  {code:<28} {count:>4}")
    return "\n".join(lines)


def reason_counts(report: pd.DataFrame) -> dict[str, int]:
    """Customers per reason code."""
    codes = report["reasons"].fillna("").map(split_codes).explode().dropna()
    return {str(k): int(v) for k, v in codes[codes != ""].value_counts().sort_index().items()}


def export_reports(
    frame: pd.DataFrame,
    output_dir: str | Path,
    stem: str,
    formats: str = "csv,xlsx,html",
    csv_style: str = "data",
) -> list[Path]:
    """Write ``frame`` as ``output_dir/stem.<format>`` for each format; returns the paths.
    ``csv_style``: ``data`` (values as they are) or ``spreadsheet`` (see write_report)."""
    paths = []
    for fmt in (f.strip().lower() for f in formats.split(",") if f.strip()):
        if fmt not in ("csv", "xlsx", "html"):
            raise UserInputError(f"export format {fmt!r}: use csv, xlsx or html")
        paths.append(
            write_report(
                frame,
                path_inside(output_dir, f"{stem}.{fmt}"),
                title=stem,
                outcome_column="action",
                csv_style=csv_style,
            )
        )
    return paths


# -- sync (03) ---------------------------------------------------------------------------------


@dataclass
class SyncJob:
    """A sync as the notebook's parameters describe it; ``run`` does a dry run or a real one
    (against one emulator instance, so the real run sees what the dry run saw)."""

    config: str | Path
    db: str = ""
    shopify: str = "emulator"
    emulator_data: str | Path = "data/sample"
    emulator_plan: str = "standard"
    options: dict[str, Any] = field(default_factory=dict)
    _emulator: Emulator | None = None

    def __post_init__(self) -> None:
        if self.shopify not in ("emulator", "live"):
            raise UserInputError(
                f"shopify = {self.shopify!r}: a sync runs against emulator or live"
            )
        if self.shopify == "emulator":
            self._emulator = Emulator(data_dir=self.emulator_data, plan=self.emulator_plan)

    def run(
        self,
        *,
        dry_run: bool,
        progress: bool | Callable[[Any, str, int | None], Any] = True,
        planned: SyncResult | None = None,
    ) -> SyncResult:
        """Run the sync; ``dry_run`` plans only and writes nothing anywhere. With
        ``planned`` (a dry run's result) the real run applies exactly that plan, after
        checking that its inputs did not change. ``progress``: bars, none, or a callable
        (items, phase, total) -> iterable that shows each phase its own way."""
        options = dict(self.options)
        if planned is not None and planned.plan is not None:
            options["plan"] = planned.plan
        if self._emulator is not None:  # the emulator finishes bulk operations at once
            options.setdefault("bulk_poll_seconds", 0.1)
        return sync(
            self.config,
            db=self.db or None,
            emulator=self._emulator,
            dry_run=dry_run,
            progress=progress,
            **options,
        )


def outcome_counts(result: SyncResult) -> dict[str, int]:
    """Records per outcome, the outcomes that occurred only."""
    return {k: v for k, v in result.counts.items() if v}


def problems(result: SyncResult) -> pd.DataFrame:
    """The failed and skipped records of a run, failed first."""
    records = result.records
    bad = records[records["outcome"].isin(["failed", "skipped"])].copy()
    bad["_order"] = bad["outcome"].map({"failed": 0, "skipped": 1})
    columns = ["side", "record", "outcome", "reason", "message", "customer_no", "shopify_id"]
    return bad.sort_values(["_order", "side", "record"])[columns].reset_index(drop=True)


def banner_html(result: SyncResult) -> str:
    """A coloured banner: failed, succeeded or planned, with the counts."""
    counts = ", ".join(f"{k} {v}" for k, v in result.counts.items() if v) or "no records"
    if result.status == "planned":
        colour, title = "#2b6cb0", "DRY RUN: nothing was written"
    elif result.failed or result.status == "failed":
        colour, title = "#c53030", f"RUN {result.run_id} FAILED: {result.failed} record(s) failed"
    else:
        colour, title = "#2f855a", f"RUN {result.run_id} SUCCEEDED"
    return (
        f'<div class="shopsync-banner" style="border-left: 6px solid {colour}; '
        f'padding: 8px 12px; background: #f7f7f7"><strong style="color: {colour}">'
        f"{html.escape(title)}</strong><br>{html.escape(counts)}</div>"
    )


def report_links_html(reports: Mapping[str, Path]) -> str:
    """Links to a run's report files."""
    if not reports:
        return "<p>No report files (dry run).</p>"
    items = "".join(
        f'<li><a href="{html.escape(_relative(path))}" target="_blank"'
        f"{'' if kind in _OPENED_IN_LAB else ' download'}>"
        f"{html.escape(kind)}</a>: <code>{html.escape(str(path))}</code></li>"
        for kind, path in reports.items()
    )
    return f"<p>Report files:</p><ul>{items}</ul>"


# Report kinds JupyterLab opens itself (its HTML and CSV viewers); other links (xlsx) carry
# ``download``, which Lab leaves to the browser instead of opening the file as text.
_OPENED_IN_LAB = ("html", "csv")


def _relative(path: Path) -> str:
    """``path`` as a link from a notebook in the project's ``notebooks/`` or ``runs/`` folder
    (Jupyter resolves links from the notebook's folder; both sit in the project folder)."""
    target = Path(path).resolve()
    try:
        return "../" + target.relative_to(sample_dir().parents[1]).as_posix()
    except ValueError:  # outside the project: an absolute link
        return target.as_uri()


def latest_run(result: SyncResult | None, panel: Any = None) -> SyncResult | None:
    """The run the cells below the sync cell show: the panel's, once its button ran one,
    else ``result`` (the parameters' run, or None after a dry run only)."""
    ran = getattr(panel, "result", None)
    return ran if ran is not None else result


def summary_line(result: SyncResult, shop: str) -> str:
    """One line of a run: status, the counts, and why it stopped (what a scheduler logs)."""
    counts = ", ".join(f"{k} {v}" for k, v in result.counts.items() if v) or "no records"
    name = "dry run" if result.run_id is None else f"run {result.run_id}"
    line = f"{name} of shop {shop}: {result.status}; {counts}"
    return line + (f"; stopped: {result.aborted}" if result.aborted else "")


def show_summary(result: SyncResult, shop: str) -> None:
    """Display the run's summary line, marked for the scheduled-run runner to pick up."""
    line = summary_line(result, shop)
    try:
        from IPython.display import display
    except ImportError:  # pragma: no cover
        print(line)
        return
    display({"text/plain": line, SUMMARY_MIME: {"summary": line}}, raw=True)


def raise_if_failed(result: SyncResult) -> None:
    """Raise RunFailed when records failed: a scheduled run then exits non-zero."""
    if result.status == "failed" or result.failed:
        where = f"; report: {result.reports['html']}" if "html" in result.reports else ""
        raise RunFailed(
            f"run {result.run_id}: {result.failed} record(s) failed (see the failed records "
            f"table){where}"
        )
