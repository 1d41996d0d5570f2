"""The Arrow-text path of the phone pairs equals the per-distinct-value path it skips."""

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from shopsync.normalize import normalize_phones, phones_e164

_PIECES = ["0", "1", "4", "6", "9", "+", " ", "(", ")", "-", ".", "/", "x", "ext.", "a", "é"]
_phones = st.one_of(
    st.none(),
    st.lists(st.sampled_from(_PIECES), max_size=16).map("".join),
    st.sampled_from(["+1 613 450 5293", "(613) 450-5293 x12", "030/9119983", "0612345678"]),
)


@given(
    rows=st.lists(st.tuples(_phones, st.sampled_from(["US", "de", " FR", "", None])), max_size=30)
)
def test_arrow_text_rows_answer_as_object_values(rows):
    raw = [phone for phone, _ in rows]
    regions = [region for _, region in rows]
    as_text = normalize_phones(pd.Series(raw, dtype="str"), pd.Series(regions, dtype="str"))
    as_objects = normalize_phones(pd.Series(raw, dtype=object), pd.Series(regions, dtype=object))
    pd.testing.assert_frame_equal(as_text, as_objects)
    e164_text = phones_e164(pd.Series(raw, dtype="str"), pd.Series(regions, dtype="str"))
    e164_objects = phones_e164(pd.Series(raw, dtype=object), pd.Series(regions, dtype=object))
    assert e164_text.tolist() == e164_objects.tolist()
