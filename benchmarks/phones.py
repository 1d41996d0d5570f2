"""Phone normaliser benchmark: normalize_phones / phones_e164 on 1M distinct realistic phones,
this checkout against another (main), and the full differential check against phonenumbers.

    python -m benchmarks.phones                         # 1M, this checkout only
    python -m benchmarks.phones --baseline /work/main   # and main's code, same data, same run
    python -m benchmarks.phones --check                 # + every distinct input vs phonenumbers
    python -m benchmarks.phones --n 100000 --seed 3
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

__all__ = [
    "REALISTIC_REGIONS",
    "differential_inputs",
    "phonenumbers_answers",
    "realistic_phones",
    "shopify_regions",
]

ROOT = Path(__file__).resolve().parent.parent

#: The benchmark's countries and their shares of the customers.
REALISTIC_REGIONS: dict[str, float] = {
    "US": 0.25,
    "GB": 0.08,
    "DE": 0.08,
    "FR": 0.07,
    "CA": 0.06,
    "NL": 0.05,
    "IT": 0.05,
    "ES": 0.05,
    "AU": 0.04,
    "JP": 0.04,
    "BE": 0.03,
    "GR": 0.03,
    "BR": 0.03,
    "MX": 0.03,
    "IN": 0.03,
    "CH": 0.02,
    "AT": 0.02,
    "SE": 0.02,
    "PL": 0.01,
    "IE": 0.01,
}

_TYPES = (PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE)
_IDD = {"US": "011", "CA": "011", "JP": "010", "AU": "0011", "BR": "0021"}


def shopify_regions() -> list[str]:
    """The ISO countries Shopify knows (shopsync's reference table) that phonenumbers knows."""
    from shopsync.reference import load_countries

    codes = load_countries()["country_code"].astype(str)
    return sorted(set(codes) & phonenumbers.SUPPORTED_REGIONS)


def _with_random_tail(template: str, rng: random.Random, keep: int) -> str:
    """``template`` with its digits after the first ``keep`` ones replaced at random."""
    out = []
    seen = 0
    for ch in template:
        if ch.isdigit():
            seen += 1
            out.append(ch if seen <= keep else str(rng.randrange(10)))
        else:
            out.append(ch)
    return "".join(out)


def _broken(text: str, rng: random.Random) -> str:
    kind = rng.randrange(6)
    digits = [i for i, ch in enumerate(text) if ch.isdigit()]
    if kind == 0 and digits:  # a digit dropped
        i = rng.choice(digits)
        return text[:i] + text[i + 1 :]
    if kind == 1:  # a digit too many
        i = rng.randrange(len(text) + 1)
        return text[:i] + str(rng.randrange(10)) + text[i:]
    if kind == 2:  # a letter typed
        i = rng.randrange(len(text) + 1)
        return text[:i] + rng.choice("oOlIa") + text[i:]
    if kind == 3:  # a short local number
        return "".join(str(rng.randrange(10)) for _ in range(rng.randint(3, 6)))
    if kind == 4:  # notes instead of a number
        return rng.choice(["n/a", "unknown", "-", "call office", "tbd"]) + str(rng.randrange(99))
    return text + str(rng.randrange(10)) * rng.randint(3, 8)  # far too long


def realistic_phones(n: int, seed: int = 7) -> pd.DataFrame:
    """``n`` distinct (phone, region) rows as ERP files hold them: national formats with
    their separators for 20 countries (~70 %), international and E.164 forms (~20 %), an
    IDD or a country code without ``+`` (~3 %), extensions (~2 %), ~4 % broken; the region
    is the customer's country (blank for ~3 %, another country for ~1 %)."""
    rng = random.Random(seed)
    regions = list(REALISTIC_REGIONS)
    weights = list(REALISTIC_REGIONS.values())
    templates: dict[str, list[tuple[str, str, str, str, int]]] = {}
    for region in regions:
        for kind in _TYPES:
            number = phonenumbers.example_number_for_type(region, kind)
            if number is not None:
                nsn = number_digits(number)
                templates.setdefault(region, []).append(
                    (
                        str(number.country_code),
                        phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL),
                        phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL),
                        nsn,
                        max(1, len(nsn) - 6),
                    )
                )
    rows: dict[tuple[str, str], None] = {}
    while len(rows) < n:
        region = rng.choices(regions, weights)[0]
        cc, national, international, nsn, keep = rng.choice(templates[region])
        form = rng.random()
        if form < 0.55:
            text = _with_random_tail(national, rng, keep + 1)
        elif form < 0.70:
            text = _with_random_tail(national, rng, keep + 1)
            text = text.replace(" ", rng.choice(["-", ".", "", " "]))
        elif form < 0.82:
            text = _with_random_tail(international, rng, keep + len(cc))
        elif form < 0.90:
            text = "+" + cc + _with_random_tail(nsn, rng, keep)
        elif form < 0.925:
            text = _IDD.get(region, "00") + " " + cc + " " + _with_random_tail(nsn, rng, keep)
        elif form < 0.94:
            text = cc + _with_random_tail(nsn, rng, keep)
        elif form < 0.96:
            text = (
                _with_random_tail(national, rng, keep + 1)
                + rng.choice([" ext. ", " x", " ext ", " #"])
                + str(rng.randrange(1, 999))
            )
        else:
            text = _broken(_with_random_tail(national, rng, keep + 1), rng)
        given = region
        draw = rng.random()
        if draw < 0.03:
            given = ""
        elif draw < 0.04:
            given = rng.choice(regions)
        rows.setdefault((text, given), None)
    frame = pd.DataFrame(list(rows), columns=["phone", "region"])
    return frame.astype({"phone": "str", "region": "str"})


