"""Smoke test of the benchmark harness at a tiny size (seconds, not minutes)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import phonenumbers
import pytest

from benchmarks.generate import COUNTRIES, _apply_pattern, _digits, generate, phone_templates
from benchmarks.run import measure
from shopsync.schema import ADDRESS_COLUMNS, CUSTOMER_COLUMNS, ERP_COLUMNS

N = 2_000


def _e164(raw: str, region: str) -> str:
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return raw
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@pytest.fixture(scope="module")
def data():
    return generate(N, seed=7)


def test_same_seed_same_frames(data):
    again = generate(N, seed=7)
    pd.testing.assert_frame_equal(data.erp, again.erp)
    pd.testing.assert_frame_equal(data.shopify.customers, again.shopify.customers)
    pd.testing.assert_frame_equal(data.shopify.addresses, again.shopify.addresses)
    assert data.expected == again.expected
    other = generate(N, seed=8)
    assert not data.erp["phone"].equals(other.erp["phone"])


def test_shapes_and_planted_mix(data):
    assert list(data.erp.columns) == list(ERP_COLUMNS)
    assert data.erp["tax_liable"].dtype == bool
    text = [c for c in ERP_COLUMNS if c != "tax_liable"]
    assert all(pd.api.types.is_string_dtype(data.erp[c]) for c in text)
    assert all(isinstance(v, str) for c in text for v in data.erp[c].head(50))
    assert data.erp["no"].is_unique
    customers, addresses = data.shopify.customers, data.shopify.addresses
    assert list(customers.columns) == CUSTOMER_COLUMNS
    assert list(addresses.columns) == ADDRESS_COLUMNS
    assert len(customers) == len(data.erp) == N
    per_customer = addresses.groupby("shopify_id").size()
    assert set(per_customer) <= {1, 2} and len(per_customer) == N
    assert data.expected == {"email": 1_200, "phone": 400, "none": 400}
    # Shopify: unique lower-case e-mails, unique E.164 phones
    emails = customers.loc[customers["email"] != "", "email"]
    assert emails.is_unique and (emails == emails.str.lower()).all()
    phones = customers.loc[customers["phone"] != "", "phone"]
    assert phones.is_unique and phones.str.fullmatch(r"\+[1-9]\d{6,14}").all()
    # ERP noise: blanks, shared phones, national formats, extensions, EL for Greece
    erp = data.erp
    blank = (erp["phone"] == "").mean()
    assert 0.01 <= blank <= 0.03
    present = erp.loc[erp["phone"] != "", "phone"]
    regions = {code: iso for iso, (_w, _cc, code) in COUNTRIES.items()} | {"": "US"}
    numbers = [
        _e164(raw, regions[country])
        for raw, country in zip(erp["phone"], erp["country_code"], strict=True)
        if raw
    ]
    shared = pd.Series(numbers).duplicated(keep=False).mean()
    assert 0.05 <= shared <= 0.15  # ~90 % of the ERP phones are distinct
    assert present.str.startswith("+").mean() < 0.2
    assert present.str.contains("ext|x", regex=True).any()
    assert (erp["country_code"] == "EL").any() and not (erp["country_code"] == "GR").any()
    assert erp["email"].str.contains(";").any()


def test_phone_ranges_are_valid():
    """Every template and pattern yields numbers phonenumbers calls valid (sampled)."""
    rng = np.random.default_rng(0)
    for spec in phone_templates():
        subscribers = rng.integers(spec.low, 10**spec.digits, 40)
        prefixes = np.asarray(spec.prefixes, dtype=object)[rng.integers(0, len(spec.prefixes), 40)]
        nsn = (prefixes + _digits(subscribers, spec.digits).astype(object)).astype(str)
        e164 = ["+" + COUNTRIES[spec.iso][1] + number for number in nsn]
        for pattern in spec.national + spec.international:
            for raw, want in zip(_apply_pattern(nsn, pattern), e164, strict=True):
                number = phonenumbers.parse(raw, spec.iso)
                assert phonenumbers.is_valid_number(number), (raw, spec.iso)
                got = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
                assert got == want, (raw, spec.iso)


def test_generated_phones_are_valid_where_intended(data):
    """Shopify phones and the planted ERP phone matches parse to the same valid E.164."""
    customers = data.shopify.customers
    for phone in customers.loc[customers["phone"] != "", "phone"].head(300):
        assert phonenumbers.is_valid_number(phonenumbers.parse(phone, None)), phone
    erp = data.erp
    planted = erp[data.erp_kind == "phone"].head(300)
    regions = {code: iso for iso, (_w, _cc, code) in COUNTRIES.items()} | {"": "US"}
    for raw, country in zip(planted["phone"], planted["country_code"], strict=True):
        number = phonenumbers.parse(raw, regions[country])
        assert phonenumbers.is_valid_number(number), (raw, country)


@pytest.mark.parametrize("job", ["preview", "validate"])
def test_measure_at_tiny_size(job):
    row = measure(job, N, seed=7)
    assert row["size"] == N and row["job"] == job
    assert row["seconds"] > 0 and row["peak_mb"] > 0 and row["job_mb"] >= 0
    assert row["rows_out"] == N
    if job == "preview":
        expected = row["expected"]
        assert row["matches"] == {
            "email": expected["email"],
            "none": expected["none"],
            "phone": expected["phone"],
        }
        assert row["planted_ok"]
    else:
        assert 0 < row["eligible"] < N
        assert row["reasons"]["PHONE_INVALID"] > 0
        assert row["reasons"]["EMAIL_DUPLICATE"] > 0


@pytest.mark.slow
def test_the_side_by_side_mode_end_to_end(tmp_path):
    """The four jobs run as processes on the same generated files; the answers agree and the
    result has the ratios."""
    import importlib.util

    if importlib.util.find_spec("duckdb") is None:
        pytest.skip("duckdb is not installed (pip install -e '.[bench]'): no DuckDB peer")
    import json

    from benchmarks.files import bench_files
    from benchmarks.side_by_side import main

    files = bench_files(N, root=tmp_path / "data")
    assert files.erp.read_text(encoding="utf-8").startswith("No.,Name,Name 2,Contact,")
    lines = files.shopify.read_text(encoding="utf-8").splitlines()
    values = [json.loads(line) for line in lines]
    children = [(i, v) for i, v in enumerate(values) if "__parentId" in v]
    assert len(children) == len(lines) - N  # every other line is a customer
    where = {v["id"]: i for i, v in enumerate(values) if "__parentId" not in v}
    before = [i for i, child in children if where[child["__parentId"]] > i]
    assert before  # the bulk output is not grouped: some addresses come before their customer
    meta = files.meta
    assert meta["broken_phones_added"] > 0 and meta["country_spellings"]["alpha3"] > 0

    out = tmp_path / "result.json"
    args = ["--sizes", str(N), "--runs", "1", "--check", "--out", str(out)]
    assert main([*args, "--data", str(tmp_path / "data")]) == 0
    result = json.loads(out.read_text())["results"][0]
    assert result["size"] == N
    for job in ("preview", "duckdb", "validate", "per_row"):
        assert result["jobs"][job]["median_s"] > 0 and result["jobs"][job]["median_peak_mb"] > 0
    for pair in ("preview_vs_duckdb", "validate_vs_per_row"):
        assert result["ratios"][pair]["time_ratio"] > 0
        assert result["ratios"][pair]["peak_ratio"] > 0
        assert result["answers"][pair]["agree"], result["answers"][pair]
    links = result["answers"]["preview_vs_duckdb"]
    assert links["email_links"] >= N * 0.6 and links["phone_links"] > 0
    assert result["answers"]["validate_vs_per_row"]["phone_invalid"] > 0


def test_the_comparisons_see_a_wrong_answer(tmp_path):
    from benchmarks.side_by_side import compare_links, compare_validation

    plan = tmp_path / "plan.csv"
    plan.write_text("shopify_id,customer_no,rule\n1,C1,email\n2,C2,phone\n3,,none\n")
    links = tmp_path / "links.csv"
    links.write_text("shopify_id,customer_no,rule\n1,C1,email\n2,C3,phone\n")
    compared = compare_links(plan, links)
    assert not compared["agree"] and compared["only_shopsync"] == 1 == compared["only_peer"]
    report = tmp_path / "validation.csv"
    report.write_text("customer_no,eligible,reasons,email,phone\nC1,True,,a@x.com,+1\n")
    checks = tmp_path / "checks.csv"
    checks.write_text("customer_no,phone,phone_invalid,email,email_invalid\nC1,,1,a@x.com,0\n")
    compared = compare_validation(report, checks)
    assert not compared["agree"] and compared["differ"]["phone_invalid"] == 1
