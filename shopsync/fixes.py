"""What to fix in the ERP: each export reason with the ERP value it is about, rows to fix first."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from shopsync.arrow_text import to_arrow, to_series
from shopsync.distinct import is_text
from shopsync.reasons import explain, is_error, split_codes
from shopsync.two_threads import each_in_two_threads

__all__ = ["FIX_COLUMNS", "field_of", "offending_values", "with_fixes"]

FIX_COLUMNS = ["values to fix", "what to fix"]

# reason code prefix -> (the ERP column it is about, its name in words, whether the column
# has few distinct values)
_FIELDS = (
    ("EMAIL_", "email", "e-mail", False),
    ("PHONE_", "phone", "phone", False),
    ("PROVINCE_", "county", "county", True),
    ("COUNTY_", "county", "county", True),
    ("COUNTRY_", "country_code", "country", True),
    ("CUSTOMER_BLOCKED", "blocked", "Blocked", True),
)


def field_of(code: str) -> tuple[str, str] | None:
    """The ERP column a reason code is about and its name in words (None: no one column)."""
    for prefix, column, words, _ in _FIELDS:
        if code.startswith(prefix):
            return column, words
    return None


def offending_values(codes: list[str], erp: dict[str, object]) -> str:
    """The ERP values the reason codes are about, each once: ``phone "(617) 555-01"``."""
    said: list[str] = []
    seen: set[str] = set()
    for code in codes:
        found = field_of(code)
        if found is None or found[0] in seen:
            continue
        column, words = found
        seen.add(column)
        value = str(erp.get(column, "") or "")
        said.append(f'{words} "{value}"' if value.strip() else f"{words} (blank)")
    return "; ".join(said)


def with_fixes(report: pd.DataFrame, erp: pd.DataFrame) -> pd.DataFrame:
    """The export validation ``report`` with ``values to fix`` (the ERP values its reasons
    are about, from ``erp``, the ERP customers validated) and ``what to fix`` (the reasons in
    words), after ``reasons``; the rows to fix first (ineligible, then eligible with a
    warning), each group in the report's order.

    The words and the rank are worked out once per distinct ``reasons`` text; the values to
    fix are put together column-wise (Arrow kernels) for the rows of each text naming a
    field (per distinct ERP value for the columns of few values), so no Python object is
    made per row; the fix columns are made in the rows' new order."""
    n = len(report)
    reasons = report["reasons"].fillna("").astype("str")
    text_codes, texts = pd.factorize(reasons, use_na_sentinel=False)
    about = [_about(text) for text in texts]
    at, erp = _erp_rows(report["customer_no"], erp)
    pieces_of = {
        column: _Pieces(words, erp[column], few)
        for _, column, words, few in _FIELDS
        if column in erp
    }
    words_of = {column: words for _, column, words, _ in _FIELDS}
    parts_rows: list[np.ndarray] = []
    parts_values: list[pa.Array] = []
    by_text = _stable_order(text_codes, len(about))  # the rows of each text, in order
    bounds = np.searchsorted(text_codes[by_text], np.arange(len(about) + 1))
    for code, (_, _, _, fields) in enumerate(about):
        if not fields:
            continue
        rows = by_text[bounds[code] : bounds[code + 1]]
        where = at[rows]
        pieces = [
            pieces_of[column].of(where)
            if column in pieces_of
            else _blank_piece(words_of[column], len(where))
            for column in fields
        ]
        joined = pieces[0] if len(pieces) == 1 else pc.binary_join_element_wise(*pieces, "; ")
        parts_rows.append(rows)
        parts_values.append(joined.cast(pa.large_string()))
    values = pa.concat_arrays([*parts_values, pa.array([""], pa.large_string())])
    take = np.full(n, len(values) - 1, dtype=np.int64)
    if parts_rows:
        take[np.concatenate(parts_rows)] = np.arange(len(values) - 1)
    said = pa.array([item[1] for item in about], pa.large_string())
    errors = np.array([item[2] for item in about], dtype=bool)
    has_codes = np.array([bool(item[0]) for item in about], dtype=bool)
    eligible = report["eligible"].to_numpy(dtype=bool)
    if n:
        rank = np.where(~eligible | errors[text_codes], 0, np.where(has_codes[text_codes], 1, 2))
    else:
        rank = np.zeros(0, dtype=np.int64)
    # the three ranks one after the other, each in the report's order: one take per column
    order = _stable_order(rank, 3)
    moved = bool(n) and bool((np.diff(rank) < 0).any())
    fixed = _rows_taken(report, order) if moved else report.reset_index(drop=True)
    index = fixed.index
    at_column = (
        list(fixed.columns).index("reasons") + 1 if "reasons" in fixed else len(fixed.columns)
    )
    fixed.insert(at_column, "values to fix", to_series(values.take(pa.array(take[order])), index))
    fixed.insert(
        at_column + 1, "what to fix", to_series(said.take(pa.array(text_codes[order])), index)
    )
    return fixed


