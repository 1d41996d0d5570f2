"""The HTTP server: authentication, faults of every kind, and bulk round trips with requests."""

from __future__ import annotations

import json
import random

import pytest
import requests
from emulator_helpers import FakeClock, create

from shopsync.emulator import ConnectionDropped, Emulator, FaultSpec

INVALID = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
CREATE = (
    "mutation($input: CustomerInput!) { customerCreate(input: $input) "
    "{ customer { id email } userErrors { field message } } }"
)


def post(
    server, query: str, variables: dict | None = None, token: str | None = "tok"
) -> requests.Response:
    headers = {"X-Shopify-Access-Token": token} if token is not None else {}
    return requests.post(
        server.graphql_url,
        json={"query": query, "variables": variables},
        headers=headers,
        timeout=10,
    )


def test_auth(emu: Emulator) -> None:
    with emu.serve() as server:
        assert server.url.startswith("http://127.0.0.1:")
        assert server.graphql_url == server.url + "/admin/api/2026-07/graphql.json"
        for token in (None, ""):
            response = post(server, "{ shop { id } }", token=token)
            assert response.status_code == 401 and response.json() == INVALID
        assert post(server, "{ shop { id } }").status_code == 200
        raw = requests.post(
            server.graphql_url,
            data="{ shop { id } }",
            headers={"X-Shopify-Access-Token": "t", "Content-Type": "application/graphql"},
            timeout=10,
        )
        assert raw.json()["data"]["shop"]["id"] == "gid://shopify/Shop/1"
        bad = requests.post(
            server.graphql_url, data="not json", headers={"X-Shopify-Access-Token": "t"}, timeout=10
        )
        assert bad.status_code == 400
    locked = Emulator(token="secret")
    assert locked.execute("{ shop { id } }", token="wrong")[0] == 401
    assert locked.execute("{ shop { id } }", token="secret")[0] == 200
    with locked.serve() as server:
        assert post(server, "{ shop { id } }", token="wrong").json() == INVALID
        assert post(server, "{ shop { id } }", token="secret").json()["data"]["shop"]["id"]
        assert (
            requests.post(
                server.url + "/admin/api/2024-01/graphql.json", json={}, timeout=5
            ).status_code
            == 404
        )


def test_fault_spec_parsing() -> None:
    spec = FaultSpec.parse(
        "500=0.02,502=0.02,503=0.02,429=0.02,drop_before=0.01,drop_after=0.01,"
        "slow=0.01,slow_seconds=3"
    )
    assert spec.rates["429"] == 0.02 and spec.slow_seconds == 3
    assert str(FaultSpec.parse(str(spec))) == str(spec)
    assert FaultSpec.none().active is False and FaultSpec.parse("") == FaultSpec.none()
    for bad in ("418=0.1", "500", "500=x", "500=2", "500=0.6,502=0.6"):
        with pytest.raises(ValueError):
            FaultSpec.parse(bad)


def test_faults_are_deterministic_per_seed() -> None:
    spec = "500=0.1,502=0.1,503=0.1,429=0.1,drop_before=0.1,drop_after=0.1,slow=0.1"

    def run(seed: int) -> list[str]:
        clock = FakeClock()
        emu = Emulator(faults=spec, seed=seed, clock=clock, now=clock.now, sleep=clock.sleep)
        out = []
        for _ in range(60):
            try:
                status, _h, _b = emu.execute("{ shop { id } }")
                out.append(str(status))
            except ConnectionDropped as exc:
                out.append("after" if exc.applied else "before")
        return out

    first = run(7)
    assert first == run(7)
    assert first != run(8)
    assert {"200", "500", "502", "503", "429", "before", "after"} <= set(first)


def test_every_fault_kind_over_http(clock: FakeClock) -> None:
    emu = Emulator(clock=clock, now=clock.now, sleep=clock.sleep, seed=1)
    with emu.serve() as server:
        for kind, status in (("500", 500), ("502", 502), ("503", 503)):
            emu.faults = FaultSpec.parse(f"{kind}=1")
            response = post(server, CREATE, {"input": {"email": f"f{kind}@example.com"}})
            assert response.status_code == status
        emu.faults = "429=1,retry_after=2"
        response = post(server, CREATE, {"input": {"email": "f429@example.com"}})
        assert response.status_code == 429 and response.headers["Retry-After"] == "2.0"
        assert emu.customers() == []  # none of the status faults executed anything

        emu.faults = FaultSpec.parse("drop_before=1")
        with pytest.raises(requests.ConnectionError):
            post(server, CREATE, {"input": {"email": "before@example.com"}})
        assert emu.customers() == []

        emu.faults = FaultSpec.parse("drop_after=1")
        with pytest.raises(requests.ConnectionError):
            post(server, CREATE, {"input": {"email": "after@example.com"}})
        assert [c["email"] for c in emu.customers()] == ["after@example.com"]  # applied, unanswered

        emu.faults = FaultSpec.parse("slow=1,slow_seconds=4")
        response = post(server, CREATE, {"input": {"email": "slow@example.com"}})
        assert response.status_code == 200 and clock.slept == [4.0]

        emu.faults = FaultSpec.none()
        assert post(server, "{ shop { id } }").status_code == 200


