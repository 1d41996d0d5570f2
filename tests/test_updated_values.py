"""Whether an update changes the ERP customer (mapping._updated_values) against plain Python:
the length pre-check must give the answer comparing every supplied text would."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from shopsync.erp_values import _GIVEN, ERP_VALUE_COLUMNS, ErpValues
from shopsync.mapping import _given, _updated_values

_TEXTS = st.sampled_from(["", "a", "b", "ab", "ba", "é", "e"])


@settings(max_examples=60, deadline=None)
@given(data=st.data(), records=st.integers(1, 8), customers=st.integers(1, 6))
def test_updated_values_equal_a_comparison_of_every_given_field(data, records, customers):
    texts = [c for c in ERP_VALUE_COLUMNS if c != "tax_liable"]
    draw = data.draw
    supplied = ErpValues(
        text={
            c: pa.array(draw(st.lists(_TEXTS, min_size=records, max_size=records))) for c in texts
        },
        tax_liable=np.array(draw(st.lists(st.booleans(), min_size=records, max_size=records))),
        given={
            name: np.array(draw(st.lists(st.booleans(), min_size=records, max_size=records)))
            for name in _GIVEN
        },
        names_empty=np.zeros(records, dtype=bool),
        codes={},
        notes={},
    )
    erp = pd.DataFrame(
        {
            c: pd.Series(
                draw(st.lists(st.none() | _TEXTS, min_size=customers, max_size=customers)),
                dtype="str",
            )
            for c in texts
        }
    )
    erp["tax_liable"] = draw(st.lists(st.booleans(), min_size=customers, max_size=customers))
    has_address = np.array(draw(st.lists(st.booleans(), min_size=records, max_size=records)))
    rows = np.array(draw(st.lists(st.integers(0, records - 1), unique=True)), dtype=np.int64)
    positions = np.array(
        draw(st.lists(st.integers(0, customers - 1), min_size=len(rows), max_size=len(rows))),
        dtype=np.int64,
    )
    expected = []
    for row, position in zip(rows, positions, strict=True):
        changed = False
        for column in ERP_VALUE_COLUMNS:
            if not _given(supplied.given, has_address, column)[row]:
                continue
            if column == "tax_liable":
                changed |= bool(supplied.tax_liable[row]) != bool(erp[column][position])
            else:
                old = erp[column][position]
                changed |= supplied.text[column][row].as_py() != ("" if pd.isna(old) else old)
        expected.append(changed)
    found = _updated_values(supplied, has_address, erp, rows, positions)
    assert found.tolist() == expected
