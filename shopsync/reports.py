"""Report files from result DataFrames: CSV, Excel (sheets per outcome) and self-contained HTML.

CSV comes in two styles: ``data`` (the default) keeps every value as it is, for Business
Central or another tool to read (an E.164 phone stays ``+14255550101``); ``spreadsheet``
prefixes text a spreadsheet would evaluate (``=``, ``+``, ``-``, ``@``...) with an
apostrophe, for a CSV that people open in Excel. The Excel file stores text as text (never
a formula) and needs no prefix. A CSV of text, integer and flag columns is built in Arrow, a
column at a time, byte for byte what ``DataFrame.to_csv`` writes (pandas writes the others).
"""

from __future__ import annotations

import csv
import html
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from shopsync.charts import bar_chart
from shopsync.errors import UserInputError
from shopsync.reasons import explain
from shopsync.two_threads import in_order_in_two_threads
from shopsync.versions import verdict_versions, versions_line

__all__ = [
    "CSV_STYLES",
    "FORMULA_PREFIXES",
    "PROBLEM_OUTCOMES",
    "about_rows",
    "neutralise",
    "neutralise_frame",
    "path_inside",
    "printable",
    "reason_counts",
    "summary_counts",
    "write_report",
]

# A spreadsheet evaluates text starting with these; such cells are written as plain text.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_STYLES = ("data", "spreadsheet")
# Outcomes (and plan actions) that need someone's attention: listed first in HTML reports.
PROBLEM_OUTCOMES = ("failed", "skipped", "skip")
_EXCEL_SHEET_ROWS = 1_048_575
# Characters XML (so Excel and HTML) cannot hold; shown as \\xNN instead of failing the report.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def neutralise(value: object) -> object:
    """Text a spreadsheet would read as a formula gets a leading apostrophe; the rest as is."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`neutralise` on every cell, a column at a time: text columns with a vectorised
    prefix test (no per-cell call), numbers, flags and dates as they are; any other column
    (categories, mixed objects a text test cannot read) cell by cell."""
    out = {}
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        dtype = column.dtype
        kind = getattr(dtype, "kind", "O")
        if kind in "biufcmM" and not isinstance(dtype, pd.CategoricalDtype):
            out[position] = column  # numbers, flags, dates: never text
        elif pd.api.types.is_string_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype):
            out[position] = _neutralise_text(column)
        else:
            out[position] = column.map(neutralise)
    result = pd.DataFrame(out, index=frame.index)
    result.columns = frame.columns
    return result


def _neutralise_text(column: pd.Series) -> pd.Series:
    """A text (or object) column with formula-like text prefixed; other cells kept."""
    if column.dtype == object and pd.api.types.infer_dtype(column, skipna=False) != "string":
        return column.map(neutralise)  # not only text: cell by cell
    formula = column.str.startswith(FORMULA_PREFIXES).fillna(False).to_numpy(dtype=bool)
    if not formula.any():
        return column
    changed = column.copy()
    changed[formula] = "'" + column[formula]
    return changed


def printable(value: object) -> object:
    """Text with control characters shown as ``\\xNN`` (XML cannot hold them); the rest as is."""
    if isinstance(value, str) and _CONTROL.search(value):
        return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
    return value


def path_inside(folder: str | Path, name: str) -> Path:
    """``folder / name`` for a file name built from data (a shop code, a stem); a name that
    would leave ``folder`` (a separator, ``..``, a NUL) is refused."""
    path = Path(folder) / name
    leaves = not name or name in (".", "..") or any(ch in name for ch in "/\\\x00")
    if leaves or path.resolve().parent != Path(folder).resolve():
        raise UserInputError(f"file name {name!r} would leave the folder {str(folder)!r}")
    return path


def summary_counts(frame: pd.DataFrame, outcome_column: str) -> pd.DataFrame:
    """Records per outcome: columns ``outcome, records``."""
    counts = frame[outcome_column].value_counts().sort_index()
    return pd.DataFrame({"outcome": counts.index.astype(str), "records": counts.to_numpy()})


