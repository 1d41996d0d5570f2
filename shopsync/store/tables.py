"""The store's tables (SQLAlchemy Core): one definition each, the schema migrations start from."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from shopsync.schema import ERP_CUSTOMER_COLUMNS

__all__ = [
    "SCHEMA_VERSION",
    "company",
    "countries",
    "create_intents",
    "customer_templates",
    "erp_changes",
    "erp_customers",
    "erp_exports",
    "links",
    "locks",
    "meta",
    "metadata",
    "number_series",
    "order_customers",
    "shop_countries",
    "shopify_addresses",
    "shopify_customers",
    "shops",
    "sync_log",
    "sync_runs",
    "tax_areas",
    "watermarks",
]


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