def number_digits(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.national_significant_number(number)


def example_numbers(
    regions: list[str], *, non_geographic: bool = True
) -> list[tuple[str, phonenumbers.PhoneNumber]]:
    """(region, number) for phonenumbers' example number of every type of ``regions``, and
    with ``non_geographic`` those of the non-geographic entities (region "001")."""
    kinds = [
        PhoneNumberType.FIXED_LINE,
        PhoneNumberType.MOBILE,
        PhoneNumberType.TOLL_FREE,
        PhoneNumberType.PREMIUM_RATE,
        PhoneNumberType.SHARED_COST,
        PhoneNumberType.VOIP,
        PhoneNumberType.PERSONAL_NUMBER,
        PhoneNumberType.PAGER,
        PhoneNumberType.UAN,
        PhoneNumberType.VOICEMAIL,
    ]
    out = []
    for region in regions:
        for kind in kinds:
            number = phonenumbers.example_number_for_type(region, kind)
            if number is not None:
                out.append((region, number))
    for code, owners in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.items():
        if non_geographic and owners == ("001",):
            number = phonenumbers.example_number_for_non_geo_entity(code)
            if number is not None:
                out.append(("001", number))
    return out


def _mutated(digits: str, rng: random.Random) -> str:
    chars = list(digits)
    for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
        kind = rng.random()
        if kind < 0.35 and chars:
            chars[rng.randrange(len(chars))] = str(rng.randrange(10))
        elif kind < 0.7:
            chars.insert(rng.randrange(len(chars) + 1), str(rng.randrange(10)))
        elif chars:
            del chars[rng.randrange(len(chars))]
    return "".join(chars)


def differential_inputs(n: int, seed: int, regions: list[str] | None = None) -> pd.DataFrame:
    """``n`` distinct (text, region) pairs for the differential test, deterministic in
    ``seed``: phonenumbers' example numbers of every region (``shopify_regions()`` by
    default) and of the non-geographic codes, mutated (digits changed, added, dropped), with
    and without national prefix, ``+``, an international prefix (00, 011, 010, 0011, 810,
    8, 001), the country code without ``+``, leading zeros, separators, extensions, random
    digit strings; read in their own region, another one, or none."""
    rng = random.Random(seed)
    regions = regions or shopify_regions()
    examples = example_numbers(regions)
    prefixes = {}
    for region in regions:
        meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
        prefixes[region] = (meta.national_prefix or "") if meta is not None else ""
    idds = ["00", "011", "010", "0011", "810", "8", "001", "+", "+00", "+0"]
    rows: dict[tuple[str, str], None] = {}
    while len(rows) < n:
        region, number = rng.choice(examples)
        nsn = number_digits(number)
        body = _mutated(nsn, rng) if rng.random() < 0.6 else nsn
        cc = str(number.country_code)
        national = prefixes.get(region, "")
        form = rng.randrange(12)
        if form == 0:
            text = "+" + cc + body
        elif form == 1:
            text = national + body
        elif form == 2:
            text = body
        elif form == 3:
            text = cc + body
        elif form == 4:
            text = rng.choice(idds) + cc + body
        elif form == 5:
            text = cc + national + body
        elif form == 6:
            text = "+" + cc + national + body
        elif form == 7:
            text = "0" * rng.randint(1, 3) + body
        elif form == 8:
            text = rng.choice(["", "+"]) + "".join(
                str(rng.randrange(10)) for _ in range(rng.randint(1, 20))
            )
        elif form == 9:
            text = rng.choice(idds) + body
        elif form == 10:
            text = national + body + rng.choice([" ext 12", "x5", "#3", ";ext=7"])
        else:
            text = " ".join([cc, body[:3], body[3:]]) if rng.random() < 0.5 else f"({body})"
        draw = rng.random()
        given = region if region != "001" else rng.choice(regions)
        if draw < 0.25:
            given = rng.choice(regions)
        elif draw < 0.28:
            given = ""
        rows.setdefault((text, given), None)
    return pd.DataFrame(list(rows), columns=["text", "region"])


def phonenumbers_answers(texts: list[str], regions: list[str]) -> tuple[list[str], list[bool]]:
    """phonenumbers' own E.164 form ("" when parse raises) and validity, one call per pair.

    phonenumbers' pattern cache is switched on first: with numbers of every region, its
    patterns fall out of the ``re`` module's own cache and are recompiled (4-5x slower);
    the cache keeps the same compiled patterns, so the answers are unchanged."""
    enable = getattr(phonenumbers.re_util, "enable_pattern_cache", None)
    if enable is not None:
        enable()
    e164, valid = [], []
    for text, region in zip(texts, regions, strict=True):
        try:
            number = phonenumbers.parse(text, region or None)
        except phonenumbers.NumberParseException:
            e164.append("")
            valid.append(False)
            continue
        e164.append(phonenumbers.format_number(number, PhoneNumberFormat.E164))
        valid.append(phonenumbers.is_valid_number(number))
    return e164, valid


# --------------------------------------------------------------------------------------------
# timing, in a fresh process per measurement (no lru_cache carried over)

_CHILD = """
import json, sys, time
import pandas as pd
from shopsync import normalize
frame = pd.read_parquet(sys.argv[1])
phones = frame["phone"].astype("str")
regions = frame["region"].astype("str")
function = getattr(normalize, sys.argv[2])
start = time.perf_counter()
out = function(phones, regions)
seconds = time.perf_counter() - start
if isinstance(out, pd.DataFrame):
    out = out["phone_e164"]
out.to_frame("e164").to_parquet(sys.argv[3])
print(json.dumps({"seconds": seconds}))
"""


def _time(checkout: Path, data: Path, function: str, answers: Path) -> float:
    env = dict(os.environ, PYTHONPATH=str(checkout))
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, str(data), function, str(answers)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        cwd=checkout,
    )
    return float(json.loads(result.stdout.strip().splitlines()[-1])["seconds"])


