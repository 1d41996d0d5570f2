"""Locate and load the reference data shipped in ``data/reference`` (countries, provinces)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import shopsync
from shopsync.errors import InputFileError
from shopsync.normalize import ProvinceTable

__all__ = [
    "COUNTRY_COLUMNS",
    "PROVINCE_COLUMNS",
    "load_countries",
    "load_province_table",
    "load_provinces",
    "reference_dir",
]

COUNTRY_COLUMNS = ("country_code", "country_name", "phone_prefix", "has_provinces")
PROVINCE_COLUMNS = (
    "country_code",
    "province_code",
    "province_name",
    "iso_3166_2",
    "name_alternates",
    "code_alternates",
)


def reference_dir() -> Path:
    """The ``data/reference`` directory of the project holding the ``shopsync`` package."""
    return Path(shopsync.__file__).resolve().parents[1] / "data" / "reference"


def _read(name: str, columns: tuple[str, ...], directory: Path | None) -> pd.DataFrame:
    path = (directory or reference_dir()) / name
    if not path.is_file():
        raise InputFileError(str(path), "reference file not found")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InputFileError(str(path), f"cannot be read as UTF-8 CSV: {exc}") from exc
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise InputFileError(str(path), f"missing column(s) {', '.join(missing)}")
    return frame


def load_countries(directory: Path | None = None) -> pd.DataFrame:
    """Shopify's countries (``countries.csv``): ``country_code, country_name, phone_prefix,
    has_provinces``, all as text ("" for blanks)."""
    return _read("countries.csv", COUNTRY_COLUMNS, directory)


def load_provinces(directory: Path | None = None) -> pd.DataFrame:
    """Shopify's provinces (``provinces.csv``), all as text ("" for blanks); alternates are
    ``;``-separated."""
    return _read("provinces.csv", PROVINCE_COLUMNS, directory)


def load_province_table(
    tax_areas: pd.DataFrame | None = None, directory: Path | None = None
) -> ProvinceTable:
    """A :class:`~shopsync.normalize.ProvinceTable` from ``provinces.csv`` plus ``tax_areas``."""
    return ProvinceTable(load_provinces(directory), tax_areas)
