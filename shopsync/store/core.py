"""The local store: SQLAlchemy Core schema for the ERP side, the Shopify mirror and sync runs."""

from __future__ import annotations

import importlib.util
import json
import os
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
import pycountry
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    Float,
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
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, IntegrityError, OperationalError

from shopsync.errors import UserInputError
from shopsync.migrations import SchemaChange, ensure_schema
from shopsync.reference import load_provinces
from shopsync.schema import (
    ADDRESS_COLUMNS,
    ADDRESS_TEXT_COLUMNS,
    CUSTOMER_COLUMNS,
    ERP_COLUMNS,
    ERP_CUSTOMER_COLUMNS,
)
from shopsync.settings import ShopConfig, ShopSettings
from shopsync.shopify_io import ShopifyCustomers

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
        for name in ERP_CUSTOMER_COLUMNS
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
    # Shopify's own timestamps, as the ISO-8601 text it sends (compared as text)
    Column("created_at", String(32), nullable=False, default=""),
    Column("updated_at", String(32), nullable=False, default=""),
    Column("last_updated_by_erp", String(32), nullable=False, default="", doc="our last write"),
    Column(
        "invite",
        String(12),
        nullable=False,
        default="",
        doc="'' | pending | sending | sent | failed | unavailable",
    ),
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
)

links = Table(
    "links",
    metadata,
    Column("shop_code", String(20), primary_key=True),
    Column("shopify_id", String(20), primary_key=True),
    Column("customer_no", String(20), nullable=False, index=True),
    Column("linked_at", String(32), nullable=False),
    comment="Shopify customer <-> ERP customer: a fact of its own, mirrored or not",
)

watermarks = Table(
    "watermarks",
    metadata,
    Column("shop_code", String(20), primary_key=True),
    Column("stream", String(20), primary_key=True, doc="customers | orders"),
    Column("value", String(32), nullable=False, doc="ISO-8601 UTC"),
    Column("run_id", Integer, nullable=False),
)

create_intents = Table(
    "create_intents",
    metadata,
    Column("shop_code", String(20), primary_key=True),
    Column("customer_no", String(20), primary_key=True),
    Column("email", String(255), nullable=False),
    Column("run_id", Integer, nullable=False),
    Column("started_at", String(32), nullable=False, doc="before the create was sent"),
    comment="Shopify creates sent but not yet recorded (a kill in between is recovered)",
)

sync_runs = Table(
    "sync_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("shop_code", String(20), nullable=False, index=True),
    Column("direction", String(10), nullable=False),
    Column("parameters", Text, nullable=False, default="{}"),
    Column(
        "status",
        String(20),
        nullable=False,
        doc="running | succeeded | failed | interrupted (killed; marked by the next run)",
    ),
    Column("started_at", String(32), nullable=False, doc="ISO-8601 UTC"),
    Column("finished_at", String(32), nullable=False, default=""),
    Column("watermark", String(32), nullable=False, default="", doc="import watermark"),
    Column("counts", Text, nullable=False, default="{}", doc="outcome -> count, JSON"),
    Column("report", Text, nullable=False, default="", doc="report file paths, JSON"),
)

sync_log = Table(
    "sync_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("sync_runs.id"), nullable=False, index=True),
    Column("side", String(10), nullable=False, doc="import | export | invite | order"),
    Column("record", String(64), nullable=False, doc="ERP no, Shopify id or order id"),
    Column("outcome", String(10), nullable=False, doc="skipped | failed"),
    Column("reason", Text, nullable=False, default="", doc="reason codes, ;-separated"),
    Column("message", Text, nullable=False, default=""),
    Column("created_at", String(32), nullable=False),
)

locks = Table(
    "locks",
    metadata,
    Column("shop_code", String(20), primary_key=True),
    Column("holder", String(100), nullable=False, doc="host:pid:token of the running sync"),
    Column("acquired_at", Float, nullable=False, doc="epoch seconds"),
    Column("heartbeat_at", Float, nullable=False, doc="epoch seconds"),
    Column("expires_at", Float, nullable=False, server_default="0", doc="epoch; stale after"),
)

number_series = Table(
    "number_series",
    metadata,
    Column("code", String(20), primary_key=True),
    Column("prefix", String(10), nullable=False),
    Column("last_number", Integer, nullable=False, default=0),
    Column("digits", Integer, nullable=False, default=6),
)

order_customers = Table(
    "order_customers",
    metadata,
    Column("shop_code", String(20), primary_key=True),
    Column("order_id", String(20), primary_key=True),
    Column("name", String(40), nullable=False, default=""),
    Column("sell_to_customer_no", String(20), nullable=False, default=""),
    Column("bill_to_customer_no", String(20), nullable=False, default=""),
    Column("rule", String(30), nullable=False, default=""),
    Column("run_id", Integer, nullable=False),
)

