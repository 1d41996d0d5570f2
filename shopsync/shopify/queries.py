"""Every GraphQL document shopsync sends to Shopify, as constants with variables.

A bulk query's search, which cannot be a variable, goes in as one escaped string literal."""

from __future__ import annotations

import json

from shopsync.schema import MAILING_ADDRESS_FIELDS

__all__ = [
    "ACCESS_SCOPES",
    "ALL_DOCUMENTS",
    "BULK_CUSTOMERS_QUERY",
    "BULK_OPERATION",
    "BULK_RUN_MUTATION",
    "BULK_RUN_QUERY",
    "CURRENT_BULK_OPERATION",
    "CUSTOMERS_COUNT",
    "CUSTOMERS_PAGE",
    "CUSTOMER_ADDRESS_CREATE",
    "CUSTOMER_ADDRESS_UPDATE",
    "CUSTOMER_BY_IDENTIFIER",
    "CUSTOMER_FIELDS",
    "CUSTOMER_GENERATE_ACTIVATION_URL",
    "CUSTOMER_SEND_INVITE",
    "CUSTOMER_SET",
    "CUSTOMER_STATE",
    "CUSTOMER_UPDATE",
    "EXPECTED_COSTS",
    "ORDERS_PAGE",
    "PREFLIGHT",
    "SHOP_INFO",
    "STAGED_UPLOADS_CREATE",
    "bulk_customers_query",
]

# What each document costs (requestedQueryCost), so the client paces a document's first
# request right; later requests use the cost Shopify reported for it.
EXPECTED_COSTS = {
    "CustomersPage": 74,
    "CustomerByIdentifier": 8,
    "ShopInfo": 2,
    "CustomersCount": 10,
    "AccessScopes": 2,
    "Preflight": 7,
    "OrdersPage": 16,
    "CustomerSet": 12,
    "CustomerUpdate": 17,
}

# Page sizes keep each page's requested cost under Shopify's limit of 1,000 points.
CUSTOMER_PAGE_SIZE = 100
ADDRESSES_PER_CUSTOMER = 5


def _lines(fields: tuple[str, ...], indent: int) -> str:
    """The fields one a line, indented (the documents' layout)."""
    return "".join(f"{' ' * indent}{field}\n" for field in fields)


# the fields of shopsync.schema.MAILING_ADDRESS_FIELDS, one a line (the frames' one list)
_ADDRESS_FIELDS = (
    "\nfragment AddressFields on MailingAddress {\n" + _lines(MAILING_ADDRESS_FIELDS, 2) + "}\n"
)

# the fields asked of a Customer besides its addresses, one a line: the paged documents and the
# bulk query ask for the same ones
_CUSTOMER_SCALARS = (
    "id",
    "legacyResourceId",
    "firstName",
    "lastName",
    "state",
    "tags",
    "note",
    "verifiedEmail",
    "taxExempt",
    "createdAt",
    "updatedAt",
    "defaultEmailAddress { emailAddress }",
    "defaultPhoneNumber { phoneNumber }",
    "defaultAddress { id }",
)


CUSTOMER_FIELDS = (
    "\nfragment CustomerFields on Customer {\n"
    + _lines(_CUSTOMER_SCALARS, 2)
    + "  addressesV2(first: 5) { nodes { ...AddressFields } }\n}\n"
    + _ADDRESS_FIELDS
)

CUSTOMERS_PAGE = (
    """
query CustomersPage($first: Int!, $after: String, $query: String) {
  customers(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    nodes { ...CustomerFields }
    pageInfo { hasNextPage endCursor }
  }
}
"""
    + CUSTOMER_FIELDS
)

CUSTOMER_BY_IDENTIFIER = (
    """
query CustomerByIdentifier($identifier: CustomerIdentifierInput!) {
  customerByIdentifier(identifier: $identifier) { ...CustomerFields }
}
"""
    + CUSTOMER_FIELDS
)

SHOP_INFO = """
query ShopInfo {
  shop {
    name
    shipsToCountries
    customerAccounts
    customerAccountsV2 { customerAccountsVersion }
  }
}
"""

