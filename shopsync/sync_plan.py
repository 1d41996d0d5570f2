"""The sync plan: every decision of a run as a value, computed from fingerprinted inputs."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from shopsync.eligibility import check_export_eligibility
from shopsync.errors import UserInputError
from shopsync.export_plan import mirror_with_default_address, plan_export
from shopsync.mapping import ERP_VALUE_COLUMNS, PLAN_COLUMNS, plan_import
from shopsync.orders import plan_order_customers
from shopsync.rules_context import RulesContext, rules_context
from shopsync.run_state import is_newer, minus_seconds
from shopsync.schema import ERP_COLUMNS
from shopsync.settings import ShopConfig
from shopsync.shopify import ShopifyClient, bulk_customers
from shopsync.shopify.bulk import changed_customers
from shopsync.shopify_io import ShopifyCustomers, customers_from_nodes, orders_from_nodes
from shopsync.store import Store, iso_now, open_store

__all__ = [
    "IMPORT_PLAN_COLUMNS",
    "PlanChanged",
    "PlanOptions",
    "SyncPlan",
    "fingerprint",
    "known_customers",
    "number_series",
    "plan_sync",
    "template_values",
]

# the import plan: the import rules' columns plus whether Shopify's copy goes to the mirror
IMPORT_PLAN_COLUMNS = [*PLAN_COLUMNS, "mirror"]
_FINGERPRINTED = {
    "erp": "the ERP customers",
    "mirror": "the Shopify customers the store knows, or their links",
    "settings": "the shop's settings (config)",
}


_ORDERS_WINDOW = (
    "Shopify shows this app only the last 60 days of orders (no read_all_orders scope): "
    "older orders are not read; ask Shopify for read_all_orders to take them"
)


class PlanChanged(UserInputError):
    """A saved plan's inputs changed since it was computed: plan again."""


@dataclass(frozen=True)
class PlanOptions:
    """What a plan covers (the run's options that change decisions)."""

    direction: str = "both"  # import | export | both
    customers: tuple[str, ...] = ()  # limit the export to these ERP customers
    shopify_ids: tuple[str, ...] = ()  # limit the import to these Shopify customers
    orders: bool = False
    overlap_seconds: int = 300  # incremental reads look this far behind the watermark
    bulk_poll_seconds: float = 1.0

    @property
    def imports(self) -> bool:
        return self.direction in ("import", "both")

    @property
    def exports(self) -> bool:
        return self.direction in ("export", "both")


