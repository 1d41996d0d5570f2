"""Customer reads and writes: normalisation, validation texts, defaults, addresses, invites."""

from __future__ import annotations

from emulator_helpers import CREATE, create, gql

from shopsync.emulator import Emulator

UPDATE = """
mutation Update($input: CustomerInput!) {
  customerUpdate(input: $input) {
    customer { id email phone firstName lastName tags note updatedAt
      addressesV2(first: 10) { nodes { id address1 city } } defaultAddress { id address1 } }
    userErrors { field message }
  }
}
"""
SET = """
mutation Set($input: CustomerSetInput!, $identifier: CustomerSetIdentifiers) {
  customerSet(input: $input, identifier: $identifier) {
    customer { id email phone firstName lastName addressesV2(first: 10) { nodes { address1 } } }
    userErrors { field message code }
  }
}
"""


def test_create_normalises_and_applies_defaults(emu: Emulator) -> None:
    payload = create(
        emu,
        email="  Ann.Lee @Example.COM ",
        phone="+1 (613) 450-5293",
        firstName=" Ann ",
        tags=["b", "A", "a", " spaced tag ", "", "x, y"],
    )
    assert payload["userErrors"] == []
    c = payload["customer"]
    assert c["email"] == "ann.lee@example.com"
    assert c["defaultEmailAddress"] == {
        "emailAddress": "ann.lee@example.com",
        "marketingState": "NOT_SUBSCRIBED",
    }
    assert c["phone"] == "+16134505293"
    assert c["defaultPhoneNumber"] == {"phoneNumber": "+16134505293"}
    assert c["firstName"] == "Ann"
    assert c["tags"] == ["A", "b", "spaced tag", "x", "y"]
    assert c["state"] == "DISABLED"
    assert c["verifiedEmail"] is True
    assert c["displayName"] == "Ann"
    assert c["createdAt"] == c["updatedAt"]


def test_exact_user_errors(emu: Emulator) -> None:
    create(emu, email="taken@example.com", phone="+14155551001")
    cases = [
        ({"email": "TAKEN@example.com "}, [(["email"], "Email has already been taken")]),
        ({"phone": "+1 415 555 1001"}, [(["phone"], "Phone has already been taken")]),
        ({"email": "not-an-email"}, [(["email"], "Email is invalid")]),
        ({"email": "foo@bar"}, [(["email"], "Email is invalid")]),
        ({"phone": "+1234abcd"}, [(["phone"], "Phone is invalid")]),
        ({"phone": "abc"}, [(["phone"], "Phone is invalid")]),
        (
            {"phone": "+1" + "1" * 255},
            [
                (["phone"], "Phone is too long (maximum is 255 characters)"),
                (["phone"], "Phone is invalid"),
            ],
        ),
        ({}, [(None, "A name, phone number, or email address must be present")]),
        ({"email": ""}, [(None, "A name, phone number, or email address must be present")]),
        (
            {"email": "a@b.co", "note": "N" * 5001},
            [(["note"], "Note is too long (maximum is 5000 characters)")],
        ),
        (
            {"email": "c@d.co", "tags": ["T" * 256]},
            [(["tags"], "Tags is too long (maximum is 255 characters)")],
        ),
        (
            {"email": "e@f.co", "tags": [",".join(f"t{i}" for i in range(251))]},
            [(["tags"], "Tags cannot be more than 250")],
        ),
        ({"email": "g@h.co", "locale": "not-a-locale"}, [(["locale"], "Locale is invalid")]),
        (
            {"id": "gid://shopify/Customer/1", "email": "i@j.co"},
            [(["id"], "Cannot specify ID on creation")],
        ),
    ]
    for fields, expected in cases:
        payload = create(emu, **fields)
        assert payload["customer"] is None, fields
        assert [(e["field"], e["message"]) for e in payload["userErrors"]] == expected, fields
    assert len(emu.customers()) == 1


