"""Sync runs: plan, then apply exactly that plan — import, export, invites, order customers."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.exc import SQLAlchemyError
from tqdm.auto import tqdm

from shopsync.eligibility import check_export_eligibility
from shopsync.emulator import Emulator
from shopsync.errors import RetriableError, ShopsyncError, StopError
from shopsync.exporting import address_input, changed_fields, customer_input, match_in_mirror
from shopsync.jobs import export_context, import_context
from shopsync.lock import ShopLock
from shopsync.mapping import ImportContext, plan_import
from shopsync.orders import plan_order_customers
from shopsync.reports import write_report
from shopsync.session import shopify_session
from shopsync.settings import ShopConfig, load_config
from shopsync.shopify import ShopifyClient, bulk_customers, queries, run_bulk_mutation
from shopsync.shopify.client import MutationResult
from shopsync.shopify_io import ShopifyCustomers, customers_from_nodes, orders_from_nodes
from shopsync.store import Store, iso_now, open_store

__all__ = ["OUTCOMES", "RECORD_COLUMNS", "SyncOptions", "SyncResult", "sync", "sync_shop"]

OUTCOMES = ("created", "updated", "linked", "unchanged", "skipped", "failed")
RECORD_COLUMNS = [
    "side",
    "record",
    "outcome",
    "action",
    "rule",
    "customer_no",
    "shopify_id",
    "reason",
    "message",
]
_IMPORT_OUTCOME = {
    "create": "created",
    "update": "updated",
    "link": "linked",
    "unchanged": "unchanged",
    "skip": "skipped",
}


@dataclass(frozen=True)
class SyncOptions:
    """What one run does. ``dry_run`` plans only: nothing is written anywhere."""

    direction: str = "both"  # import | export | both
    dry_run: bool = False
    customers: tuple[str, ...] = ()  # limit the export to these ERP customers
    shopify_ids: tuple[str, ...] = ()  # limit the import to these Shopify customers
    orders: bool = False
    overlap_seconds: int = 300  # incremental imports look this far behind the watermark
    batch_size: int = 100  # records per store transaction
    bulk_poll_seconds: float = 1.0
    progress: bool = True
    report_dir: Path | None = Path("reports")

    def __post_init__(self) -> None:
        if self.direction not in ("import", "export", "both"):
            raise ValueError(f"direction must be import, export or both; got {self.direction!r}")


@dataclass
class SyncResult:
    """A run's plan and outcome: one row per input record, counts, report files."""

    run_id: int | None
    status: str
    records: pd.DataFrame
    plans: dict[str, pd.DataFrame] = field(default_factory=dict)
    reports: dict[str, Path] = field(default_factory=dict)
    watermark: str = ""
    invites: Counter = field(default_factory=Counter)

    @property
    def counts(self) -> dict[str, int]:
        """Records per outcome (every outcome listed, zeros included)."""
        found = Counter(self.records["outcome"]) if not self.records.empty else Counter()
        return {outcome: int(found.get(outcome, 0)) for outcome in OUTCOMES}

    @property
    def failed(self) -> int:
        return self.counts["failed"]

    def summary(self) -> str:
        """A small text table of outcomes per side."""
        if self.records.empty:
            return f"run {self.run_id}: no records"
        table = pd.crosstab(self.records["side"], self.records["outcome"])
        table = table.reindex(columns=[o for o in OUTCOMES if o in table.columns])
        lines = [f"run {self.run_id or '(dry run)'}: {self.status}", table.to_string()]
        if self.invites:
            lines.append("invites: " + ", ".join(f"{k} {v}" for k, v in self.invites.items()))
        return "\n".join(lines)