def reason_counts(frame: pd.DataFrame, reason_column: str = "reasons") -> pd.DataFrame:
    """Records per reason code: columns ``reason, records, meaning``."""
    if reason_column not in frame or frame.empty:
        return pd.DataFrame(columns=["reason", "records", "meaning"])
    codes = frame[reason_column].fillna("").astype(str).str.split(";").explode()
    codes = codes[codes != ""]
    counts = codes.value_counts().sort_index()
    return pd.DataFrame(
        {
            "reason": counts.index.astype(str),
            "records": counts.to_numpy(),
            "meaning": [explain(code) for code in counts.index],
        }
    )


def about_rows(about: Mapping[str, object] | None = None) -> list[tuple[str, str]]:
    """The header block of a report: ``about`` (run, shop, direction, settings...), then when
    it was written and the shopsync and phonenumbers versions (phone validity depends on
    phonenumbers' metadata)."""
    rows = [(str(k), str(v)) for k, v in (about or {}).items()]
    rows.append(("written", datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")))
    rows += list(verdict_versions().items())
    return rows


def write_report(
    frame: pd.DataFrame,
    path: str | Path,
    *,
    title: str,
    outcome_column: str = "action",
    reason_column: str = "reasons",
    about: Mapping[str, object] | None = None,
    csv_style: str = "data",
) -> Path:
    """Write ``frame`` to ``path``; the format follows the extension (.csv, .xlsx, .html).

    Every row of ``frame`` appears exactly once in the file (in Excel: once across the
    outcome sheets). Excel and HTML open with a header block (``about``, see about_rows);
    ``csv_style`` is ``data`` (values as they are) or ``spreadsheet`` (formula-like text
    prefixed with an apostrophe).
    """
    path = Path(path)
    writers = {".csv": _write_csv, ".xlsx": _write_xlsx, ".html": _write_html, ".htm": _write_html}
    writer = writers.get(path.suffix.lower())
    if writer is None:
        raise UserInputError(f"{path}: unknown report type (use .csv, .xlsx or .html)")
    if csv_style not in CSV_STYLES:
        raise UserInputError(f"csv_style {csv_style!r}: use {' or '.join(CSV_STYLES)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if writer is _write_csv:
        _write_csv(frame, path, csv_style)
    else:
        writer(_shown(frame, title, outcome_column, reason_column, about_rows(about)), path)
    return path


@dataclass(frozen=True)
class _Shown:
    """What an Excel or an HTML report shows: the rows and texts made printable, the header
    block, the counts per outcome and per reason."""

    frame: pd.DataFrame
    title: str
    outcome_column: str
    about: list[tuple[str, str]]
    outcomes: pd.DataFrame
    reasons: pd.DataFrame


def _shown(
    frame: pd.DataFrame,
    title: str,
    outcome_column: str,
    reason_column: str,
    about: list[tuple[str, str]],
) -> _Shown:
    frame = frame.map(printable)
    return _Shown(
        frame=frame,
        title=str(printable(title)),
        outcome_column=outcome_column,
        about=[(key, str(printable(value))) for key, value in about],
        outcomes=summary_counts(frame, outcome_column),
        reasons=reason_counts(frame, reason_column),
    )


def _write_csv(frame: pd.DataFrame, path: Path, style: str) -> None:
    data = neutralise_frame(frame) if style == "spreadsheet" else frame
    parts = _csv_parts(data)
    if parts is not None:
        with path.open("wb") as out:
            for part in parts:
                out.write(part)
        return
    data.to_csv(path, index=False, encoding="utf-8", quoting=csv.QUOTE_MINIMAL)


def _csv_bytes(frame: pd.DataFrame) -> bytes | None:
    """The bytes ``frame.to_csv(index=False, quoting=csv.QUOTE_MINIMAL)`` writes, built a
    column at a time in Arrow; None for a frame it does not cover (then pandas writes it): a
    column other than text, integers or flags, a label that is not text, a single column
    (the csv module quotes a lone empty field)."""
    parts = _csv_parts(frame)
    return None if parts is None else b"".join(parts)


# rows joined into lines at a time by the CSV writer: the file is written in pieces this
# size, never held whole
_CSV_ROWS = 1 << 17


def _csv_parts(frame: pd.DataFrame) -> Iterator[bytes | memoryview] | None:
    """``_csv_bytes`` in pieces: the header, then the lines of ``_CSV_ROWS`` rows at a time
    (views of Arrow buffers, each made as the one before is written); None as there."""
    columns = _csv_columns(frame)
    special = _csv_special()
    if columns is None or special is None:
        return None
    header = ",".join(_csv_field(label, special) for label in frame.columns) + "\n"
    return _csv_pieces(header.encode("utf-8"), columns)


def _csv_pieces(header: bytes, columns: list) -> Iterator[bytes | memoryview]:  # type: ignore[type-arg]
    import pyarrow as pa
    import pyarrow.compute as pc

    yield header
    comma, newline = pa.scalar(",", pa.large_string()), pa.scalar("\n", pa.large_string())
    # each line's break joined to its last field: one short column copied, not every line
    ends = pc.binary_join_element_wise(columns[-1], pa.scalar("", pa.large_string()), newline)
    columns = [*columns[:-1], ends]

    def lines_of(start: int) -> memoryview:
        part = [column.slice(start, _CSV_ROWS) for column in columns]
        lines = pc.binary_join_element_wise(*part, comma)
        del part
        if isinstance(lines, pa.ChunkedArray):
            lines = lines.combine_chunks()
        offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)
        begin, end = offsets[lines.offset], offsets[lines.offset + len(lines)]
        return memoryview(lines.buffers()[2])[begin:end]

    # two pieces joined at a time in two threads (Arrow's join lets go of the GIL) while the
    # one before is written
    starts = range(0, len(columns[0]), _CSV_ROWS)
    yield from in_order_in_two_threads(lines_of, ((start,) for start in starts))


def _csv_columns(frame: pd.DataFrame) -> list | None:  # type: ignore[type-arg]
    """The fields of every column, quoted as the csv module quotes them (Arrow text), or None
    for a frame ``_csv_bytes`` does not cover."""
    import pyarrow as pa
    import pyarrow.compute as pc

    special = _csv_special_chars()
    if special is None or frame.shape[1] < 2 or len(frame) == 0:
        return None
    if not all(isinstance(label, str) for label in frame.columns):
        return None
    columns = []
    try:
        for position in range(frame.shape[1]):
            column = frame.iloc[:, position]
            dtype = column.dtype
            numpy_kind = dtype.kind if isinstance(dtype, np.dtype) else ""
            if numpy_kind == "b":
                text = pc.if_else(pa.array(column.to_numpy()), "True", "False")
            elif numpy_kind in ("i", "u"):
                text = pc.cast(pa.array(column.to_numpy()), pa.string())
            elif numpy_kind == "O":
                if pd.api.types.infer_dtype(column, skipna=True) != "string" or (
                    column.isna().any() and not _only_nan(column)
                ):
                    return None  # not only text (None and NaN are blank; pd.NA: let pandas)
                text = pa.array(column, pa.string(), from_pandas=True)
            elif pd.api.types.is_string_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype):
                text = pa.array(column.array)  # a str column's own Arrow data, not a copy
            else:
                return None
            if text.null_count:
                text = pc.fill_null(text, "")
            if text.type != pa.large_string():
                text = pc.cast(text, pa.large_string())
            columns.append(_csv_quoted(text, special))
    except (pa.ArrowException, TypeError, ValueError, UnicodeError):
        return None
    return columns


def _only_nan(column: pd.Series) -> bool:
    missing = column[column.isna()]
    return all(value is None or (isinstance(value, float) and value != value) for value in missing)


@lru_cache(maxsize=1)
def _csv_special_chars() -> tuple[str, ...] | None:
    """The characters that make the csv module (pandas' writer) quote a field, as this
    Python's csv does it (3.11 quotes a field with "\\n" but not one with a lone "\\r");
    None when its quoting depends on more than which characters a field holds."""
    import io

    def written(fields: list[str]) -> str:
        out = io.StringIO()
        csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\n").writerow(fields)
        return out.getvalue()[:-1]

    if written(["", "x"]) != ",x":
        return None
    special = []
    for code in [*range(128), 0x85, 0xA0, 0x2028, 0x2029, 0xFEFF]:
        char = chr(code)
        quoted = [written([text, "x"]).startswith('"') for text in (char, f"a{char}b", f"a{char}")]
        if any(quoted) != all(quoted):
            return None  # quoting that depends on where the character is
        if all(quoted):
            special.append(char)
    return tuple(special)


def _csv_special() -> str | None:
    """A regex of the characters of ``_csv_special_chars`` (None as there)."""
    special = _csv_special_chars()
    if special is None:
        return None
    return "[" + "".join(re.escape(char) for char in special) + "]"


def _csv_quoted(text, special: tuple[str, ...]):  # type: ignore[no-untyped-def]
    """QUOTE_MINIMAL on an Arrow text array (or chunked array): fields with a comma, a quote
    or a line break are quoted, their quotes doubled."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not all(char.isascii() for char in special):
        return _csv_quoted_where(text, pc.match_substring_regex(text, _csv_special()))
    chunks = text.chunks if isinstance(text, pa.ChunkedArray) else [text]
    marked = [_fields_with_bytes(chunk, special) for chunk in chunks]
    if not any(needs is not None for needs in marked):
        return text  # most columns: nothing to quote
    quoted = [
        chunk if needs is None else _csv_quoted_where(chunk, pa.array(needs))
        for chunk, needs in zip(chunks, marked, strict=True)
    ]
    return pa.chunked_array(quoted, pa.large_string()) if len(quoted) != 1 else quoted[0]


def _csv_quoted_where(text, needs):  # type: ignore[no-untyped-def]
    """``text`` with the fields where ``needs`` is true quoted, their quotes doubled."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pc.any(needs).as_py():
        return text
    quote, empty = pa.scalar('"', pa.large_string()), pa.scalar("", pa.large_string())
    chosen = pc.filter(text, needs)
    quoted = pc.binary_join_element_wise(
        quote, pc.replace_substring(chosen, '"', '""'), quote, empty
    )
    return pc.replace_with_mask(text, needs, quoted)


def _fields_with_bytes(text, special: tuple[str, ...]) -> np.ndarray | None:  # type: ignore[no-untyped-def]
    """Which fields of a large-string Arrow array hold one of the ASCII characters
    ``special`` (a bool per field), or None when none does: found in its UTF-8 bytes (an
    ASCII byte is never part of another character's), a byte search per character, the
    fields from the offsets of the hits."""
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int64)[
        text.offset : text.offset + len(text) + 1
    ]
    if text.buffers()[2] is None or offsets[-1] == offsets[0]:
        return None
    data = memoryview(text.buffers()[2])[offsets[0] : offsets[-1]]
    whole = data.tobytes()  # a copy, for the memchr-fast ``in`` of bytes
    present = [char for char in special if char.encode() in whole]
    del whole
    if not present:
        return None
    raw = np.frombuffer(data, dtype=np.uint8)
    needs = np.zeros(len(text), dtype=bool)
    for char in present:
        hits = np.flatnonzero(raw == ord(char)) + offsets[0]
        needs[np.searchsorted(offsets, hits, side="right") - 1] = True
    return needs