def test_update_advances_updated_at_and_keeps_identity(emu: Emulator, clock) -> None:
    cid = create(emu, email="u@example.com", firstName="U")["customer"]["id"]
    stamps = []
    for i in range(3):  # several writes within the same wall-clock second
        body = gql(emu, UPDATE, {"input": {"id": cid, "note": f"n{i}"}})
        stamps.append(body["data"]["customerUpdate"]["customer"]["updatedAt"])
    assert stamps == sorted(set(stamps)) and len(set(stamps)) == 3
    body = gql(emu, UPDATE, {"input": {"id": cid, "email": None, "firstName": None}})
    assert body["data"]["customerUpdate"]["userErrors"] == [
        {"field": None, "message": "A name, phone number, or email address must be present"}
    ]
    body = gql(emu, UPDATE, {"input": {"id": "gid://shopify/Customer/999", "note": "x"}})
    assert body["data"]["customerUpdate"]["userErrors"] == [
        {"field": ["id"], "message": "Customer does not exist"}
    ]


def test_update_inline_addresses_replace_the_list(emu: Emulator) -> None:
    payload = create(
        emu,
        email="inline@example.com",
        addresses=[
            {"address1": "1 A St", "city": "Ottawa", "countryCode": "CA", "provinceCode": "ON"},
            {"address1": "2 B St", "city": "Toronto", "countryCode": "CA", "provinceCode": "ON"},
        ],
    )
    cid = payload["customer"]["id"]
    first_default = payload["customer"]["defaultAddress"]["id"]
    body = gql(
        emu,
        "query($id: ID!) { customer(id: $id) { addressesV2(first: 5) { nodes { id } } } }",
        {"id": cid},
    )
    second = body["data"]["customer"]["addressesV2"]["nodes"][1]["id"]
    assert first_default != second
    body = gql(
        emu, UPDATE, {"input": {"id": cid, "addresses": [{"id": second, "address1": "9 Z St"}]}}
    )
    c = body["data"]["customerUpdate"]["customer"]
    assert [n["address1"] for n in c["addressesV2"]["nodes"]] == ["9 Z St"]
    assert c["defaultAddress"] == {"id": second, "address1": "9 Z St"}
    body = gql(
        emu, UPDATE, {"input": {"id": cid, "addresses": [{"id": first_default, "city": "X"}]}}
    )
    assert body["data"]["customerUpdate"]["userErrors"] == [
        {"field": ["addresses", "0", "id"], "message": "Customer address does not exist"}
    ]


def test_customer_set_upserts_by_identifier(emu: Emulator) -> None:
    body = gql(
        emu,
        SET,
        {
            "identifier": {"email": "set@example.com"},
            "input": {"email": "set@example.com", "firstName": "S"},
        },
    )
    created = body["data"]["customerSet"]["customer"]
    body = gql(
        emu,
        SET,
        {
            "identifier": {"email": "SET@example.com"},
            "input": {
                "email": "set@example.com",
                "lastName": "Two",
                "addresses": [{"address1": "1 Set St", "countryCode": "NL"}],
            },
        },
    )
    updated = body["data"]["customerSet"]["customer"]
    assert (
        updated["id"] == created["id"]
        and updated["firstName"] == "S"
        and updated["lastName"] == "Two"
    )
    assert updated["addressesV2"]["nodes"] == [{"address1": "1 Set St"}]
    body = gql(
        emu,
        SET,
        {
            "identifier": {"phone": "+31612345678"},
            "input": {"phone": "+31 6 12345678", "firstName": "P"},
        },
    )
    assert body["data"]["customerSet"]["customer"]["phone"] == "+31612345678"
    errors = [
        (
            {"identifier": {"id": "gid://shopify/Customer/999"}, "input": {"firstName": "G"}},
            "Resource matching the identifier was not found.",
            "NOT_FOUND",
        ),
        (
            {"identifier": {"email": "a@example.com"}, "input": {"firstName": "G"}},
            "The input field corresponding to the identifier is required.",
            "MISSING_FIELD_REQUIRED",
        ),
        (
            {"identifier": {"email": "a@example.com"}, "input": {"email": "b@example.com"}},
            "The identifier value does not match the value of the corresponding field in the "
            "input.",
            "INPUT_MISMATCH",
        ),
        (
            {
                "identifier": {"email": "a@example.com"},
                "input": {"id": created["id"], "email": "a@example.com"},
            },
            "The id field is not allowed if identifier is provided.",
            "ID_NOT_ALLOWED",
        ),
    ]
    for variables, message, code in errors:
        body = gql(emu, SET, variables)
        assert body["data"]["customerSet"]["userErrors"] == [
            {"field": ["input"], "message": message, "code": code}
        ]
    body = gql(emu, SET, {"input": {"email": "set@example.com", "firstName": "Dup"}})
    assert body["data"]["customerSet"]["userErrors"] == [
        {"field": ["input", "email"], "message": "Email has already been taken", "code": "TAKEN"}
    ]


