"""Tests for locating and loading the reference data."""

from __future__ import annotations

from pathlib import Path

import pytest

import shopsync
from shopsync.errors import InputFileError
from shopsync.normalize import ProvinceTable
from shopsync.reference import (
    COUNTRY_COLUMNS,
    PROVINCE_COLUMNS,
    load_countries,
    load_province_table,
    load_provinces,
    reference_dir,
    sample_dir,
)


def test_reference_data_is_package_data():
    package = Path(shopsync.__file__).resolve().parent
    assert Path(str(reference_dir())) == package / "reference_data"
    assert (reference_dir() / "provinces.csv").is_file()


def test_the_sample_shop_of_a_checkout_is_data_sample():
    assert sample_dir() == Path(shopsync.__file__).resolve().parents[1] / "data" / "sample"
    assert (sample_dir() / "shop.toml").is_file()


def test_countries_are_text_with_blanks_as_empty_strings():
    countries = load_countries()
    assert tuple(countries.columns[: len(COUNTRY_COLUMNS)]) == COUNTRY_COLUMNS
    row = countries.set_index("country_code").loc["NL"]
    assert row["country_name"] == "Netherlands"
    assert row["phone_prefix"] == "31"  # text, not the number 31
    assert row["has_provinces"] == "False"
    # "NA" is Namibia, not a missing value
    assert "NA" in set(countries["country_code"])
    assert not countries.isna().any().any()


def test_provinces_are_text_and_keep_blanks():
    provinces = load_provinces()
    assert tuple(provinces.columns) == PROVINCE_COLUMNS
    assert not provinces.isna().any().any()
    mx = provinces[(provinces["country_code"] == "MX") & (provinces["province_code"] == "AGS")]
    assert mx.iloc[0]["iso_3166_2"] == ""
    assert mx.iloc[0]["code_alternates"] == "AGU"
    # Italian province "NA" (Napoli) must not be read as missing
    it = provinces[provinces["country_code"] == "IT"]
    assert "NA" in set(it["province_code"])


def test_load_province_table_resolves_reference_rows():
    table = load_province_table()
    assert isinstance(table, ProvinceTable)
    assert table.lookup("CA", "Ontario").code == "ON"
    assert table.country_has_provinces("US")
    assert not table.country_has_provinces("NL")


def test_load_province_table_with_tax_areas():
    import pandas as pd

    tax = pd.DataFrame({"country": ["NL"], "province": ["Noord-Holland"], "province_code": ["NH"]})
    table = load_province_table(tax)
    assert table.lookup("NL", "noord holland").code == "NH"


def test_missing_file_is_reported_with_its_path(tmp_path):
    with pytest.raises(InputFileError, match=r"provinces\.csv"):
        load_provinces(tmp_path)


def test_missing_column_is_reported(tmp_path):
    (tmp_path / "countries.csv").write_text("country_code,country_name\nNL,Netherlands\n")
    with pytest.raises(InputFileError, match="phone_prefix"):
        load_countries(tmp_path)