def _csv_field(value: str, special: str) -> str:
    if re.search(special, value):
        return '"' + value.replace('"', '""') + '"'
    return value


def _write_xlsx(shown: _Shown, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    frame, title = shown.frame, shown.title
    workbook = Workbook(write_only=False)
    summary = workbook.active
    summary.title = "Summary"
    summary.append([title])
    summary["A1"].font = Font(bold=True, size=14)
    summary.append([f"{len(frame)} records"])
    summary.append([versions_line()])
    summary.append([])
    for key, value in shown.about:
        summary.append([key, value])
        summary.cell(row=summary.max_row, column=1).font = Font(bold=True)
    summary.append([])
    summary.append(["outcome", "records"])
    for row in shown.outcomes.itertuples(index=False):
        summary.append(list(row))
    summary.append([])
    summary.append(["reason", "records", "meaning"])
    for row in shown.reasons.itertuples(index=False):
        summary.append(list(row))
    _size_columns(summary, [[c.value for c in col] for col in summary.iter_cols()])

    for outcome, part in frame.groupby(shown.outcome_column, sort=True):
        for start in range(0, max(len(part), 1), _EXCEL_SHEET_ROWS):
            chunk = part.iloc[start : start + _EXCEL_SHEET_ROWS]
            suffix = f" ({start // _EXCEL_SHEET_ROWS + 1})" if start else ""
            sheet = workbook.create_sheet(_sheet_name(f"{outcome}{suffix}"))
            sheet.append(list(chunk.columns))
            for cell in sheet[1]:
                cell.font = Font(bold=True)
            for values in chunk.itertuples(index=False):
                sheet.append([_excel_value(v) for v in values])
            for row in sheet.iter_rows(min_row=2):
                for cell in row:
                    if isinstance(cell.value, str) and cell.value.startswith(FORMULA_PREFIXES):
                        cell.data_type = "s"  # never a formula
                        cell.quotePrefix = True
            sheet.freeze_panes = "A2"
            sheet.auto_filter.ref = sheet.dimensions
            _size_columns(sheet, [[c, *chunk[c].astype(str).head(200)] for c in chunk.columns])
    workbook.save(path)


def _excel_value(value: object) -> object:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _sheet_name(name: str) -> str:
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in str(name)) or "blank"
    return cleaned[:31]


