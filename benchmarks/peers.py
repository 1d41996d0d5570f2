"""The side-by-side benchmark's peers: what a user would write instead of shopsync.

    python -m benchmarks.peers duckdb  --config shop.toml --countries countries.csv \\
                                       --erp erp.csv --shopify customers.jsonl --out links.csv
    python -m benchmarks.peers per-row --config shop.toml --countries countries.csv \\
                                       --erp erp.csv --out checks.csv

``duckdb``: the import preview's linkage in DuckDB SQL from the same files. DuckDB reads the
ERP CSV and the bulk JSONL itself (customer lines and ``__parentId`` address lines, in any
order); phones are parsed with phonenumbers once per distinct (phone, region) pair pulled out
of DuckDB, mapped in Python and joined back. The rule is shopsync's default preview (SPEC 4,
``shopsync.mapping``): e-mail first (the whole field trimmed and case-folded, ties to the
lowest ERP number), then, for the customers left, the phone in E.164 (a Shopify phone already
in E.164 as is, else read with its address's country; each ERP phone read with its customer's
ISO country, a blank country being the company's; no validity check), lowest number on ties.
Writes ``shopify_id,customer_no,rule`` per matched Shopify customer.

``per-row``: the export check, row by row in plain Python with the csv module: the phone
(phonenumbers: E.164 when valid, else invalid; blank or separators only = missing) and the
e-mail (the first of a ``;``/``,`` list, whitespace removed, Shopify's syntax) of every ERP
customer. Writes ``customer_no,phone,phone_invalid,email,email_invalid``.

Both read the ERP country table (``countries.csv``, code -> ISO) and the company country from
the config, as ``shopsync init --config`` would seed a store.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import tomllib
from pathlib import Path

import phonenumbers

__all__ = ["duckdb_links", "main", "per_row_checks"]

E164 = phonenumbers.PhoneNumberFormat.E164
_SEPARATORS = re.compile(r"[\s().\-]")
_LOCAL = r"[A-Za-z0-9_!#$%&'*+/=?^`{|}~\-]"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(
    rf"(?P<local>{_LOCAL}+(?:\.{_LOCAL}+)*)@(?:{_LABEL}\.)+(?:[A-Za-z]{{2,}}|xn--[a-z0-9\-]+)"
)


def _company_country(config: Path) -> str:
    with config.open("rb") as handle:
        raw = tomllib.load(handle)
    return str(raw.get("company", {}).get("country_code", "")).strip().upper()


def _parse_e164(text: str, region: str) -> str:
    """The E.164 form phonenumbers gives ``text`` in ``region`` ('' when it does not parse)."""
    try:
        number = phonenumbers.parse(text, region or None)
    except phonenumbers.NumberParseException:
        return ""
    return phonenumbers.format_number(number, E164)


# --------------------------------------------------------------------------------------------
# DuckDB


_SHOPIFY_COLUMNS = (
    "{'id': 'VARCHAR', 'legacyResourceId': 'VARCHAR', "
    "'defaultEmailAddress': 'STRUCT(emailAddress VARCHAR)', "
    "'defaultPhoneNumber': 'STRUCT(phoneNumber VARCHAR)', "
    "'defaultAddress': 'STRUCT(id VARCHAR)', 'countryCodeV2': 'VARCHAR', "
    "'__parentId': 'VARCHAR'}"
)


def _strip(expression: str) -> str:
    return f"regexp_replace(coalesce({expression}, ''), '^\\s+|\\s+$', '', 'g')"


def duckdb_links(
    config: Path, countries: Path, erp: Path, shopify: Path, out: Path, threads: int = 0
) -> int:
    """The e-mail -> E.164 linkage in DuckDB; returns the number of links written."""
    import duckdb
    import pyarrow as pa

    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads TO {threads}")
    company = _company_country(config)
    con.execute(
        "CREATE TABLE countries AS SELECT upper(trim(code)) AS code, iso "
        f"FROM read_csv('{countries}', header = true, all_varchar = true, nullstr = '')"
    )
    con.execute(
        f"""
        CREATE TABLE erp AS
        SELECT e."No." AS no,
               lower({_strip('e."E-Mail"')}) AS email_key,
               {_strip('e."Phone No."')} AS phone,
               coalesce(c.iso, '') AS region
        FROM read_csv('{erp}', header = true, all_varchar = true) AS e
        LEFT JOIN countries AS c
          ON c.code = coalesce(nullif(upper({_strip('e."Country/Region Code"')}), ''), '{company}')
        """
    )
    con.execute(
        f"""
        CREATE TABLE lines AS
        SELECT * FROM read_json('{shopify}', format = 'newline_delimited',
                                columns = {_SHOPIFY_COLUMNS})
        """
    )
    con.execute(
        f"""
        CREATE TABLE shop AS
        WITH customers AS (
            SELECT coalesce(legacyResourceId, regexp_extract(id, '(\\d+)$', 1)) AS shopify_id,
                   lower({_strip("defaultEmailAddress.emailAddress")}) AS email_key,
                   {_strip("defaultPhoneNumber.phoneNumber")} AS phone,
                   defaultAddress.id AS default_gid
            FROM lines WHERE __parentId IS NULL
        ),
        addresses AS (
            SELECT regexp_extract(__parentId, '(\\d+)$', 1) AS shopify_id, id AS gid,
                   TRY_CAST(regexp_extract(id, '/(\\d+)(\\?|$)', 1) AS BIGINT) AS address_no,
                   upper(coalesce(countryCodeV2, '')) AS country
            FROM lines WHERE __parentId IS NOT NULL
        ),
        chosen AS (
            SELECT a.shopify_id, arg_min(a.country,
                   (CASE WHEN a.gid = c.default_gid THEN 0 ELSE 1 END, a.address_no)) AS country
            FROM addresses AS a JOIN customers AS c USING (shopify_id)
            GROUP BY a.shopify_id
        )
        SELECT c.shopify_id, c.email_key, c.phone, coalesce(h.country, '') AS region
        FROM customers AS c LEFT JOIN chosen AS h USING (shopify_id)
        """
    )
    # phones: each distinct (phone, region) pair parsed once, in Python, joined back
    pairs = con.execute(
        "SELECT DISTINCT phone, region FROM erp WHERE phone <> '' UNION "
        "SELECT DISTINCT phone, region FROM shop "
        "WHERE phone <> '' AND NOT regexp_full_match(phone, '\\+[1-9]\\d{6,14}')"
    ).fetchall()
    phones = [pair[0] for pair in pairs]
    regions = [pair[1] for pair in pairs]
    parsed = pa.table(
        {
            "phone": phones,
            "region": regions,
            "e164": [_parse_e164(p, r) for p, r in zip(phones, regions, strict=True)],
        }
    )
    con.register("parsed", parsed)
    con.execute(
        f"""
        COPY (
            WITH email_hits AS (
                SELECT s.shopify_id, min(e.no) AS customer_no
                FROM shop AS s JOIN erp AS e ON s.email_key = e.email_key
                WHERE s.email_key <> ''
                GROUP BY s.shopify_id
            ),
            shop_e164 AS (
                SELECT s.shopify_id,
                       CASE WHEN regexp_full_match(s.phone, '\\+[1-9]\\d{{6,14}}') THEN s.phone
                            ELSE coalesce(p.e164, '') END AS e164
                FROM shop AS s
                LEFT JOIN parsed AS p ON p.phone = s.phone AND p.region = s.region
                WHERE s.phone <> ''
                  AND s.shopify_id NOT IN (SELECT shopify_id FROM email_hits)
            ),
            erp_e164 AS (
                SELECT e.no, p.e164
                FROM erp AS e JOIN parsed AS p ON p.phone = e.phone AND p.region = e.region
                WHERE p.e164 <> ''
            ),
            phone_hits AS (
                SELECT s.shopify_id, min(e.no) AS customer_no
                FROM shop_e164 AS s JOIN erp_e164 AS e ON s.e164 = e.e164
                WHERE s.e164 <> ''
                GROUP BY s.shopify_id
            )
            SELECT shopify_id, customer_no, 'email' AS rule FROM email_hits
            UNION ALL
            SELECT shopify_id, customer_no, 'phone' AS rule FROM phone_hits
            ORDER BY shopify_id
        ) TO '{out}' (HEADER, DELIMITER ',')
        """
    )
    (count,) = con.execute(f"SELECT count(*) FROM read_csv('{out}', header = true)").fetchone()
    return int(count)


# --------------------------------------------------------------------------------------------
# per row


def _valid_email(address: str) -> bool:
    if not address or len(address) > 255 or not address.isascii():
        return False
    match = _EMAIL.fullmatch(address)
    return match is not None and len(match["local"]) <= 64


def per_row_checks(config: Path, countries: Path, erp: Path, out: Path) -> int:
    """The export check of every ERP customer, row by row; returns the rows written."""
    company = _company_country(config)
    with countries.open(encoding="utf-8", newline="") as handle:
        table = {row["code"].strip().upper(): row["iso"] for row in csv.DictReader(handle)}
    rows = 0
    with (
        erp.open(encoding="utf-8-sig", newline="") as source,
        out.open("w", encoding="utf-8", newline="") as target,
    ):
        writer = csv.writer(target)
        writer.writerow(["customer_no", "phone", "phone_invalid", "email", "email_invalid"])
        for row in csv.DictReader(source):
            code = row["Country/Region Code"].strip().upper() or company
            region = table.get(code, "")
            phone_text = row["Phone No."].strip()
            phone, phone_invalid = "", False
            if _SEPARATORS.sub("", phone_text):
                try:
                    number = phonenumbers.parse(phone_text, region or None)
                except phonenumbers.NumberParseException:
                    phone_invalid = True
                else:
                    if phonenumbers.is_valid_number(number):
                        phone = phonenumbers.format_number(number, E164)
                    else:
                        phone_invalid = True
            parts = [part for part in re.split(r"[;,]", row["E-Mail"]) if part.strip()]
            email = re.sub(r"\s+", "", parts[0]) if parts else ""
            email_invalid = bool(parts) and not _valid_email(email)
            writer.writerow([row["No."], phone, int(phone_invalid), email, int(email_invalid)])
            rows += 1
    return rows


# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.peers", description=__doc__)
    parser.add_argument("peer", choices=["duckdb", "per-row"])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--countries", type=Path, required=True)
    parser.add_argument("--erp", type=Path, required=True)
    parser.add_argument("--shopify", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.peer == "duckdb":
        if args.shopify is None:
            parser.error("duckdb needs --shopify")
        count = duckdb_links(args.config, args.countries, args.erp, args.shopify, args.out)
        print(f"duckdb: {count} links -> {args.out}")
    else:
        count = per_row_checks(args.config, args.countries, args.erp, args.out)
        print(f"per-row: {count} customers checked -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