def test_fault_rates_roughly_hold() -> None:
    spec = FaultSpec.parse("500=0.2,429=0.1")
    rng = random.Random(3)
    draws = [spec.draw(rng) for _ in range(5000)]
    assert 0.17 < draws.count("500") / 5000 < 0.23
    assert 0.08 < draws.count("429") / 5000 < 0.12


def _stage(server, lines: list[dict]) -> str:
    body = post(
        server,
        "mutation($i: [StagedUploadInput!]!) { stagedUploadsCreate(input: $i) { stagedTargets { "
        "url resourceUrl parameters { name value } } userErrors { field message } } }",
        {
            "i": [
                {
                    "resource": "BULK_MUTATION_VARIABLES",
                    "filename": "vars.jsonl",
                    "mimeType": "text/jsonl",
                    "httpMethod": "POST",
                }
            ]
        },
    ).json()
    target = body["data"]["stagedUploadsCreate"]["stagedTargets"][0]
    assert target["url"].startswith(server.url)
    params = {p["name"]: p["value"] for p in target["parameters"]}
    payload = "".join(json.dumps(line) + "\n" for line in lines).encode()
    upload = requests.post(
        target["url"], data=params, files={"file": ("vars.jsonl", payload)}, timeout=10
    )
    assert upload.status_code == 201 and "<Key>" in upload.text
    return params["key"]


def _poll(server, kind: str) -> dict:
    for _ in range(10):
        current = post(
            server,
            f"{{ currentBulkOperation(type: {kind}) {{ id status url objectCount rootObjectCount "
            f"fileSize }} }}",
        ).json()["data"]["currentBulkOperation"]
        if current["status"] == "COMPLETED":
            return current
    raise AssertionError(current)


def test_bulk_mutation_then_bulk_query_round_trip(seeded: Emulator) -> None:
    with seeded.serve() as server:
        key = _stage(
            server,
            [
                {
                    "input": {
                        "email": "bulk1@example.com",
                        "firstName": "Bulk",
                        "addresses": [
                            {"address1": "1 Bulk St", "city": "Delft", "countryCode": "NL"}
                        ],
                    }
                },
                {"input": {"email": "anna@example.com"}},
                {"input": {"email": "bulk2@example.com", "lastName": "Two"}},
            ],
        )
        run = post(
            server,
            "mutation($m: String!, $p: String!) { bulkOperationRunMutation(mutation: $m, "
            "stagedUploadPath: $p) { bulkOperation { id status type } userErrors { field message "
            "code } } }",
            {"m": CREATE, "p": key},
        ).json()["data"]["bulkOperationRunMutation"]
        assert run["userErrors"] == [] and run["bulkOperation"]["status"] == "CREATED"
        done = _poll(server, "MUTATION")
        assert done["id"] == run["bulkOperation"]["id"] and done["objectCount"] == "3"
        results = [
            json.loads(line) for line in requests.get(done["url"], timeout=10).text.splitlines()
        ]
        assert [r["__lineNumber"] for r in results] == [0, 1, 2]
        assert results[0]["data"]["customerCreate"]["customer"]["email"] == "bulk1@example.com"
        assert results[1]["data"]["customerCreate"]["userErrors"] == [
            {"field": ["email"], "message": "Email has already been taken"}
        ]

        query = (
            '{ customers(query: "state:DISABLED") { edges { node { id email addressesV2 { edges { '
            "node { id city } } } } } } }"
        )
        run = post(
            server,
            "mutation($q: String!) { bulkOperationRunQuery(query: $q) { bulkOperation { id status "
            "} userErrors { field message code } } }",
            {"q": query},
        ).json()
        assert run["data"]["bulkOperationRunQuery"]["userErrors"] == []
        done = _poll(server, "QUERY")
        lines = [
            json.loads(line) for line in requests.get(done["url"], timeout=10).text.splitlines()
        ]
        parents = [line for line in lines if "__parentId" not in line]
        children = [line for line in lines if "__parentId" in line]
        assert {p["email"] for p in parents} >= {
            "bram@example.be",
            "bulk1@example.com",
            "bulk2@example.com",
        }
        bulk1 = next(p for p in parents if p["email"] == "bulk1@example.com")
        assert [c["city"] for c in children if c["__parentId"] == bulk1["id"]] == ["Delft"]
        assert done["rootObjectCount"] == str(len(parents)) and done["objectCount"] == str(
            len(lines)
        )
        assert int(done["fileSize"]) > 0