def test_delete_and_orders_block_it(seeded: Emulator) -> None:
    query = (
        "mutation($input: CustomerDeleteInput!) { customerDelete(input: $input) { "
        "deletedCustomerId userErrors { field message } } }"
    )
    body = gql(seeded, query, {"input": {"id": "gid://shopify/Customer/1001"}})
    assert body["data"]["customerDelete"] == {
        "deletedCustomerId": None,
        "userErrors": [
            {
                "field": ["id"],
                "message": "Customer can\u2019t be deleted because they have associated orders",
            }
        ],
    }
    body = gql(seeded, query, {"input": {"id": "gid://shopify/Customer/1004"}})
    assert body["data"]["customerDelete"]["deletedCustomerId"] == "gid://shopify/Customer/1004"
    body = gql(seeded, query, {"input": {"id": "gid://shopify/Customer/1004"}})
    assert body["data"]["customerDelete"]["userErrors"] == [
        {"field": ["id"], "message": "Customer can't be found"}
    ]


def test_address_mutations(seeded: Emulator) -> None:
    cid = "gid://shopify/Customer/1004"
    create_q = """mutation($c: ID!, $a: MailingAddressInput!, $d: Boolean) {
      customerAddressCreate(customerId: $c, address: $a, setAsDefault: $d) {
        address { id firstName lastName city province provinceCode country formattedArea }
        userErrors { field message } } }"""
    body = gql(
        seeded,
        create_q,
        {
            "c": cid,
            "a": {"address1": "5 Elm", "city": "Austin", "countryCode": "US", "provinceCode": "TX"},
        },
    )
    address = body["data"]["customerAddressCreate"]["address"]
    assert address["firstName"] == "Grace" and address["lastName"] == "Smith"
    assert address["province"] == "Texas" and address["formattedArea"] == "Austin TX, United States"
    assert address["id"].endswith("?model_name=CustomerAddress")
    body = gql(
        seeded,
        create_q,
        {
            "c": cid,
            "a": {"address1": "5 Elm", "city": "Austin", "countryCode": "US", "provinceCode": "TX"},
        },
    )
    assert body["data"]["customerAddressCreate"]["userErrors"] == [
        {"field": ["address"], "message": "Address already exists"}
    ]
    body = gql(
        seeded, create_q, {"c": cid, "a": {"city": "X", "countryCode": "CA", "provinceCode": "ZZ"}}
    )
    assert body["data"]["customerAddressCreate"]["userErrors"] == [
        {"field": ["address", "province"], "message": "Province is invalid"}
    ]
    body = gql(seeded, create_q, {"c": cid, "a": {"city": "X", "countryCode": "ZZ"}})
    assert body["data"]["customerAddressCreate"]["userErrors"] == [
        {"field": ["address", "country"], "message": "Country is invalid"}
    ]
    body = gql(seeded, create_q, {"c": "gid://shopify/Customer/999", "a": {"city": "X"}})
    assert body["data"]["customerAddressCreate"]["userErrors"] == [
        {"field": ["customerId"], "message": "Customer does not exist"}
    ]
    second = gql(
        seeded,
        create_q,
        {
            "c": cid,
            "a": {"address1": "6 Oak", "city": "Dallas", "countryCode": "US", "provinceCode": "TX"},
        },
    )["data"]["customerAddressCreate"]["address"]["id"]
    body = gql(
        seeded,
        "mutation($c: ID!, $a: ID!) { customerUpdateDefaultAddress(customerId: $c, addressId: $a) "
        "{ customer { defaultAddress { id } } userErrors { field message } } }",
        {"c": cid, "a": second},
    )
    assert (
        body["data"]["customerUpdateDefaultAddress"]["customer"]["defaultAddress"]["id"] == second
    )
    body = gql(
        seeded,
        "mutation($c: ID!, $a: ID!, $x: MailingAddressInput!) { customerAddressUpdate(customerId: "
        "$c, addressId: $a, address: $x) { address { city } userErrors { field message } } }",
        {"c": cid, "a": second, "x": {"id": address["id"], "city": "Y"}},
    )
    assert body["data"]["customerAddressUpdate"]["userErrors"] == [
        {
            "field": ["addressId"],
            "message": "The id of the address does not match the id in the input",
        }
    ]
    body = gql(
        seeded,
        "mutation($c: ID!, $a: ID!) { customerAddressDelete(customerId: $c, addressId: $a) { "
        "deletedAddressId userErrors { field message } } }",
        {"c": "gid://shopify/Customer/1001", "a": second},
    )
    assert body["data"]["customerAddressDelete"]["userErrors"] == [
        {"field": ["addressId"], "message": "Address does not exist"}
    ]
    body = gql(
        seeded,
        "mutation($c: ID!, $a: ID!) { customerAddressDelete(customerId: $c, addressId: $a) { "
        "deletedAddressId userErrors { field message } } }",
        {"c": cid, "a": "gid://shopify/MailingAddress/424242"},
    )
    assert body["errors"][0]["message"] == "invalid id"
    assert body["errors"][0]["extensions"] == {"code": "RESOURCE_NOT_FOUND"}