def sync(
    config: ShopConfig | str | Path,
    *,
    db: str | None = None,
    emulator: str | Path | Emulator | None = None,
    **options: Any,
) -> SyncResult:
    """Run one synchronisation: ``shopsync.sync("shop.toml", direction="both")``.

    ``config`` is a ShopConfig or a TOML path; ``db`` a store URL (default: SHOPSYNC_DB, then
    data/shopsync.db); ``emulator`` a seed folder to sync against an in-process emulator
    instead of the shop's URL; ``options`` are SyncOptions fields (direction, dry_run,
    customers, shopify_ids, orders, report_dir, progress...).
    """
    if not isinstance(config, ShopConfig):
        config = load_config(config)
    store = open_store(db)
    with shopify_session(config, emulator=emulator) as (shop_config, client):
        return sync_shop(shop_config, store, client, SyncOptions(**options))


def sync_shop(
    config: ShopConfig,
    store: Store,
    client: ShopifyClient,
    options: SyncOptions | None = None,
) -> SyncResult:
    """Run one synchronisation of ``config``'s shop with this store and client."""
    options = options or SyncOptions()
    if options.dry_run:  # writes nothing; a store never initialised gets its reference data
        if store.countries_table().empty:
            store.initialise(config)
        return _Run(config, store, client, options, run_id=None).execute()
    store.initialise(config)
    store.ensure_series(_series(config), config.shop.customer_no_prefix)
    with ShopLock(store, config.shop.code) as lock:
        run_id = store.start_run(config.shop.code, options.direction, _parameters(options))
        return _Run(config, store, client, options, run_id=run_id, lock=lock).execute()