def test_bulk_validation_and_concurrency(emu: Emulator) -> None:
    run_query = (
        "mutation($q: String!) { bulkOperationRunQuery(query: $q) { bulkOperation { id } "
        "userErrors { field message code } } }"
    )

    def errors(query: str) -> list[dict]:
        _s, _h, body = emu.execute(run_query, {"q": query})
        return body["data"]["bulkOperationRunQuery"]["userErrors"]

    assert errors("{ shop { id } }") == [
        {
            "field": ["query"],
            "message": "Bulk queries must contain at least one connection.",
            "code": "INVALID",
        }
    ]
    assert errors("")[0]["message"] == "Invalid bulk query: syntax error, unexpected end of file"
    assert (
        "Selecting via 'nodes' is not supported"
        in errors("{ customers { nodes { id } } }")[0]["message"]
    )
    assert errors(
        "{ customers { edges { node { email addressesV2 { edges { node { id } } } } } } }"
    )[0]["message"].endswith("Connection fields without 'id': customers.")
    ok = "{ customers { edges { node { id } } } }"
    for _ in range(5):
        assert errors(ok) == []
    busy = errors(ok)
    assert busy[0]["code"] == "OPERATION_IN_PROGRESS" and busy[0]["field"] is None
    assert busy[0]["message"].startswith(
        "A bulk query operation for this app and shop is already in progress: "
        "gid://shopify/BulkOperation/"
    )
    emu.settle_bulk_operations()
    assert errors(ok) == []
    one = Emulator(bulk_concurrency=1)
    _s, _h, body = one.execute(run_query, {"q": ok})
    _s, _h, body = one.execute(run_query, {"q": ok})
    assert body["data"]["bulkOperationRunQuery"]["userErrors"][0]["code"] == "OPERATION_IN_PROGRESS"


def test_bulk_mutation_validation(emu: Emulator) -> None:
    run = (
        "mutation($m: String!, $p: String!) { bulkOperationRunMutation(mutation: $m, "
        "stagedUploadPath: $p) { bulkOperation { id } userErrors { field message code } } }"
    )

    def errors(mutation: str, path: str = "missing") -> list[dict]:
        _s, _h, body = emu.execute(run, {"m": mutation, "p": path})
        return body["data"]["bulkOperationRunMutation"]["userErrors"]

    assert errors("mutation { not parseable") == [
        {
            "field": None,
            "message": "Failed to parse the mutation - syntax error, unexpected end of file at "
            "[1, 16]",
            "code": "INVALID_MUTATION",
        }
    ]
    assert (
        errors("query { shop { id } }")[0]["message"]
        == "Invalid operation type. Only `mutation` operations are supported."
    )
    assert (
        errors(
            "mutation { a: customerCreate(input: {}) { customer { id } } b: customerCreate(input: "
            "{}) { customer { id } } }"
        )[0]["message"]
        == "You must specify a single top level mutation."
    )
    assert (
        errors(
            'mutation { customerDelete(input: {id: "gid://shopify/Customer/1"}) { '
            "deletedCustomerId } }"
        )[0]["message"]
        == "You must use an allowed mutation name."
    )
    assert errors(CREATE)[0]["code"] == "NO_SUCH_FILE"
    emu.bulk.store_upload("empty.jsonl", b"")
    assert errors(CREATE, "empty.jsonl") == [
        {"field": None, "message": "The input file is empty.", "code": "INVALID_STAGED_UPLOAD_FILE"}
    ]


def test_cancel_and_status_progression(emu: Emulator) -> None:
    create(emu, email="x@example.com")
    _s, _h, body = emu.execute(
        'mutation { bulkOperationRunQuery(query: "{ customers { edges { node { id } } } }") { '
        "bulkOperation { id status } } }"
    )
    op = body["data"]["bulkOperationRunQuery"]["bulkOperation"]
    read = f'{{ bulkOperation(id: "{op["id"]}") {{ status }} }}'
    statuses = [emu.execute(read)[2]["data"]["bulkOperation"]["status"] for _ in range(3)]
    assert statuses == ["CREATED", "RUNNING", "COMPLETED"]
    _s, _h, body = emu.execute(
        'mutation { bulkOperationRunQuery(query: "{ customers { edges { node { id } } } }") { '
        "bulkOperation { id } } }"
    )
    second = body["data"]["bulkOperationRunQuery"]["bulkOperation"]["id"]
    _s, _h, body = emu.execute(
        f'mutation {{ bulkOperationCancel(id: "{second}") {{ bulkOperation {{ status }} '
        f"userErrors {{ message }} }} }}"
    )
    assert body["data"]["bulkOperationCancel"] == {
        "bulkOperation": {"status": "CANCELING"},
        "userErrors": [],
    }
    read = f'{{ bulkOperation(id: "{second}") {{ status url }} }}'
    assert [emu.execute(read)[2]["data"]["bulkOperation"]["status"] for _ in range(2)] == [
        "CANCELING",
        "CANCELED",
    ]