erp_exports = Table(
    "erp_exports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("shop_code", String(20), nullable=False, index=True),
    Column("exported_at", String(32), nullable=False, doc="ISO-8601 UTC"),
    Column("files", Text, nullable=False, default="[]", doc="the files written, JSON"),
    Column("counts", Text, nullable=False, default="{}", doc="rows per sheet, JSON"),
)

erp_changes = Table(
    "erp_changes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("shop_code", String(20), nullable=False, index=True),
    Column("kind", String(10), nullable=False, doc="created | updated | order"),
    Column("record", String(20), nullable=False, doc="ERP customer no, or Shopify order id"),
    Column("shopify_id", String(20), nullable=False, default="", doc="the Shopify customer"),
    Column("fields", Text, nullable=False, default="{}", doc="updated: field -> [old, new]"),
    Column("changed_at", String(32), nullable=False, doc="ISO-8601 UTC"),
    Column(
        "export_id",
        Integer,
        ForeignKey("erp_exports.id"),
        nullable=True,
        index=True,
        doc="the export that handed it over; NULL: not yet (the bookmark)",
    ),
)

meta = Table(
    "meta",
    metadata,
    Column("key", String(40), primary_key=True),
    Column("value", Text, nullable=False),
)

# meta.schema_version only keeps a shopsync from before migrations (it wrote 2 or 3) off a
# migrated store; the schema's real version is its Alembic revision (shopsync/migrations).
SCHEMA_VERSION = "4"


def resolve_db_url(url: str | None = None) -> str:
    """The store URL: the argument, else ``SHOPSYNC_DB``, else the SQLite file data/shopsync.db."""
    return url or os.environ.get("SHOPSYNC_DB") or DEFAULT_DB_URL


def open_store(url: str | None = None, *, upgrade: bool = False) -> Store:
    """Connect to the store at ``url`` (see resolve_db_url); the schema is created if missing,
    and migrated to this shopsync's revision with ``upgrade`` (else an older one is refused)."""
    url = resolve_db_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise UserInputError(f"not a database URL: {url!r}") from None
    if parsed.drivername.startswith("sqlite") and parsed.database not in (None, "", ":memory:"):
        _sqlite_folder(parsed)
    if parsed.drivername == "postgresql":  # psycopg 3, the driver of shopsync[postgres]
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername.startswith("postgresql+psycopg") and not _has_module("psycopg"):
        raise UserInputError(
            "a PostgreSQL store needs the driver: pip install 'shopsync[postgres]'"
        )
    try:
        engine = create_engine(parsed)
    except Exception as exc:  # missing driver, bad option...
        raise UserInputError(f"cannot open store {parsed.render_as_string()}: {exc}") from None
    if parsed.drivername.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
    store = Store(engine)
    store.schema_change = store.create_schema(upgrade=upgrade)
    return store


def _sqlite_folder(parsed: URL) -> None:
    """Create the folder of a SQLite store file; a parent that is a file (or cannot be
    made) is a one-line error."""
    database = str(parsed.database)
    if parsed.query.get("uri") == "true":  # file:PATH?mode=ro: SQLite reads the URI itself
        database = urlsplit(database).path
    folder = Path(database).parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        why = (
            "a file is in the way"
            if isinstance(exc, (FileExistsError, NotADirectoryError))
            else exc.strerror
        )
        raise UserInputError(
            f"cannot create the folder {str(folder)!r} for the store: {why}"
        ) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UserInputError(f"cannot write in the folder {str(folder)!r} of the store")