def _size_columns(sheet, columns: list[list[object]]) -> None:  # type: ignore[no-untyped-def]
    from openpyxl.utils import get_column_letter

    for number, values in enumerate(columns, 1):
        width = max((len(str(v)) for v in values if v is not None), default=8)
        sheet.column_dimensions[get_column_letter(number)].width = min(max(width + 2, 8), 60)


def _write_html(shown: _Shown, path: Path) -> None:
    frame, title, outcomes, reasons = shown.frame, shown.title, shown.outcomes, shown.reasons
    groups = sorted(
        ((str(outcome), part) for outcome, part in frame.groupby(shown.outcome_column, sort=True)),
        key=lambda item: (item[0] not in PROBLEM_OUTCOMES, item[0]),
    )
    contents = [("outcomes", "Outcomes")]
    if not reasons.empty:
        contents.append(("reasons", "Reasons"))
    contents += [
        (f"records-{n}", f"{outcome} ({len(part)})") for n, (outcome, part) in enumerate(groups)
    ]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p>{len(frame)} records.</p>",
        f'<p class="versions">{html.escape(versions_line())}</p>',
        '<nav><ul class="contents">'
        + "".join(f'<li><a href="#{k}">{html.escape(v)}</a></li>' for k, v in contents)
        + "</ul></nav>",
        _scroll(
            '<table class="about">'
            + "".join(
                f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
                for k, v in shown.about
            )
            + "</table>"
        ),
        '<h2 id="outcomes">Outcomes</h2>',
        bar_chart(dict(zip(outcomes["outcome"], outcomes["records"], strict=True))),
        _scroll(outcomes.to_html(index=False, classes="counts", border=0)),
    ]
    if not reasons.empty:
        parts += [
            '<h2 id="reasons">Reasons</h2>',
            _scroll(reasons.to_html(index=False, classes="counts", border=0)),
        ]
    for number, (outcome, part) in enumerate(groups):
        table_id = f"table-{number}"
        parts.append(f'<h2 id="records-{number}">{html.escape(outcome)} ({len(part)})</h2>')
        parts.append(
            f'<input type="search" class="filter" data-table="{table_id}" '
            f'placeholder="filter these rows" aria-label="filter the {html.escape(outcome)} rows">'
        )
        table = part.to_html(index=False, classes="records", border=0, na_rep="", table_id=table_id)
        parts.append(_scroll(table))
    parts.append(f"<script>{_SCRIPT}</script>")
    parts.append("</body></html>")
    path.write_text("\n".join(parts), encoding="utf-8")