@dataclass
class SyncPlan:
    """A run's decisions: one frame per side, each row with its ``action``; the Shopify
    customers read (to mirror), where each stream's watermark will move, and the
    fingerprint of the inputs the decisions came from."""

    shop: str
    options: PlanOptions
    planned_at: str
    fingerprint: dict[str, str]
    imports: pd.DataFrame
    exports: pd.DataFrame
    orders: pd.DataFrame
    invites: dict[str, str]  # Shopify id -> invite state (pending | sending) at plan time
    shopify: ShopifyCustomers  # the customers read from Shopify
    read_at: dict[str, str] = field(default_factory=dict)  # stream -> when it was read
    skipped_reads: list[dict[str, str]] = field(default_factory=list)  # ids Shopify lacks
    notes: list[dict[str, str]] = field(default_factory=list)  # run-level warnings: side, text

    def counts(self) -> dict[str, dict[str, int]]:
        """Planned actions per side."""
        return {
            side: frame["action"].value_counts().to_dict() if len(frame) else {}
            for side, frame in (("import", self.imports), ("export", self.exports))
        }

    def save(self, path: str | Path) -> Path:
        """Write the plan as JSON (no secret is in it)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        document = {
            "shop": self.shop,
            "options": asdict(self.options),
            "planned_at": self.planned_at,
            "fingerprint": self.fingerprint,
            "imports": _frame_json(self.imports),
            "exports": _frame_json(self.exports),
            "orders": _frame_json(self.orders),
            "invites": self.invites,
            "shopify_customers": _frame_json(self.shopify.customers),
            "shopify_addresses": _frame_json(self.shopify.addresses),
            "read_at": self.read_at,
            "skipped_reads": self.skipped_reads,
            "notes": self.notes,
        }
        path.write_text(json.dumps(document, indent=1, default=str), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> SyncPlan:
        """Read a plan written by ``save``."""
        try:
            document = json.loads(Path(path).read_text(encoding="utf-8"))
            options = document["options"]
            for key in ("customers", "shopify_ids"):
                options[key] = tuple(options[key])
            return cls(
                shop=document["shop"],
                options=PlanOptions(**options),
                planned_at=document["planned_at"],
                fingerprint=document["fingerprint"],
                imports=_frame_from(document["imports"]),
                exports=_frame_from(document["exports"]),
                orders=_frame_from(document["orders"]),
                invites=document["invites"],
                shopify=ShopifyCustomers(
                    _frame_from(document["shopify_customers"]),
                    _frame_from(document["shopify_addresses"]),
                ),
                read_at=document["read_at"],
                skipped_reads=document["skipped_reads"],
                notes=document.get("notes", []),
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise UserInputError(f"cannot read the plan {path}: {exc}") from None

    def check_inputs(self, config: ShopConfig, store: Store) -> None:
        """Refuse (PlanChanged) when the store or the config is not what the plan saw."""
        if self.shop != config.shop.code:
            raise PlanChanged(f"the plan is for shop {self.shop}, not {config.shop.code}")
        now = fingerprint(config, store)
        changed = [_FINGERPRINTED[k] for k in _FINGERPRINTED if now[k] != self.fingerprint.get(k)]
        if changed:
            raise PlanChanged(
                f"the plan of {self.planned_at} no longer fits: {'; '.join(changed)} changed "
                "since; plan again (sync --dry-run --plan-out FILE)"
            )


def plan_sync(
    config: ShopConfig,
    store: Store,
    client: ShopifyClient,
    options: PlanOptions | None = None,
) -> SyncPlan:
    """Read Shopify (reads only) and decide every record of a run: writes nothing anywhere.

    The export is planned against the state the import leaves: the ERP customers it creates
    (numbered with the numbers it reserves) and updates, and the links it makes.
    """
    options = options or PlanOptions()
    rules_store = store if not store.countries_table().empty else _reference_store(config)
    context = rules_context(rules_store, config)  # the import and export rules' one context
    shop = config.shop.code
    settings = config.shop
    stamp = fingerprint(config, store)
    read_at: dict[str, str] = {}
    skipped: list[dict[str, str]] = []
    notes: list[dict[str, str]] = []
    erp = store.erp_customers()
    links = store.links(shop)
    stored = store.shopify_mirror(shop)
    state = store.mirror_state(shop)

    client.preflight()  # a token, scope or data-access problem stops here, once, clearly
    fetched = _empty_customers()
    if options.imports or options.exports:
        read_at["customers"] = iso_now()
        fetched = _read_customers(store, client, shop, options, skipped)

    imports = _empty_import_plan()
    if options.imports and settings.customer_import != "none":
        imports = _plan_imports(fetched, erp, links, state, store, config, context)
        imports = _reserve_numbers(imports, store, config)
    erp_after, links_after = _after_import(erp, links, imports, config)

    exports = pd.DataFrame()
    if options.exports and (settings.export_customers or settings.can_update_shopify_customers):
        candidates = erp_after
        if options.customers:
            candidates = candidates[candidates["no"].isin(options.customers)]
        report = check_export_eligibility(
            candidates.reset_index(drop=True),
            context,
            linked=set(links_after.values()),
        )
        known = known_customers(stored, fetched)
        mirror = mirror_with_default_address(known.customers, known.addresses, links_after)
        exports = plan_export(report, mirror, settings)

    orders = pd.DataFrame()
    if options.orders:
        since = store.watermark(shop, "orders")
        read_at["orders"] = iso_now()
        query = f"created_at:>='{minus_seconds(since, options.overlap_seconds)}'" if since else None
        if not client.reads_all_orders():
            notes.append({"side": "order", "text": _ORDERS_WINDOW})
        found = orders_from_nodes(client.orders(query))
        if not found.empty:
            known = known_customers(stored, fetched)
            unknown = set(found["shopify_id"]) - set(known.customers["shopify_id"]) - {""}
            if unknown:  # customer info travels with orders: read each order's customer
                known = _concat(known, _read_by_ids(client, sorted(unknown), []))
            orders = plan_order_customers(
                found,
                known,
                erp_after,
                context,
                links=links_after,
            )
    return SyncPlan(
        shop=shop,
        options=options,
        planned_at=iso_now(),
        fingerprint=stamp,
        imports=imports,
        exports=exports,
        orders=orders,
        invites=store.pending_invites(shop) if settings.send_invites else {},
        shopify=fetched,
        read_at=read_at,
        skipped_reads=skipped,
        notes=notes,
    )


def fingerprint(config: ShopConfig, store: Store) -> dict[str, str]:
    """Hashes of what a plan is computed from: ERP customers, mirror and links, settings."""
    shop = config.shop.code
    mirror = store.shopify_mirror(shop)
    state = store.mirror_state(shop)
    return {
        "erp": _digest(store.erp_customers()),
        "mirror": _digest(
            mirror.customers,
            mirror.addresses,
            state[["last_updated_by_erp", "invite"]].sort_index().reset_index(),
            pd.DataFrame(sorted(store.links(shop).items())),
        ),
        "settings": _digest(json.dumps(_config_facts(config), sort_keys=True, default=str)),
    }


def number_series(config: ShopConfig) -> str:
    """The store's number series of the ERP customers a shop's imports create."""
    return f"CUST-{config.shop.code}"


def template_values(values: dict[str, Any], template: Any) -> dict[str, Any]:
    """A new ERP customer: the template's defaults, then the values from Shopify; the tax
    area's VAT group and tax fields win over the template's when the tax area gives them."""
    merged = {
        "gen_bus_posting_group": template.gen_bus_posting_group,
        "vat_bus_posting_group": template.vat_bus_posting_group,
        "customer_posting_group": template.customer_posting_group,
        "tax_area_code": template.tax_area_code,
        "tax_liable": template.tax_liable,
        "payment_terms_code": template.payment_terms_code,
    }
    for key, value in values.items():
        if key in ("tax_area_code", "vat_bus_posting_group") and not value:
            continue
        if key == "tax_liable" and not values.get("tax_area_code"):
            continue
        merged[key] = value
    return merged


# -- reading Shopify ------------------------------------------------------------------------


def _read_customers(
    store: Store,
    client: ShopifyClient,
    shop: str,
    options: PlanOptions,
    skipped: list[dict[str, str]],
) -> ShopifyCustomers:
    """Customers changed since the watermark (minus the overlap), plus last run's
    failures; all of them on a first run (through a bulk query); or the ones asked for."""
    if options.shopify_ids:
        return _read_by_ids(client, options.shopify_ids, skipped)
    watermark = store.watermark(shop, "customers")
    if not watermark:
        return bulk_customers(client, poll=options.bulk_poll_seconds)
    since = minus_seconds(watermark, options.overlap_seconds)
    fetched = changed_customers(client, since, poll=options.bulk_poll_seconds)
    seen = set(fetched.customers["shopify_id"])
    retry = [sid for sid in store.failed_records(shop, "import") if sid not in seen]
    if retry:
        fetched = _concat(fetched, _read_by_ids(client, retry, skipped))
    return fetched


def _read_by_ids(
    client: ShopifyClient, ids: tuple[str, ...] | list[str], skipped: list[dict[str, str]]
) -> ShopifyCustomers:
    nodes = []
    for sid in ids:
        node = client.customer_by_identifier(gid=f"gid://shopify/Customer/{sid}")
        if node is None:
            skipped.append({"shopify_id": str(sid), "reason": "NOT_IN_SHOPIFY"})
        else:
            nodes.append(node)
    return customers_from_nodes(nodes)


# -- the import side ------------------------------------------------------------------------


def _plan_imports(
    fetched: ShopifyCustomers,
    erp: pd.DataFrame,
    links: dict[str, str],
    state: pd.DataFrame,
    store: Store,
    config: ShopConfig,
    context: RulesContext,
) -> pd.DataFrame:
    """Per fetched customer: unchanged (our own echo, or not newer), skipped by the import
    mode, or the import rules' decision."""
    settings = config.shop
    customers = fetched.customers
    if customers.empty:
        return _empty_import_plan()
    retry = set(store.failed_records(config.shop.code, "import"))
    newer = pd.Series(
        [
            is_newer(sid, updated, state) or sid in retry
            for sid, updated in zip(customers["shopify_id"], customers["updated_at"], strict=True)
        ],
        index=customers.index,
    )
    selected = newer.copy()
    held: list[dict[str, Any]] = []
    for sid in customers.loc[~newer, "shopify_id"]:
        held.append(_plan_row(sid, "unchanged", "", customer_no=links.get(sid, "")))
    if settings.customer_import == "with_order_import":
        known = customers["shopify_id"].isin(state.index) & settings.shopify_can_update_customers
        for sid in customers.loc[newer & ~known, "shopify_id"]:
            held.append(_plan_row(sid, "skip", "IMPORT_WITH_ORDERS"))
        selected = newer & known
    todo_ids = customers.loc[selected, "shopify_id"]
    todo = ShopifyCustomers(
        customers[selected].reset_index(drop=True),
        fetched.addresses[fetched.addresses["shopify_id"].isin(todo_ids)],
    )
    planned = _empty_import_plan()
    if len(todo):
        links = {**_recovered_creates(todo, store, config.shop.code, links), **links}
        planned = plan_import(todo, erp, context, links=links)
        planned["mirror"] = True
    frames = [f for f in (planned, pd.DataFrame(held)) if len(f)]
    combined = pd.concat(frames, ignore_index=True) if frames else _empty_import_plan()
    order = {sid: i for i, sid in enumerate(customers["shopify_id"])}
    combined = combined.sort_values("shopify_id", key=lambda s: s.map(order), kind="stable")
    return combined.reindex(columns=IMPORT_PLAN_COLUMNS).reset_index(drop=True)