def _coverage(frame: pd.DataFrame) -> float:
    from shopsync.fast_phones import parse_plain_phones
    from shopsync.normalize import _phone_pairs

    _, texts, regions = _phone_pairs(frame["phone"], frame["region"])
    return float(parse_plain_phones(texts, regions).handled.mean())


def _check(frame: pd.DataFrame) -> dict[str, object]:
    """Every distinct input: the fast path's E.164 and validity against phonenumbers'."""
    from shopsync.fast_phones import parse_plain_phones
    from shopsync.normalize import _phone_pairs

    _, pairs, regions = _phone_pairs(frame["phone"], frame["region"])
    fast = parse_plain_phones(pairs, regions)
    texts = np.asarray(pairs.to_pylist(), dtype=object)
    chosen = np.flatnonzero(fast.handled)
    e164, valid = phonenumbers_answers(list(texts[chosen]), list(regions[chosen]))
    wrong = np.flatnonzero(
        (fast.e164[chosen] != np.asarray(e164, dtype=object))
        | (fast.valid[chosen] != np.asarray(valid, dtype=bool))
    )
    examples = [
        (texts[chosen[i]], regions[chosen[i]], fast.e164[chosen[i]], e164[i]) for i in wrong[:10]
    ]
    # a number with an extension is read apart from it (the pair is the number's): those
    # answers against phonenumbers on the text as written
    from shopsync.normalize import normalize_phones

    bulk = normalize_phones(frame["phone"], frame["region"])
    rows = np.flatnonzero((bulk["phone_extension"] != "").to_numpy(dtype=bool))
    raw = frame["phone"].to_numpy(dtype=object)[rows]
    raw_regions = frame["region"].fillna("").str.strip().str.upper().to_numpy(dtype=object)[rows]
    raw_e164, raw_valid = phonenumbers_answers(list(raw), list(raw_regions))
    raw_wrong = np.flatnonzero(
        (bulk["phone_e164"].to_numpy(dtype=object)[rows] != np.asarray(raw_e164, dtype=object))
        | (bulk["phone_valid"].to_numpy(dtype=bool)[rows] != np.asarray(raw_valid, dtype=bool))
    )
    examples += [(raw[i], raw_regions[i], "raw text", raw_e164[i]) for i in raw_wrong[:10]]
    return {
        "compared": len(chosen) + len(rows),
        "compared_with_extension_as_written": len(rows),
        "differences": len(wrong) + len(raw_wrong),
        "examples": examples,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--baseline", type=Path, help="another checkout to time (e.g. main)")
    parser.add_argument("--check", action="store_true", help="full differential check")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    frame = realistic_phones(args.n, args.seed)
    print(f"{len(frame):,} distinct phones generated in {time.perf_counter() - start:.1f} s")
    results: dict[str, object] = {"n": len(frame), "seed": args.seed}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "phones.parquet"
        frame.to_parquet(data)
        checkouts = {"this": ROOT}
        if args.baseline:
            checkouts["baseline"] = args.baseline.resolve()
        outputs = {}
        for name, checkout in checkouts.items():
            for function in ("phones_e164", "normalize_phones"):
                answers = Path(tmp) / f"{name}-{function}.parquet"
                seconds = _time(checkout, data, function, answers)
                outputs[(name, function)] = pd.read_parquet(answers)["e164"]
                results[f"{name}:{function}"] = round(seconds, 2)
                print(f"{name:8} {function:16} {seconds:8.2f} s  ({checkout})")
        if args.baseline:
            for function in ("phones_e164", "normalize_phones"):
                same = outputs[("this", function)].equals(outputs[("baseline", function)])
                ratio = results[f"baseline:{function}"] / results[f"this:{function}"]
                results[f"speedup:{function}"] = round(ratio, 2)
                print(f"{function}: {ratio:.1f}x faster, same E.164 answers: {same}")
                if not same:
                    return 1
    results["fast_path_coverage"] = round(_coverage(frame), 4)
    print(f"fast-path coverage: {results['fast_path_coverage']:.2%} of the distinct pairs")
    if args.check:
        start = time.perf_counter()
        check = _check(frame)
        results["check"] = check
        print(
            f"--check: {check['compared']:,} fast answers compared with phonenumbers, "
            f"{check['differences']} differences ({time.perf_counter() - start:.0f} s)"
        )
        for example in check["examples"]:
            print("  ", example)
        if check["differences"]:
            return 1
    print(json.dumps(results, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