def _has_module(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


class Store:
    """Reads and writes shopsync's tables; one instance per database, no hidden state."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.schema_change: SchemaChange | None = None  # what open_store did to the schema

    def __repr__(self) -> str:
        return f"Store({self.engine.url.render_as_string(hide_password=True)!r})"

    def create_schema(self, *, upgrade: bool = False) -> SchemaChange:
        """Create a new store's tables; check an existing store's revision, or migrate it
        (``upgrade``); refuse one made by a newer shopsync, or tables that are not a
        shopsync store's (never stamped blindly). Several processes creating the same new
        store at once all succeed (SQLite creates table by table: the others look again)."""
        attempts = 8
        for attempt in range(attempts):
            try:
                return ensure_schema(self.engine, upgrade=upgrade)
            except (OperationalError, IntegrityError, UserInputError) as exc:
                midway = isinstance(exc, UserInputError) and "no schema version" in str(exc)
                if attempt + 1 == attempts or not (midway or _created_meanwhile(exc)):
                    if isinstance(exc, UserInputError):
                        raise
                    raise UserInputError(f"cannot open store {self!r}: {_one_line(exc)}") from None
                time.sleep(0.1 * (attempt + 1))  # another process is creating it: look again
            except DatabaseError as exc:  # not a database, corrupt, read-only...
                raise UserInputError(f"cannot open store {self!r}: {_one_line(exc)}") from None
        raise AssertionError("unreachable")

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

    def save_erp_customers(
        self, frame: pd.DataFrame, columns: Iterable[str] | None = None
    ) -> dict[str, int]:
        """Insert new and update changed ERP customers (by ``no``); returns the counts.

        ``columns``: the ERP columns the data really has (default: all ERP_CUSTOMER_COLUMNS
        the frame has). An existing customer's other columns keep their stored values; a new
        customer gets them blank.
        """
        existing = self.erp_customers().set_index("no")
        given = [name for name in ERP_CUSTOMER_COLUMNS if name in frame.columns]
        wanted = set(columns or given)
        compared = [k for k in given if k in wanted and k != "no"]
        blanks = {name: False if name == "tax_liable" else "" for name in ERP_CUSTOMER_COLUMNS}
        now = _now()
        inserted, updated, unchanged = [], [], 0
        for row in frame[given].to_dict("records"):
            no = row["no"]
            if no not in existing.index:
                inserted.append({**blanks, **row, "created_at": now, "updated_at": now})
            elif any(existing.at[no, k] != row[k] for k in compared):
                updated.append({"no": no, **{k: row[k] for k in compared}, "updated_at": now})
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
        """All ERP customers, ERP_CUSTOMER_COLUMNS (text columns, tax_liable bool)."""
        frame = self._frame(
            select(*[erp_customers.c[name] for name in ERP_CUSTOMER_COLUMNS]).order_by(
                erp_customers.c.no
            )
        )
        if frame.empty:
            frame = pd.DataFrame({name: pd.Series(dtype=object) for name in ERP_CUSTOMER_COLUMNS})
        frame["tax_liable"] = frame["tax_liable"].astype(bool)
        return frame

    # -- Shopify mirror --------------------------------------------------------------------

    def links(self, shop_code: str) -> dict[str, str]:
        """Shopify customer id -> linked ERP customer no, for one shop."""
        query = select(links.c.shopify_id, links.c.customer_no).where(
            links.c.shop_code == shop_code
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
        customers["tags"] = customers["tags"].map(lambda t: ",".join(json.loads(t or "[]")))
        addresses["position"] = addresses.groupby("shopify_id").cumcount()
        return ShopifyCustomers(
            customers.reindex(columns=CUSTOMER_COLUMNS, fill_value=""),
            addresses.reindex(columns=ADDRESS_COLUMNS, fill_value=""),
        )

    def _mirror_rows(self, shop_code: str, ids: list[str], conn: Any) -> pd.DataFrame:
        c = shopify_customers.c
        frames = []
        with self._begin(conn) as active:
            for chunk in _chunks(ids, 500):
                result = active.execute(
                    select(c.id, c.last_updated_by_erp, c.invite).where(
                        c.shop_code == shop_code, c.id.in_(chunk)
                    )
                )
                frames.append(pd.DataFrame(result.fetchall(), columns=list(result.keys())))
        frame = pd.concat(frames) if frames else pd.DataFrame(columns=["id"])
        return frame.set_index("id")

    def mirror_state(self, shop_code: str) -> pd.DataFrame:
        """Per stored Shopify customer: updated_at, last_updated_by_erp, customer_no (the link,
        '' when none), invite, email, phone (index: Shopify id)."""
        c = shopify_customers.c
        frame = self._frame(
            select(
                c.id,
                c.updated_at,
                c.last_updated_by_erp,
                c.invite,
                c.email,
                c.phone,
                c.default_address_id,
            ).where(c.shop_code == shop_code)
        ).set_index("id")
        frame.insert(2, "customer_no", frame.index.map(self.links(shop_code)).fillna(""))
        return frame

    def save_mirror(self, shop_code: str, shopify: ShopifyCustomers, *, conn: Any = None) -> None:
        """Upsert Shopify customers and replace their addresses; our write markers and invite
        states are kept (links live apart). Shopify is the truth: an address id the mirror
        holds for another customer (a re-seeded shop, a restored store) moves with Shopify."""
        if shopify.customers.empty:
            return
        customers = shopify.customers[shopify.customers["record_error"] == ""]
        ids = customers["shopify_id"].tolist()
        kept = self._mirror_rows(shop_code, ids, conn)
        rows = []
        for record in customers.to_dict("records"):
            previous = (
                kept.loc[record["shopify_id"]] if record["shopify_id"] in kept.index else None
            )
            rows.append(
                {
                    "shop_code": shop_code,
                    "id": record["shopify_id"],
                    "first_name": record["first_name"],
                    "last_name": record["last_name"],
                    "email": record["email"],
                    "phone": record["phone"],
                    "state": record["state"],
                    "tags": json.dumps([t for t in str(record["tags"]).split(",") if t]),
                    "note": record["note"],
                    "verified_email": bool(record["verified_email"]),
                    "tax_exempt": bool(record["tax_exempt"]),
                    "default_address_id": record["default_address_id"],
                    "created_at": record["created_at"],
                    "updated_at": record["updated_at"],
                    "last_updated_by_erp": ""
                    if previous is None
                    else previous["last_updated_by_erp"],
                    "invite": "" if previous is None else previous["invite"],
                }
            )
        addresses = shopify.addresses[shopify.addresses["shopify_id"].isin(ids)]
        address_rows = [
            {
                "shop_code": shop_code,
                "id": a["address_id"],
                "customer_id": a["shopify_id"],
                **{k: a[k] for k in _ADDRESS_TEXT},
                "is_default": bool(a["is_default"]),
            }
            for a in addresses.to_dict("records")
        ]
        with self._begin(conn) as conn:
            for chunk in _chunks(ids, 500):
                conn.execute(
                    shopify_customers.delete().where(
                        shopify_customers.c.shop_code == shop_code,
                        shopify_customers.c.id.in_(chunk),
                    )
                )
                conn.execute(
                    shopify_addresses.delete().where(
                        shopify_addresses.c.shop_code == shop_code,
                        shopify_addresses.c.customer_id.in_(chunk),
                    )
                )
            for chunk in _chunks([a["id"] for a in address_rows], 500):
                conn.execute(
                    shopify_addresses.delete().where(
                        shopify_addresses.c.shop_code == shop_code,
                        shopify_addresses.c.id.in_(chunk),
                    )
                )
            conn.execute(shopify_customers.insert(), rows)
            if address_rows:
                conn.execute(shopify_addresses.insert(), address_rows)

    def link(self, shop_code: str, shopify_id: str, customer_no: str, *, conn: Any = None) -> None:
        """Link a Shopify customer to an ERP customer (an upsert; '' unlinks)."""
        with self._begin(conn) as active:
            active.execute(
                links.delete().where(
                    links.c.shop_code == shop_code, links.c.shopify_id == shopify_id
                )
            )
            if customer_no:
                active.execute(
                    links.insert().values(
                        shop_code=shop_code,
                        shopify_id=str(shopify_id),
                        customer_no=customer_no,
                        linked_at=iso_now(),
                    )
                )

    def forget_shopify_customers(
        self, shop_code: str, shopify_ids: Iterable[str], *, conn: Any = None
    ) -> None:
        """Drop Shopify customers that no longer exist in Shopify: mirror rows, addresses,
        links (their ERP customers are kept and go through discovery again)."""
        ids = [str(i) for i in shopify_ids]
        with self._begin(conn) as active:
            for chunk in _chunks(ids, 500):
                for table, column in (
                    (shopify_customers, shopify_customers.c.id),
                    (shopify_addresses, shopify_addresses.c.customer_id),
                    (links, links.c.shopify_id),
                ):
                    active.execute(
                        table.delete().where(table.c.shop_code == shop_code, column.in_(chunk))
                    )

    def mark_written(
        self,
        shop_code: str,
        shopify_id: str,
        updated_at: str,
        *,
        invite: str | None = None,
        conn: Any = None,
    ) -> None:
        """Remember our own write to a Shopify customer (echo suppression), optionally its
        invite state."""
        values: dict[str, Any] = {"last_updated_by_erp": updated_at, "updated_at": updated_at}
        if invite is not None:
            values["invite"] = invite
        self._run(
            shopify_customers.update()
            .where(shopify_customers.c.shop_code == shop_code, shopify_customers.c.id == shopify_id)
            .values(**values),
            conn,
        )

    def set_invite(self, shop_code: str, shopify_id: str, state: str, *, conn: Any = None) -> None:
        """Record where a created customer's invite stands (pending, sending, sent, failed...)."""
        self._run(
            shopify_customers.update()
            .where(shopify_customers.c.shop_code == shop_code, shopify_customers.c.id == shopify_id)
            .values(invite=state),
            conn,
        )

    def pending_invites(self, shop_code: str) -> dict[str, str]:
        """Customers we created whose invite is not known to be sent: Shopify id -> state
        (``pending``: never sent; ``sending``: sent, but the answer was not recorded)."""
        c = shopify_customers.c
        with self.engine.connect() as conn:
            return dict(
                conn.execute(
                    select(c.id, c.invite)
                    .where(c.shop_code == shop_code, c.invite.in_(["pending", "sending"]))
                    .order_by(c.id)
                ).all()
            )

    # -- create intents ---------------------------------------------------------------------

    def record_create_intents(
        self, shop_code: str, rows: Iterable[Mapping[str, str]], run_id: int
    ) -> None:
        """Before creates are sent: ERP customer no and e-mail of each, with the time."""
        now = iso_now()
        items = [
            {
                "shop_code": shop_code,
                "customer_no": r["customer_no"],
                "email": r["email"],
                "run_id": run_id,
                "started_at": now,
            }
            for r in rows
        ]
        with self.engine.begin() as conn:
            for chunk in _chunks([i["customer_no"] for i in items], 500):
                conn.execute(
                    create_intents.delete().where(
                        create_intents.c.shop_code == shop_code,
                        create_intents.c.customer_no.in_(chunk),
                    )
                )
            if items:
                conn.execute(create_intents.insert(), items)

    def create_intents(self, shop_code: str, *, with_emails: bool = False) -> dict[str, Any]:
        """Creates sent but never recorded: ERP customer no -> when they were sent (with
        ``with_emails``: (when, the e-mail sent))."""
        c = create_intents.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(c.customer_no, c.started_at, c.email).where(c.shop_code == shop_code)
            ).all()
        if with_emails:
            return {no: (started, email) for no, started, email in rows}
        return {no: started for no, started, _ in rows}

    def clear_create_intent(self, shop_code: str, customer_no: str, *, conn: Any = None) -> None:
        """The create of ``customer_no`` is recorded (or known not to have happened)."""
        self._run(
            create_intents.delete().where(
                create_intents.c.shop_code == shop_code,
                create_intents.c.customer_no == customer_no,
            ),
            conn,
        )

    def create_erp_customer(
        self,
        values: Mapping[str, Any],
        *,
        series: str,
        shop_code: str,
        shopify_id: str,
        no: str = "",
        conn: Any = None,
    ) -> str:
        """Insert a new ERP customer numbered from ``series`` (or numbered ``no``, a number the
        plan reserved) and link the Shopify customer, in one transaction (a crash leaves neither
        or both)."""
        now = _now()
        with self._begin(conn) as conn:
            no = self._take_number(conn, series, no) if no else self._next_number(conn, series)
            row = {
                name: values.get(name, False if name == "tax_liable" else "")
                for name in ERP_CUSTOMER_COLUMNS
            }
            row.update(no=no, created_at=now, updated_at=now)
            conn.execute(erp_customers.insert().values(**row))
            self.link(shop_code, shopify_id, no, conn=conn)
            _record_change(conn, shop_code, "created", no, shopify_id)
        return no

    def update_erp_customer(
        self,
        no: str,
        values: Mapping[str, Any],
        *,
        shop_code: str,
        shopify_id: str,
        conn: Any = None,
    ) -> dict[str, list[Any]]:
        """Overwrite an ERP customer's fields with ``values`` (only those given) and (re)link,
        in one transaction; returns the fields that changed, field -> [old, new]."""
        with self._begin(conn) as conn:
            fields = {k: v for k, v in values.items() if k in ERP_COLUMNS and k != "no"}
            before = (
                conn.execute(
                    select(*[erp_customers.c[k] for k in fields]).where(erp_customers.c.no == no)
                ).first()
                if fields
                else None
            )
            conn.execute(
                erp_customers.update()
                .where(erp_customers.c.no == no)
                .values(**fields, updated_at=_now())
            )
            self.link(shop_code, shopify_id, no, conn=conn)
            changed = _changed_fields(before._mapping, fields) if before is not None else {}
            if changed:
                _record_change(conn, shop_code, "updated", no, shopify_id, changed)
        return changed

    def ensure_series(self, code: str, prefix: str, digits: int = 6) -> None:
        """Create a number series for new ERP customers unless it exists."""
        self._upsert(number_series, [{"code": code, "prefix": prefix, "digits": digits}], ["code"])

    def next_numbers(self, series: str, prefix: str, count: int, digits: int = 6) -> list[str]:
        """The ``count`` numbers the series would give next (nothing is taken): what a plan
        reserves for the customers it creates."""
        with self.engine.connect() as conn:
            row = conn.execute(select(number_series).where(number_series.c.code == series)).first()
            taken = set(conn.execute(select(erp_customers.c.no)).scalars())
        number = row.last_number if row else 0
        prefix, digits = (row.prefix, row.digits) if row else (prefix, digits)
        found: list[str] = []
        while len(found) < count:
            number += 1
            candidate = f"{prefix}{number:0{digits}d}"
            if candidate not in taken:
                found.append(candidate)
        return found

    def _take_number(self, conn: Any, series: str, no: str) -> str:
        """Use a reserved number and move the series past it."""
        row = conn.execute(select(number_series).where(number_series.c.code == series)).one()
        tail = no[len(row.prefix) :]
        if no.startswith(row.prefix) and tail.isdigit() and int(tail) > row.last_number:
            conn.execute(
                number_series.update()
                .where(number_series.c.code == series)
                .values(last_number=int(tail))
            )
        return no

    def _next_number(self, conn: Any, series: str) -> str:
        row = conn.execute(select(number_series).where(number_series.c.code == series)).one()
        number = row.last_number
        while True:
            number += 1
            candidate = f"{row.prefix}{number:0{row.digits}d}"
            taken = conn.execute(
                select(func.count())
                .select_from(erp_customers)
                .where(erp_customers.c.no == candidate)
            ).scalar_one()
            if not taken:
                break
        conn.execute(
            number_series.update().where(number_series.c.code == series).values(last_number=number)
        )
        return candidate

    def save_order_customers(self, shop_code: str, plan: pd.DataFrame, run_id: int) -> None:
        """Write the order -> sell-to / bill-to table (one row per order, replaced)."""
        rows = [
            {
                "shop_code": shop_code,
                "order_id": r["order_id"],
                "name": r["name"],
                "sell_to_customer_no": r["sell_to_customer_no"],
                "bill_to_customer_no": r["bill_to_customer_no"],
                "rule": r["rule"],
                "run_id": run_id,
            }
            for r in plan.to_dict("records")
        ]
        with self.engine.begin() as conn:
            for chunk in _chunks(rows, 500):
                _record_order_changes(conn, shop_code, chunk)
                conn.execute(
                    order_customers.delete().where(
                        order_customers.c.shop_code == shop_code,
                        order_customers.c.order_id.in_([r["order_id"] for r in chunk]),
                    )
                )
            if rows:
                conn.execute(order_customers.insert(), rows)

    def order_customers(self, shop_code: str) -> pd.DataFrame:
        """The order -> customer table of a shop."""
        return self._frame(
            select(order_customers)
            .where(order_customers.c.shop_code == shop_code)
            .order_by(order_customers.c.order_id)
        )

    # -- hand-over to the ERP ------------------------------------------------------------------

    def erp_changes(self, shop_code: str, *, pending: bool = True) -> pd.DataFrame:
        """The ERP-side changes a shop's imports made, oldest first: id, kind (created |
        updated | order), record, shopify_id, fields (updated: field -> [old, new]),
        changed_at, export_id. ``pending``: only those no export has handed over yet."""
        c = erp_changes.c
        query = select(erp_changes).where(c.shop_code == shop_code).order_by(c.id)
        if pending:
            query = query.where(c.export_id.is_(None))
        frame = self._frame(query)
        if frame.empty:
            frame = pd.DataFrame({col.name: pd.Series(dtype=object) for col in erp_changes.c})
        frame["fields"] = frame["fields"].map(lambda text: json.loads(text or "{}"))
        return frame

    def erp_customers_by_no(self, numbers: Iterable[str]) -> pd.DataFrame:
        """The ERP customers with these numbers (ERP_CUSTOMER_COLUMNS, ordered by no)."""
        numbers = sorted(set(numbers))
        columns = [erp_customers.c[name] for name in ERP_CUSTOMER_COLUMNS]
        frames = [
            self._frame(select(*columns).where(erp_customers.c.no.in_(chunk)))
            for chunk in _chunks(numbers, 500)
        ]
        frames = [f for f in frames if not f.empty]
        if not frames:
            return pd.DataFrame({name: pd.Series(dtype=object) for name in ERP_CUSTOMER_COLUMNS})
        frame = pd.concat(frames).sort_values("no").reset_index(drop=True)
        frame["tax_liable"] = frame["tax_liable"].astype(bool)
        return frame

    def mark_erp_exported(
        self,
        shop_code: str,
        change_ids: Iterable[int],
        *,
        files: Iterable[str],
        counts: Mapping[str, int],
    ) -> int:
        """Move the shop's bookmark past exactly these changes (one transaction); returns the
        export's id. Changes written meanwhile stay pending, whatever their id."""
        ids = sorted(int(i) for i in change_ids)
        with self.engine.begin() as conn:
            export_id = int(
                conn.execute(
                    erp_exports.insert().values(
                        shop_code=shop_code,
                        exported_at=iso_now(),
                        files=json.dumps([str(f) for f in files]),
                        counts=json.dumps(dict(counts)),
                    )
                ).inserted_primary_key[0]
            )
            for chunk in _chunks(ids, 500):
                conn.execute(
                    erp_changes.update()
                    .where(
                        erp_changes.c.shop_code == shop_code,
                        erp_changes.c.id.in_(chunk),
                        erp_changes.c.export_id.is_(None),
                    )
                    .values(export_id=export_id)
                )
        return export_id

    def erp_exports(self, shop_code: str) -> pd.DataFrame:
        """The shop's hand-over exports, newest first."""
        return self._frame(
            select(erp_exports)
            .where(erp_exports.c.shop_code == shop_code)
            .order_by(erp_exports.c.id.desc())
        )

    # -- runs ------------------------------------------------------------------------------

    def start_run(self, shop_code: str, direction: str, parameters: Mapping[str, Any]) -> int:
        """Record a new running sync; returns its id."""
        with self.engine.begin() as conn:
            result = conn.execute(
                sync_runs.insert().values(
                    shop_code=shop_code,
                    direction=direction,
                    parameters=json.dumps(dict(parameters), sort_keys=True),
                    status="running",
                    started_at=iso_now(),
                )
            )
            return int(result.inserted_primary_key[0])

    def finish_run(
        self,
        run_id: int,
        *,
        status: str,
        counts: Mapping[str, int],
        marks: Mapping[str, str] | None = None,
        report: Mapping[str, str] | None = None,
    ) -> None:
        """Close a run with its status, counts, the watermark of each stream it read
        (``customers``, ``orders``) and report paths, in one transaction."""
        marks = {k: v for k, v in (marks or {}).items() if v}
        with self.engine.begin() as conn:
            conn.execute(
                sync_runs.update()
                .where(sync_runs.c.id == run_id)
                .values(
                    status=status,
                    finished_at=iso_now(),
                    counts=json.dumps(dict(counts), sort_keys=True),
                    watermark=marks.get("customers", ""),
                    report=json.dumps(dict(report or {})),
                )
            )
            shop_code = conn.execute(
                select(sync_runs.c.shop_code).where(sync_runs.c.id == run_id)
            ).scalar_one()
            for stream, value in marks.items():
                conn.execute(
                    watermarks.delete().where(
                        watermarks.c.shop_code == shop_code, watermarks.c.stream == stream
                    )
                )
                conn.execute(
                    watermarks.insert().values(
                        shop_code=shop_code, stream=stream, value=value, run_id=run_id
                    )
                )

    def mark_interrupted(self, shop_code: str, *, except_run: int | None = None) -> list[int]:
        """Runs of the shop still marked running (killed: their lock is ours now) become
        ``interrupted``, finished now; returns their ids."""
        c = sync_runs.c
        with self.engine.begin() as conn:
            stale = [
                run_id
                for run_id in conn.execute(
                    select(c.id).where(c.shop_code == shop_code, c.status == "running")
                ).scalars()
                if run_id != except_run
            ]
            if stale:
                conn.execute(
                    sync_runs.update()
                    .where(c.id.in_(stale))
                    .values(status="interrupted", finished_at=iso_now())
                )
        return stale

    def set_run_report(self, run_id: int, report: Mapping[str, str]) -> None:
        self._run(
            sync_runs.update()
            .where(sync_runs.c.id == run_id)
            .values(report=json.dumps(dict(report)))
        )

    def run(self, run_id: int) -> dict[str, Any] | None:
        """One run as a dict (counts and report decoded), or None."""
        with self.engine.connect() as conn:
            row = conn.execute(select(sync_runs).where(sync_runs.c.id == run_id)).mappings().first()
        if row is None:
            return None
        run = dict(row)
        run["counts"] = json.loads(run["counts"] or "{}")
        run["report"] = json.loads(run["report"] or "{}")
        run["parameters"] = json.loads(run["parameters"] or "{}")
        return run

    def watermark(self, shop_code: str, stream: str = "customers") -> str:
        """Where the next incremental read of ``stream`` (customers, orders) starts: the value
        the last finished run recorded ('' when none: read everything)."""
        with self.engine.connect() as conn:
            value = conn.execute(
                select(watermarks.c.value).where(
                    watermarks.c.shop_code == shop_code, watermarks.c.stream == stream
                )
            ).scalar()
        return value or ""

    def log(self, run_id: int, rows: list[Mapping[str, str]]) -> None:
        """Append skipped/failed records of a run: side, record, outcome, reason, message."""
        if not rows:
            return
        now = iso_now()
        with self.engine.begin() as conn:
            conn.execute(
                sync_log.insert(), [{"run_id": run_id, "created_at": now, **r} for r in rows]
            )

    def run_log(self, run_id: int) -> pd.DataFrame:
        """The skipped/failed records of one run."""
        return self._frame(
            select(
                sync_log.c.side,
                sync_log.c.record,
                sync_log.c.outcome,
                sync_log.c.reason,
                sync_log.c.message,
            )
            .where(sync_log.c.run_id == run_id)
            .order_by(sync_log.c.id)
        )

    def failed_records(self, shop_code: str, side: str) -> list[str]:
        """Records that failed on ``side`` in the shop's latest finished run (retried next)."""
        with self.engine.connect() as conn:
            last = conn.execute(
                select(func.max(sync_runs.c.id)).where(
                    sync_runs.c.shop_code == shop_code,
                    sync_runs.c.status.in_(["succeeded", "failed"]),
                )
            ).scalar()
            if last is None:
                return []
            return list(
                conn.execute(
                    select(sync_log.c.record).where(
                        sync_log.c.run_id == last,
                        sync_log.c.side == side,
                        sync_log.c.outcome == "failed",
                    )
                ).scalars()
            )

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

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """One database transaction: pass the connection as ``conn=`` to the writers."""
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def _begin(self, conn: Any = None) -> Iterator[Any]:
        if conn is not None:
            yield conn
        else:
            with self.engine.begin() as own:
                yield own

    def _run(self, statement: Any, conn: Any = None) -> None:
        with self._begin(conn) as active:
            active.execute(statement)

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
        """Insert rows whose key is new; with ``overwrite`` also update existing ones. When
        another process inserted the same keys meanwhile, it looks again."""
        rows = list(rows)
        if not rows:
            return 0
        for attempt in range(5):
            try:
                return self._upsert_once(table, rows, keys, overwrite)
            except (OperationalError, IntegrityError) as exc:
                if attempt == 4 or not _created_meanwhile(exc):
                    raise
                time.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")

    def _upsert_once(
        self, table: Table, rows: list[Mapping[str, Any]], keys: list[str], overwrite: bool
    ) -> int:
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