class _Run:
    """The state of one run while it executes; phases append one record per input."""

    def __init__(
        self,
        config: ShopConfig,
        store: Store,
        client: ShopifyClient,
        options: SyncOptions,
        run_id: int | None,
        lock: ShopLock | None = None,
    ):
        self.config = config
        self.settings = config.shop
        self.shop = config.shop.code
        self.store = store
        self.client = client
        self.options = options
        self.run_id = run_id
        self.lock = lock
        self.started = iso_now()
        self.records: list[dict[str, Any]] = []
        self.plans: dict[str, pd.DataFrame] = {}
        self.invites: Counter = Counter()
        self.failed_updated_at: list[str] = []
        self.aborted = ""
        # the mirror as it will be after this run's import, for the export's lookups
        self.fetched: ShopifyCustomers | None = None

    @property
    def dry(self) -> bool:
        return self.options.dry_run

    def execute(self) -> SyncResult:
        phases = []
        if self.options.direction in ("import", "both"):
            phases.append(self.import_customers)
        if self.options.orders:
            phases.append(self.order_customers)
        if self.options.direction in ("export", "both"):
            phases.append(self.export_customers)
            phases.append(self.send_invites)
        for phase in phases:
            try:
                phase()
            except (StopError, RetriableError) as exc:
                self.aborted = f"{phase.__name__.replace('_', ' ')} stopped: {exc}"
                break
        return self.finish()

    # -- import --------------------------------------------------------------------------------

    def import_customers(self) -> None:
        if self.settings.customer_import == "none":
            return
        fetched = self.fetch_changed_customers()
        self.fetched = fetched
        if fetched.customers.empty:
            return
        state = self.store.mirror_state(self.shop)
        retry = set(self.store.failed_records(self.shop, "import"))
        customers = fetched.customers
        is_new = [
            _newer(sid, updated, state) or sid in retry
            for sid, updated in zip(customers["shopify_id"], customers["updated_at"], strict=True)
        ]
        selected = customers[is_new]
        for sid in customers.loc[[not n for n in is_new], "shopify_id"]:
            self.record("import", sid, "unchanged", shopify_id=sid, rule="", action="unchanged")
        if self.settings.customer_import == "with_order_import":
            linked = state.index[state["customer_no"] != ""]
            refreshable = self.settings.shopify_can_update_customers  # else nothing to do
            known = selected["shopify_id"].isin(linked) & refreshable
            for sid in selected.loc[~known, "shopify_id"]:
                self.record("import", sid, "skipped", shopify_id=sid, reason="IMPORT_WITH_ORDERS")
            selected = selected[known]
        todo = ShopifyCustomers(
            selected.reset_index(drop=True),
            fetched.addresses[fetched.addresses["shopify_id"].isin(selected["shopify_id"])],
        )
        context = import_context(self.store, self.config)
        self.apply_import_plan(self.plan_import(todo, context), todo, context)

    def fetch_changed_customers(self) -> ShopifyCustomers:
        """Customers changed since the watermark (minus the overlap), plus last run's
        failures; all of them on a first run (through a bulk query)."""
        wanted_ids = list(self.options.shopify_ids)
        if wanted_ids:
            return self.fetch_by_ids(wanted_ids)
        watermark = self.store.watermark(self.shop)
        if not watermark:
            return bulk_customers(self.client, poll=self.options.bulk_poll_seconds)
        since = _minus_seconds(watermark, self.options.overlap_seconds)
        nodes = list(self.client.customers(f"updated_at:>='{since}'"))
        seen = {node.get("legacyResourceId") for node in nodes}
        retry = [sid for sid in self.store.failed_records(self.shop, "import") if sid not in seen]
        fetched = customers_from_nodes(nodes)
        if retry:
            extra = self.fetch_by_ids(retry)
            fetched = ShopifyCustomers(
                pd.concat([fetched.customers, extra.customers], ignore_index=True),
                pd.concat([fetched.addresses, extra.addresses], ignore_index=True),
            )
        return fetched

    def fetch_by_ids(self, ids: Iterable[str]) -> ShopifyCustomers:
        nodes = []
        for sid in ids:
            node = self.client.customer_by_identifier(gid=f"gid://shopify/Customer/{sid}")
            if node is None:
                self.record("import", sid, "skipped", shopify_id=sid, reason="NOT_IN_SHOPIFY")
            else:
                nodes.append(node)
        return customers_from_nodes(nodes)

    def plan_import(self, todo: ShopifyCustomers, context: ImportContext) -> pd.DataFrame:
        plan = plan_import(
            todo, self.store.erp_customers(), context, links=self.store.links(self.shop)
        )
        self.plans["import"] = plan
        return plan

    def apply_import_plan(
        self, plan: pd.DataFrame, todo: ShopifyCustomers, context: ImportContext
    ) -> None:
        customers = todo.customers.set_index("shopify_id", drop=False)
        rows = plan.to_dict("records")
        for batch in _batches(self.progress(rows, "import"), self.options.batch_size):
            if self.dry:
                for row in batch:
                    self.record_import(row, _IMPORT_OUTCOME[row["action"]])
                continue
            self.beat()
            done = []
            try:
                with self.store.transaction() as conn:
                    ids = [row["shopify_id"] for row in batch]
                    self.store.save_mirror(self.shop, _subset(todo, ids), conn=conn)
                    for row in batch:
                        done.append(self.apply_import_row(row, context, conn))
            except (ShopsyncError, SQLAlchemyError):  # rolled back: redo one by one
                self.apply_import_rows_singly(batch, todo, context, customers)
                continue
            for row, outcome in zip(batch, done, strict=True):
                self.record_import(row, outcome["outcome"], customer_no=outcome["customer_no"])

    def apply_import_rows_singly(
        self, batch: list[dict[str, Any]], todo: ShopifyCustomers, context: Any, customers: Any
    ) -> None:
        for row in batch:
            try:
                with self.store.transaction() as conn:
                    self.store.save_mirror(self.shop, _subset(todo, [row["shopify_id"]]), conn=conn)
                    done = self.apply_import_row(row, context, conn)
            except (ShopsyncError, SQLAlchemyError) as exc:
                self.record_import(row, "failed", message=f"{type(exc).__name__}: {exc}")
                self.failed_updated_at.append(str(customers.at[row["shopify_id"], "updated_at"]))
                continue
            self.record_import(row, done["outcome"], customer_no=done["customer_no"])

    def apply_import_row(self, row: Mapping[str, Any], context: Any, conn: Any) -> dict[str, str]:
        action, sid, no = row["action"], row["shopify_id"], row["customer_no"]
        values = {key[4:]: value for key, value in row.items() if key.startswith("erp_")}
        if action == "create":
            template = context.templates[row["template_code"]]
            values = _with_template(values, template)
            no = self.store.create_erp_customer(
                values, series=_series(self.config), shop_code=self.shop, shopify_id=sid, conn=conn
            )
        elif action == "update":
            self.store.update_erp_customer(
                no, values, shop_code=self.shop, shopify_id=sid, conn=conn
            )
        elif action == "link":
            self.store.link(self.shop, sid, no, conn=conn)
        return {"outcome": _IMPORT_OUTCOME[action], "customer_no": no}

    def record_import(
        self, row: Mapping[str, Any], outcome: str, *, customer_no: str = "", message: str = ""
    ) -> None:
        self.record(
            "import",
            row["shopify_id"],
            outcome,
            action=row["action"],
            rule=row["rule"],
            customer_no=customer_no or row["customer_no"],
            shopify_id=row["shopify_id"],
            reason=row["reasons"],
            message=message or row["candidates"],
        )

    # -- export --------------------------------------------------------------------------------

    def export_customers(self) -> None:
        settings = self.settings
        if not (settings.export_customers or settings.can_update_shopify_customers):
            return
        if self.fetched is None:  # export only: read what changed in Shopify (not imported)
            self.fetched = self.fetch_changed_customers()
        erp = self.store.erp_customers()
        if self.options.customers:
            erp = erp[erp["no"].isin(self.options.customers)].reset_index(drop=True)
        mirror = self.current_mirror()
        links = {
            no: sid
            for sid, no in zip(mirror["shopify_id"], mirror["customer_no"], strict=True)
            if no
        }
        report = check_export_eligibility(
            erp, export_context(self.store, self.config), linked=set(links)
        )
        plan = self.plan_export(report, mirror, links)
        self.plans["export"] = plan
        self.apply_export_plan(plan, mirror)

    def current_mirror(self) -> pd.DataFrame:
        """Mirrored customers with their default address (after this run's import), in memory
        for a dry run."""
        stored = self.store.shopify_mirror(self.shop)
        state = self.store.mirror_state(self.shop)
        customers = stored.customers.copy()
        customers["customer_no"] = customers["shopify_id"].map(state["customer_no"]).fillna("")
        if self.fetched is not None:  # customers read but not (yet) mirrored count too
            fresh = self.fetched.customers[
                ~self.fetched.customers["shopify_id"].isin(customers["shopify_id"])
            ]
            customers = pd.concat([customers, fresh.assign(customer_no="")], ignore_index=True)
            stored = ShopifyCustomers(
                customers, pd.concat([stored.addresses, self.fetched.addresses])
            )
        defaults = stored.addresses.sort_values(["is_default", "position"], ascending=[False, True])
        defaults = defaults.drop_duplicates("shopify_id").set_index("shopify_id")
        for column in (
            "address_id",
            "company",
            "address1",
            "address2",
            "zip",
            "city",
            "country_code",
            "province_code",
        ):
            customers[f"address_{column}"] = (
                customers["shopify_id"].map(defaults[column]).fillna("")
            )
        return customers

    def plan_export(
        self, report: pd.DataFrame, mirror: pd.DataFrame, links: Mapping[str, str]
    ) -> pd.DataFrame:
        """One row per ERP customer: action create / update / link / unchanged / skip."""
        settings = self.settings
        by_id = mirror.set_index("shopify_id", drop=False)
        found = match_in_mirror(report, self.projected(mirror, report, links))
        rows = []
        for index, row in report.iterrows():
            no = row["customer_no"]
            sid = links.get(no, "")
            action, reason, message = "skip", row["reasons"], ""
            if not row["eligible"]:
                pass
            elif sid:
                action = "unchanged"
                if settings.can_update_shopify_customers:
                    changes = changed_fields(row, by_id.loc[sid], _address_of(by_id.loc[sid]))
                    if changes:
                        action, message = "update", "changed: " + ", ".join(changes)
            elif found[index]:
                sid = found[index]
                holder = by_id.at[sid, "customer_no"]
                if holder and holder != no:
                    reason = _join(reason, "ALREADY_EXISTS_IN_SHOPIFY")
                    message = f"Shopify customer {sid} is linked to ERP customer {holder}"
                else:
                    action = "link"
                    if settings.can_update_shopify_customers:
                        changes = changed_fields(row, by_id.loc[sid], _address_of(by_id.loc[sid]))
                        if changes:
                            message = "link and update: " + ", ".join(changes)
            elif settings.export_customers:
                action = "create"
            else:
                reason = _join(reason, "EXPORT_CUSTOMERS_OFF")
            rows.append(
                {
                    **row.to_dict(),
                    "action": action,
                    "shopify_id": sid,
                    "reasons": reason,
                    "message": message,
                }
            )
        return pd.DataFrame(rows)

    def projected(
        self, mirror: pd.DataFrame, report: pd.DataFrame, links: Mapping[str, str]
    ) -> pd.DataFrame:
        """The mirror as it will be once linked customers carry their ERP e-mail and phone
        (when this run pushes ERP changes), so lookups see Shopify's state after the run."""
        if not self.settings.can_update_shopify_customers:
            return mirror
        eligible = report[report["eligible"] & report["customer_no"].isin(list(links))]
        target = {links[r["customer_no"]]: (r["email"], r["phone"]) for _, r in eligible.iterrows()}
        projected = mirror.copy()
        sids = projected["shopify_id"]
        projected["email"] = [
            target.get(s, (e, None))[0] for s, e in zip(sids, mirror["email"], strict=True)
        ]
        projected["phone"] = [
            target.get(s, (None, p))[1] for s, p in zip(sids, mirror["phone"], strict=True)
        ]
        return projected

    def apply_export_plan(self, plan: pd.DataFrame, mirror: pd.DataFrame) -> None:
        by_id = mirror.set_index("shopify_id", drop=False)
        creates = plan[plan["action"] == "create"]
        others = plan[plan["action"] != "create"]
        for row in self.progress(others.to_dict("records"), "export"):
            outcome = {
                "skip": "skipped",
                "unchanged": "unchanged",
                "link": "linked",
                "update": "updated",
            }[row["action"]]
            if self.dry or row["action"] in ("skip", "unchanged"):
                self.record_export(row, outcome)
                continue
            self.beat()
            sid = row["shopify_id"]
            try:
                refreshed = None
                if row["action"] == "update" or row["message"].startswith("link and update"):
                    refreshed = self.push_update(row, by_id.loc[sid])
                with self.store.transaction() as conn:
                    if refreshed is not None:
                        self.store.save_mirror(
                            self.shop, customers_from_nodes([refreshed]), conn=conn
                        )
                        self.store.mark_written(self.shop, sid, refreshed["updatedAt"], conn=conn)
                    self.store.link(self.shop, sid, row["customer_no"], conn=conn)
            except (ShopsyncError, _WriteRefused) as exc:
                self.record_export(row, "failed", message=str(exc))
                continue
            self.record_export(row, outcome)
        if not creates.empty:
            self.create_in_shopify(creates)

    def push_update(self, row: Mapping[str, Any], customer: Mapping[str, Any]) -> dict[str, Any]:
        """customerUpdate + the default address; returns the customer as Shopify now has it."""
        gid = f"gid://shopify/Customer/{customer['shopify_id']}"
        fields = customer_input(row, with_address=False, clear_blanks=True)
        _raise_unless_ok(self.client.update_customer({"id": gid, **fields}))
        address = address_input(row, clear_blanks=True)
        if row.get("address1") or row.get("city") or customer.get("address_address_id"):
            address_id = customer.get("address_address_id") or ""
            address_gid = (
                f"gid://shopify/MailingAddress/{address_id}?model_name=CustomerAddress"
                if address_id
                else None
            )
            _raise_unless_ok(self.client.upsert_address(gid, address, address_gid))
        refreshed = self.client.customer_by_identifier(gid=gid)
        if refreshed is None:
            raise _WriteRefused(f"customer {gid} disappeared from Shopify during the update")
        return refreshed

    def create_in_shopify(self, creates: pd.DataFrame) -> None:
        rows = creates.to_dict("records")
        if self.dry:
            for row in rows:
                self.record_export(row, "created")
            return
        lines = [
            {"identifier": {"email": row["email"]}, "input": customer_input(row)} for row in rows
        ]
        if len(rows) >= self.settings.bulk_mutation_threshold:
            results = run_bulk_mutation(
                self.client,
                queries.CUSTOMER_SET,
                lines,
                result_key="customerSet",
                client_identifier=f"shopsync-{self.shop}-{self.run_id}",
                poll=self.options.bulk_poll_seconds,
            )
            pairs = zip(rows, results, strict=True)
        else:
            pairs = ((row, self.set_one(line)) for row, line in zip(rows, lines, strict=True))
        for row, result in self.progress(pairs, "create", total=len(rows)):
            self.beat()
            if not result.ok:
                self.record_export(row, "failed", message=result.message or "refused")
                continue
            self.remember_created(row, result)
            self.record_export(
                {**row, "shopify_id": str(result.data["legacyResourceId"])}, "created"
            )

    def set_one(self, line: Mapping[str, Any]) -> MutationResult:
        try:
            return self.client.set_customer(line["input"], identifier=line["identifier"])
        except (RetriableError, ShopsyncError) as exc:
            if isinstance(exc, StopError):
                raise
            return MutationResult(False, None, (("", str(exc)),))

    def remember_created(self, row: Mapping[str, Any], result: MutationResult) -> None:
        """Mirror the new Shopify customer, link it, mark our write and the pending invite,
        in one transaction."""
        data = result.data or {}
        sid = str(data["legacyResourceId"])
        address = (data.get("defaultAddress") or {}).get("id")
        node = {
            "id": data["id"],
            "legacyResourceId": sid,
            "firstName": row.get("first_name"),
            "lastName": row.get("last_name"),
            "defaultEmailAddress": data.get("defaultEmailAddress"),
            "defaultPhoneNumber": data.get("defaultPhoneNumber"),
            "updatedAt": data.get("updatedAt"),
            "createdAt": data.get("updatedAt"),
            "defaultAddress": {"id": address} if address else None,
            "addressesV2": {"nodes": [{"id": address, **_address_node(row)}] if address else []},
        }
        invite = "pending" if self.settings.send_invites else ""
        with self.store.transaction() as conn:
            self.store.save_mirror(self.shop, customers_from_nodes([node]), conn=conn)
            self.store.link(self.shop, sid, row["customer_no"], conn=conn)
            self.store.mark_written(
                self.shop, sid, str(data.get("updatedAt") or ""), invite=invite, conn=conn
            )

    def record_export(self, row: Mapping[str, Any], outcome: str, *, message: str = "") -> None:
        self.record(
            "export",
            row["customer_no"],
            outcome,
            action=row["action"],
            customer_no=row["customer_no"],
            shopify_id=row.get("shopify_id", ""),
            reason=row["reasons"],
            message=message or row.get("message", "") or row.get("details", ""),
        )

    # -- invites -------------------------------------------------------------------------------

    def send_invites(self) -> None:
        if not self.settings.send_invites or self.dry:
            return
        pending = self.store.pending_invites(self.shop)
        if not pending:
            return
        version = (self.client.shop().get("customerAccountsV2") or {}).get(
            "customerAccountsVersion", "CLASSIC"
        )
        if version != "CLASSIC":
            self.invites["unavailable"] += len(pending)
            message = (
                f"{len(pending)} customer(s): the store uses new customer accounts, which have "
                "no invites; customers sign in with one-time e-mail codes"
            )
            self.log_one("invite", "*", "skipped", "INVITES_UNAVAILABLE", message)
            for sid in pending:
                self.store.set_invite(self.shop, sid, "unavailable")
            return
        for sid in self.progress(pending, "invite"):
            self.beat()
            try:
                result = self.client.send_invite(f"gid://shopify/Customer/{sid}")
            except RetriableError as exc:
                result = MutationResult(False, None, (("", str(exc)),))
            if result.ok:
                self.invites["sent"] += 1
                self.store.set_invite(self.shop, sid, "sent")
                written = (result.data or {}).get("updatedAt")
                if written:  # the invite changed the customer: our write, not to re-import
                    self.store.mark_written(self.shop, sid, str(written))
            else:
                self.invites["failed"] += 1
                self.store.set_invite(self.shop, sid, "failed")
                self.log_one("invite", sid, "failed", "", result.message)

    def log_one(self, side: str, record: str, outcome: str, reason: str, message: str) -> None:
        row = {"side": side, "record": record, "outcome": outcome, "reason": reason}
        self.store.log(self.run_id, [{**row, "message": message}])

    # -- orders --------------------------------------------------------------------------------

    def order_customers(self) -> None:
        key = "orders"
        since = self.store.watermark(self.shop)
        query = (
            f"created_at:>='{_minus_seconds(since, self.options.overlap_seconds)}'"
            if since
            else None
        )
        orders = orders_from_nodes(self.client.orders(query))
        if orders.empty:
            return
        mirror = self.store.shopify_mirror(self.shop)
        plan = plan_order_customers(
            orders,
            mirror,
            self.store.erp_customers(),
            import_context(self.store, self.config),
            links=self.store.links(self.shop),
        )
        self.plans[key] = plan
        for row in plan.to_dict("records"):
            outcome = "skipped" if row["reasons"] and not row["sell_to_customer_no"] else "linked"
            self.record(
                "order",
                row["order_id"],
                outcome,
                action=row["sell_to_action"],
                rule=row["rule"],
                customer_no=row["sell_to_customer_no"],
                shopify_id=row["shopify_id"],
                reason=row["reasons"],
                message=f"bill-to {row['bill_to_customer_no']}",
            )
        if not self.dry:
            self.store.save_order_customers(self.shop, plan, self.run_id or 0)

    # -- bookkeeping ---------------------------------------------------------------------------

    def record(self, side: str, record: str, outcome: str, **fields: str) -> None:
        self.records.append(
            {column: "" for column in RECORD_COLUMNS}
            | {"side": side, "record": str(record), "outcome": outcome}
            | {k: ("" if v is None else str(v)) for k, v in fields.items()}
        )

    def progress(self, items: Any, label: str, total: int | None = None) -> Any:
        if not self.options.progress:
            return items
        return tqdm(items, desc=f"{self.shop} {label}", total=total, file=sys.stderr, leave=False)

    def beat(self) -> None:
        if self.lock is not None:
            self.lock.beat()

    def finish(self) -> SyncResult:
        records = pd.DataFrame(self.records, columns=RECORD_COLUMNS)
        failed = records["outcome"] == "failed"
        status = "failed" if failed.any() or self.aborted else "succeeded"
        watermark = self.next_watermark()
        result = SyncResult(
            run_id=self.run_id,
            status="planned" if self.dry else status,
            records=records,
            plans=self.plans,
            watermark=watermark,
            invites=self.invites,
        )
        if self.dry:
            return result
        problems = records[records["outcome"].isin(["skipped", "failed"])]
        log = [
            {
                "side": r.side,
                "record": r.record,
                "outcome": r.outcome,
                "reason": r.reason,
                "message": r.message,
            }
            for r in problems.itertuples()
        ]
        if self.aborted:
            log.append(
                {
                    "side": "run",
                    "record": "*",
                    "outcome": "failed",
                    "reason": "",
                    "message": self.aborted,
                }
            )
        self.store.log(self.run_id, log)
        if self.options.report_dir is not None:
            result.reports = self.write_reports(records)
        self.store.finish_run(
            self.run_id,
            status=status,
            counts=result.counts,
            watermark=watermark,
            report={k: str(v) for k, v in result.reports.items()},
        )
        return result

    def next_watermark(self) -> str:
        """The run's start, never past a failed record; unchanged when the run stopped early."""
        previous = self.store.watermark(self.shop)
        if self.aborted or self.options.direction == "export" or self.options.shopify_ids:
            return previous
        candidates = [self.started, *[_minus_seconds(t, 1) for t in self.failed_updated_at if t]]
        return min(candidates)

    def write_reports(self, records: pd.DataFrame) -> dict[str, Path]:
        directory = Path(self.options.report_dir or "reports")
        title = f"Sync run {self.run_id} of shop {self.shop}"
        return {
            suffix: write_report(
                records,
                directory / f"{self.shop}-{self.run_id}.{suffix}",
                title=title,
                outcome_column="outcome",
                reason_column="reason",
            )
            for suffix in ("csv", "xlsx", "html")
        }