def _scroll(table: str) -> str:
    """A table in its own horizontal scroll box: a wide table never widens the page."""
    return f'<div class="scroll">{table}</div>'


_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 13px; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; }
th { background: #f3f3f3; position: sticky; top: 0; }
table.about td, table.counts td:last-child { overflow-wrap: anywhere; }
table.records th { cursor: pointer; }
table.records th[data-sort="asc"]::after { content: " \\25B2"; }
table.records th[data-sort="desc"]::after { content: " \\25BC"; }
.scroll { overflow-x: auto; max-width: 100%; }
input.filter { margin-top: 0.5em; padding: 4px 8px; width: 20em; max-width: 100%;
  box-sizing: border-box; }
svg { max-width: 100%; height: auto; }
svg text { font-size: 13px; }
.bar { fill: #4a7bd0; }
@media (max-width: 600px) { body { margin: 0.5em; } td, th { padding: 3px 4px; } }
"""

# Filter and sort the record tables in the page itself (no library, nothing fetched). A filter
# keeps the rows with a cell that contains the text typed (any case). A header click sorts by
# its column, ascending then descending: numbers by value before text, text in the reader's
# collation with the numbers in it by value (C9 before C10), blank cells last either way.
_SCRIPT = """
(function () {
var NUMBER = /^[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?$/;
var collator = new Intl.Collator(undefined, {numeric: true});
function sortKey(text) {
  var value = text.trim();
  if (value === "") { return {rank: 2, value: value}; }
  if (NUMBER.test(value)) { return {rank: 0, value: parseFloat(value)}; }
  return {rank: 1, value: value};
}
function compareKeys(x, y) {
  if (x.rank !== y.rank) { return x.rank - y.rank; }
  return x.rank === 0 ? x.value - y.value : collator.compare(x.value, y.value);
}
document.querySelectorAll("input.filter").forEach(function (box) {
  var table = document.getElementById(box.dataset.table);
  box.addEventListener("input", function () {
    var words = box.value.trim().toLowerCase();
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
      row.hidden = words !== "" && !Array.prototype.some.call(row.cells, function (cell) {
        return cell.textContent.toLowerCase().indexOf(words) >= 0;
      });
    });
  });
});
document.querySelectorAll("table.records").forEach(function (table) {
  var heads = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(heads, function (head, column) {
    head.tabIndex = 0;
    head.title = "sort by this column";
    function sort() {
      var up = head.dataset.sort !== "asc";
      Array.prototype.forEach.call(heads, function (other) {
        delete other.dataset.sort;
        other.removeAttribute("aria-sort");
      });
      head.dataset.sort = up ? "asc" : "desc";
      head.setAttribute("aria-sort", up ? "ascending" : "descending");
      var body = table.tBodies[0];
      var items = Array.prototype.map.call(body.rows, function (row) {
        return {row: row, key: sortKey(row.cells[column].textContent)};
      });
      items.sort(function (a, b) {
        var blank = (a.key.rank === 2) - (b.key.rank === 2);
        if (blank !== 0) { return blank; }
        var order = compareKeys(a.key, b.key);
        return up ? order : -order;
      });
      var sorted = document.createDocumentFragment();
      items.forEach(function (item) { sorted.appendChild(item.row); });
      body.appendChild(sorted);
    }
    head.addEventListener("click", sort);
    head.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); }
    });
  });
});
})();
"""