def _recovered_creates(
    todo: ShopifyCustomers, store: Store, shop: str, links: dict[str, str]
) -> dict[str, str]:
    """Shopify customers an interrupted run created (its create intent is still open, with
    the e-mail it sent): Shopify id -> the ERP customer they were created for. They are that
    customer's, whatever the e-mail matching says (an e-mail list sends its first address)."""
    intents = store.create_intents(shop, with_emails=True)
    if not intents:
        return {}
    wanted = {email.casefold(): no for no, (_, email) in intents.items() if email}
    taken = set(links.values())
    return {
        sid: wanted[email.casefold()]
        for sid, email in zip(todo.customers["shopify_id"], todo.customers["email"], strict=True)
        if email and email.casefold() in wanted and wanted[email.casefold()] not in taken
    }


def _plan_row(sid: str, action: str, reason: str, customer_no: str = "") -> dict[str, Any]:
    row: dict[str, Any] = {column: "" for column in IMPORT_PLAN_COLUMNS}
    row.update(
        shopify_id=sid,
        action=action,
        reasons=reason,
        customer_no=customer_no,
        rule="",
        erp_tax_liable=False,
        mirror=False,
    )
    return row


def _reserve_numbers(imports: pd.DataFrame, store: Store, config: ShopConfig) -> pd.DataFrame:
    """Give each planned create the ERP number it will get (nothing is taken yet)."""
    creates = imports.index[imports["action"] == "create"]
    if len(creates):
        numbers = store.next_numbers(
            number_series(config), config.shop.customer_no_prefix, len(creates)
        )
        imports.loc[creates, "customer_no"] = numbers
    return imports


