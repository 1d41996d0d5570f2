"""The trimmed Admin GraphQL schema the emulator serves, and the allowlist that defines it."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from graphql import GraphQLSchema, build_schema

SCHEMA_PATH = Path(__file__).with_name("schema.graphql")

#: Root fields served by the emulator.
QUERY_FIELDS: tuple[str, ...] = (
    "bulkOperation",
    "bulkOperations",
    "currentAppInstallation",
    "currentBulkOperation",
    "customer",
    "customerByIdentifier",
    "customers",
    "customersCount",
    "order",
    "orders",
    "shop",
)
MUTATION_FIELDS: tuple[str, ...] = (
    "bulkOperationCancel",
    "bulkOperationRunMutation",
    "bulkOperationRunQuery",
    "customerAddressCreate",
    "customerAddressDelete",
    "customerAddressUpdate",
    "customerCreate",
    "customerDelete",
    "customerGenerateAccountActivationUrl",
    "customerSendAccountInviteEmail",
    "customerSet",
    "customerUpdate",
    "customerUpdateDefaultAddress",
    "stagedUploadsCreate",
)

_ALL = "*"

#: Output types and the fields of each the emulator resolves. "*" keeps every field.
#: Any output type reached through a kept field must be listed here (the build script checks).
OBJECT_FIELDS: dict[str, object] = {
    "Customer": (
        "addresses",
        "addressesV2",
        "canDelete",
        "createdAt",
        "defaultAddress",
        "defaultEmailAddress",
        "defaultPhoneNumber",
        "displayName",
        "email",
        "emailMarketingConsent",
        "firstName",
        "id",
        "lastName",
        "legacyResourceId",
        "lifetimeDuration",
        "locale",
        "multipassIdentifier",
        "note",
        "numberOfOrders",
        "phone",
        "smsMarketingConsent",
        "state",
        "tags",
        "taxExempt",
        "taxExemptions",
        "updatedAt",
        "validEmailAddress",
        "verifiedEmail",
    ),
    "CustomerEmailAddress": (
        "emailAddress",
        "marketingOptInLevel",
        "marketingState",
        "marketingUpdatedAt",
        "validFormat",
    ),
    "CustomerPhoneNumber": (
        "marketingCollectedFrom",
        "marketingOptInLevel",
        "marketingState",
        "marketingUpdatedAt",
        "phoneNumber",
    ),
    "CustomerEmailMarketingConsentState": (
        "consentUpdatedAt",
        "marketingOptInLevel",
        "marketingState",
    ),
    "CustomerSmsMarketingConsentState": (
        "consentCollectedFrom",
        "consentUpdatedAt",
        "marketingOptInLevel",
        "marketingState",
    ),
    "MailingAddress": (
        "address1",
        "address2",
        "city",
        "company",
        "country",
        "countryCode",
        "countryCodeV2",
        "firstName",
        "formatted",
        "formattedArea",
        "id",
        "lastName",
        "name",
        "phone",
        "province",
        "provinceCode",
        "zip",
    ),
    "Order": (
        "billingAddress",
        "createdAt",
        "customer",
        "displayAddress",
        "email",
        "id",
        "legacyResourceId",
        "name",
        "phone",
        "shippingAddress",
        "sourceName",
        "updatedAt",
    ),
    "AppInstallation": ("accessScopes", "id"),
    "AccessScope": ("description", "handle"),
    "Shop": (
        "customerAccounts",
        "customerAccountsV2",
        "id",
        "myshopifyDomain",
        "name",
        "shipsToCountries",
    ),
    "CustomerAccountsV2": (
        "customerAccountsVersion",
        "loginLinksVisibleOnStorefrontAndCheckout",
        "loginRequiredAtCheckout",
        "url",
    ),
    "BulkOperation": _ALL,
    "BulkOperationConnection": _ALL,
    "BulkOperationEdge": _ALL,
    "BulkOperationCancelPayload": _ALL,
    "BulkOperationRunMutationPayload": _ALL,
    "BulkOperationRunQueryPayload": _ALL,
    "BulkOperationUserError": _ALL,
    "BulkMutationUserError": _ALL,
    "Count": _ALL,
    "CustomerAddressCreatePayload": _ALL,
    "CustomerAddressDeletePayload": _ALL,
    "CustomerAddressUpdatePayload": _ALL,
    "CustomerConnection": _ALL,
    "CustomerCreatePayload": _ALL,
    "CustomerDeletePayload": _ALL,
    "CustomerEdge": _ALL,
    "CustomerGenerateAccountActivationUrlPayload": _ALL,
    "CustomerSendAccountInviteEmailPayload": _ALL,
    "CustomerSendAccountInviteEmailUserError": _ALL,
    "CustomerSetPayload": _ALL,
    "CustomerSetUserError": _ALL,
    "CustomerUpdateDefaultAddressPayload": _ALL,
    "CustomerUpdatePayload": _ALL,
    "MailingAddressConnection": _ALL,
    "MailingAddressEdge": _ALL,
    "OrderConnection": _ALL,
    "OrderEdge": _ALL,
    "PageInfo": _ALL,
    "StagedMediaUploadTarget": _ALL,
    "StagedUploadParameter": _ALL,
    "StagedUploadsCreatePayload": _ALL,
    "UserError": _ALL,
}

#: Directives kept on the trimmed SDL (the others are Shopify-internal annotations).
KEPT_DIRECTIVES = frozenset({"deprecated", "oneOf", "specifiedBy"})


@lru_cache(maxsize=1)
def load_schema() -> GraphQLSchema:
    """Build (once per process) the served schema from ``schema.graphql``."""
    return build_schema(SCHEMA_PATH.read_text(encoding="utf-8"))
