"""The side-by-side benchmark's input files: an ERP customer CSV and a Shopify bulk JSONL.

``write_files(n, folder)`` turns :func:`benchmarks.generate.generate` data into the files a
user hands to ``shopsync preview-import --erp erp.csv --shopify customers.jsonl`` and
``shopsync validate-export --erp erp.csv``, with the realistic mix of issue 14 on top of the
generated customers:

* ``erp.csv`` is headed with Business Central's captions (``No.``, ``Phone No.``, ``E-Mail``,
  ``Country/Region Code``...), as its Customer List export; about 3 % of the phones are broken
  (a digit dropped or added, or text that is no number), on ERP-only customers so the planted
  matches stay; country codes come in mixed case (``de``, ``Nl``, read as ``DE``, ``NL``), and
  now and then as ISO alpha-3 (``DEU``) or ``UK`` for Great Britain: codes the ERP's country
  table does not have (``COUNTRY_UNKNOWN`` in the validation; their phones are read without a
  region, so only international ones parse);
* ``customers.jsonl`` is a 2026-07 bulk query's output (``BULK_CUSTOMERS_QUERY``): one line
  per customer, one line per address with ``__parentId``, all lines shuffled (the output is
  not grouped: an address may come before its customer);
* ``shop.toml`` is the benchmark's shop (BC defaults plus auto-create, updates and a template,
  so every branch of the plan runs; Greece is ``EL``); ``countries.csv`` the ERP country table
  the peers use, built as ``shopsync init --config shop.toml`` seeds the store's.

The files are written once per (n, seed) into ``benchmarks/.data/files-n{n}-s{seed}/`` and
reused; ``meta.json`` records what was planted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pycountry

from benchmarks.generate import CACHE_DIR, COUNTRIES, Dataset, generate
from shopsync.schema import BC_CAPTIONS, ERP_COLUMNS

__all__ = ["ALPHA3", "BenchFiles", "bench_files", "erp_country_table", "write_files"]

FORMAT_VERSION = 1
# ISO alpha-2 -> alpha-3, for the ERP codes typed as alpha-3
ALPHA3 = {iso: pycountry.countries.get(alpha_2=iso).alpha_3 for iso in COUNTRIES}
BROKEN_SHARE = 0.025  # broken phones added to the generator's 0.5 % (and the unknown countries')

_CONFIG = """\
# The side-by-side benchmark's shop (benchmarks/files.py): BC defaults plus auto-create,
# updates and a customer template, so every branch of the import plan runs.
[shop]
code = "BENCH"
url = "http://127.0.0.1:8787"
customer_import = "all_customers"
mapping_type = "by_email_phone"
auto_create_unknown_customers = true
shopify_can_update_customers = true
customer_template_code = "DOM"
phone_match = "e164"
export_customers = true

[company]
country_code = "US"

[erp_countries]
{erp_countries}

[[templates]]
code = "DOM"
description = "Domestic"
gen_bus_posting_group = "DOMESTIC"
vat_bus_posting_group = "DOMESTIC"
customer_posting_group = "DOMESTIC"
tax_liable = true

[[templates]]
code = "EU"
description = "EU"
gen_bus_posting_group = "EU"
vat_bus_posting_group = "EU"
customer_posting_group = "FOREIGN"
"""


def erp_countries() -> dict[str, str]:
    """The benchmark config's ``[erp_countries]``: the ERP calls Greece EL."""
    return {"EL": "GR"}


def erp_country_table() -> pd.DataFrame:
    """ERP country code -> ISO code, as ``shopsync init --config shop.toml`` seeds the store:
    every ISO 3166-1 alpha-2 code as itself except those the config spells otherwise, then
    the config's ``[erp_countries]``."""
    mapped = erp_countries()
    claimed = {iso for code, iso in mapped.items() if iso and code != iso}
    table = {c.alpha_2: c.alpha_2 for c in pycountry.countries if c.alpha_2 not in claimed}
    table.update(mapped)
    return pd.DataFrame({"code": list(table), "iso": list(table.values())})


class BenchFiles:
    """Paths of one benchmark file set and what was planted in it."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.erp = folder / "erp.csv"
        self.shopify = folder / "customers.jsonl"
        self.config = folder / "shop.toml"
        self.countries = folder / "countries.csv"
        self.meta_path = folder / "meta.json"

    @property
    def meta(self) -> dict[str, Any]:
        return json.loads(self.meta_path.read_text())

    def complete(self) -> bool:
        paths = (self.erp, self.shopify, self.config, self.countries, self.meta_path)
        if not all(path.exists() for path in paths):
            return False
        return self.meta.get("format") == FORMAT_VERSION


def bench_files(n: int, seed: int = 7, root: Path | None = None) -> BenchFiles:
    """The file set for ``n`` customers, written first if it is not there yet."""
    folder = (root or CACHE_DIR) / f"files-n{n}-s{seed}"
    files = BenchFiles(folder)
    if not files.complete():
        write_files(n, folder, seed)
    return files


def write_files(n: int, folder: Path, seed: int = 7) -> BenchFiles:
    """Generate ``n`` ERP + ``n`` Shopify customers and write the four files into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    files = BenchFiles(folder)
    data = generate(n, seed, text_dtype="object")
    rng = np.random.default_rng(seed + 1_000)
    erp = _realistic_erp(rng, data)
    _write_erp_csv(erp, files.erp)
    lines = _bulk_lines(data)
    order = rng.permutation(len(lines))
    with files.shopify.open("w", encoding="utf-8") as handle:
        handle.writelines(lines[i] for i in order)
    entries = "\n".join(f'{code} = "{iso}"' for code, iso in erp_countries().items())
    files.config.write_text(_CONFIG.format(erp_countries=entries))
    erp_country_table().to_csv(files.countries, index=False)
    phones = erp["phone"]
    meta = {
        "format": FORMAT_VERSION,
        "n": n,
        "seed": seed,
        "planted": dict(data.expected),
        "erp_rows": len(erp),
        "shopify_lines": len(lines),
        "blank_phones": int((phones == "").sum()),
        "broken_phones_added": int(erp.attrs["broken"]),
        "country_spellings": erp.attrs["spellings"],
    }
    files.meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    return files


