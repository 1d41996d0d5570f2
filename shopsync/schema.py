"""The data's shape in one place: customer, address and ERP columns, their maps, vocabularies."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from shopsync.reasons import REASONS

if TYPE_CHECKING:  # the schema is read by light modules (the GraphQL documents): no pandas
    import pandas as pd

__all__ = [
    "ADDRESS_COLUMNS",
    "ADDRESS_INPUT_FIELDS",
    "ADDRESS_NODE_FIELDS",
    "ADDRESS_TEXT_COLUMNS",
    "BC_CAPTIONS",
    "CAPTIONS",
    "CUSTOMER_COLUMNS",
    "CUSTOMER_INPUT_FIELDS",
    "CUSTOMER_NODE_FIELDS",
    "ERP_CAPTIONS",
    "ERP_COLUMNS",
    "ERP_CUSTOMER_COLUMNS",
    "ERP_FIELD_LENGTHS",
    "EXPORT_ADDRESS_COLUMNS",
    "EXPORT_ADDRESS_NODE",
    "EXPORT_CUSTOMER_COLUMNS",
    "FLAG_COLUMNS",
    "MAILING_ADDRESS_FIELDS",
    "MIRROR_ADDRESS_NAMES",
    "MIRROR_CUSTOMER_NAMES",
    "ORDER_ADDRESS_KINDS",
    "ORDER_COLUMNS",
    "PLAN_REASON_COLUMN",
    "RECORD_REASON_COLUMN",
    "Action",
    "Direction",
    "InviteState",
    "Outcome",
    "ReasonCode",
    "RunStatus",
    "Side",
    "fill_columns",
]

# -- Shopify customers, as frames (shopsync.shopify_io.ShopifyCustomers) ------------------------

#: customer frame column -> the Customer field it is read from, in the order a node is read
#: (a dotted name is a field of an object: ``email`` falls back to the node's ``email``,
#: ``phone`` to its ``phone``, as the REST API and older exports name them)
CUSTOMER_NODE_FIELDS = {
    "first_name": "firstName",
    "last_name": "lastName",
    "email": "defaultEmailAddress.emailAddress",
    "phone": "defaultPhoneNumber.phoneNumber",
    "state": "state",
    "tags": "tags",
    "note": "note",
    "verified_email": "verifiedEmail",
    "tax_exempt": "taxExempt",
    "created_at": "createdAt",
    "updated_at": "updatedAt",
}

#: one row per Shopify customer; ``record_error`` is '' or why the record could not be read
CUSTOMER_COLUMNS = [
    "shopify_id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "state",
    "tags",
    "note",
    "verified_email",
    "tax_exempt",
    "created_at",
    "updated_at",
    "default_address_id",
    "record_error",
]

#: one row per address: the keys and flags, then ADDRESS_TEXT_COLUMNS
ADDRESS_COLUMNS = [
    "address_id",
    "shopify_id",
    "position",
    "is_default",
    "company",
    "first_name",
    "last_name",
    "address1",
    "address2",
    "zip",
    "city",
    "country_code",
    "country_name",
    "province_code",
    "province_name",
    "phone",
]

#: the address's values (no ids, no flags): what the mirror stores and an order address has
ADDRESS_TEXT_COLUMNS = tuple(ADDRESS_COLUMNS[4:])

#: the columns that hold true/false (blank: False); ``position`` is a number (blank: 0)
FLAG_COLUMNS = frozenset({"verified_email", "tax_exempt", "is_default"})

#: the fields the API is asked for of a MailingAddress, in the documents' order
MAILING_ADDRESS_FIELDS = (
    "id",
    "firstName",
    "lastName",
    "company",
    "address1",
    "address2",
    "zip",
    "city",
    "countryCodeV2",
    "country",
    "provinceCode",
    "province",
    "phone",
)

# the address columns named alike in the address frame and the export (eligibility) frame
_ADDRESS_NAMED_ALIKE = {
    "company": "company",
    "first_name": "firstName",
    "last_name": "lastName",
    "address1": "address1",
    "address2": "address2",
    "zip": "zip",
    "city": "city",
}

#: address frame column -> the MailingAddress field it is read from (``country_code`` is read
#: from ``countryCodeV2``, else ``countryCode``, and upper-cased)
ADDRESS_NODE_FIELDS = {
    **_ADDRESS_NAMED_ALIKE,
    "country_name": "country",
    "province_code": "provinceCode",
    "province_name": "province",
    "phone": "phone",
}

#: order address kind (the ``<kind>_<column>`` prefix of ORDER_COLUMNS) -> the Order field
ORDER_ADDRESS_KINDS = {
    "bill": "billingAddress",
    "ship": "shippingAddress",
    "display": "displayAddress",
}

#: one row per Shopify order, with its three addresses flattened
ORDER_COLUMNS = [
    "order_id",
    "name",
    "created_at",
    "shopify_id",
    "email",
    "phone",
    "source_name",
    "record_error",
] + [f"{kind}_{field}" for kind in ORDER_ADDRESS_KINDS for field in ADDRESS_TEXT_COLUMNS]

#: store column -> frame column, for the mirror tables (the other names are the same)
MIRROR_CUSTOMER_NAMES = {"id": "shopify_id"}
MIRROR_ADDRESS_NAMES = {"id": "address_id", "customer_id": "shopify_id"}

# -- the export side: eligibility rows -> Shopify ----------------------------------------------

#: the export (eligibility) row's customer values: written to Shopify and compared with the
#: mirror customer's columns of the same names
EXPORT_CUSTOMER_COLUMNS = ("email", "phone", "first_name", "last_name")

#: the export row's default-address values: written and compared with the mirror address's
#: columns of the same names (a mirror row carries them as ``address_<column>``)
EXPORT_ADDRESS_COLUMNS = (
    "company",
    "address1",
    "address2",
    "zip",
    "city",
    "country_code",
    "province_code",
)

#: export column -> CustomerInput / CustomerSetInput field, in the inputs' order
CUSTOMER_INPUT_FIELDS = {
    "email": "email",
    "phone": "phone",
    "first_name": "firstName",
    "last_name": "lastName",
}

#: export (eligibility) column -> the MailingAddress field of the node a written customer's
#: answer is recorded as
EXPORT_ADDRESS_NODE = {
    **_ADDRESS_NAMED_ALIKE,
    "country_code": "countryCodeV2",
    "province_code": "provinceCode",
    "province": "province",
    "phone": "phone",
}

#: export (eligibility) column -> MailingAddressInput field (the mutation input: the input
#: names the country ``countryCode`` and takes no province name)
ADDRESS_INPUT_FIELDS = {
    column: "countryCode" if field == "countryCodeV2" else field
    for column, field in EXPORT_ADDRESS_NODE.items()
    if column != "province"
}

# -- ERP customers -----------------------------------------------------------------------------

#: ERP column -> Business Central's field caption (SPEC 10): what its Customer List export
#: shows and what a file for BC must be headed with; the columns imports write and the
#: hand-over carries, in this order
ERP_CAPTIONS = {
    "no": "No.",
    "name": "Name",
    "name_2": "Name 2",
    "contact": "Contact",
    "address": "Address",
    "address_2": "Address 2",
    "city": "City",
    "county": "County",
    "post_code": "Post Code",
    "country_code": "Country/Region Code",
    "phone": "Phone No.",
    "email": "E-Mail",
    "gen_bus_posting_group": "Gen. Bus. Posting Group",
    "vat_bus_posting_group": "VAT Bus. Posting Group",
    "customer_posting_group": "Customer Posting Group",
    "tax_area_code": "Tax Area Code",
    "tax_liable": "Tax Liable",
    "payment_terms_code": "Payment Terms Code",
}
ERP_COLUMNS = tuple(ERP_CAPTIONS)
BC_CAPTIONS = tuple(ERP_CAPTIONS.values())

#: every column of an ERP customer: ERP_COLUMNS, then Business Central's "Blocked" (" ", Ship,
#: Invoice, All), read from the ERP's files and kept, never written by an import nor handed
#: over (the ERP owns it). All text but ``tax_liable`` (bool).
ERP_CUSTOMER_COLUMNS = (*ERP_COLUMNS, "blocked")

#: captions read besides the canonical names: BC's, "Email" (newer BC) and BC's "Blocked"
CAPTIONS = {caption: column for column, caption in ERP_CAPTIONS.items()} | {
    "Email": "email",
    "Blocked": "blocked",
}

#: Business Central's field lengths: longer values are reported, never cut
ERP_FIELD_LENGTHS = {
    "no": 20,
    "name": 100,
    "name_2": 50,
    "contact": 100,
    "address": 100,
    "address_2": 50,
    "city": 30,
    "county": 30,
    "post_code": 20,
    "country_code": 10,
    "phone": 30,
    "email": 80,
    "gen_bus_posting_group": 20,
    "vat_bus_posting_group": 20,
    "customer_posting_group": 20,
    "tax_area_code": 20,
    "payment_terms_code": 10,
}

# -- vocabularies (StrEnum: each value is the very string the plans, the store and the reports
# hold, so a member equals its text and a report reads the same) ------------------------------


class Outcome(StrEnum):
    """What happened to one input record in a run (the run report's column order)."""

    CREATED = "created"
    UPDATED = "updated"
    LINKED = "linked"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"
    FAILED = "failed"


class Action(StrEnum):
    """What a plan decides for one record; ``outcome`` is what it gives when it succeeds."""

    CREATE = "create"
    UPDATE = "update"
    LINK = "link"
    UNCHANGED = "unchanged"
    SKIP = "skip"

    @property
    def outcome(self) -> Outcome:
        """The outcome this action gives when it succeeds."""
        return _ACTION_OUTCOME[self]


_ACTION_OUTCOME = {
    Action.CREATE: Outcome.CREATED,
    Action.UPDATE: Outcome.UPDATED,
    Action.LINK: Outcome.LINKED,
    Action.UNCHANGED: Outcome.UNCHANGED,
    Action.SKIP: Outcome.SKIPPED,
}


class Side(StrEnum):
    """Which part of a run a record belongs to."""

    IMPORT = "import"
    EXPORT = "export"
    INVITE = "invite"
    ORDER = "order"


class Direction(StrEnum):
    """Which way a sync run goes."""

    IMPORT = "import"
    EXPORT = "export"
    BOTH = "both"


class RunStatus(StrEnum):
    """A sync run's status (``planned``: a dry run, never stored)."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # killed; marked by the next run of the shop
    PLANNED = "planned"


class InviteState(StrEnum):
    """Where the account invite of a customer we created stands ('': none due)."""

    NONE = ""
    PENDING = "pending"
    SENDING = "sending"  # sent, but the answer was not recorded
    SENT = "sent"
    FAILED = "failed"
    UNAVAILABLE = "unavailable"


#: every reason code (its severity and meaning: shopsync.reasons)
ReasonCode = StrEnum("ReasonCode", {code: code for code in REASONS})
ReasonCode.__doc__ = "A stable reason code a plan, a report or a run log gives."

#: the reason codes (;-separated) of a plan or report row. Users see both names — the plans'
#: and validation reports' column ``reasons``, the run report's, the run log's and the store's
#: ``sync_log.reason`` — so both are kept as they are.
PLAN_REASON_COLUMN = "reasons"
#: the reason codes (;-separated) of a run record and a run log row
RECORD_REASON_COLUMN = "reason"


def fill_columns(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``frame`` with exactly ``columns``, in order: missing ones blank (False for
    FLAG_COLUMNS, 0 for ``position``), missing values of text columns ''."""
    for column in columns:
        if column not in frame.columns:
            flag = column in FLAG_COLUMNS
            frame[column] = False if flag else (0 if column == "position" else "")
        elif frame[column].dtype == object:
            frame[column] = frame[column].fillna("")
    return frame[columns].reset_index(drop=True)