def _created_meanwhile(exc: Exception) -> bool:
    """True when ``exc`` says another process created the same table or row first."""
    text = str(getattr(exc, "orig", exc)).lower()
    return isinstance(exc, IntegrityError) or "already exists" in text or "locked" in text


def _one_line(exc: Exception) -> str:
    return " ".join(str(getattr(exc, "orig", None) or exc).split())


def _now() -> datetime:
    return datetime.now(UTC)


def iso_now() -> str:
    """Now, as ISO-8601 UTC text with microseconds (sorts as it reads)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _record_change(
    conn: Any,
    shop_code: str,
    kind: str,
    record: str,
    shopify_id: str = "",
    fields: Mapping[str, list[Any]] | None = None,
) -> None:
    """Log one ERP-side change in the writer's own transaction (it commits with the change)."""
    conn.execute(
        erp_changes.insert().values(
            shop_code=shop_code,
            kind=kind,
            record=record,
            shopify_id=shopify_id or "",
            fields=json.dumps(dict(fields or {}), sort_keys=True),
            changed_at=iso_now(),
        )
    )


def _changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """field -> [old, new] for the fields whose value differs (tax_liable compared as bool)."""
    changed = {}
    for name, new in after.items():
        old = before[name]
        if name == "tax_liable":
            old, new = bool(old), bool(new)
        else:
            old, new = "" if old is None else str(old), "" if new is None else str(new)
        if old != new:
            changed[name] = [old, new]
    return changed


_ORDER_SIDES = ("name", "sell_to_customer_no", "bill_to_customer_no")


def _record_order_changes(conn: Any, shop_code: str, rows: list[Mapping[str, Any]]) -> None:
    """Log the orders that are new or whose sell-to / bill-to changed (a re-read is not)."""
    c = order_customers.c
    stored = {
        row.order_id: tuple(row[1:])
        for row in conn.execute(
            select(c.order_id, *[c[k] for k in _ORDER_SIDES]).where(
                c.shop_code == shop_code, c.order_id.in_([r["order_id"] for r in rows])
            )
        )
    }
    for row in rows:
        if stored.get(row["order_id"]) != tuple(row[k] for k in _ORDER_SIDES):
            _record_change(conn, shop_code, "order", row["order_id"])


_ADDRESS_TEXT = ADDRESS_TEXT_COLUMNS