def _rows_taken(frame: pd.DataFrame, order: np.ndarray) -> pd.DataFrame:
    """``frame.take(order).reset_index(drop=True)``, two columns at a time (Arrow's take lets
    go of the GIL, and a report has a score of text columns)."""
    if frame.columns.has_duplicates:
        return frame.take(order).reset_index(drop=True)

    def column(name: str) -> pd.Series:
        return frame[name].take(order).reset_index(drop=True)

    columns = each_in_two_threads(column, frame.columns)
    return pd.DataFrame(columns, index=pd.RangeIndex(len(order)), copy=False)


def _stable_order(codes: np.ndarray, count: int) -> np.ndarray:
    """The positions of ``codes`` (0 <= code < count) sorted by code, each code's in order:
    as ``np.argsort(kind="stable")``, by radix sort for up to 65,536 codes."""
    if count <= 1 << 16:
        return np.argsort(codes.astype(np.uint16), kind="stable")
    return np.argsort(codes, kind="stable")


def _erp_rows(numbers: pd.Series, erp: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """The row of ``erp`` holding each of the ``numbers`` (the first when several do; -1 when
    none), and ``erp`` without its later rows of a number. The report of the whole ``erp``
    file lists its numbers in its order: that one, when they are unique, needs no lookup."""
    n = len(numbers)
    if not len(erp):
        return np.full(n, -1, dtype=np.int64), erp
    given = erp["no"]
    if len(given) == n and is_text(given) and is_text(numbers):
        ours, theirs = to_arrow(numbers), to_arrow(given)
        complete = ours.null_count == 0 and theirs.null_count == 0
        if complete and pc.all(pc.equal(ours, theirs)).as_py():
            ascending = n < 2 or pc.all(pc.less(theirs[:-1], theirs[1:])).as_py()
            if ascending or given.is_unique:  # an ascending column has no repeats
                return np.arange(n, dtype=np.int64), erp
    erp = erp.drop_duplicates("no")
    return pd.Index(erp["no"]).get_indexer(numbers), erp


# What Python's str.strip removes (str.isspace), for RE2: "blank" as offending_values says it.
_PY_SPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
)
_BLANK_RE2 = f"^[{_PY_SPACE}]*$"


def _erp_text(column: pd.Series) -> pa.Array:
    """``str(value or "")`` of every ERP value, as offending_values writes it."""
    if isinstance(column.dtype, pd.StringDtype) and column.dtype.storage == "pyarrow":
        return pc.cast(pc.fill_null(to_arrow(column), "nan"), pa.string())  # a missing value is NaN
    codes, uniques = pd.factorize(column, use_na_sentinel=False)
    texts = pa.array([str(value or "") for value in uniques], pa.string())
    return texts.take(pa.array(codes))


class _Pieces:
    """``words "value"`` (or ``words (blank)``) of the rows of one ERP column: for a column
    of few distinct values (county, country, Blocked) made once per value."""

    def __init__(self, words: str, column: pd.Series, few: bool) -> None:
        self._words = words
        self._values = _erp_text(column)
        self._codes: np.ndarray | None = None
        if few:
            encoded = self._values.dictionary_encode()
            self._codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False))
            dictionary = encoded.dictionary
            self._pieces = _piece(words, dictionary, np.arange(len(dictionary)))
            self._pieces = pa.concat_arrays([self._pieces, _blank_piece(words, 1)])

    def of(self, rows: np.ndarray) -> pa.Array:
        """The pieces of the ERP rows ``rows`` (-1: none, blank)."""
        if self._codes is None:
            return _piece(self._words, self._values, rows)
        known = rows >= 0
        codes = np.where(known, self._codes[np.where(known, rows, 0)], len(self._pieces) - 1)
        return self._pieces.take(pa.array(codes))


def _blank_piece(words: str, n: int) -> pa.Array:
    return pa.array([f"{words} (blank)"] * n, pa.string())


def _piece(words: str, values: pa.Array, rows: np.ndarray) -> pa.Array:
    """``words "value"``, or ``words (blank)``, for the ERP rows ``rows`` (-1: none)."""
    known = rows >= 0
    value = values.take(pa.array(np.where(known, rows, 0)))
    value = pc.if_else(pa.array(known), value, "")
    blank = pc.match_substring_regex(value, _BLANK_RE2)
    quoted = pc.binary_join_element_wise(f'{words} "', value, '"', "")
    return pc.if_else(blank, f"{words} (blank)", quoted)


def _about(reasons: str) -> tuple[list[str], str, bool, tuple[str, ...]]:
    """(codes, the codes in words, whether one is an error, the ERP columns they name)."""
    codes = split_codes(reasons)
    fields = tuple(dict.fromkeys(f[0] for f in map(field_of, codes) if f is not None))
    return codes, " ".join(explain(code) for code in codes), any(map(is_error, codes)), fields
