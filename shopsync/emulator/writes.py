"""Customer and address mutations: validation, normalisation and the exact userErrors."""

from __future__ import annotations

import re
import secrets
from typing import Any

from .errors import ShopifyError
from .state import ShopState, address_gid, new_customer_record, parse_gid
from .validation import (
    IDENTITY_MESSAGE,
    FieldError,
    email_errors,
    is_blank_address,
    locale_errors,
    name_errors,
    normalize_address,
    normalize_email,
    normalize_name,
    normalize_phone,
    normalize_tags,
    note_errors,
    phone_errors,
    same_address,
    tag_errors,
)

Payload = dict[str, Any]

_CODE_BY_MESSAGE = (
    ("has already been taken", "TAKEN"),
    ("is too long", "TOO_LONG"),
    ("cannot be more than", "TOO_LONG"),
    ("is invalid", "INVALID"),
    ("must be present", "BLANK"),
)


def _error(
    field: tuple[str, ...] | list[str] | None, message: str, code: str | None = None
) -> dict:
    if code is None:
        code = next((c for frag, c in _CODE_BY_MESSAGE if frag in message), "INVALID")
    return {"field": list(field) if field is not None else None, "message": message, "code": code}


def _as_user_errors(errors: list[FieldError], prefix: tuple[str, ...] = ()) -> list[dict]:
    return [
        _error(prefix + e.field if e.field is not None else (prefix or None), e.message, e.code)
        for e in errors
    ]


def _default_names(address: dict, customer: dict) -> None:
    """An address without names takes the customer's (as Shopify does)."""
    if not address.get("firstName") and not address.get("lastName"):
        address["firstName"] = customer.get("firstName")
        address["lastName"] = customer.get("lastName")


def _has_identity(record: dict) -> bool:
    return any(record.get(k) for k in ("firstName", "lastName", "email", "phone"))


