"""The reference data shopsync ships as package data (countries, provinces); the sample shop."""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import pandas as pd

from shopsync.errors import InputFileError
from shopsync.normalize import ProvinceTable

__all__ = [
    "COUNTRY_COLUMNS",
    "PROVINCE_COLUMNS",
    "load_countries",
    "load_province_table",
    "load_provinces",
    "reference_dir",
    "sample_dir",
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


def reference_dir() -> Traversable:
    """Shopify's country and province lists: the package data ``shopsync/reference_data``
    (refreshed from ../shared by scripts/copy_reference_data.py)."""
    return resources.files("shopsync") / "reference_data"


def sample_dir() -> Path:
    """The sample shop: the copy a wheel carries as package data (``shopsync/sample``, made by
    setup.py), else ``data/sample`` of the source checkout."""
    package = resources.files("shopsync")
    packaged = package / "sample"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(str(package)).parent / "data" / "sample"


def _read(name: str, columns: tuple[str, ...], directory: Path | None) -> pd.DataFrame:
    path = (directory or reference_dir()) / name
    if not path.is_file():
        raise InputFileError(str(path), "reference file not found")
    try:
        with path.open("rb") as handle:
            frame = pd.read_csv(handle, dtype=str, keep_default_na=False, encoding="utf-8")
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