def _realistic_erp(rng: np.random.Generator, data: Dataset) -> pd.DataFrame:
    """The generated ERP customers with broken phones and country codes as users type them."""
    erp = data.erp.copy()
    erp_only = np.flatnonzero(data.erp_kind == "erp_only")
    phones = erp["phone"].to_numpy(dtype=object).copy()
    with_digits = np.asarray([any(ch.isdigit() for ch in phones[i]) for i in erp_only], dtype=bool)
    candidates = erp_only[with_digits] if len(erp_only) else erp_only
    count = min(len(candidates), round(len(erp) * BROKEN_SHARE))
    chosen = rng.choice(candidates, count, replace=False)
    style = rng.integers(0, 3, count)
    for row, kind in zip(chosen, style, strict=True):
        text = phones[row]
        if kind == 0:  # a digit dropped
            positions = [i for i, ch in enumerate(text) if ch.isdigit()]
            cut = positions[len(positions) // 2]
            phones[row] = text[:cut] + text[cut + 1 :]
        elif kind == 1:  # digits added
            phones[row] = text + "99"
        else:  # not a number at all
            phones[row] = "tel " + text[:4] + "?"
    erp["phone"] = phones

    codes = erp["country_code"].to_numpy(dtype=object).copy()
    roll = rng.random(len(codes))
    spellings = {"lower": 0, "title": 0, "alpha3": 0, "UK": 0}
    for row in np.flatnonzero(codes != ""):
        code = codes[row]
        if code == "GB" and roll[row] < 0.15:
            codes[row], key = "UK", "UK"
        elif roll[row] < 0.04:
            codes[row], key = code.lower(), "lower"
        elif roll[row] < 0.07:
            codes[row], key = code.title(), "title"
        elif roll[row] < 0.08 and code in ALPHA3:
            codes[row], key = ALPHA3[code], "alpha3"
        else:
            continue
        spellings[key] += 1
    erp["country_code"] = codes
    erp.attrs["broken"] = count
    erp.attrs["spellings"] = spellings
    return erp


def _write_erp_csv(erp: pd.DataFrame, path: Path) -> None:
    out = erp[list(ERP_COLUMNS)].copy()
    out["tax_liable"] = np.where(out["tax_liable"].to_numpy(dtype=bool), "Yes", "No")
    out.columns = list(BC_CAPTIONS)
    out.to_csv(path, index=False, encoding="utf-8")


def _gid(kind: str, ids: pd.Series) -> pd.Series:
    return "gid://shopify/" + kind + "/" + ids.astype(str)


def _bulk_lines(data: Dataset) -> list[str]:
    """The bulk query's JSONL lines (each ending in a newline), customers then addresses."""
    customers = data.shopify.customers
    addresses = data.shopify.addresses
    customer_gid = _gid("Customer", customers["shopify_id"])
    address_gid = _gid("MailingAddress", addresses["address_id"]) + "?model_name=CustomerAddress"
    default_gid = np.where(
        customers["default_address_id"] != "",
        _gid("MailingAddress", customers["default_address_id"]) + "?model_name=CustomerAddress",
        None,
    )
    lines: list[str] = []
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    for row, gid, default in zip(
        customers.itertuples(index=False), customer_gid, default_gid, strict=True
    ):
        node = {
            "id": gid,
            "legacyResourceId": row.shopify_id,
            "firstName": row.first_name or None,
            "lastName": row.last_name or None,
            "state": row.state,
            "tags": [t for t in row.tags.split(",") if t],
            "note": row.note or None,
            "verifiedEmail": bool(row.verified_email),
            "taxExempt": bool(row.tax_exempt),
            "createdAt": row.created_at,
            "updatedAt": row.updated_at,
            "defaultEmailAddress": {"emailAddress": row.email} if row.email else None,
            "defaultPhoneNumber": {"phoneNumber": row.phone} if row.phone else None,
            "defaultAddress": {"id": default} if default else None,
        }
        lines.append(dumps(node) + "\n")
    parents = dict(zip(customers["shopify_id"], customer_gid, strict=True))
    for row, gid in zip(addresses.itertuples(index=False), address_gid, strict=True):
        node = {
            "id": gid,
            "firstName": row.first_name or None,
            "lastName": row.last_name or None,
            "company": row.company or None,
            "address1": row.address1 or None,
            "address2": row.address2 or None,
            "zip": row.zip or None,
            "city": row.city or None,
            "countryCodeV2": row.country_code or None,
            "country": row.country_name or None,
            "provinceCode": row.province_code or None,
            "province": row.province_name or None,
            "phone": row.phone or None,
            "__parentId": parents[row.shopify_id],
        }
        lines.append(dumps(node) + "\n")
    return lines