INVITE = """mutation($id: ID!, $email: EmailInput) {
  customerSendAccountInviteEmail(customerId: $id, email: $email) {
    customer { id state } userErrors { field message code } } }"""


def test_invite_is_recorded_on_classic_shops(seeded: Emulator) -> None:
    body = gql(
        seeded, INVITE, {"id": "gid://shopify/Customer/1002", "email": {"subject": "Welcome"}}
    )
    assert body["data"]["customerSendAccountInviteEmail"] == {
        "customer": {"id": "gid://shopify/Customer/1002", "state": "INVITED"},
        "userErrors": [],
    }
    assert seeded.invites[-1]["to"] == "bram@example.be"
    body = gql(seeded, INVITE, {"id": "gid://shopify/Customer/1002", "email": {"subject": ""}})
    assert body["data"]["customerSendAccountInviteEmail"]["userErrors"] == [
        {"field": ["email", "subject"], "message": "Subject can't be blank", "code": "INVALID"}
    ]
    body = gql(seeded, INVITE, {"id": "gid://shopify/Customer/1002", "email": {"to": "nope"}})
    assert body["data"]["customerSendAccountInviteEmail"]["userErrors"] == [
        {"field": ["email", "to"], "message": "To is invalid", "code": "INVALID"}
    ]


