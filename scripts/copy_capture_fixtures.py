"""Copy the Shopify captures the emulator tests replay (and the full schema) into tests/fixtures."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = Path("/work/shared/shopify")
TARGET = ROOT / "tests" / "fixtures"

#: Capture files (relative to captures/) the conformance tests replay or list as unmatched.
CAPTURES: tuple[str, ...] = (
    "2025-01/customers/customer-address-lifecycle.json",
    "2025-01/customers/customer-create-input-id-rejected.json",
    "2025-01/customers/customer-create-name-identity.json",
    "2025-01/customers/customer-create-parity.json",
    "2025-01/customers/customer-delete-parity.json",
    "2025-01/customers/customer-email-normalization.json",
    "2025-01/customers/customer-input-validation-parity.json",
    "2025-01/customers/customer-phone-normalization.json",
    "2025-01/customers/customer-tag-note-limits-parity.json",
    "2025-01/customers/customer-update-requires-identity.json",
    "2025-01/customers/customers-keyed-search-filters.json",
    "2026-04/customers/customer-address-missing-customer.json",
    "2026-04/customers/customer-invite-email-validation.json",
    "2026-04/customers/customer-set-parity.json",
    "2026-04/customers/customer-update-inline-address-id-semantics.json",
    "2026-04/bulk-operations/bulk-operation-run-mutation-user-errors.json",
    "2026-04/bulk-operations/bulk-operation-run-mutation-validators.json",
    "2026-04/bulk-operations/bulk-operation-run-mutation-client-identifier-validation.json",
    "2026-04/bulk-operations/bulk-operation-run-query-user-error-codes.json",
    "2026-04/bulk-operations/bulk-operation-run-query-validators.json",
    "2026-04/bulk-operations/bulk-operations-read-arg-validation.json",
    "2025-01/customers/customer-address-country-province-validation.json",
    "2025-01/customers/customer-address-input-validation.json",
    "2025-01/customers/customer-input-addresses-parity.json",
    "2025-01/customers/customer-update-parity.json",
    "2025-01/customers/customer-delete-no-orders-control.json",
    "2026-04/customers/customer-set-email-upsert-when-id-absent.json",
    "2026-04/customers/customer-set-unknown-id-errors.json",
    "2026-04/bulk-operations/bulk-operation-run-mutation-empty-file.json",
    "2026-04/bulk-operations/bulk-operation-name-independent-run-roots.json",
    "2025-01/customers/customer-input-inline-consent-parity.json",
    "2026-07/customers/customer-input-inline-consent-parity.json",
)


def main(argv: list[str]) -> int:
    """Copy the fixtures; returns the exit status.

    Run from anywhere: ``python scripts/copy_capture_fixtures.py [SHARED_SHOPIFY_DIR]``.
    The copies are committed, so the tests never need ../shared. Data only: files are copied
    byte for byte.
    """
    source = Path(argv[0]) if argv else DEFAULT_SOURCE
    captures = TARGET / "captures"
    for rel in CAPTURES:
        dest = captures / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / "captures" / rel, dest)
    shutil.copyfile(source / "admin-2026-07.graphql", TARGET / "admin-2026-07.graphql")
    print(f"copied {len(CAPTURES)} captures and the full schema into {TARGET}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
