"""The local store: SQLAlchemy Core schema for the ERP side, the Shopify mirror and sync runs."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pycountry
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    func,
    select,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from shopsync.erp_io import ERP_COLUMNS
from shopsync.errors import UserInputError
from shopsync.reference import load_provinces
from shopsync.settings import ShopConfig, ShopSettings
from shopsync.shopify_io import ADDRESS_COLUMNS, CUSTOMER_COLUMNS, ShopifyCustomers

__all__ = [
    "DEFAULT_DB_URL",
    "Store",
    "metadata",
    "open_store",
    "resolve_db_url",
]

DEFAULT_DB_URL = "sqlite:///data/shopsync.db"

metadata = MetaData()

countries = Table(
    "countries",
    metadata,
    Column("code", String(10), primary_key=True, doc="the ERP's own country/region code"),
    Column("name", String(100), nullable=False, default=""),
    Column("iso_code", String(2), nullable=False, default="", doc="ISO 3166-1 alpha-2, or ''"),
)

company = Table(
    "company",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, default=""),
    Column("country_code", String(10), nullable=False, default=""),
)

customer_templates = Table(
    "customer_templates",
    metadata,
    Column("code", String(20), primary_key=True),
    Column("description", String(100), nullable=False, default=""),
    Column("gen_bus_posting_group", String(20), nullable=False, default=""),
    Column("vat_bus_posting_group", String(20), nullable=False, default=""),
    Column("customer_posting_group", String(20), nullable=False, default=""),
    Column("tax_area_code", String(20), nullable=False, default=""),
    Column("tax_liable", Boolean, nullable=False, default=False),
    Column("payment_terms_code", String(10), nullable=False, default=""),
)

shops = Table(
    "shops",
    metadata,
    Column("code", String(20), primary_key=True),
    Column("settings", Text, nullable=False, doc="ShopSettings as JSON"),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

shop_countries = Table(
    "shop_countries",
    metadata,
    Column("shop_code", String(20), ForeignKey("shops.code"), primary_key=True),
    Column("iso_code", String(2), primary_key=True),
    Column("customer_template_code", String(20), nullable=False, default=""),
    Column("default_customer_no", String(20), nullable=False, default=""),
)

tax_areas = Table(
    "tax_areas",
    metadata,
    Column("country", String(2), primary_key=True, doc="ISO country"),
    Column("province", String(100), primary_key=True, doc="province name"),
    Column("province_code", String(10), nullable=False, default=""),
    Column("tax_area_code", String(20), nullable=False, default=""),
    Column("tax_liable", Boolean, nullable=False, default=False),
    Column("vat_bus_posting_group", String(20), nullable=False, default=""),
    Column("source", String(10), nullable=False, default="shopify", doc="shopify | config"),
)

_TEXT_LENGTHS = {"no": 20, "post_code": 20, "country_code": 10, "tax_area_code": 20}
erp_customers = Table(
    "erp_customers",
    metadata,
    *[
        Column(
            name,
            Boolean if name == "tax_liable" else String(_TEXT_LENGTHS.get(name, 255)),
            primary_key=name == "no",
            nullable=False,
            default=False if name == "tax_liable" else "",
        )
        for name in ERP_COLUMNS
    ],
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

shopify_customers = Table(
    "shopify_customers",
    metadata,
    Column("shop_code", String(20), primary_key=True),
    Column("id", String(20), primary_key=True, doc="numeric id (legacyResourceId)"),
    Column("first_name", String(255), nullable=False, default=""),
    Column("last_name", String(255), nullable=False, default=""),
    Column("email", String(255), nullable=False, default=""),
    Column("phone", String(40), nullable=False, default=""),
    Column("state", String(20), nullable=False, default=""),
    Column("tags", Text, nullable=False, default="[]"),
    Column("note", Text, nullable=False, default=""),
    Column("verified_email", Boolean, nullable=False, default=False),
    Column("tax_exempt", Boolean, nullable=False, default=False),
    Column("email_marketing_state", String(30), nullable=False, default=""),
    Column("default_address_id", String(20), nullable=False, default=""),
    Column("created_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True)),
    Column("last_updated_by_erp", DateTime(timezone=True)),
    Column("customer_no", String(20), nullable=False, default="", doc="link to the ERP"),
)

shopify_addresses = Table(
    "shopify_addresses",
    metadata,
    Column("shop_code", String(20), primary_key=True),
    Column("id", String(20), primary_key=True),
    Column("customer_id", String(20), nullable=False, index=True),
    Column("company", String(255), nullable=False, default=""),
    Column("first_name", String(255), nullable=False, default=""),
    Column("last_name", String(255), nullable=False, default=""),
    Column("address1", String(255), nullable=False, default=""),
    Column("address2", String(255), nullable=False, default=""),
    Column("zip", String(40), nullable=False, default=""),
    Column("city", String(255), nullable=False, default=""),
    Column("country_code", String(2), nullable=False, default=""),
    Column("country_name", String(100), nullable=False, default=""),
    Column("province_code", String(10), nullable=False, default=""),
    Column("province_name", String(100), nullable=False, default=""),
    Column("phone", String(40), nullable=False, default=""),
    Column("is_default", Boolean, nullable=False, default=False),
    Column("customer_no", String(20), nullable=False, default="", doc="link to the ERP"),
)

sync_runs = Table(
    "sync_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("shop_code", String(20), nullable=False, index=True),
    Column("direction", String(10), nullable=False),
    Column("parameters", Text, nullable=False, default="{}"),
    Column("status", String(20), nullable=False, doc="running | succeeded | failed | crashed"),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("watermark", DateTime(timezone=True), doc="import watermark this run establishes"),
    Column("counts", Text, nullable=False, default="{}", doc="outcome -> count, JSON"),
)

sync_log = Table(
    "sync_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("sync_runs.id"), nullable=False, index=True),
    Column("side", String(10), nullable=False, doc="import | export | invite | order"),
    Column("record", String(64), nullable=False, doc="ERP no, Shopify id or order id"),
    Column("outcome", String(10), nullable=False, doc="skipped | failed"),
    Column("reason", String(40), nullable=False, default=""),
    Column("message", Text, nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


def resolve_db_url(url: str | None = None) -> str:
    """The store URL: the argument, else ``SHOPSYNC_DB``, else the SQLite file data/shopsync.db."""
    return url or os.environ.get("SHOPSYNC_DB") or DEFAULT_DB_URL


def open_store(url: str | None = None) -> Store:
    """Connect to the store at ``url`` (see resolve_db_url); the schema is created if missing."""
    url = resolve_db_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise UserInputError(f"not a database URL: {url!r}") from None
    if parsed.drivername.startswith("sqlite") and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_engine(url)
    except Exception as exc:  # missing driver, bad option...
        raise UserInputError(f"cannot open store {parsed.render_as_string()}: {exc}") from None
    if parsed.drivername.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
    store = Store(engine)
    store.create_schema()
    return store


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


class Store:
    """Reads and writes shopsync's tables; one instance per database, no hidden state."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def __repr__(self) -> str:
        return f"Store({self.engine.url.render_as_string(hide_password=True)!r})"

    def create_schema(self) -> None:
        """Create missing tables (existing ones are left as they are)."""
        try:
            metadata.create_all(self.engine)
        except OperationalError as exc:
            raise UserInputError(f"cannot open store {self!r}: {exc.orig}") from None

    # -- reference data ---------------------------------------------------------------------

    def initialise(self, config: ShopConfig | None = None) -> dict[str, int]:
        """Seed countries and provinces, then apply ``config``; harmless to repeat.

        Returns how many rows each table gained.
        """
        erp_countries = dict(config.erp_countries) if config else {}
        claimed_iso = {iso for code, iso in erp_countries.items() if iso and code != iso}
        seed = [
            {"code": c.alpha_2, "name": c.name, "iso_code": c.alpha_2}
            for c in pycountry.countries
            if c.alpha_2 not in claimed_iso
        ]
        for code, iso in erp_countries.items():
            known = pycountry.countries.get(alpha_2=iso) if iso else None
            seed.append({"code": code, "name": known.name if known else code, "iso_code": iso})
        provinces = load_provinces()
        province_rows = [
            {
                "country": row.country_code,
                "province": row.province_name,
                "province_code": row.province_code,
                "source": "shopify",
            }
            for row in provinces.itertuples()
        ]
        with self.engine.begin() as conn:  # an ISO code the ERP spells otherwise is not a code
            conn.execute(
                countries.delete().where(
                    countries.c.code.in_(claimed_iso), countries.c.code.not_in(erp_countries)
                )
            )
        gained = {
            "countries": self._upsert(countries, seed, ["code"], overwrite=bool(erp_countries)),
            "tax_areas": self._upsert(tax_areas, province_rows, ["country", "province"]),
        }
        if config is not None:
            gained.update(self.save_config(config))
        return gained

    def save_config(self, config: ShopConfig) -> dict[str, int]:
        """Write a shop's settings, templates, per-country rows and tax areas (upsert)."""
        now = _now()
        shop = config.shop
        gained = {
            "shops": self._upsert(
                shops,
                [{"code": shop.code, "settings": json.dumps(asdict(shop)), "updated_at": now}],
                ["code"],
                overwrite=True,
            ),
            "customer_templates": self._upsert(
                customer_templates,
                [asdict(t) for t in config.templates.values()],
                ["code"],
                overwrite=True,
            ),
            "shop_countries": self._upsert(
                shop_countries,
                [{"shop_code": shop.code, **asdict(c)} for c in config.countries.values()],
                ["shop_code", "iso_code"],
                overwrite=True,
            ),
            "tax_areas": self._upsert(
                tax_areas,
                [{**asdict(t), "source": "config"} for t in config.tax_areas],
                ["country", "province"],
                overwrite=True,
            ),
        }
        if config.company_country:
            with self.engine.begin() as conn:
                conn.execute(company.delete())
                conn.execute(company.insert().values(id=1, country_code=config.company_country))
        return gained

    def shop_settings(self, code: str) -> ShopSettings | None:
        """The settings saved for shop ``code``, or None."""
        with self.engine.connect() as conn:
            raw = conn.execute(select(shops.c.settings).where(shops.c.code == code)).scalar()
        return ShopSettings(**json.loads(raw)) if raw else None

    def countries_table(self) -> pd.DataFrame:
        """ERP countries: code, name, iso_code."""
        return self._frame(select(countries).order_by(countries.c.code))

    def country_iso_map(self) -> dict[str, str]:
        """ERP country code -> ISO code ('' where the ERP country has none)."""
        table = self.countries_table()
        return dict(zip(table["code"], table["iso_code"], strict=True))

    def company_country(self) -> str:
        """The ERP company's own country code ('' when not set)."""
        with self.engine.connect() as conn:
            return conn.execute(select(company.c.country_code)).scalar() or ""

    def tax_area_table(self) -> pd.DataFrame:
        """Provinces and tax areas: country, province, province_code, tax fields, source."""
        return self._frame(select(tax_areas).order_by(tax_areas.c.country, tax_areas.c.province))

    def templates_table(self) -> pd.DataFrame:
        """Customer templates."""
        return self._frame(select(customer_templates).order_by(customer_templates.c.code))

    # -- ERP customers ----------------------------------------------------------------------

    def save_erp_customers(self, frame: pd.DataFrame) -> dict[str, int]:
        """Insert new and update changed ERP customers (by ``no``); returns the counts."""
        existing = self.erp_customers().set_index("no")
        now = _now()
        inserted, updated, unchanged = [], [], 0
        for row in frame[list(ERP_COLUMNS)].to_dict("records"):
            no = row["no"]
            if no not in existing.index:
                inserted.append({**row, "created_at": now, "updated_at": now})
            elif any(existing.at[no, k] != row[k] for k in ERP_COLUMNS if k != "no"):
                updated.append({**row, "updated_at": now})
            else:
                unchanged += 1
        with self.engine.begin() as conn:
            if inserted:
                conn.execute(erp_customers.insert(), inserted)
            for row in updated:
                conn.execute(
                    erp_customers.update().where(erp_customers.c.no == row["no"]).values(**row)
                )
        return {"inserted": len(inserted), "updated": len(updated), "unchanged": unchanged}

    def erp_customers(self) -> pd.DataFrame:
        """All ERP customers in the canonical column order (text columns, tax_liable bool)."""
        frame = self._frame(
            select(*[erp_customers.c[name] for name in ERP_COLUMNS]).order_by(erp_customers.c.no)
        )
        if frame.empty:
            frame = pd.DataFrame({name: pd.Series(dtype=object) for name in ERP_COLUMNS})
        frame["tax_liable"] = frame["tax_liable"].astype(bool)
        return frame

    # -- Shopify mirror --------------------------------------------------------------------

    def links(self, shop_code: str) -> dict[str, str]:
        """Shopify customer id -> linked ERP customer no, for one shop."""
        query = select(shopify_customers.c.id, shopify_customers.c.customer_no).where(
            shopify_customers.c.shop_code == shop_code, shopify_customers.c.customer_no != ""
        )
        with self.engine.connect() as conn:
            return dict(conn.execute(query).all())

    def shopify_mirror(self, shop_code: str) -> ShopifyCustomers:
        """The stored copy of a shop's Shopify customers and addresses."""
        customers = self._frame(
            select(shopify_customers)
            .where(shopify_customers.c.shop_code == shop_code)
            .order_by(shopify_customers.c.id)
        ).rename(columns={"id": "shopify_id"})
        addresses = self._frame(
            select(shopify_addresses)
            .where(shopify_addresses.c.shop_code == shop_code)
            .order_by(shopify_addresses.c.customer_id, shopify_addresses.c.id)
        ).rename(columns={"id": "address_id", "customer_id": "shopify_id"})
        customers["record_error"] = ""
        for column in ("created_at", "updated_at"):
            customers[column] = customers[column].map(_iso_text)
        customers["tags"] = customers["tags"].map(lambda t: ",".join(json.loads(t or "[]")))
        addresses["position"] = addresses.groupby("shopify_id").cumcount()
        return ShopifyCustomers(
            customers.reindex(columns=CUSTOMER_COLUMNS, fill_value=""),
            addresses.reindex(columns=ADDRESS_COLUMNS, fill_value=""),
        )

    # -- runs ------------------------------------------------------------------------------

    def runs(self, shop_code: str | None = None) -> pd.DataFrame:
        """Sync runs, newest first."""
        query = select(sync_runs).order_by(sync_runs.c.id.desc())
        if shop_code:
            query = query.where(sync_runs.c.shop_code == shop_code)
        return self._frame(query)

    def table_counts(self) -> dict[str, int]:
        """Row count of every table (for summaries and tests)."""
        with self.engine.connect() as conn:
            return {
                name: conn.execute(select(func.count()).select_from(table)).scalar_one()
                for name, table in metadata.tables.items()
            }

    # -- helpers ---------------------------------------------------------------------------

    def _frame(self, query: Any) -> pd.DataFrame:
        with self.engine.connect() as conn:
            result = conn.execute(query)
            return pd.DataFrame(result.fetchall(), columns=list(result.keys()), dtype=object)

    def _upsert(
        self,
        table: Table,
        rows: Iterable[Mapping[str, Any]],
        keys: list[str],
        *,
        overwrite: bool = False,
    ) -> int:
        """Insert rows whose key is new; with ``overwrite`` also update existing ones."""
        rows = list(rows)
        if not rows:
            return 0
        key_columns = [table.c[k] for k in keys]
        with self.engine.begin() as conn:
            existing = {tuple(r) for r in conn.execute(select(*key_columns))}
            new = [r for r in rows if tuple(r[k] for k in keys) not in existing]
            if new:
                conn.execute(table.insert(), new)
            if overwrite:
                for row in rows:
                    if tuple(row[k] for k in keys) in existing:
                        condition = [table.c[k] == row[k] for k in keys]
                        conn.execute(table.update().where(*condition).values(**row))
        return len(new)


def _now() -> datetime:
    return datetime.now(UTC)


def _iso_text(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return "" if value is None else str(value)
