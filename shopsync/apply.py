"""Applying a sync plan: exactly its decisions, each record done or not begun, none lost."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from shopsync.erp_io import read_blocked
from shopsync.errors import (
    RetriableError,
    ShopifyUnavailable,
    ShopsyncError,
    StopError,
    WriteOutcomeUnknown,
)
from shopsync.export_plan import mirror_with_default_address
from shopsync.exporting import address_input, changed_fields, customer_input
from shopsync.run_record import RunRecorder
from shopsync.run_state import instant
from shopsync.schema import EXPORT_ADDRESS_NODE, Action
from shopsync.settings import ShopConfig
from shopsync.shopify import ShopifyClient, queries, run_bulk_mutation
from shopsync.shopify.client import MutationResult
from shopsync.shopify_io import ShopifyCustomers, customers_from_nodes
from shopsync.store import Store
from shopsync.sync_plan import SyncPlan, known_customers, number_series, template_values

__all__ = ["apply_plan"]

_CONSECUTIVE_FAILURES = 3  # Shopify failing this many writes in a row stops the phase
_FRESH_SECONDS = 10  # a customer whose updatedAt is this close to createdAt was just created


def apply_plan(
    plan: SyncPlan,
    config: ShopConfig,
    store: Store,
    client: ShopifyClient,
    recorder: RunRecorder,
    *,
    batch_size: int = 100,
    bulk_poll_seconds: float = 1.0,
) -> None:
    """Execute ``plan``: the import, the order customers, the export, the invites.

    A phase that cannot go on (refused token, Shopify gone) stops the run once, with one
    message; every record it did not reach is reported failed, "not attempted".
    """
    _Applier(plan, config, store, client, recorder, batch_size, bulk_poll_seconds).run()


class _Breaker:
    """Stops a phase when Shopify fails several writes in a row (it is down, not the data)."""

    def __init__(self) -> None:
        self.in_a_row = 0

    def ok(self) -> None:
        self.in_a_row = 0

    def failed(self, exc: Exception) -> None:
        self.in_a_row += 1
        if self.in_a_row >= _CONSECUTIVE_FAILURES:
            raise ShopifyUnavailable(
                "sync", f"{self.in_a_row} writes in a row failed, the last: {exc}"
            ) from None


class _WriteRefused(Exception):
    """Shopify answered a write with userErrors."""


class _Applier:
    def __init__(
        self,
        plan: SyncPlan,
        config: ShopConfig,
        store: Store,
        client: ShopifyClient,
        recorder: RunRecorder,
        batch_size: int,
        bulk_poll_seconds: float,
    ):
        self.plan = plan
        self.config = config
        self.settings = config.shop
        self.shop = config.shop.code
        self.store = store
        self.client = client
        self.recorder = recorder
        self.batch_size = batch_size
        self.bulk_poll_seconds = bulk_poll_seconds
        self.breaker = _Breaker()
        known = known_customers(store.shopify_mirror(self.shop), plan.shopify)
        self.known = known
        self.fetched_ids = set(plan.shopify.customers["shopify_id"])
        # creates an earlier run sent but never recorded (it was killed in between)
        self.intents = store.create_intents(self.shop)

    @contextmanager
    def batch(self) -> Iterator[Any]:
        """One store transaction of the run, fenced: it commits only while this run still
        holds the shop's lock (LockLost, a stop, otherwise)."""
        with self.store.transaction() as conn:
            self.recorder.check_lock(conn)
            yield conn

    def run(self) -> None:
        phases = [("import", self.apply_imports), ("order", self.apply_orders)]
        phases += [("export", self.apply_exports), ("invite", self.send_invites)]
        for position, (side, phase) in enumerate(phases):
            try:
                phase()
            except (StopError, RetriableError) as exc:
                self.recorder.aborted = f"{side} stopped: {exc}"
                for later_side, _ in phases[position:]:
                    self.not_attempted(later_side)
                break

    def not_attempted(self, side: str) -> None:
        """Report every planned record of ``side`` that has no outcome yet as failed."""
        frame = {"import": self.plan.imports, "export": self.plan.exports}.get(side)
        if frame is None or frame.empty:
            return
        done = self.recorder.recorded(side)
        key = "shopify_id" if side == "import" else "customer_no"
        updated = self.plan.shopify.customers.set_index("shopify_id")["updated_at"]
        message = f"not attempted: {self.recorder.aborted}"
        for row in frame.to_dict("records"):
            if str(row[key]) in done:
                continue
            if side == "import":
                self.recorder.record_import(row, "failed", message=message)
                self.recorder.failed_updated_at.append(str(updated.get(row["shopify_id"], "")))
            else:
                self.recorder.record_export(row, "failed", message=message)

    # -- import ------------------------------------------------------------------------------

    def apply_imports(self) -> None:
        for skipped in self.plan.skipped_reads:
            sid = skipped["shopify_id"]
            self.recorder.record("import", sid, "skipped", shopify_id=sid, reason=skipped["reason"])
        rows = self.plan.imports.to_dict("records")
        for batch in _batches(self.recorder.progress(rows, "import"), self.batch_size):
            self.recorder.beat()
            try:
                with self.batch() as conn:
                    self.save_fetched(batch, conn)
                    done = [self.apply_import_row(row, conn) for row in batch]
            except StopError:  # the lock was lost: nothing more is written
                raise
            except (ShopsyncError, SQLAlchemyError):  # rolled back: redo one by one
                self.apply_import_rows_singly(batch)
                continue
            for row, (outcome, changed) in zip(batch, done, strict=True):
                self.recorder.record_import(row, outcome, changes=changed)

    def apply_import_rows_singly(self, batch: list[dict[str, Any]]) -> None:
        updated = self.plan.shopify.customers.set_index("shopify_id")["updated_at"]
        for row in batch:
            try:
                with self.batch() as conn:
                    self.save_fetched([row], conn)
                    outcome, changed = self.apply_import_row(row, conn)
            except StopError:
                raise
            except (ShopsyncError, SQLAlchemyError) as exc:
                self.recorder.record_import(row, "failed", message=f"{type(exc).__name__}: {exc}")
                self.recorder.failed_updated_at.append(str(updated.get(row["shopify_id"], "")))
                continue
            self.recorder.record_import(row, outcome, changes=changed)

    def apply_import_row(
        self, row: Mapping[str, Any], conn: Any
    ) -> tuple[str, dict[str, list[Any]]]:
        """Write one import decision; returns its outcome and, for an update, the ERP fields
        it changed (field -> [old, new])."""
        action, sid, no = row["action"], row["shopify_id"], row["customer_no"]
        values = {key[4:]: value for key, value in row.items() if key.startswith("erp_")}
        changed: dict[str, list[Any]] = {}
        if action == "create":
            template = self.config.templates[row["template_code"]]
            self.store.create_erp_customer(
                template_values(values, template),
                series=number_series(self.config),
                shop_code=self.shop,
                shopify_id=sid,
                no=no,
                conn=conn,
            )
        elif action == "update":
            changed = self.store.update_erp_customer(
                no, values, shop_code=self.shop, shopify_id=sid, conn=conn
            )
        elif action == "link":
            self.store.link(self.shop, sid, no, conn=conn)
        if no in self.intents and action in ("link", "update", "unchanged"):
            self.recover_create(sid, no, conn)
        return Action(action).outcome, changed

    def recover_create(self, sid: str, no: str, conn: Any) -> None:
        """The import found a customer an interrupted run created for ERP customer ``no``
        (the create reached Shopify, its record did not): it is ours, so its invite is due."""
        invite = "pending" if self.settings.send_invites else None
        updated = self.plan.shopify.customers.set_index("shopify_id")["updated_at"]
        self.store.link(self.shop, sid, no, conn=conn)
        self.store.mark_written(self.shop, sid, str(updated.get(sid, "")), invite=invite, conn=conn)
        self.store.clear_create_intent(self.shop, no, conn=conn)

    def save_fetched(self, rows: list[dict[str, Any]], conn: Any) -> None:
        """Mirror the Shopify customers of ``rows`` that the plan takes into the mirror."""
        ids = [row["shopify_id"] for row in rows if row["mirror"] in (True, "True")]
        if ids:
            self.store.save_mirror(self.shop, self.shopify_subset(ids), conn=conn)

    def shopify_subset(self, ids: Iterable[str]) -> ShopifyCustomers:
        wanted = set(ids)
        customers = self.plan.shopify.customers
        addresses = self.plan.shopify.addresses
        return ShopifyCustomers(
            customers[customers["shopify_id"].isin(wanted)],
            addresses[addresses["shopify_id"].isin(wanted)],
        )

    # -- orders ------------------------------------------------------------------------------

    def apply_orders(self) -> None:
        for note in self.plan.notes:
            self.recorder.log_one(note["side"], "*", "skipped", "", note["text"])
        plan = self.plan.orders
        if plan.empty:
            return
        for row in plan.to_dict("records"):
            self.recorder.record_order(row)
        self.store.save_order_customers(self.shop, plan, self.recorder.run_id or 0)

    # -- export ------------------------------------------------------------------------------

    def apply_exports(self) -> None:
        plan = self.plan.exports
        if plan.empty:
            return
        links = self.store.links(self.shop)
        mirror = mirror_with_default_address(self.known.customers, self.known.addresses, links)
        self.mirror = mirror.set_index("shopify_id", drop=False)
        creates = plan[plan["action"] == "create"]
        others = plan[plan["action"] != "create"].to_dict("records")
        for row in self.recorder.progress(others, "export"):
            action = row["action"]
            if action in ("skip", "unchanged"):
                self.recorder.record_export(row, Action(action).outcome)
                continue
            self.recorder.beat()
            try:
                self.update_or_link(row)
            except _NotInShopify as gone:
                self.recorder.record_export(
                    row, "skipped", reason="NOT_IN_SHOPIFY", message=str(gone)
                )
                continue
            except (_WriteRefused, WriteOutcomeUnknown, RetriableError) as exc:
                self.recorder.record_export(row, "failed", message=str(exc))
                if not isinstance(exc, _WriteRefused):
                    self.breaker.failed(exc)
                continue
            self.breaker.ok()
            self.recorder.record_export(row, Action(action).outcome)
        if not creates.empty:
            self.create_customers(creates.to_dict("records"))

    def update_or_link(self, row: Mapping[str, Any]) -> None:
        sid = row["shopify_id"]
        customer = self.mirror.loc[sid]
        refreshed = self.push_update(row, customer) if row["changes"] else None
        with self.batch() as conn:
            if refreshed is not None:
                self.store.save_mirror(self.shop, customers_from_nodes([refreshed]), conn=conn)
                self.store.mark_written(self.shop, sid, refreshed["updatedAt"], conn=conn)
            elif sid in self.fetched_ids:  # a customer read from Shopify joins the mirror
                self.store.save_mirror(self.shop, self.shopify_subset([sid]), conn=conn)
            self.store.link(self.shop, sid, row["customer_no"], conn=conn)

    def push_update(self, row: Mapping[str, Any], customer: Mapping[str, Any]) -> dict[str, Any]:
        """customerUpdate + the default address; returns the customer as Shopify now has it."""
        gid = f"gid://shopify/Customer/{customer['shopify_id']}"
        fields = customer_input(row, with_address=False, clear_blanks=True)
        result = self.client.update_customer({"id": gid, **fields})
        if not result.ok and _says_missing(result):
            self.store.forget_shopify_customers(self.shop, [customer["shopify_id"]])
            raise _NotInShopify(
                f"Shopify customer {customer['shopify_id']} no longer exists: link removed, "
                "the next run looks the customer up again"
            )
        _raise_unless_ok(result)
        address = address_input(row, clear_blanks=True)
        address_id = str(customer.get("address_address_id") or "")
        if row.get("address1") or row.get("city") or address_id:
            address_gid = (
                f"gid://shopify/MailingAddress/{address_id}?model_name=CustomerAddress"
                if address_id
                else None
            )
            try:
                _raise_unless_ok(self.client.upsert_address(gid, address, address_gid))
            except WriteOutcomeUnknown:  # a lost answer: look before creating it again
                if not self.address_arrived(gid, row):
                    raise
        refreshed = self.client.customer_by_identifier(gid=gid)
        if refreshed is None:
            raise _NotInShopify(f"customer {gid} disappeared from Shopify during the update")
        return refreshed

    def address_arrived(self, gid: str, row: Mapping[str, Any]) -> bool:
        """Did an address create whose answer was lost reach Shopify?"""
        node = self.client.customer_by_identifier(gid=gid)
        if node is None:
            return False
        found = customers_from_nodes([node])
        view = mirror_with_default_address(found.customers, found.addresses, {})
        changes = changed_fields(row, view.iloc[0], _address_of(view.iloc[0]))
        return not any(c in changes for c in ("address1", "city", "zip", "country_code"))

    def create_customers(self, rows: list[dict[str, Any]]) -> None:
        """Look each customer up exactly (no search lag) before creating it: one that exists
        is linked or skipped, never overwritten; then create the rest."""
        intents = self.store.create_intents(self.shop)
        holders = self.store.links(self.shop)  # Shopify id -> ERP no, kept up to date below
        to_create = []
        for row in self.recorder.progress(rows, "look up", total=len(rows)):
            self.recorder.beat()
            try:
                node = self.lookup(row)
            except RetriableError as exc:
                self.recorder.record_export(row, "failed", message=f"look-up before create: {exc}")
                self.breaker.failed(exc)
                continue
            self.breaker.ok()
            if node is None:
                to_create.append(row)
            else:
                self.adopt(row, node, recovered=row["customer_no"] in intents, holders=holders)
        if not to_create:
            return
        self.store.record_create_intents(self.shop, to_create, self.recorder.run_id or 0)
        lines = [
            {"identifier": {"email": row["email"]}, "input": customer_input(row)}
            for row in to_create
        ]
        if len(to_create) >= self.settings.bulk_mutation_threshold:
            results = run_bulk_mutation(
                self.client,
                queries.CUSTOMER_SET,
                lines,
                result_key="customerSet",
                client_identifier=f"shopsync-{self.shop}-{self.recorder.run_id}",
                poll=self.bulk_poll_seconds,
            )
            pairs: Iterable[tuple[dict[str, Any], MutationResult]] = zip(
                to_create, results, strict=True
            )
        else:
            pairs = ((row, self.set_one(line)) for row, line in zip(to_create, lines, strict=True))
        for row, result in self.recorder.progress(pairs, "create", total=len(to_create)):
            self.recorder.beat()
            if not result.ok:
                if not _unknown(result):  # refused: nothing was created
                    self.store.clear_create_intent(self.shop, row["customer_no"])
                self.recorder.record_export(row, "failed", message=result.message or "refused")
                continue
            data = result.data or {}
            created = instant(str(data.get("createdAt") or ""))
            updated = instant(str(data.get("updatedAt") or ""))
            if (updated - created).total_seconds() > _FRESH_SECONDS:
                # created by someone else since the look-up: customerSet updated it
                node = self.client.customer_by_identifier(gid=data["id"])
                self.adopt(row, node, holders=holders)
                continue
            self.remember_created(row, data)
            holders[str(data["legacyResourceId"])] = row["customer_no"]
            self.recorder.record_export(
                {**row, "shopify_id": str(data["legacyResourceId"])}, "created"
            )

    def lookup(self, row: Mapping[str, Any]) -> dict[str, Any] | None:
        """The Shopify customer with this e-mail, else this phone (exact, lag-free)."""
        node = self.client.customer_by_identifier(email=row["email"]) if row["email"] else None
        if node is None and row.get("phone"):
            node = self.client.customer_by_identifier(phone=row["phone"])
        return node

    def adopt(
        self,
        row: Mapping[str, Any],
        node: Mapping[str, Any] | None,
        *,
        holders: dict[str, str],
        recovered: bool = False,
    ) -> None:
        """A customer to create turned out to exist in Shopify: a create of ours whose
        record was lost (``recovered``: it was planned and sent, then the run died) is
        recorded as created; anyone else's is linked, or skipped when another ERP customer
        holds it. It is never overwritten."""
        if node is None:
            self.recorder.record_export(row, "failed", message="the customer vanished from Shopify")
            return
        found = customers_from_nodes([node])
        sid = str(found.customers.iloc[0]["shopify_id"])
        holder = holders.get(sid, "")
        no = row["customer_no"]
        self.store.clear_create_intent(self.shop, no)
        if holder and holder != no:
            message = f"Shopify customer {sid} is linked to ERP customer {holder}"
            self.recorder.record_export(
                {**row, "shopify_id": sid},
                "skipped",
                reason="ALREADY_EXISTS_IN_SHOPIFY",
                message=message,
            )
            return
        invite = "pending" if recovered and self.settings.send_invites else None
        holders[sid] = no
        with self.batch() as conn:
            self.store.save_mirror(self.shop, found, conn=conn)
            self.store.link(self.shop, sid, no, conn=conn)
            if recovered:
                self.store.mark_written(
                    self.shop, sid, str(node.get("updatedAt") or ""), invite=invite, conn=conn
                )
        if recovered:
            message = "created by an interrupted run; recorded now"
            self.recorder.record_export({**row, "shopify_id": sid}, "created", message=message)
        else:
            message = f"already in Shopify (customer {sid}): linked, not overwritten"
            self.recorder.record_export(
                {**row, "shopify_id": sid, "action": "link"}, "linked", message=message
            )

    def set_one(self, line: Mapping[str, Any]) -> MutationResult:
        try:
            result = self.client.set_customer(line["input"], identifier=line["identifier"])
        except RetriableError as exc:
            self.breaker.failed(exc)
            return MutationResult(False, None, (("", f"{_UNKNOWN}: {exc}"),))
        self.breaker.ok()
        return result

    def remember_created(self, row: Mapping[str, Any], data: Mapping[str, Any]) -> None:
        """Mirror the new Shopify customer, link it, mark our write and the pending invite,
        clear the create intent, in one transaction."""
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
            "createdAt": data.get("createdAt") or data.get("updatedAt"),
            "defaultAddress": {"id": address} if address else None,
            "addressesV2": {"nodes": [{"id": address, **_address_node(row)}] if address else []},
        }
        invite = "pending" if self.settings.send_invites else ""
        with self.batch() as conn:
            self.store.save_mirror(self.shop, customers_from_nodes([node]), conn=conn)
            self.store.link(self.shop, sid, row["customer_no"], conn=conn)
            self.store.mark_written(
                self.shop, sid, str(data.get("updatedAt") or ""), invite=invite, conn=conn
            )
            self.store.clear_create_intent(self.shop, row["customer_no"], conn=conn)

    # -- invites -----------------------------------------------------------------------------

    def send_invites(self) -> None:
        """Invite each customer this shop created (once): a customer whose invite answer
        was lost is looked at first, and invited again only if Shopify did not invite it."""
        if not self.settings.send_invites:
            return
        pending = self.withhold_blocked(self.store.pending_invites(self.shop))
        if not pending:
            return
        available, why = self.client.invites_available()
        if not available:
            self.recorder.invites["unavailable"] += len(pending)
            message = f"{len(pending)} customer(s): {why}"
            self.recorder.log_one("invite", "*", "skipped", "INVITES_UNAVAILABLE", message)
            for sid in pending:
                self.store.set_invite(self.shop, sid, "unavailable")
            return
        for sid, state in self.recorder.progress(list(pending.items()), "invite"):
            self.recorder.beat()
            gid = f"gid://shopify/Customer/{sid}"
            # sent before, its answer lost: look before resending
            if state == "sending" and self.client.customer_state(gid) in ("INVITED", "ENABLED"):
                self.store.set_invite(self.shop, sid, "sent")
                self.recorder.invites["sent"] += 1
                continue
            self.store.set_invite(self.shop, sid, "sending")
            try:
                result = self.client.send_invite(gid)
            except RetriableError as exc:  # maybe sent: the next run looks before resending
                self.recorder.invites["unknown"] += 1
                self.recorder.log_one("invite", sid, "failed", "", str(exc))
                self.breaker.failed(exc)
                continue
            self.breaker.ok()
            if result.ok:
                self.recorder.invites["sent"] += 1
                self.store.set_invite(self.shop, sid, "sent")
                written = (result.data or {}).get("updatedAt")
                if written:  # the invite changed the customer: our write, not to re-import
                    self.store.mark_written(self.shop, sid, str(written))
            else:
                self.recorder.invites["failed"] += 1
                self.store.set_invite(self.shop, sid, "failed")
                self.recorder.log_one("invite", sid, "failed", "", result.message)

    def withhold_blocked(self, pending: dict[str, str]) -> dict[str, str]:
        """``pending`` without the customers whose ERP customer is blocked: those are not
        invited (each logged CUSTOMER_BLOCKED) and stay pending, for when it is unblocked."""
        if not pending:
            return pending
        links = self.store.links(self.shop)
        numbers = {sid: links.get(sid, "") for sid in pending}
        erp = self.store.erp_customers_by_no(no for no in numbers.values() if no)
        blocked_as = read_blocked(erp["blocked"])["blocked"] if len(erp) else []
        blocked = dict(zip(erp["no"], blocked_as, strict=True))
        kept = {}
        for sid, state in pending.items():
            said = blocked.get(numbers[sid], "")
            if not said:
                kept[sid] = state
                continue
            self.recorder.invites["blocked"] += 1
            message = f"ERP customer {numbers[sid]} is blocked (Blocked {said}): not invited"
            self.recorder.log_one("invite", sid, "skipped", "CUSTOMER_BLOCKED", message)
        return kept


class _NotInShopify(Exception):
    """The linked Shopify customer does not exist (any more)."""


_UNKNOWN = "no answer"


def _unknown(result: MutationResult) -> bool:
    return result.message.startswith(_UNKNOWN)


def _says_missing(result: MutationResult) -> bool:
    return any("not exist" in message.lower() for _, message in result.errors)


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
    """An export row's default address as the MailingAddress node Shopify answers with."""
    return {field: row.get(column) for column, field in EXPORT_ADDRESS_NODE.items()}


def _batches(items: Iterable[Any], size: int) -> Iterable[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