class _WriteRefused(Exception):
    """Shopify answered a write with userErrors."""


def _raise_unless_ok(result: MutationResult) -> None:
    if not result.ok:
        raise _WriteRefused(result.message or "refused")


def _address_of(customer: Mapping[str, Any]) -> dict[str, Any]:
    """The default-address columns of a mirror row, without their ``address_`` prefix."""
    prefix = "address_"
    return {
        str(key)[len(prefix) :]: value
        for key, value in customer.items()
        if str(key).startswith(prefix)
    }


def _address_node(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "firstName": row.get("first_name"),
        "lastName": row.get("last_name"),
        "company": row.get("company"),
        "address1": row.get("address1"),
        "address2": row.get("address2"),
        "zip": row.get("zip"),
        "city": row.get("city"),
        "countryCodeV2": row.get("country_code"),
        "provinceCode": row.get("province_code"),
        "province": row.get("province"),
        "phone": row.get("phone"),
    }


def _with_template(values: Mapping[str, Any], template: Any) -> dict[str, Any]:
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


def _newer(shopify_id: str, updated_at: str, state: pd.DataFrame) -> bool:
    """Is Shopify's copy newer than both our stored copy and our own last write?"""
    if shopify_id not in state.index:
        return True
    stored = str(state.at[shopify_id, "updated_at"] or "")
    ours = str(state.at[shopify_id, "last_updated_by_erp"] or "")
    return _instant(updated_at) > max(_instant(stored), _instant(ours))


def _instant(text: str) -> datetime:
    if not text:
        return datetime.min.replace(tzinfo=UTC)
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _minus_seconds(text: str, seconds: float) -> str:
    moment = _instant(text) - timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _series(config: ShopConfig) -> str:
    return f"CUST-{config.shop.code}"


def _subset(customers: ShopifyCustomers, ids: list[str]) -> ShopifyCustomers:
    return ShopifyCustomers(
        customers.customers[customers.customers["shopify_id"].isin(ids)],
        customers.addresses[customers.addresses["shopify_id"].isin(ids)],
    )


def _batches(items: Iterable[Any], size: int) -> Iterable[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _join(reasons: str, code: str) -> str:
    return ";".join(c for c in [*reasons.split(";"), code] if c)


def _parameters(options: SyncOptions) -> dict[str, Any]:
    return {
        "direction": options.direction,
        "customers": list(options.customers),
        "shopify_ids": list(options.shopify_ids),
        "orders": options.orders,
    }