def _after_import(
    erp: pd.DataFrame, links: dict[str, str], imports: pd.DataFrame, config: ShopConfig
) -> tuple[pd.DataFrame, dict[str, str]]:
    """The ERP customers and links as the import plan leaves them."""
    links = dict(links)
    if imports.empty:
        return erp, links
    erp = erp.set_index("no", drop=False)
    new_rows = []
    for row in imports.to_dict("records"):
        action, no = row["action"], row["customer_no"]
        if action in ("create", "update", "link", "unchanged") and no:
            links[row["shopify_id"]] = no
        values = {column: row[f"erp_{column}"] for column in ERP_VALUE_COLUMNS}
        if action == "update" and no in erp.index:
            for column, value in values.items():
                erp.at[no, column] = value
        elif action == "create":
            template = config.templates[row["template_code"]]
            new_rows.append({**template_values(values, template), "no": no})
    erp = erp.reset_index(drop=True)
    if new_rows:
        columns = list(dict.fromkeys([*ERP_COLUMNS, *erp.columns]))  # Blocked: blank
        added = pd.DataFrame(new_rows).reindex(columns=columns, fill_value="")
        erp = pd.concat([erp, added], ignore_index=True)
    erp["tax_liable"] = erp["tax_liable"].astype(bool)
    return erp, links