# The start of a live run: the shop's facts and one customer's protected fields (name,
# e-mail, phone, address), so a missing approval stops the run before any work.
PREFLIGHT = """
query Preflight {
  shop {
    name
    shipsToCountries
    customerAccounts
    customerAccountsV2 { customerAccountsVersion }
  }
  customers(first: 1) {
    nodes {
      id
      firstName
      lastName
      defaultEmailAddress { emailAddress }
      defaultPhoneNumber { phoneNumber }
      defaultAddress { address1 city zip countryCodeV2 }
    }
  }
}
"""

ORDERS_PAGE = (
    """
query OrdersPage($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, query: $query, sortKey: CREATED_AT) {
    nodes {
      id
      legacyResourceId
      name
      createdAt
      email
      phone
      sourceName
      customer { id }
      billingAddress { ...AddressFields }
      shippingAddress { ...AddressFields }
      displayAddress { ...AddressFields }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""
    + _ADDRESS_FIELDS
)

_USER_ERRORS = "userErrors { field message }"

CUSTOMER_UPDATE = (
    """
mutation CustomerUpdate($input: CustomerInput!) {
  customerUpdate(input: $input) {
    customer { ...CustomerFields }
    """
    + _USER_ERRORS
    + """
  }
}
"""
    + CUSTOMER_FIELDS
)

CUSTOMER_ADDRESS_CREATE = (
    """
mutation CustomerAddressCreate($customerId: ID!, $address: MailingAddressInput!) {
  customerAddressCreate(customerId: $customerId, address: $address, setAsDefault: true) {
    address { ...AddressFields }
    """
    + _USER_ERRORS
    + """
  }
}
"""
    + _ADDRESS_FIELDS
)

CUSTOMER_ADDRESS_UPDATE = (
    """
mutation CustomerAddressUpdate($customerId: ID!, $addressId: ID!, $address: MailingAddressInput!) {
  customerAddressUpdate(customerId: $customerId, addressId: $addressId, address: $address) {
    address { ...AddressFields }
    """
    + _USER_ERRORS
    + """
  }
}
"""
    + _ADDRESS_FIELDS
)

CUSTOMER_SEND_INVITE = """
mutation CustomerSendInvite($customerId: ID!) {
  customerSendAccountInviteEmail(customerId: $customerId) {
    customer { id state updatedAt }
    userErrors { field message }
  }
}
"""

# A customer's account state, read by id (exact, not the lagging search index).
CUSTOMER_STATE = """
query CustomerState($id: ID!) {
  customer(id: $id) { id state }
}
"""

CUSTOMER_GENERATE_ACTIVATION_URL = """
mutation CustomerActivationUrl($customerId: ID!) {
  customerGenerateAccountActivationUrl(customerId: $customerId) {
    accountActivationUrl
    userErrors { field message }
  }
}
"""

# How many customers match a search (a count first decides between paging and bulk).
CUSTOMERS_COUNT = """
query CustomersCount($query: String, $limit: Int) {
  customersCount(query: $query, limit: $limit) { count precision }
}
"""

# The scopes the token was granted (read_all_orders decides the orders' 60-day window).
ACCESS_SCOPES = """
query AccessScopes {
  currentAppInstallation { accessScopes { handle } }
}
"""

# The query a bulk export runs (Shopify runs it without first/after limits).
BULK_CUSTOMERS_QUERY = (
    "\n{\n  customers {\n    edges {\n      node {\n"
    + _lines(_CUSTOMER_SCALARS, 8)
    + "        addressesV2 {\n          edges {\n            node {\n"
    + _lines(MAILING_ADDRESS_FIELDS, 14)
    + "            }\n          }\n        }\n      }\n    }\n  }\n}\n"
)


def bulk_customers_query(search: str) -> str:
    """BULK_CUSTOMERS_QUERY limited to the customers matching ``search``. A bulk query takes
    no variables, so the search goes in as a GraphQL string literal (JSON escaping is valid
    GraphQL string escaping); the rest of the document is the constant."""
    return BULK_CUSTOMERS_QUERY.replace(
        "\n  customers {", f"\n  customers(query: {json.dumps(search)}) {{", 1
    )


_BULK_OPERATION_FIELDS = """
  id
  status
  errorCode
  objectCount
  rootObjectCount
  url
  partialDataUrl
"""

BULK_RUN_QUERY = (
    """
mutation BulkRunQuery($query: String!) {
  bulkOperationRunQuery(query: $query) {
    bulkOperation {"""
    + _BULK_OPERATION_FIELDS
    + """}
    userErrors { field message code }
  }
}
"""
)

BULK_RUN_MUTATION = (
    """
mutation BulkRunMutation(
  $mutation: String!, $stagedUploadPath: String!, $clientIdentifier: String
) {
  bulkOperationRunMutation(
    mutation: $mutation, stagedUploadPath: $stagedUploadPath, clientIdentifier: $clientIdentifier
  ) {
    bulkOperation {"""
    + _BULK_OPERATION_FIELDS
    + """}
    userErrors { field message code }
  }
}
"""
)

BULK_OPERATION = (
    """
query BulkOperation($id: ID!) {
  bulkOperation(id: $id) {"""
    + _BULK_OPERATION_FIELDS
    + """}
}
"""
)

CURRENT_BULK_OPERATION = (
    """
query CurrentBulkOperation($type: BulkOperationType!) {
  currentBulkOperation(type: $type) {"""
    + _BULK_OPERATION_FIELDS
    + """}
}
"""
)

STAGED_UPLOADS_CREATE = """
mutation StagedUploadsCreate($input: [StagedUploadInput!]!) {
  stagedUploadsCreate(input: $input) {
    stagedTargets { url resourceUrl parameters { name value } }
    userErrors { field message }
  }
}
"""

# Create or update one customer (an upsert on its identifier, so retries make no duplicate);
# the same document runs once per JSONL line in a bulk export. It returns only what the
# mirror needs, to keep each call cheap at the rate limit.
CUSTOMER_SET = """
mutation CustomerSet($identifier: CustomerSetIdentifiers, $input: CustomerSetInput!) {
  customerSet(identifier: $identifier, input: $input) {
    customer {
      id
      legacyResourceId
      createdAt
      updatedAt
      defaultEmailAddress { emailAddress }
      defaultPhoneNumber { phoneNumber }
      defaultAddress { id }
    }
    userErrors { field message }
  }
}
"""

# Every document above, by name (a test validates each against the full 2026-07 schema).
ALL_DOCUMENTS = {
    "CUSTOMERS_PAGE": CUSTOMERS_PAGE,
    "CUSTOMER_BY_IDENTIFIER": CUSTOMER_BY_IDENTIFIER,
    "SHOP_INFO": SHOP_INFO,
    "PREFLIGHT": PREFLIGHT,
    "ORDERS_PAGE": ORDERS_PAGE,
    "CUSTOMER_SET": CUSTOMER_SET,
    "CUSTOMER_UPDATE": CUSTOMER_UPDATE,
    "CUSTOMER_ADDRESS_CREATE": CUSTOMER_ADDRESS_CREATE,
    "CUSTOMER_ADDRESS_UPDATE": CUSTOMER_ADDRESS_UPDATE,
    "CUSTOMER_SEND_INVITE": CUSTOMER_SEND_INVITE,
    "CUSTOMER_STATE": CUSTOMER_STATE,
    "CUSTOMER_GENERATE_ACTIVATION_URL": CUSTOMER_GENERATE_ACTIVATION_URL,
    "BULK_CUSTOMERS_QUERY": BULK_CUSTOMERS_QUERY,
    "BULK_CHANGED_CUSTOMERS_QUERY": bulk_customers_query("updated_at:>'2026-01-01T00:00:00Z'"),
    "CUSTOMERS_COUNT": CUSTOMERS_COUNT,
    "ACCESS_SCOPES": ACCESS_SCOPES,
    "BULK_RUN_QUERY": BULK_RUN_QUERY,
    "BULK_RUN_MUTATION": BULK_RUN_MUTATION,
    "BULK_OPERATION": BULK_OPERATION,
    "CURRENT_BULK_OPERATION": CURRENT_BULK_OPERATION,
    "STAGED_UPLOADS_CREATE": STAGED_UPLOADS_CREATE,
}
