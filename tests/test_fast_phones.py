"""The vectorised phone parser against phonenumbers itself (differential tests)."""

from __future__ import annotations

import os
import random
import time

import numpy as np
import pandas as pd
import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat

from benchmarks.phones import (
    differential_inputs,
    example_numbers,
    phonenumbers_answers,
    realistic_phones,
    shopify_regions,
)
from shopsync import fast_phones
from shopsync.fast_phones import parse_plain_phones
from shopsync.normalize import (
    _phone_pairs,
    normalize_phone,
    normalize_phones,
    phone_e164,
    phones_e164,
)

REGIONS = shopify_regions()
_EXAMPLES = example_numbers(REGIONS, non_geographic=False)


def _differences(texts: list[str], regions: list[str]) -> tuple[list[tuple], float]:
    """(text, region, fast, phonenumbers) for every handled input where the fast path and
    phonenumbers disagree, and the share of inputs the fast path took."""
    fast = parse_plain_phones(texts, regions)
    chosen = np.flatnonzero(fast.handled)
    e164, valid = phonenumbers_answers([texts[i] for i in chosen], [regions[i] for i in chosen])
    wrong = [
        (texts[i], regions[i], (fast.e164[i], bool(fast.valid[i])), (e164[k], valid[k]))
        for k, i in enumerate(chosen)
        if (fast.e164[i], bool(fast.valid[i])) != (e164[k], valid[k])
    ]
    return wrong, len(chosen) / max(1, len(texts))


