"""The README's main job on the embedded default: sample data, a fresh SQLite store."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sqlalchemy.engine import make_url

from shopsync.erp_io import read_erp_customers
from shopsync.jobs import validate_export
from shopsync.reasons import explain
from shopsync.reference import reference_dir
from shopsync.settings import load_config
from shopsync.store import open_store

__all__ = ["SAMPLE_DIR", "run_demo"]

SAMPLE_DIR = reference_dir().parent / "sample"


def run_demo(db_url: str = "sqlite:///data/demo.db", sample_dir: Path = SAMPLE_DIR) -> int:
    """Initialise a fresh store, load the sample ERP file, print the validation summary."""
    _remove_sqlite_file(db_url)
    config = load_config(sample_dir / "shop.toml")
    store = open_store(db_url)
    store.initialise(config)
    print(f"store: {store!r} initialised for shop {config.shop.code}")

    erp = read_erp_customers(sample_dir / "erp_customers.csv")
    counts = store.save_erp_customers(erp.customers)
    print(f"ERP customers loaded: {counts['inserted']} new, {len(erp.issues)} value(s) to look at")

    report = validate_export(config, store)
    print()
    print(format_validation_summary(report))
    return 0


def format_validation_summary(report: pd.DataFrame) -> str:
    """A short text summary of an eligibility report: totals and counts per reason."""
    eligible = int(report["eligible"].sum())
    lines = [
        f"Export validation: {len(report)} ERP customers, {eligible} eligible, "
        f"{len(report) - eligible} not eligible",
        "",
        f"{'action':<10} {'customers':>9}",
    ]
    for action, count in report["action"].value_counts().sort_index().items():
        lines.append(f"{action:<10} {count:>9}")
    codes = report["reasons"].str.split(";").explode()
    codes = codes[codes.fillna("") != ""]
    if not codes.empty:
        lines += ["", f"{'reason':<26} {'customers':>9}  meaning"]
        for code, count in codes.value_counts().sort_index().items():
            lines.append(f"{code:<26} {count:>9}  {explain(code)}")
    return "\n".join(lines)


def _remove_sqlite_file(db_url: str) -> None:
    url = make_url(db_url)
    if url.drivername.startswith("sqlite") and url.database not in (None, "", ":memory:"):
        Path(url.database).unlink(missing_ok=True)