def test_invite_refused_on_new_customer_accounts(data_dir) -> None:
    emu = Emulator(data_dir=data_dir, customer_accounts_version="NEW_CUSTOMER_ACCOUNTS")
    body = gql(emu, "{ shop { customerAccountsV2 { customerAccountsVersion } } }")
    assert (
        body["data"]["shop"]["customerAccountsV2"]["customerAccountsVersion"]
        == "NEW_CUSTOMER_ACCOUNTS"
    )
    body = gql(emu, INVITE, {"id": "gid://shopify/Customer/1002"})
    assert body["data"]["customerSendAccountInviteEmail"] == {
        "customer": None,
        "userErrors": [
            {
                "field": ["customerId"],
                "message": "Error sending account invite to customer.",
                "code": "INVALID",
            }
        ],
    }
    assert emu.invites == []
    body = gql(
        emu,
        "mutation($id: ID!) { customerGenerateAccountActivationUrl(customerId: $id) { "
        "accountActivationUrl userErrors { field message } } }",
        {"id": "gid://shopify/Customer/1002"},
    )
    assert body["data"]["customerGenerateAccountActivationUrl"]["accountActivationUrl"] is None


def test_activation_url_on_classic_shop(seeded: Emulator) -> None:
    body = gql(
        seeded,
        "mutation($id: ID!) { customerGenerateAccountActivationUrl(customerId: $id) { "
        "accountActivationUrl userErrors { field message } } }",
        {"id": "gid://shopify/Customer/1002"},
    )
    url = body["data"]["customerGenerateAccountActivationUrl"]["accountActivationUrl"]
    assert url.startswith("https://") and "/account/activate/1002/" in url


def test_customer_by_identifier(seeded: Emulator) -> None:
    q = "query($i: CustomerIdentifierInput!) { customerByIdentifier(identifier: $i) { id } }"
    for ident in (
        {"emailAddress": " ANNA@example.com"},
        {"phoneNumber": "+31 6 1234 5678"},
        {"id": "gid://shopify/Customer/1001"},
    ):
        assert gql(seeded, q, {"i": ident})["data"]["customerByIdentifier"] == {
            "id": "gid://shopify/Customer/1001"
        }
    assert (
        gql(seeded, q, {"i": {"emailAddress": "nobody@example.com"}})["data"][
            "customerByIdentifier"
        ]
        is None
    )
    body = gql(seeded, q, {"i": {}})
    assert body["errors"][0]["extensions"]["problems"] == [
        {
            "path": [],
            "explanation": "'CustomerIdentifierInput' requires exactly one argument, but 0 were "
            "provided.",
        }
    ]
    body = gql(seeded, q, {"i": {"customId": {"namespace": "custom", "key": "erp", "value": "C1"}}})
    assert (
        body["errors"][0]["message"]
        == "Metafield definition of type 'id' is required when using custom ids."
    )


def test_orders_and_shop(seeded: Emulator) -> None:
    body = gql(
        seeded,
        """{ orders(first: 10, sortKey: CREATED_AT) { nodes { name email phone sourceName
        customer { id displayName } billingAddress { city countryCodeV2 }
        shippingAddress { address1 }
        displayAddress { city country } } }
        shop { shipsToCountries customerAccountsV2 { customerAccountsVersion } } }""",
    )
    orders = body["data"]["orders"]["nodes"]
    assert [o["name"] for o in orders] == ["#1001", "#1002", "#1003"]
    assert orders[0]["customer"] == {
        "id": "gid://shopify/Customer/1001",
        "displayName": "Anna de Vries",
    }
    assert orders[0]["shippingAddress"] == {"address1": "Kalverstraat 5"}
    assert orders[1]["customer"] is None and orders[1]["sourceName"] == "pos"
    assert orders[1]["displayAddress"] == {"city": "Antwerpen", "country": "Belgium"}
    assert body["data"]["shop"]["shipsToCountries"] == ["NL", "BE", "US", "CA"]
    body = gql(seeded, '{ orders(first: 5, query: "customer_id:1003") { nodes { name } } }')
    assert body["data"]["orders"]["nodes"] == [{"name": "#1003"}]


def test_create_mutation_document_reused(emu: Emulator) -> None:
    # The CREATE document used by the helpers is itself valid against the served schema.
    status, _headers, body = emu.execute(CREATE, {"input": {"lastName": "Only"}})
    assert status == 200 and body["data"]["customerCreate"]["customer"]["displayName"] == "Only"
