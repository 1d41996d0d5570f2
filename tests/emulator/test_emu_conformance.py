"""Conformance: replay the real Shopify captures (tests/fixtures/captures) against the emulator."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pytest
from emulator_replay import FIXTURES, Outcome, load_cases, replay, seed_from_recording

from shopsync.emulator import Emulator

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from copy_capture_fixtures import CAPTURES  # noqa: E402

# Each capture file is replayed in order on a fresh emulator (a create, then reads of it...),
# with the real store's ids mapped to the emulator's. Every case of every replayed file is a
# test; the cases the emulator does NOT reproduce are listed in ``UNMATCHED`` with the reason, and
# are expected to fail (strict xfail: if one starts to match, move it out of the list). Capture
# files not replayed at all are listed in ``NOT_REPLAYED`` with the reason.

#: Files whose reads expect a freshly created customer to be searchable at once; elsewhere the
#: captures show Shopify's search lag (a new customer is not yet found by customers(query:)),
#: which the emulator reproduces with ``search_delay``.
INDEXED_AT_ONCE = {
    "2025-01/customers/customers-keyed-search-filters.json",
    "2026-04/customers/customer-set-parity.json",
}

STORE_SIZE = "depends on the size of the recording store (customersCount of ~950 customers)"
NO_DOC = "no query document recorded; the rebuilt one cannot express the aliased roots"
PRODUCTS = "bulk query over products/collections/orders.fulfillments: not served by the emulator"
GCS = "staged upload targets are the emulator's loopback URL, not Google Cloud Storage"

_UNMATCHED_BY_FILE: dict[str, dict[str, str]] = {
    "2025-01/customers/customer-address-lifecycle.json": {
        "/validations/crossCustomerUpdate": (
            "the foreign address was created in an unrecorded setup step, so it does not exist here"
        ),
        "/validations/crossCustomerDefault": (
            "the foreign address was created in an unrecorded setup step"
        ),
        "/validations/crossCustomerDelete": (
            "the foreign address was created in an unrecorded setup step"
        ),
    },
    "2025-01/customers/customer-create-name-identity.json": {
        "/scenarios/firstNameOnly/downstreamRead": (
            'customers(query: "") lists the recording store\'s other customers'
        ),
        "/scenarios/lastNameOnly/downstreamRead": (
            'customers(query: "") lists the recording store\'s other customers'
        ),
    },
    "2025-01/customers/customer-create-parity.json": {
        "/mutation": "selects Customer.loyalty and metafields (out of scope)",
    },
    "2025-01/customers/customer-update-parity.json": {
        "/mutation": "selects Customer.loyalty and metafields (out of scope)",
        "/metafieldValidation": (
            "metafields are out of scope (the emulator accepts and ignores "
            "CustomerInput.metafields)"
        ),
        "/taxExemptionValidation": "top-level error recorded without its query document",
    },
    "2025-01/customers/customer-input-validation-parity.json": {
        "/createScenarios/blankScalarNormalization/downstreamRead": STORE_SIZE,
        "/createScenarios/nullScalarNormalization/downstreamRead": STORE_SIZE,
        "/createScenarios/tagNormalization/downstreamRead": STORE_SIZE,
        "/updateScenarios/blankScalarNormalization/downstreamRead": STORE_SIZE,
        "/updateScenarios/nullScalarNormalization/downstreamRead": STORE_SIZE,
        "/updateScenarios/tagNormalization/downstreamRead": STORE_SIZE,
        "/mergedCustomerUpdate/mergeResult": "customerMerge is out of scope",
        "/mergedCustomerUpdate/updateMergedSourceCustomer": (
            "needs the merge above (the merged-away customer no longer exists in Shopify)"
        ),
    },
    "2025-01/customers/customer-input-inline-consent-parity.json": {
        "/schemaEvidence": (
            "__type introspection of the 2025-01 CustomerInput (15 fields); 2026-07 has 16 and "
            "the emulator serves the 2026-07 schema"
        ),
    },
    "2026-04/customers/customer-set-parity.json": {
        "/downstreamRead": NO_DOC,
        "/validation/deletedIdentifier": (
            "the customer was deleted in an unrecorded step; here it still exists"
        ),
    },
    "2026-04/bulk-operations/bulk-operation-run-mutation-user-errors.json": {
        "/setup/stagedUploadTarget": GCS,
    },
    "2026-04/bulk-operations/bulk-operation-run-mutation-client-identifier-validation.json": {
        "/setup/tooShort/stagedUpload": GCS,
        "/setup/tooLong/stagedUpload": GCS,
        "/cleanupBefore[0]": "currentBulkOperation of the recording store's history",
    },
    "2026-04/bulk-operations/bulk-operation-run-mutation-empty-file.json": {
        "/setup/stagedUpload": GCS,
        "/validation/run": (
            "the (empty) file upload itself is not recorded, so the staged path does not exist here"
        ),
    },
    "2026-04/bulk-operations/bulk-operation-run-query-validators.json": {
        "/validations/nodesInsteadOfEdges": PRODUCTS,
        "/validations/depthThreeNesting": PRODUCTS,
        "/validations/sixConnections": PRODUCTS,
        "/validations/nestedWithoutParentId": PRODUCTS,
        "/validations/connectionWithinList": PRODUCTS,
    },
}
UNMATCHED: dict[tuple[str, str], str] = {
    (rel, case): reason
    for rel, cases in _UNMATCHED_BY_FILE.items()
    for case, reason in cases.items()
}

_READS_STORE = "reads customers that pre-exist in the recording store (no create step to replay)"
_MERGE = "customerMerge / merge preview and jobs are out of scope"
_CREDIT = "store credit accounts are out of scope"
_PRODUCT_BULK = "bulk operations over products/metaobjects/collections (not served)"
#: Capture files (of the 81 in /work/shared/shopify/captures) that are not replayed, and why.
NOT_REPLAYED: dict[str, str] = {
    "2025-01/bulk-operations/bulk-operation-run-mutation-operation-in-progress.json": (
        "API 2025-01 (one operation at a time); 2026-07 allows 5, see the 2026-04 captures"
    ),
    "2025-01/bulk-operations/bulk-operation-run-query-operation-in-progress.json": (
        "API 2025-01 (one operation at a time) over products"
    ),
    "2025-01/customers/customer-account-page-data-erasure.json": (
        "customer account pages and data erasure are out of scope"
    ),
    "2025-01/customers/customer-add-tax-exemptions-parity.json": (
        "customerAddTaxExemptions is out of scope"
    ),
    "2025-01/customers/customer-remove-tax-exemptions-parity.json": (
        "customerRemoveTaxExemptions is out of scope"
    ),
    "2025-01/customers/customer-replace-tax-exemptions-parity.json": (
        "customerReplaceTaxExemptions is out of scope"
    ),
    "2025-01/customers/customer-bounded-overlay-refill.json": (
        "draft-proxy overlay scenario (proxy-specific cursors over the live store)"
    ),
    "2025-01/customers/customer-live-hybrid-overlay.json": (
        "draft-proxy overlay scenario over the live store's catalogue"
    ),
    "2025-01/customers/customer-by-identifier.json": _READS_STORE,
    "2025-01/customers/customer-detail.json": _READS_STORE,
    "2025-01/customers/customer-nested-subresources.json": (
        _READS_STORE + "; also events/metafields"
    ),
    "2025-01/customers/customers-catalog.json": _READS_STORE,
    "2025-01/customers/customers-count.json": (
        _READS_STORE + " (its search warnings are unit-tested)"
    ),
    "2025-01/customers/customers-search.json": (_READS_STORE + " (the grammar is unit-tested)"),
    "2025-01/customers/customers-advanced-search.json": (
        _READS_STORE + " (OR/-()/prefix are unit-tested)"
    ),
    "2025-01/customers/customers-relevance-search.json": _READS_STORE,
    "2025-01/customers/customers-sort-keys.json": _READS_STORE,
    "2025-01/customers/customer-create-rejects-nested-ids.json": (
        "responses recorded without status/body pairs"
    ),
    "2025-01/customers/customer-delete-blocked-by-orders.json": (
        "needs orderCreate/orderCancel/orderDelete (orders are seeded read-only); the blocking "
        "rule is unit-tested"
    ),
    "2025-01/customers/customer-merge-attached-resources-parity.json": _MERGE,
    "2025-01/customers/customer-merge-blockers.json": (_MERGE + "; also gift cards"),
    "2025-01/customers/customer-merge-parity.json": _MERGE,
    "2025-01/customers/customer-merge-selection-rules.json": _MERGE,
    "2025-01/customers/customer-metafields-erasure-address-fidelity.json": (
        "metafields and data erasure are out of scope"
    ),
    "2025-01/customers/customer-outbound-side-effect-validation-parity.json": (
        "no GraphQL response recorded"
    ),
    "2025-01/customers/store-credit-account-parity.json": _CREDIT,
    "2026-04/bulk-operations/bulk-operation-cancel-preserves-fields.json": _PRODUCT_BULK,
    "2026-04/bulk-operations/bulk-operation-cold-catalog-hydration.json": _PRODUCT_BULK,
    "2026-04/bulk-operations/bulk-operation-root-count-and-search-filters.json": _PRODUCT_BULK,
    "2026-04/bulk-operations/bulk-operation-run-mutation-allowed-roots.json": (
        _PRODUCT_BULK + " (its customerCreate case needs the unrecorded upload)"
    ),
    "2026-04/bulk-operations/bulk-operation-run-mutation-concurrency-limit.json": (
        _PRODUCT_BULK + " (the limit of 5 is unit-tested)"
    ),
    "2026-04/bulk-operations/bulk-operation-run-mutation-connection-validators.json": _PRODUCT_BULK,
    "2026-04/bulk-operations/bulk-operation-run-mutation-created-status.json": (
        _PRODUCT_BULK + " (CREATED->RUNNING->COMPLETED is unit-tested)"
    ),
    "2026-04/bulk-operations/bulk-operation-run-mutation-file-size.json": _PRODUCT_BULK,
    "2026-04/bulk-operations/bulk-operation-run-mutation-no-such-file-precedence.json": (
        _PRODUCT_BULK
    ),
    "2026-04/bulk-operations/bulk-operation-run-query-concurrency-limit.json": (
        _PRODUCT_BULK + " (the limit of 5 is unit-tested)"
    ),
    "2026-04/bulk-operations/bulk-operation-run-query-group-objects.json": _PRODUCT_BULK,
    "2026-04/bulk-operations/bulk-operation-run-query-schema-roots.json": _PRODUCT_BULK,
    "2026-04/bulk-operations/bulk-operation-status-catalog-cancel.json": _PRODUCT_BULK,
    "2026-04/bulk-operations/bulk-operation-storage-byte-limit.json": _PRODUCT_BULK,
    "2026-04/bulk-operations/bulk-operations-live-hybrid-base-overlay.json": (
        "draft-proxy overlay over the live store's bulk history"
    ),
    "2026-04/bulk-operations/bulk-operations-sort-key.json": (
        "lists the recording store's bulk operation history"
    ),
    "2026-04/customers/customer-email-marketing-consent-update-parity.json": (
        "customerEmailMarketingConsentUpdate is out of scope"
    ),
    "2026-04/customers/customer-sms-marketing-consent-update-parity.json": (
        "customerSmsMarketingConsentUpdate is out of scope"
    ),
    "2026-04/customers/customer-merge-parity.json": _MERGE,
    "2026-04/customers/customer-order-summary-read-effects.json": (
        "needs orderCustomerSet/orderCustomerRemove and order money fields"
    ),
    "2026-04/customers/customer-set-custom-id.json": (
        "custom ids need metafield definitions (out of scope; the refusal error is unit-tested)"
    ),
    "2026-04/customers/store-credit-account-parity.json": _CREDIT,
    "2026-04/customers/store-credit-account-unknown-id-user-errors.json": _CREDIT,
}


def _search_delay(rel: str) -> float:
    return 0.0 if rel in INDEXED_AT_ONCE else 10**9


_RESULTS: dict[str, list[Outcome]] = {}


def outcomes(rel: str) -> dict[str, Outcome]:
    if rel not in _RESULTS:
        _RESULTS[rel] = replay(Emulator(search_delay=_search_delay(rel)), rel)
    return {o.case.path: o for o in _RESULTS[rel]}


PARAMS = [
    pytest.param(
        rel,
        case.path,
        id=f"{rel.split('/', 1)[1]}::{case.path}",
        marks=[pytest.mark.xfail(reason=UNMATCHED[(rel, case.path)], strict=True)]
        if (rel, case.path) in UNMATCHED
        else [],
    )
    for rel in CAPTURES
    for case in load_cases(rel)
]


@pytest.mark.parametrize(("rel", "path"), PARAMS)
def test_capture_case(rel: str, path: str) -> None:
    outcome = outcomes(rel)[path]
    assert outcome.ok, f"{outcome.detail}\ngot: {outcome.got}"


#: Captures recorded with ``shopsync record`` (any file dropped here is replayed, every case
#: expected to match, against an emulator seeded from the recording's own scrubbed sample).
RECORDED = FIXTURES / "recorded"
RECORDINGS = sorted(str(p.relative_to(FIXTURES)) for p in RECORDED.glob("*.json"))


def recorded_outcomes(rel: str) -> dict[str, Outcome]:
    if rel not in _RESULTS:
        with tempfile.TemporaryDirectory() as tmp:
            seeded = Emulator(data_dir=seed_from_recording(rel, Path(tmp)))
        _RESULTS[rel] = replay(seeded, rel)
    return {o.case.path: o for o in _RESULTS[rel]}


@pytest.mark.parametrize(
    ("rel", "path"),
    [
        pytest.param(rel, case.path, id=f"{rel}::{case.path}")
        for rel in RECORDINGS
        for case in load_cases(rel)
    ],
)
def test_recorded_case(rel: str, path: str) -> None:
    outcome = recorded_outcomes(rel)[path]
    assert outcome.ok, f"{outcome.detail}\ngot: {outcome.got}"


def test_every_capture_file_is_accounted_for() -> None:
    fixtures = ROOT / "tests" / "fixtures" / "captures"
    copied = {str(p.relative_to(fixtures)) for p in fixtures.rglob("*.json")} - set(RECORDINGS)
    assert "recorded/sample-store.json" in RECORDINGS  # `shopsync record` of the sample shop
    assert copied == set(CAPTURES)
    assert not copied & set(NOT_REPLAYED)
    assert len(copied) + len(NOT_REPLAYED) == 81
    assert all(load_cases(rel) for rel in CAPTURES)


def test_claimed_share() -> None:
    total = len(PARAMS)
    assert total >= 300
    assert len(UNMATCHED) / total < 0.12