class CustomerWriter:
    """Applies customer input to the state the way Shopify's Admin API does."""

    def __init__(self, state: ShopState) -> None:
        self.state = state

    # ------------------------------------------------------------------ shared logic
    def _apply_input(
        self,
        record: dict,
        data: dict,
        *,
        existing_id: int | None,
        errors: list[FieldError],
        set_semantics: bool = False,
    ) -> None:
        """Validate and merge the scalar fields of CustomerInput/CustomerSetInput."""
        state = self.state
        if "email" in data:
            raw = data["email"]
            if raw is None or not str(raw).strip():
                record["email"] = None
            else:
                found = email_errors(raw)
                errors.extend(found)
                email = normalize_email(raw)
                record["email"] = email
                if not found:
                    owner = state.email_index.get(email)
                    if owner is not None and owner != existing_id:
                        errors.append(FieldError(("email",), "Email has already been taken"))
        if "phone" in data:
            raw = data["phone"]
            if raw is None or not str(raw).strip():
                record["phone"] = None
            else:
                found = phone_errors(raw, state.default_region)
                errors.extend(found)
                if not found:
                    phone = normalize_phone(raw, state.default_region)
                    record["phone"] = phone
                    owner = state.phone_index.get(phone)
                    if owner is not None and owner != existing_id:
                        errors.append(FieldError(("phone",), "Phone has already been taken"))
        for key in ("firstName", "lastName"):
            if key in data:
                raw = data[key]
                errors.extend(name_errors(key, raw.strip() if isinstance(raw, str) else raw))
                record[key] = normalize_name(raw)
        if "note" in data:
            errors.extend(note_errors(data["note"]))
            record["note"] = data["note"]
        if "tags" in data:
            tags = normalize_tags(data["tags"])
            errors.extend(tag_errors(tags))
            record["tags"] = tags
        if "locale" in data and data["locale"] is not None:
            errors.extend(locale_errors(data["locale"]))
            record["locale"] = data["locale"]
        if "taxExempt" in data:
            if data["taxExempt"] is None:
                if set_semantics:
                    errors.append(
                        FieldError(("taxExempt",), "Tax exempt is of unexpected type NilClass")
                    )
            else:
                record["taxExempt"] = bool(data["taxExempt"])
        if "taxExemptions" in data and data["taxExemptions"] is not None:
            record["taxExemptions"] = sorted(set(data["taxExemptions"]))
        if "multipassIdentifier" in data:
            record["multipassIdentifier"] = data["multipassIdentifier"]

    def _addresses_for_create(
        self,
        raw_list: list[dict] | None,
        errors: list[FieldError],
        prefix: str = "addresses",
        *,
        reject_blank: bool = False,
    ) -> list[dict]:
        result: list[dict] = []
        for i, raw in enumerate(raw_list or []):
            if raw.get("id"):
                errors.append(
                    FieldError((prefix, str(i), "id"), "Cannot specify address ID on creation")
                )
                continue
            if reject_blank and is_blank_address(raw):
                errors.append(FieldError((prefix, str(i)), "Customer address cannot be blank."))
                continue
            address, found = normalize_address(raw, default_region=self.state.default_region)
            errors.extend(
                FieldError((prefix, str(i), *e.field), e.message) if e.field else e for e in found
            )
            if not found and not any(same_address(address, other) for other in result):
                result.append(address)
        return result

    def _touch(self, record: dict) -> None:
        record["updatedAt"] = self.state.stamp()
        self.state.index(record)  # every change reaches the search index, after the lag

    # ------------------------------------------------------------------ customerCreate
    def create(self, data: dict) -> Payload:
        state = self.state
        with state.lock:
            if data.get("id"):
                return {
                    "customer": None,
                    "userErrors": [_error(["id"], "Cannot specify ID on creation")],
                }
            errors: list[FieldError] = []
            record = new_customer_record(0)
            self._apply_input(record, data, existing_id=None, errors=errors)
            addresses = self._addresses_for_create(data.get("addresses"), errors, reject_blank=True)
            consent = data.get("emailMarketingConsent")
            sms = data.get("smsMarketingConsent")
            whatsapp = data.get("whatsAppMarketingConsent")
            for given, key in (
                (consent, "marketingState"),
                (sms, "marketingState"),
                (whatsapp, "state"),
            ):
                if given and given.get(key) == "REDACTED":
                    raise ShopifyError(
                        "Cannot specify REDACTED as a marketing state input", "INVALID"
                    )
            if consent and not record.get("email"):
                errors.append(
                    FieldError(
                        ("emailMarketingConsent",),
                        "An email address is required to set the email marketing consent state.",
                    )
                )
            if sms and not record.get("phone"):
                errors.append(
                    FieldError(
                        ("smsMarketingConsent",),
                        "A phone number is required to set the SMS consent state.",
                    )
                )
            if whatsapp and not record.get("phone"):
                errors.append(
                    FieldError(
                        ("whatsAppMarketingConsent",),
                        "A phone number is required to set the WhatsApp consent state.",
                    )
                )
            if not errors and not _has_identity(record):
                errors.append(FieldError(None, IDENTITY_MESSAGE))
            if errors:
                return {"customer": None, "userErrors": _as_user_errors(errors)}
            n = state.new_customer_id()
            record["id"] = f"gid://shopify/Customer/{n}"
            record["legacyResourceId"] = str(n)
            stamp = state.stamp()
            record["createdAt"] = record["updatedAt"] = stamp
            if consent:
                record["emailMarketingState"] = consent["marketingState"]
                record["emailMarketingOptInLevel"] = (
                    consent.get("marketingOptInLevel") or "SINGLE_OPT_IN"
                )
                record["emailMarketingUpdatedAt"] = consent.get("consentUpdatedAt") or stamp
            if sms:
                record["smsMarketingState"] = sms["marketingState"]
                record["smsMarketingOptInLevel"] = sms.get("marketingOptInLevel") or "SINGLE_OPT_IN"
                record["smsMarketingUpdatedAt"] = sms.get("consentUpdatedAt") or stamp
                record["smsMarketingCollectedFrom"] = "OTHER"
            state.insert(record)
            for address in addresses:
                state.add_address(record, address)
            if record["addressIds"]:
                record["defaultAddressId"] = record["addressIds"][0]
                state.index(record)  # the search index sees the customer with its addresses
            return {"customer": record, "userErrors": []}

    # ------------------------------------------------------------------ customerUpdate
    def update(self, data: dict) -> Payload:
        state = self.state
        with state.lock:
            record = state.customer(data.get("id"))
            if record is None:
                return {"customer": None, "userErrors": [_error(["id"], "Customer does not exist")]}
            for key, mutation in (
                ("emailMarketingConsent", "customerEmailMarketingConsentUpdate"),
                ("smsMarketingConsent", "customerSmsMarketingConsentUpdate"),
                ("whatsAppMarketingConsent", "customerWhatsAppMarketingConsentUpdate"),
            ):
                if data.get(key) is not None:
                    return {
                        "customer": None,
                        "userErrors": [
                            _error(
                                [key],
                                f"To update {key}, please use the {mutation} Mutation instead",
                            )
                        ],
                    }
            n = int(record["legacyResourceId"])
            errors: list[FieldError] = []
            draft = dict(record)
            draft["addressIds"] = list(record["addressIds"])
            self._apply_input(draft, data, existing_id=n, errors=errors)
            address_plan = self._plan_inline_addresses(record, data.get("addresses"), errors)
            if not errors and not _has_identity(draft):
                errors.append(FieldError(None, IDENTITY_MESSAGE))
            if errors:
                return {"customer": None, "userErrors": _as_user_errors(errors)}
            changed = any(draft.get(k) != record.get(k) for k in draft) or address_plan is not None
            record.update(draft)
            self._apply_address_plan(record, address_plan)
            if changed:
                self._touch(record)
            state.index(record)
            return {"customer": record, "userErrors": []}

    def _plan_inline_addresses(
        self, record: dict, raw_list: list[dict] | None, errors: list[FieldError]
    ) -> list[tuple[str, Any, dict]] | None:
        """customerUpdate's ``addresses`` replaces the list: an entry with ``id`` updates that
        address in place, one without creates an address, and addresses left out are removed.
        None when ``addresses`` was not given."""
        if raw_list is None:
            return None
        plan: list[tuple[str, Any, dict]] = []
        for i, raw in enumerate(raw_list):
            if raw.get("id"):
                existing = self.state.address(raw["id"])
                if existing is None or existing["customerId"] != record["id"]:
                    errors.append(
                        FieldError(("addresses", str(i), "id"), "Customer address does not exist")
                    )
                    continue
                body = {k: v for k, v in raw.items() if k != "id"}
                merged, found = normalize_address(
                    body, existing, default_region=self.state.default_region
                )
                errors.extend(
                    FieldError(("addresses", str(i), *e.field), e.message) if e.field else e
                    for e in found
                )
                plan.append(("update", existing["_n"], merged))
            else:
                address, found = normalize_address(raw, default_region=self.state.default_region)
                errors.extend(
                    FieldError(("addresses", str(i), *e.field), e.message) if e.field else e
                    for e in found
                )
                plan.append(("add", None, address))
        return plan

    def _apply_address_plan(self, record: dict, plan: list[tuple[str, Any, dict]] | None) -> None:
        if plan is None:
            return
        state = self.state
        keep = {n for action, n, _ in plan if action == "update"}
        for n in list(record["addressIds"]):
            if n not in keep:
                record["addressIds"].remove(n)
                state.addresses.pop(n, None)
        for action, n, address in plan:
            if action == "update":
                state.addresses[n].update(
                    {k: v for k, v in address.items() if k not in ("id", "_n", "customerId")}
                )
            else:
                existing = state.customer_addresses(record)
                if not any(same_address(address, other) for other in existing):
                    state.add_address(record, address)
        order = [n for action, n, _ in plan if action == "update"]
        record["addressIds"] = order + [n for n in record["addressIds"] if n not in order]
        record["defaultAddressId"] = record["addressIds"][0] if record["addressIds"] else None

    # ------------------------------------------------------------------ customerSet
    def set(self, data: dict, identifier: dict | None) -> Payload:
        state = self.state
        with state.lock:
            prefix = ("input",)

            def fail(message: str, code: str, field: tuple[str, ...] = prefix) -> Payload:
                return {"customer": None, "userErrors": [_error(field, message, code)]}

            target: dict | None = None
            if identifier:
                keys = [k for k, v in identifier.items() if v is not None]
                if data.get("id"):
                    return fail(
                        "The id field is not allowed if identifier is provided.", "ID_NOT_ALLOWED"
                    )
                if "customId" in keys:
                    raise ShopifyError(
                        "Metafield definition of type 'id' is required when using custom ids.",
                        "NOT_FOUND",
                    )
                if "id" in keys:
                    target = state.customer(identifier["id"])
                    if target is None:
                        return fail("Resource matching the identifier was not found.", "NOT_FOUND")
                elif "email" in keys:
                    if not data.get("email"):
                        return fail(
                            "The input field corresponding to the identifier is required.",
                            "MISSING_FIELD_REQUIRED",
                        )
                    if normalize_email(data["email"]) != normalize_email(identifier["email"]):
                        return fail(
                            "The identifier value does not match the value of the corresponding "
                            "field in the input.",
                            "INPUT_MISMATCH",
                        )
                    target = state.by_email(identifier["email"])
                elif "phone" in keys:
                    if not data.get("phone"):
                        return fail(
                            "The input field corresponding to the identifier is required.",
                            "MISSING_FIELD_REQUIRED",
                        )
                    wanted = normalize_phone(identifier["phone"], state.default_region)
                    given = normalize_phone(data["phone"], state.default_region)
                    if wanted is not None and given is not None and wanted != given:
                        return fail(
                            "The identifier value does not match the value of the corresponding "
                            "field in the input.",
                            "INPUT_MISMATCH",
                        )
                    target = state.by_phone(identifier["phone"])
            elif data.get("id"):
                target = state.customer(data["id"])
                if target is None:
                    return fail("Resource matching the identifier was not found.", "NOT_FOUND")

            errors: list[FieldError] = []
            existing_id = int(target["legacyResourceId"]) if target else None
            draft = dict(target) if target else new_customer_record(0)
            draft["addressIds"] = list(draft["addressIds"])
            body = {k: v for k, v in data.items() if k != "id"}
            self._apply_input(
                draft, body, existing_id=existing_id, errors=errors, set_semantics=True
            )
            addresses = None
            if body.get("addresses") is not None:
                addresses = self._addresses_for_create(body["addresses"], errors)
            if not errors and not _has_identity(draft):
                errors.append(FieldError(None, IDENTITY_MESSAGE))
            if errors:
                return {"customer": None, "userErrors": _as_user_errors(errors, prefix)}
            if target is None:
                n = state.new_customer_id()
                draft["id"] = f"gid://shopify/Customer/{n}"
                draft["legacyResourceId"] = str(n)
                draft["createdAt"] = draft["updatedAt"] = state.stamp()
                state.insert(draft)
                record = draft
            else:
                record = target
                changed = any(draft.get(k) != record.get(k) for k in draft)
                record.update(draft)
                if changed or addresses is not None:
                    self._touch(record)
            if addresses is not None:
                self._replace_addresses(record, addresses)
            state.index(record)
            return {"customer": record, "userErrors": []}

    def _replace_addresses(self, record: dict, addresses: list[dict]) -> None:
        """customerSet replaces the address list; identical addresses keep their ids."""
        state = self.state
        old = state.customer_addresses(record)
        kept: list[int] = []
        for address in addresses:
            match = next((o for o in old if same_address(o, address) and o["_n"] not in kept), None)
            if match is not None:
                kept.append(match["_n"])
        for o in old:
            if o["_n"] not in kept:
                state.addresses.pop(o["_n"], None)
        record["addressIds"] = []
        for address in addresses:
            match = next((o for o in old if o["_n"] in kept and same_address(o, address)), None)
            if match is not None and match["_n"] not in record["addressIds"]:
                record["addressIds"].append(match["_n"])
            else:
                state.add_address(record, address)
        if record.get("defaultAddressId") not in record["addressIds"]:
            record["defaultAddressId"] = record["addressIds"][0] if record["addressIds"] else None

    # ------------------------------------------------------------------ customerDelete
    def delete(self, data: dict) -> Payload:
        state = self.state
        with state.lock:
            record = state.customer(data.get("id"))
            if record is None:
                return {
                    "deletedCustomerId": None,
                    "userErrors": [_error(["id"], "Customer can't be found")],
                }
            if state.orders_of(record):
                return {
                    "deletedCustomerId": None,
                    "userErrors": [
                        _error(
                            ["id"],
                            "Customer can\u2019t be deleted because they have associated orders",
                        )
                    ],
                }
            state.remove(record)
            return {"deletedCustomerId": record["id"], "userErrors": []}

    # ------------------------------------------------------------------ addresses
    def _address_target(self, customer_id: str, address_id: str) -> tuple:
        """Resolve (customer, address) or raise/return the errors Shopify gives."""
        state = self.state
        customer = state.customer(customer_id)
        address = state.address(address_id)
        if address is None:
            if customer is None:
                raise ShopifyError(f"Invalid id: {address_id}", "RESOURCE_NOT_FOUND")
            raise ShopifyError("invalid id", "RESOURCE_NOT_FOUND")
        if customer is None:
            return None, None, [_error(["customerId"], "Customer does not exist")]
        if address["customerId"] != customer["id"]:
            return customer, None, [_error(["addressId"], "Address does not exist")]
        return customer, address, []

    def address_create(self, customer_id: str, raw: dict, set_as_default: bool | None) -> Payload:
        state = self.state
        with state.lock:
            customer = state.customer(customer_id)
            if customer is None:
                return {
                    "address": None,
                    "userErrors": [_error(["customerId"], "Customer does not exist")],
                }
            if raw.get("id"):
                return {
                    "address": None,
                    "userErrors": [
                        _error(["address", "id"], "Cannot specify address ID on creation")
                    ],
                }
            address, found = normalize_address(raw, default_region=state.default_region)
            if found:
                return {"address": None, "userErrors": _as_user_errors(found, ("address",))}
            _default_names(address, customer)
            if any(same_address(address, other) for other in state.customer_addresses(customer)):
                return {
                    "address": None,
                    "userErrors": [_error(["address"], "Address already exists")],
                }
            stored = state.add_address(customer, address)
            if set_as_default or customer.get("defaultAddressId") is None:
                customer["defaultAddressId"] = stored["_n"]
            self._touch(customer)
            return {"address": stored, "userErrors": []}

    def address_update(
        self, customer_id: str, address_id: str, raw: dict, set_as_default: bool | None
    ) -> Payload:
        state = self.state
        with state.lock:
            customer, address, errors = self._address_target(customer_id, address_id)
            if errors:
                return {"address": None, "userErrors": errors}
            if "id" in raw and parse_gid(raw.get("id"), "MailingAddress") != address["_n"]:
                return {
                    "address": None,
                    "userErrors": [
                        _error(
                            ["addressId"],
                            "The id of the address does not match the id in the input",
                        )
                    ],
                }
            body = {k: v for k, v in raw.items() if k != "id"}
            merged, found = normalize_address(body, address, default_region=state.default_region)
            if found:
                return {"address": None, "userErrors": _as_user_errors(found, ("address",))}
            others = [a for a in state.customer_addresses(customer) if a["_n"] != address["_n"]]
            if any(same_address(merged, other) for other in others):
                return {
                    "address": None,
                    "userErrors": [_error(["address"], "Address already exists")],
                }
            address.update({k: v for k, v in merged.items() if k not in ("id", "_n", "customerId")})
            if set_as_default:
                customer["defaultAddressId"] = address["_n"]
            self._touch(customer)
            return {"address": address, "userErrors": []}

    def address_delete(self, customer_id: str, address_id: str) -> Payload:
        state = self.state
        with state.lock:
            customer, address, errors = self._address_target(customer_id, address_id)
            if errors:
                return {"deletedAddressId": None, "userErrors": errors}
            customer["addressIds"].remove(address["_n"])
            state.addresses.pop(address["_n"], None)
            if customer.get("defaultAddressId") == address["_n"]:
                customer["defaultAddressId"] = (
                    customer["addressIds"][-1] if customer["addressIds"] else None
                )
            self._touch(customer)
            return {"deletedAddressId": address_gid(address["_n"]), "userErrors": []}

    def update_default_address(self, customer_id: str, address_id: str) -> Payload:
        state = self.state
        with state.lock:
            customer, address, errors = self._address_target(customer_id, address_id)
            if errors:
                return {"customer": customer, "userErrors": errors}
            if customer.get("defaultAddressId") != address["_n"]:
                customer["defaultAddressId"] = address["_n"]
                self._touch(customer)
            return {"customer": customer, "userErrors": []}

    # ------------------------------------------------------------------ accounts
    def send_invite(self, customer_id: str, email: dict | None) -> Payload:
        state = self.state
        with state.lock:
            customer = state.customer(customer_id)
            if customer is None:
                return {
                    "customer": None,
                    "userErrors": [_error(["customerId"], "Customer does not exist", "INVALID")],
                }
            email = email or {}
            errors: list[dict] = []
            if "subject" in email and email["subject"] is not None and not email["subject"].strip():
                errors.append(_error(["email", "subject"], "Subject can't be blank", "INVALID"))
            if email.get("to") is not None and email_errors(email["to"]):
                errors.append(_error(["email", "to"], "To is invalid", "INVALID"))
            if email.get("from") is not None and email_errors(email["from"]):
                errors.append(_error(["email", "from"], "From Sender is invalid", "INVALID"))
            # Bcc recipients must be staff accounts of the shop; the emulator has none.
            bad_bcc = list(email.get("bcc") or [])
            if bad_bcc:
                text = " and ".join(f"{b} is not a valid bcc address" for b in bad_bcc)
                errors.append(_error(["email", "bcc"], f"Bcc {text}", "INVALID"))
            if errors:
                return {"customer": None, "userErrors": errors}
            generic = [
                _error(["customerId"], "Error sending account invite to customer.", "INVALID")
            ]
            if state.shop.get("customerAccountsVersion") == "NEW_CUSTOMER_ACCOUNTS":
                return {"customer": None, "userErrors": generic}
            if state.shop.get("customerAccounts") == "DISABLED":
                return {"customer": None, "userErrors": generic}
            if len(email.get("subject") or "") > 1000:
                return {"customer": None, "userErrors": generic}
            message = email.get("customMessage") or ""
            if len(message) > 5000 or re.search(r"<[^>]+>", message):
                return {"customer": None, "userErrors": generic}
            recipient = email.get("to") or customer.get("email")
            if not recipient:
                return {"customer": None, "userErrors": generic}
            if customer["state"] == "ENABLED":
                return {"customer": None, "userErrors": generic}
            state.invites.append(
                {
                    "customerId": customer["id"],
                    "to": normalize_email(recipient),
                    "subject": email.get("subject"),
                    "from": email.get("from"),
                    "bcc": list(email.get("bcc") or []),
                    "customMessage": email.get("customMessage"),
                    "sentAt": state.now_ts(),
                }
            )
            if customer["state"] in ("DISABLED", "DECLINED"):
                customer["state"] = "INVITED"
                self._touch(customer)
            return {"customer": customer, "userErrors": []}

    def activation_url(self, customer_id: str) -> Payload:
        state = self.state
        with state.lock:
            customer = state.customer(customer_id)
            if customer is None:
                return {
                    "accountActivationUrl": None,
                    "userErrors": [_error(["customerId"], "Customer does not exist")],
                }
            if state.shop.get("customerAccountsVersion") == "NEW_CUSTOMER_ACCOUNTS":
                return {
                    "accountActivationUrl": None,
                    "userErrors": [
                        _error(
                            ["customerId"],
                            "Account activation URLs are only available for classic customer "
                            "accounts",
                        )
                    ],
                }
            if customer["state"] == "ENABLED":
                return {
                    "accountActivationUrl": None,
                    "userErrors": [_error(["customerId"], "Account already enabled")],
                }
            token = secrets.token_hex(16)
            url = (
                f"https://{state.shop['myshopifyDomain']}/account/activate/"
                f"{customer['legacyResourceId']}/{token}"
            )
            state.activation_urls.append({"customerId": customer["id"], "url": url})
            return {"accountActivationUrl": url, "userErrors": []}
