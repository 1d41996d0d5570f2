"""Property-based checks (hypothesis): normalisation, search parsing, pagination, cost."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shopsync.emulator import Emulator, FaultSpec, search
from shopsync.emulator.cost import size_multiplier
from shopsync.emulator.validation import normalize_email, normalize_tags

TAG = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)


@given(st.lists(TAG, max_size=20))
def test_tags_normalisation_is_idempotent_and_clean(tags: list[str]) -> None:
    once = normalize_tags(tags)
    assert normalize_tags(once) == once
    assert all(t == t.strip() and t and "," not in t for t in once)
    assert len({t.lower() for t in once}) == len(once)
    assert once == sorted(once, key=lambda t: (t.lower(), t))


@pytest.mark.slow
@given(st.emails())
def test_email_normalisation_is_idempotent(email: str) -> None:
    once = normalize_email(f"  {email.upper()} ")
    assert normalize_email(once) == once and once == once.lower() and " " not in once


WORD = st.from_regex(r"[a-z][a-z0-9]{0,6}", fullmatch=True)
TERM = st.builds(lambda f, v: f"{f}:{v}", st.sampled_from(["tag", "state", "email"]), WORD)


@given(st.lists(st.one_of(TERM, WORD), min_size=1, max_size=6), st.booleans())
def test_parser_accepts_generated_queries(parts: list[str], use_or: bool) -> None:
    text = (" OR " if use_or else " ").join(parts)
    node = search.parse(text)
    assert node is not None
    assert len(search.terms(node)) == len(parts)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(min_value=1, max_value=40), st.booleans())
def test_any_page_size_visits_every_customer_once(
    seeded: Emulator, size: int, reverse: bool
) -> None:
    seen: list[str] = []
    after = None
    query = (
        "query($n: Int, $a: String, $r: Boolean) { customers(first: $n, after: $a, reverse: $r) "
        "{ nodes { id } pageInfo { hasNextPage endCursor } } }"
    )
    while True:
        _status, _h, body = seeded.execute(query, {"n": size, "a": after, "r": reverse})
        conn = body["data"]["customers"]
        seen += [n["id"] for n in conn["nodes"]]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == 6
    assert seen == sorted(seen, reverse=reverse)


@given(st.integers(min_value=1, max_value=10_000))
def test_size_multiplier_is_monotonic_and_sublinear(n: int) -> None:
    assert 1 <= size_multiplier(n) <= size_multiplier(n + 1) <= n + 1


@given(
    st.dictionaries(
        st.sampled_from(["500", "502", "503", "429", "drop_before", "drop_after", "slow"]),
        st.floats(0, 0.14),
    )
)
def test_fault_spec_round_trips(rates: dict[str, float]) -> None:
    spec = FaultSpec(rates=rates)
    assert FaultSpec.parse(str(spec)).rates == {k: v for k, v in rates.items() if v}