def known_customers(stored: ShopifyCustomers, fetched: ShopifyCustomers) -> ShopifyCustomers:
    """The store's Shopify customers, with what was just read from Shopify replacing them."""
    fresh = set(fetched.customers["shopify_id"])
    if not fresh:
        return stored
    keep = ~stored.customers["shopify_id"].isin(fresh)
    keep_addresses = ~stored.addresses["shopify_id"].isin(fresh)
    readable = fetched.customers[fetched.customers["record_error"] == ""]
    return _concat(
        ShopifyCustomers(stored.customers[keep], stored.addresses[keep_addresses]),
        ShopifyCustomers(readable, fetched.addresses),
    )


# -- helpers --------------------------------------------------------------------------------


def _reference_store(config: ShopConfig) -> Store:
    """The reference tables a store initialised with ``config`` would hold, in memory (so a
    dry run on a store never initialised writes nothing)."""
    memory = open_store("sqlite://")
    memory.initialise(config)
    return memory


def _config_facts(config: ShopConfig) -> dict[str, Any]:
    """The settings decisions depend on (not where the shop is reached: an emulator's port
    changes every session)."""
    shop = {k: v for k, v in asdict(config.shop).items() if k != "url"}
    return {
        "shop": shop,
        "templates": {k: asdict(v) for k, v in sorted(config.templates.items())},
        "countries": {k: asdict(v) for k, v in sorted(config.countries.items())},
        "tax_areas": [asdict(t) for t in config.tax_areas],
        "erp_countries": dict(sorted(config.erp_countries.items())),
        "company_country": config.company_country,
    }


def _digest(*parts: pd.DataFrame | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, str):
            digest.update(part.encode())
        else:
            digest.update(part.astype(str).to_csv(index=False).encode())
    return digest.hexdigest()[:16]


def _concat(first: ShopifyCustomers, second: ShopifyCustomers) -> ShopifyCustomers:
    return ShopifyCustomers(
        pd.concat([first.customers, second.customers], ignore_index=True),
        pd.concat([first.addresses, second.addresses], ignore_index=True),
    )


def _empty_customers() -> ShopifyCustomers:
    return customers_from_nodes([])


def _empty_import_plan() -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype=object) for column in IMPORT_PLAN_COLUMNS})


def _frame_json(frame: pd.DataFrame) -> dict[str, Any]:
    clean = frame.astype(object).where(frame.notna(), None)
    return {"columns": [str(c) for c in frame.columns], "data": clean.values.tolist()}


def _frame_from(document: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(document["data"], columns=document["columns"], dtype=object)
