"""The notebooks' previews: an import plan re-planned per settings, the export validation."""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from shopsync.erp_io import ErpFile, read_erp_customers
from shopsync.errors import ConfigError, UserInputError
from shopsync.fixes import FIX_COLUMNS, with_fixes
from shopsync.jobs import preview_import, preview_orders, validate_export
from shopsync.manual_links import link_manually, load_erp_into_store
from shopsync.notebook_display import count_table, notebook_chart
from shopsync.parameters import IMPORT_SETTINGS, setting_overrides
from shopsync.reasons import split_codes
from shopsync.reports import path_inside, write_report
from shopsync.reports import reason_counts as reason_table
from shopsync.settings import ShopConfig, ShopSettings, load_config
from shopsync.shopify_io import ShopifyCustomers
from shopsync.sources import load_shopify_customers
from shopsync.store import Store, open_store

__all__ = [
    "ImportPlan",
    "ImportPreview",
    "export_reports",
    "filter_validation",
    "load_shopify",
    "open_shop",
    "reason_counts",
    "reason_counts_text",
    "validation_fixes",
    "validation_report",
]

_UPDATE_FLAGS = ("shopify_can_update_customers", "can_update_shopify_customers")
# the ERP columns a candidate shows next to its number
_CANDIDATE_COLUMNS = ("name", "email", "address", "post_code", "city", "country_code")


def open_shop(config: str | Path, db: str = "") -> tuple[ShopConfig, Store]:
    """The shop's config and the store (its countries, provinces and settings seeded)."""
    shop_config = load_config(config)
    store = open_store(db or None)
    store.initialise(shop_config)
    return shop_config, store


def load_shopify(
    config: ShopConfig,
    store: Store,
    source: str,
    *,
    emulator_data: str | Path | None = None,
    emulator_plan: str = "standard",
) -> ShopifyCustomers:
    """Shopify customers from ``source`` (see shopsync.sources): ``emulator`` (in-process,
    seeded from ``emulator_data``, default the sample shop, on the Shopify plan
    ``emulator_plan``), ``live`` (the config's URL; the token from the environment),
    ``store`` (the store's mirror) or the path of a customers JSONL file."""
    return load_shopify_customers(
        config, store, source, emulator=emulator_data or None, shopify_plan=emulator_plan
    )


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
        per_action = self.plan["action"].value_counts().sort_index().to_dict()
        changed = ", ".join(f"{k} = {v}" for k, v in self.settings.items()) or "as configured"
        return (
            f'<div class="shopsync-plan"><h4>PLAN: {len(self.plan)} Shopify customers</h4>'
            f"<p>settings: {html.escape(changed)}</p>"
            + table.to_html(classes="shopsync-plan-table", border=0)
            + notebook_chart(per_action, "per action")
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
    for code, count in reason_counts(report).items():
        lines.append(f"  {code:<28} {count:>4}")
    return "\n".join(lines)


def reason_counts(report: pd.DataFrame) -> dict[str, int]:
    """Customers per reason code (the reports' counts, as a mapping for a chart)."""
    table = reason_table(report)
    return {str(k): int(v) for k, v in zip(table["reason"], table["records"], strict=True)}


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