def _digits(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.national_significant_number(number)


def test_every_shopify_region_example_number_in_every_written_form():
    texts, regions = [], []
    for region, number in _EXAMPLES:
        cc = str(number.country_code)
        nsn = _digits(number)
        meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
        national = meta.national_prefix or ""
        forms = [
            "+" + cc + nsn,
            national + nsn,
            nsn,
            cc + nsn,
            "00" + cc + nsn,
            "011" + cc + nsn,
            (meta.international_prefix or "00")[:4].strip("[]()|?\\d") + cc + nsn,
            cc + national + nsn,
            "0" + nsn,
            nsn[:-1],
            nsn + "5",
        ]
        other = REGIONS[(REGIONS.index(region) + 7) % len(REGIONS)]
        for text in forms:
            for given_region in (region, other, ""):
                texts.append(text)
                regions.append(given_region)
    wrong, coverage = _differences(texts, regions)
    assert wrong == []
    assert coverage > 0.95  # "+0..." and "+<unknown code>" retries are phonenumbers' own


def test_the_fast_path_formats_and_validates_like_phonenumbers():
    # national prefix stripped, transform rules (Antigua's 7-digit local numbers, Japan),
    # Argentina's mobile "15", IDD and country code without "+", multi-region codes
    cases = [
        ("0612345678", "NL", "+31612345678", True),
        ("4621234", "AG", "+12684621234", True),
        ("+12684621234", "", "+12684621234", True),
        ("0312345678", "JP", "+81312345678", True),
        ("0111561234567", "AR", "+5491161234567", True),
        ("0033612345678", "NL", "+33612345678", True),
        ("31612345678", "NL", "+31612345678", True),
        ("+447624123456", "GB", "+447624123456", True),  # Isle of Man, under +44
        ("+41446681800", "", "+41446681800", True),
        # a national prefix is stripped even from a viable number, when what is left is viable
        ("+3758192345670", "BY", "+375192345670", False),
        # ... and kept when what is left is not viable
        ("78001234567", "RU", "+78001234567", True),
        ("37080123456", "LT", "+37080123456", True),
        ("12", "NL", "+3112", False),
        ("1", "NL", "", False),  # not viable
        ("0612345678", "", "", False),  # no region, no "+"
        ("0612345678", "XX", "", False),
        ("+31", "", "", False),
    ]
    texts = [case[0] for case in cases]
    fast = parse_plain_phones(texts, [case[1] for case in cases])
    assert fast.handled.all()
    assert list(zip(fast.e164, fast.valid.tolist(), strict=True)) == [
        (case[2], case[3]) for case in cases
    ]
    wrong, _ = _differences(texts, [case[1] for case in cases])
    assert wrong == []


def test_what_the_fast_path_leaves_to_phonenumbers():
    texts = ["+0612345678", "+999123456", "030 1234567", "0301234567x12", "abc", "", "1" * 50]
    fast = parse_plain_phones(texts, ["NL"] * len(texts))
    assert not fast.handled.any()
    # and the vectorised entry points still give phonenumbers' answers for them
    frame = normalize_phones(pd.Series(texts), "NL")
    assert [tuple(row) for row in frame.itertuples(index=False)] == [
        tuple(normalize_phone(text, "NL")) for text in texts
    ]
    assert phones_e164(pd.Series(texts), "NL").tolist() == [phone_e164(t, "NL") for t in texts]


def test_a_region_the_fast_path_cannot_compile_goes_to_phonenumbers(monkeypatch):
    real = fast_phones._metadata

    def without_nl(version, region, country_code=0):
        return None if region == "NL" else real(version, region, country_code)

    monkeypatch.setattr(fast_phones, "_metadata", without_nl)
    fast = parse_plain_phones(["0612345678", "+31612345678", "0301234567"], ["NL", "", "DE"])
    assert fast.handled.tolist() == [False, False, True]
    raw = pd.Series(["06 12345678", "+31 6 12345678", "030 1234567"])
    assert phones_e164(raw, pd.Series(["NL", "", "DE"])).tolist() == [
        "+31612345678",
        "+31612345678",
        "+49301234567",
    ]


def test_a_pattern_re2_refuses_takes_the_region_out_of_the_fast_path(monkeypatch):
    monkeypatch.setattr(fast_phones, "_re2_compiles", lambda pattern: "(?:0)" not in pattern)
    assert fast_phones._metadata.__wrapped__(phonenumbers.__version__, "NL") is None
    assert fast_phones._metadata.__wrapped__(phonenumbers.__version__, "US") is not None


def test_tables_are_built_once_per_phonenumbers_version():
    version = phonenumbers.__version__
    assert fast_phones._metadata(version, "FR") is fast_phones._metadata(version, "FR")
    assert fast_phones._metadata("0.0", "FR") is not fast_phones._metadata(version, "FR")


def _mutations(number_digits: str, draw) -> str:
    chars = list(number_digits)
    for _ in range(draw(st.integers(0, 3))):
        op = draw(st.sampled_from(["change", "add", "drop"]))
        if op == "drop" and len(chars) > 1:
            del chars[draw(st.integers(0, len(chars) - 1))]
        elif op == "change" and chars:
            chars[draw(st.integers(0, len(chars) - 1))] = draw(st.sampled_from("0123456789"))
        else:
            chars.insert(draw(st.integers(0, len(chars))), draw(st.sampled_from("0123456789")))
    return "".join(chars)


@st.composite
def _written_numbers(draw) -> tuple[str, str]:
    region, number = draw(st.sampled_from(_EXAMPLES))
    cc = str(number.country_code)
    body = _mutations(_digits(number), draw)
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    national = meta.national_prefix or ""
    prefix = draw(
        st.sampled_from(["", "+" + cc, cc, "00" + cc, "011" + cc, "+00" + cc, national, "0", "+"])
    )
    text = prefix + draw(st.sampled_from(["", national])) + body
    if draw(st.booleans()):  # written with separators, as people do
        number_again = phonenumbers.parse("+" + cc + _digits(number))
        text = draw(
            st.sampled_from(
                [
                    text,
                    phonenumbers.format_number(number_again, PhoneNumberFormat.NATIONAL),
                    phonenumbers.format_number(number_again, PhoneNumberFormat.INTERNATIONAL),
                    " " + text + " ",
                    "(" + text[:3] + ") " + text[3:],
                    text[:4] + "-" + text[4:],
                ]
            )
        )
    given_region = draw(st.sampled_from([region, region, region.lower(), "", *REGIONS[:40]]))
    return text, given_region


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(rows=st.lists(_written_numbers(), min_size=1, max_size=40))
def test_hypothesis_numbers_of_every_region_equal_phonenumbers(rows):
    raw = pd.Series([row[0] for row in rows], dtype="str")
    region = pd.Series([row[1] for row in rows], dtype="str")
    frame = normalize_phones(raw, region)
    assert [tuple(r) for r in frame.itertuples(index=False)] == [
        tuple(normalize_phone(*row)) for row in rows
    ]
    assert phones_e164(raw, region).tolist() == [phone_e164(*row) for row in rows]
    _, texts, regions = _phone_pairs(raw, region)
    wrong, _ = _differences(texts.to_pylist(), list(regions))
    assert wrong == []


def test_the_fast_path_takes_the_common_cases():
    frame = realistic_phones(20_000, seed=11)
    _, texts, regions = _phone_pairs(frame["phone"], frame["region"])
    fast = parse_plain_phones(texts, regions)
    # ~4 % broken and ~2 % extensions go to phonenumbers; plain numbers must not
    assert fast.handled.mean() >= 0.92
    wrong, _ = _differences(texts.to_pylist(), list(regions))
    assert wrong == []


def test_no_worker_process_is_forked(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a process was forked (not allowed inside a Jupyter kernel)")

    monkeypatch.setattr(os, "fork", refuse)
    frame = realistic_phones(30_000, seed=5)
    assert len(phones_e164(frame["phone"], frame["region"])) == len(frame)
    assert len(normalize_phones(frame["phone"], frame["region"])) == len(frame)


@pytest.mark.slow
@pytest.mark.timeout(1800)  # ~2-4 min on a loaded 2-core machine, phonenumbers' side mostly
def test_sampled_differential_run_on_a_million_distinct_inputs():
    seed = int(os.environ.get("SHOPSYNC_PHONE_SEED") or random.SystemRandom().randrange(10**6))
    print(f"differential seed: {seed} (rerun with SHOPSYNC_PHONE_SEED={seed})")
    frame = differential_inputs(1_000_000, seed)
    texts, regions = frame["text"].tolist(), frame["region"].tolist()
    assert len(set(zip(texts, regions, strict=True))) == 1_000_000
    start = time.perf_counter()
    wrong, coverage = _differences(texts, regions)
    print(
        f"differential: {len(texts):,} distinct inputs, fast-path coverage {coverage:.2%}, "
        f"{len(wrong)} differences ({time.perf_counter() - start:.0f} s)"
    )
    assert wrong[:20] == []
    assert coverage > 0.75  # the rest: letters, extensions, "+0..." retries, by design


def _phonenumbers_on_raw(raw: str, region: str) -> tuple[str, str, bool]:
    try:
        number = phonenumbers.parse(raw, region.strip().upper() or None)
    except phonenumbers.NumberParseException:
        return ("", "", False)
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    return (e164, number.extension or "", phonenumbers.is_valid_number(number))


_EXTENSION_FORMS = [" ext. ", " ext ", " x", "x", " X ", " Ext.", "ext", " ext.  ", " x 0"]


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(_EXAMPLES),
            st.sampled_from(["/", " ", "-", ""]),
            st.sampled_from([*_EXTENSION_FORMS, ""]),
            st.text(alphabet="0123456789", min_size=0, max_size=11),
            st.sampled_from(["", "national", "+"]),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_slashes_and_extensions_read_in_bulk_equal_phonenumbers_on_the_raw_text(rows):
    # "030/1234567 x12": the number is read apart from its extension and its slash dropped;
    # the answer must be phonenumbers' own on the text as written (9+ digits, a number of
    # fewer than three digits, a bare "x" are left to phonenumbers whole)
    raw, regions = [], []
    for (region, number), separator, label, extension, form in rows:
        if form == "+":
            text = phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
        else:
            text = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
        text = text.replace(" ", separator, 1)
        raw.append(text + (label + extension if label else ""))
        regions.append(region if form else "")
    frame = normalize_phones(pd.Series(raw, dtype="str"), pd.Series(regions, dtype="str"))
    e164 = phones_e164(pd.Series(raw, dtype="str"), pd.Series(regions, dtype="str"))
    for i, (text, region) in enumerate(zip(raw, regions, strict=True)):
        expected = _phonenumbers_on_raw(text, region)
        got = frame.iloc[i]
        assert (got["phone_e164"], got["phone_extension"], bool(got["phone_valid"])) == expected
        assert e164.iloc[i] == expected[0]


def test_short_numbers_with_a_slash_or_an_extension_are_left_to_phonenumbers():
    raw = ["1/2", "/", "12 x5", "1/2 ext. 7", "030/9119983", "12/345 x7"]
    raw.append("0151 24169660 x1234567890")  # more digits than phonenumbers reads after "x"
    region = ["DE"] * len(raw)
    frame = normalize_phones(pd.Series(raw, dtype="str"), pd.Series(region, dtype="str"))
    columns = (frame["phone_e164"], frame["phone_extension"], frame["phone_valid"])
    got = list(zip(*columns, strict=True))
    assert got == [_phonenumbers_on_raw(r, g) for r, g in zip(raw, region, strict=True)]
    assert frame["phone_missing"].tolist() == [False] * len(raw)  # "/" is no phone, not blank
    assert got[4] == ("+49309119983", "", True)


def test_slashes_and_extensions_take_the_fast_path():
    raw = pd.Series(["030/9119983", "0472/90.28.99", "(312) 538-5891 ext. 14", "06 19 06 81 90 x4"])
    region = pd.Series(["DE", "BE", "US", "FR"])
    _, texts, regions = _phone_pairs(raw, region)
    assert parse_plain_phones(texts, regions).handled.all()
    frame = normalize_phones(raw, region)
    assert frame["phone_extension"].tolist() == ["", "", "14", "4"]
