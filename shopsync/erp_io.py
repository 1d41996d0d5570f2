"""Read ERP customer files (CSV, Excel) into the canonical customer DataFrame, as text."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from shopsync.arrow_text import TEXT
from shopsync.bulk_jsonl import _WHITESPACE
from shopsync.errors import InputFileError
from shopsync.normalize import casefold_texts
from shopsync.schema import CAPTIONS, ERP_CUSTOMER_COLUMNS, ERP_FIELD_LENGTHS

__all__ = [
    "MANDATORY_COLUMNS",
    "ErpFile",
    "read_blocked",
    "read_erp_customers",
]

# BC's Blocked options as written -> as stored ("" is not blocked; Ship, Invoice, All block).
_BLOCKED_TEXT = {
    "": "",
    "ship": "Ship",
    "invoice": "Invoice",
    "all": "All",
    # German BC's captions of the same options
    "versand": "Ship",
    "rechnung": "Invoice",
    "alle": "All",
}

_TRUE = {"true", "yes", "1", "y", "x", "ja", "oui"}
_FALSE = {"false", "no", "0", "n", "", "nein", "non"}


def _header_key(caption: str) -> str:
    return re.sub(r"[^0-9a-z]", "", caption.casefold())


_HEADER_LOOKUP = {_header_key(c): name for c, name in CAPTIONS.items()} | {
    _header_key(name): name for name in ERP_CUSTOMER_COLUMNS
}


def read_blocked(values: pd.Series) -> pd.DataFrame:
    """Blocked values as written -> ``blocked`` ("", Ship, Invoice or All, or the text as
    written when unreadable) and ``readable``, on the same index.

    Blank, `` ``, no/false/0 are not blocked; Ship, Invoice, All (any case; German Versand,
    Rechnung, Alle) are BC's options; yes/true/1 block everything (All). Anything else is
    not readable and kept as written, so it blocks: a customer whose Blocked cannot be read
    is not sent to Shopify.
    """
    text = values.fillna("").astype(str).str.strip()
    codes, written = pd.factorize(text)  # a column of a few distinct values: each read once
    read = [_blocked_option(value) for value in written]
    options = pd.array([option for option, _ in read], dtype=TEXT)
    readable = np.array([ok for _, ok in read], dtype=bool)
    return pd.DataFrame(
        {"blocked": options.take(codes), "readable": readable[codes]}, index=values.index
    )


def _blocked_option(text: str) -> tuple[str, bool]:
    """One Blocked value (stripped) -> (the option it is, whether it could be read)."""
    folded = text.casefold()
    if folded in _BLOCKED_TEXT:
        return _BLOCKED_TEXT[folded], True
    if folded in _TRUE:
        return "All", True
    if folded in _FALSE:
        return "", True
    return text, False


# A file without these cannot be used; any other column may be absent (its stored values stay).
MANDATORY_COLUMNS = ("no",)

ISSUE_COLUMNS = ["row", "no", "column", "code", "message"]


@dataclass(frozen=True)
class ErpFile:
    """An ERP customer file read: the readable customers, the problems found, the columns."""

    customers: pd.DataFrame  # every ERP customer column; one the file lacks is blank
    issues: pd.DataFrame  # columns: row, no, column, code, message
    path: str
    columns: tuple[str, ...] = ERP_CUSTOMER_COLUMNS  # the ERP columns the file has
    ignored: tuple[str, ...] = ()  # the file's captions that are not ERP columns

    @property
    def absent(self) -> tuple[str, ...]:
        """ERP columns the file does not have (loading it leaves their stored values)."""
        return tuple(name for name in ERP_CUSTOMER_COLUMNS if name not in self.columns)

    @property
    def unreadable(self) -> int:
        """Rows not loaded because they could not be read (RECORD_UNREADABLE)."""
        rows = self.issues.loc[self.issues["code"] == "RECORD_UNREADABLE", "row"]
        return int(rows.nunique())

    def summary(self) -> dict[str, int]:
        """Count of issues per code."""
        return self.issues["code"].value_counts().sort_index().to_dict()

    def notes(self, absent: str = "stored values kept") -> list[str]:
        """The load summary's lines: rows not loaded, the file's columns not used (by their
        header as written) and the ERP columns it lacks (``absent`` says what that means),
        then each value to look at."""
        lines = []
        if self.unreadable:
            lines.append(f"{self.unreadable} row(s) not loaded (RECORD_UNREADABLE, listed below)")
        if self.ignored:
            lines.append("columns ignored (not ERP customer fields): " + ", ".join(self.ignored))
        if self.absent:
            lines.append(f"columns not in the file ({absent}): " + ", ".join(self.absent))
        blocked = int((self.customers["blocked"] != "").sum())
        if blocked:
            lines.append(f"{blocked} blocked customer(s): not exported, not invited")
        if not self.issues.empty:
            lines.append(f"{len(self.issues)} value(s) to look at:")
            lines += [
                f"  row {row.row} ({row.no}) {row.column}: {row.code}: {row.message}"
                for row in self.issues.itertuples()
            ]
        return lines


@dataclass
class _Row:
    """One data row of the file: its number there, its cells, what is wrong with it."""

    number: int
    values: list[str]
    problems: list[tuple[int | None, str]] = field(default_factory=list)  # (cell index, why)


@dataclass
class _Table:
    """A file's header and rows; or, read in Arrow, its header and cells by column."""

    header: list[str]
    rows: list[_Row]
    columns: list[pa.ChunkedArray] | None = None  # every cell as text, one array per column
    numbers: np.ndarray | None = None  # the file line of each row of ``columns``


def accepted_captions(name: str) -> list[str]:
    """The captions read as ERP column ``name``: its own name and Business Central's."""
    return [name, *[caption for caption, column in CAPTIONS.items() if column == name]]


def read_erp_customers(
    path: str | Path, *, encoding: str | None = None, sheet: str | None = None
) -> ErpFile:
    """Read ERP customers from a CSV (``,`` ``;`` or tab) or Excel file.

    Every value stays text (leading zeros survive; Excel numbers as their format shows them);
    BC captions are accepted and other columns are ignored (named in ``ignored``, by their
    header as written). Blocked is read by read_blocked (unreadable: BLOCKED_UNREADABLE). Excel: the
    active sheet, or ``sheet``; never a hidden one. A file that cannot be used raises
    InputFileError naming the file, row and column; a row that cannot be read (too few or
    too many fields, a formula without a value, a merged cell) is not loaded and is reported
    as RECORD_UNREADABLE; problems with single values (too long for the ERP field,
    unreadable Tax Liable or Blocked) are reported and the values are kept as they are.
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError(str(path), "file not found")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        raw = _read_excel(path, sheet)
    elif suffix in (".csv", ".txt", ".tsv"):
        if sheet is not None:
            raise InputFileError(str(path), "a sheet can only be chosen in an Excel workbook")
        raw = _read_csv_arrow(path, encoding) or _read_csv(path, encoding)
    else:
        raise InputFileError(str(path), f"unsupported file type {suffix!r} (use .csv or .xlsx)")
    return _canonical(raw, str(path))


_UTF16_BOMS = {b"\xff\xfe": "utf-16", b"\xfe\xff": "utf-16"}


def _read_csv(path: Path, encoding: str | None) -> _Table:
    data = path.read_bytes()
    enc = encoding or _utf16_by_bom(data) or "utf-8-sig"
    if enc == "utf-8-sig" and b"\x00" in data[:4096]:
        raise _utf16_hint(path, data, enc)
    try:
        text = data.decode(enc)
    except UnicodeDecodeError as exc:
        raise InputFileError(
            str(path),
            f"cannot decode as {enc} at byte {exc.start} "
            "(save the file as UTF-8, or pass its encoding, e.g. --encoding cp1252)",
            row=data[: exc.start].count(b"\n") + 1,
        ) from None
    except LookupError:
        raise InputFileError(str(path), f"unknown encoding {enc!r}") from None
    if "\x00" in text:
        raise _utf16_hint(path, data, enc)
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise InputFileError(str(path), "the file is empty")
    first_line = next(line for line in text.splitlines() if line.strip())
    delimiter = max([",", ";", "\t"], key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    rows: list[_Row] = []
    line = 0
    try:
        for record in reader:
            number, line = line + 1, reader.line_num
            if not any(value.strip() for value in record):
                continue
            if header is None:
                header = [value.strip() for value in record]
            else:
                rows.append(_Row(number, record))
    except csv.Error as exc:
        raise InputFileError(str(path), f"malformed CSV: {exc}", row=line + 1) from None
    assert header is not None  # the text is not blank
    for row in rows:
        _check_width(row, len(header))
    return _Table(header, rows)


# The csv module's limit on one field (csv.field_size_limit()'s default): a longer field is
# its error, so the Arrow reader leaves such a file to it.
_FIELD_LIMIT = 131072
_PREFIX = 1 << 16


def _read_csv_arrow(path: Path, encoding: str | None) -> _Table | None:
    """The table ``_read_csv`` reads, read by pyarrow's CSV reader, or None: read it with the
    csv module. It only takes files it reads exactly as the csv module does: UTF-8 (a BOM
    dropped) without NUL bytes, ``\\n`` or ``\\r\\n`` line breaks, no empty line, every row
    as wide as the header, no field over the csv module's limit, and quotes only as
    ``_plainly_quoted`` proves them read alike. Any other file (or one Arrow refuses) goes to
    the csv module, whose errors and problems (RECORD_UNREADABLE rows, their line numbers)
    stand."""
    import codecs

    import pyarrow.csv as pcsv

    try:
        enc = codecs.lookup(encoding or "utf-8-sig").name
    except LookupError:
        return None
    if enc not in ("utf-8", "utf-8-sig"):
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    start = 3 if data.startswith(codecs.BOM_UTF8) else 0
    if data.startswith(codecs.BOM_UTF8, start) or _UTF16_BOMS.get(data[:2]):
        return None
    body = memoryview(data)[start:]
    if not body or b"\x00" in data:
        return None
    quoted = b'"' in data
    if b"\r" in data and _lone_cr(data):
        return None  # a lone CR: the csv module breaks lines there too
    if body[:1] in (b"\n", b"\r"):
        return None  # an empty first line (an empty line further on: see _empty_line)
    try:
        prefix = codecs.getincrementaldecoder("utf-8")().decode(body[:_PREFIX].tobytes())
    except UnicodeDecodeError:
        return None
    lines = prefix.splitlines(keepends=True)
    first_line = next((line for line in lines if line.strip()), None)
    whole = len(body) <= _PREFIX
    if first_line is None or (first_line is lines[-1] and not whole):
        return None  # the header's line is longer than the prefix looked at
    if not lines[0].strip():
        return None  # a blank (whitespace) line before the header
    delimiter = max([",", ";", "\t"], key=first_line.rstrip("\r\n").count)
    end = data.find(b"\n", start)
    head = bytes(body[: end - start]) if end >= 0 else bytes(body)
    if quoted:
        if not _plainly_quoted(body, delimiter):
            return None
        # the header's fields as the csv module splits them (no line break inside quotes)
        width = len(next(csv.reader([head.decode().rstrip("\r")], delimiter=delimiter)))
    else:
        width = head.count(delimiter.encode()) + 1
    names = [f"f{i}" for i in range(width)]
    invalid: list[object] = []

    def refuse(row: object) -> str:
        invalid.append(row)
        return "skip"

    try:
        table = pcsv.read_csv(
            pa.BufferReader(pa.py_buffer(data).slice(start)),
            read_options=pcsv.ReadOptions(column_names=names, block_size=1 << 24),
            parse_options=pcsv.ParseOptions(
                delimiter=delimiter,
                quote_char='"' if quoted else False,
                double_quote=True,
                escape_char=False,
                newlines_in_values=False,
                ignore_empty_lines=False,
                invalid_row_handler=refuse,
            ),
            convert_options=pcsv.ConvertOptions(
                column_types={name: pa.large_string() for name in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowException, OSError, ValueError):
        return None  # not UTF-8, a row of another width...: the csv module says what
    del body
    if invalid or table.num_rows < 2:
        return None
    columns = table.columns
    del table
    for column in columns:
        if pc.max(pc.binary_length(column)).as_py() > _FIELD_LIMIT:
            return None
    header = [column[0].as_py().strip() for column in columns]
    if not any(header):
        return None  # the csv module reads the first non-blank row as the header
    blank = _rows_where(columns, lambda part: pc.utf8_trim(part, _WHITESPACE))
    empty = _rows_where([column.take(pa.array(blank)) for column in columns]) if len(blank) else []
    if len(empty) and _empty_line(data):
        return None  # an empty line: the csv module skips it, numbering lines as it goes
    del data
    keep = np.ones(len(columns[0]), dtype=bool)
    keep[0] = False  # the header
    keep[blank] = False
    numbers = np.flatnonzero(keep) + 1
    if len(numbers) == len(keep) - 1:  # no blank row: the rows after the header, as read
        columns = [column.slice(1) for column in columns]
    else:
        rows = pa.array(numbers - 1, pa.int64())
        columns = [column.take(rows) for column in columns]
    return _Table(header, [], columns=columns, numbers=numbers)


def _rows_where(
    columns: list[pa.ChunkedArray], shown: Callable[[pa.ChunkedArray], Any] | None = None
) -> np.ndarray:
    """The positions of the rows whose every field is empty (after ``shown``, e.g. a trim):
    column by column, each only at the rows still empty in the ones before it, so that a file
    whose first column is filled costs one pass over that column."""
    rows = np.arange(len(columns[0]) if columns else 0)
    for column in columns:
        part = column if len(rows) == len(column) else column.take(pa.array(rows))
        lengths = pc.binary_length(shown(part) if shown else part)
        rows = rows[pc.equal(lengths, 0).to_numpy(zero_copy_only=False)]
        if not len(rows):
            break
    return rows


def _lone_cr(data: bytes) -> bool:
    """Whether a CR in ``data`` is not followed by an LF: every CR's next byte looked at,
    16 MB of the file at a time (two whole-file counts cost twice as much, and more with
    CRLF on every line)."""
    raw = np.frombuffer(data, dtype=np.uint8)
    step = 1 << 24
    for start in range(0, len(raw), step):
        after = np.flatnonzero(raw[start : start + step] == 0x0D) + (start + 1)
        if len(after) and after[-1] == len(raw):
            return True  # the file ends in a CR
        if not np.all(raw[after] == 0x0A):
            return True
    return False


def _empty_line(data: bytes) -> bool:
    """Whether the file has an empty line (Arrow reads one as a row of empty fields, so this
    scan of the whole file is only made when it read such a row)."""
    return b"\n\n" in data or b"\n\r\n" in data


# One line of a file the csv module (``"`` quotes, doubled inside, ``strict``) and Arrow
# (``double_quote``, no newlines in values) read alike: every field either has no quote at
# all, or is quoted from its first character to its last, a quote inside it doubled; so no
# quote opens inside a field, every quoted field closes right before the delimiter or the
# line's end, and no quoted value spans a line break. ``D`` is the delimiter.
_QUOTED_FIELD = r'"(?:[^"]|"")*"'
_PLAIN_LINE = rf'^(?:{_QUOTED_FIELD}|[^"D]*)(?:D(?:{_QUOTED_FIELD}|[^"D]*))*\r?\n?$'


def _plainly_quoted(body: memoryview, delimiter: str) -> bool:
    """Whether every line of ``body`` (``\\n`` or ``\\r\\n`` line breaks) is UTF-8 and quotes
    its fields as ``_PLAIN_LINE`` allows: one RE2 match per line (with its line break)."""
    raw = np.frombuffer(body, dtype=np.uint8)
    ends = np.flatnonzero(raw == 0x0A) + 1  # a line with its line break
    offsets = np.concatenate([[0], ends, [len(raw)]]).astype(np.int64)
    lines = pa.LargeStringArray.from_buffers(
        len(offsets) - 1, pa.py_buffer(offsets), pa.py_buffer(body)
    )
    del raw
    try:
        lines.validate(full=True)  # UTF-8, and every line's bounds
    except pa.ArrowInvalid:
        return False
    pattern = _PLAIN_LINE.replace("D", {"\t": r"\t"}.get(delimiter, delimiter))
    return bool(pc.all(pc.match_substring_regex(lines, pattern)).as_py())


def _utf16_by_bom(data: bytes) -> str | None:
    return _UTF16_BOMS.get(data[:2])


def _utf16_hint(path: Path, data: bytes, tried: str) -> InputFileError:
    """The error for a file whose NUL bytes say it is UTF-16 without a byte-order mark."""
    sample = data[:200]  # LE: the NULs follow the characters (``n\0o\0``)
    kind = "utf-16-le" if sample[1::2].count(0) >= sample[0::2].count(0) else "utf-16-be"
    return InputFileError(
        str(path),
        f"the file has NUL bytes, so it is not {tried} text: it looks like "
        f"{kind.upper()} without a byte-order mark (pass --encoding {kind}, "
        "or save the file as UTF-8)",
    )


def _check_width(row: _Row, width: int) -> None:
    """A row must have the header's fields; blank extra fields (trailing separators) are fine."""
    if len(row.values) < width or any(value.strip() for value in row.values[width:]):
        row.problems.append(
            (None, f"the row has {len(row.values)} field(s), the header {width}: not loaded")
        )
    else:
        del row.values[width:]


def _read_excel(path: Path, sheet_name: str | None) -> _Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, data_only=True)
        # formulas are only seen without data_only: a second, streaming read when there are any
        formulas = load_workbook(path, read_only=True) if _has_formulas(path) else None
    except Exception as exc:  # openpyxl raises many types for broken files
        raise InputFileError(str(path), f"not a readable Excel workbook ({exc})") from None
    try:
        sheet = _pick_sheet(workbook, sheet_name, str(path))
        return _sheet_table(sheet, formulas[sheet.title] if formulas else None, str(path))
    finally:
        workbook.close()
        if formulas is not None:
            formulas.close()


_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[ >/]")


def _has_formulas(path: Path) -> bool:
    """Whether any worksheet of the workbook holds a formula (a ``<f>`` element)."""
    with zipfile.ZipFile(path) as archive:
        return any(
            _FORMULA_TAG.search(archive.read(name))
            for name in archive.namelist()
            if name.startswith("xl/worksheets/") and name.endswith(".xml")
        )


def _pick_sheet(workbook: Any, name: str | None, path: str) -> Any:
    visible = [ws.title for ws in workbook.worksheets if ws.sheet_state == "visible"]
    if name is not None:
        if name not in workbook.sheetnames:
            raise InputFileError(path, f"no sheet {name!r} (sheets: {', '.join(visible)})")
        sheet = workbook[name]
    else:
        sheet = workbook.active
    if sheet is None or sheet.sheet_state != "visible":
        title = getattr(sheet, "title", "?")
        raise InputFileError(
            path,
            f"sheet {title!r} is hidden; choose a visible one with --sheet "
            f"({', '.join(visible) or 'none'})",
        )
    return sheet


def _sheet_table(sheet: Any, formula_sheet: Any | None, path: str) -> _Table:
    header: list[str] | None = None
    header_row = 0
    rows: list[_Row] = []
    for cells in sheet.iter_rows():
        values = [_excel_text(cell.value, cell.number_format) for cell in cells]
        if not any(v.strip() for v in values):
            continue
        if header is None:
            header, header_row = [v.strip() for v in values], cells[0].row
        else:
            rows.append(_Row(cells[0].row, values))
    if header is None:
        raise InputFileError(path, f"the sheet {sheet.title!r} is empty")
    by_number = {row.number: row for row in rows}
    for cells in formula_sheet.iter_rows(min_row=header_row + 1) if formula_sheet else ():
        for cell in cells:
            if getattr(cell, "data_type", "") != "f":
                continue
            row = by_number.get(cell.row)
            if row is not None and not row.values[cell.column - 1]:
                row.problems.append(
                    (
                        cell.column - 1,
                        f"{cell.coordinate} is a formula without a saved value "
                        "(open the file in Excel and save it, or paste values)",
                    )
                )
    for merged in sheet.merged_cells.ranges:
        anchor = merged.start_cell.coordinate
        for number, column in merged.cells:
            row = by_number.get(number)
            if row is None or (number, column) == (merged.min_row, merged.min_col):
                continue
            row.problems.append(
                (
                    column - 1,
                    f"cell in the merged range {merged.coord}: only {anchor} holds "
                    "its value (unmerge the cells and fill them)",
                )
            )
    width = len(header)
    for row in rows:
        row.values = (row.values + [""] * width)[:width]
    return _Table(header, rows)


def _excel_text(value: object, number_format: str = "General") -> str:
    """A cell as the text a user sees: 2134.0 -> '2134', 123 as ``00000`` -> '00123'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _number_text(value, number_format)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


_LITERAL = re.compile(r'"([^"]*)"|\\(.)')


def _number_text(value: float, number_format: str) -> str:
    """``value`` as Excel shows it under ``number_format``, for the formats ERP files use:
    General, zero-padded codes (``00000``, ``00000-0000``) and fixed decimals (``0.00``)."""
    section = (number_format or "General").split(";")[0]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    pattern = _LITERAL.sub(lambda m: "\x00" * len(m.group(1) or m.group(2)), section)
    if (
        isinstance(value, int)
        and value >= 0
        and re.fullmatch(r"[0#\x00 \-./()]*0[0#\x00 \-./()]*", pattern)
    ):
        return _fill_digits(str(value), section)
    decimals = re.fullmatch(r"(#,##)?0(?:\.(0+))?", section)
    if decimals:
        places = len(decimals.group(2) or "")
        return format(value, f"{',' if decimals.group(1) else ''}.{places}f")
    if isinstance(value, int):
        return str(value)
    return format(value, ".15g")


def _fill_digits(digits: str, section: str) -> str:
    """Digits placed into a format's ``0``/``#`` slots from the right; literals kept; digits
    beyond the slots go into the first one, as Excel shows them."""
    parts: list[tuple[str, str]] = []  # (kind, text): kind "0", "#" or "lit"
    position = 0
    for match in _LITERAL.finditer(section):
        parts += [(ch if ch in "0#" else "lit", ch) for ch in section[position : match.start()]]
        parts.append(("lit", match.group(1) if match.group(1) is not None else match.group(2)))
        position = match.end()
    parts += [(ch if ch in "0#" else "lit", ch) for ch in section[position:]]
    first_slot = next(i for i, (kind, _) in enumerate(parts) if kind != "lit")
    remaining = list(digits)
    out: list[str] = []
    for index in range(len(parts) - 1, -1, -1):
        kind, text = parts[index]
        if kind == "lit":
            out.append(text)
        elif index == first_slot:
            out.append("".join(remaining) or ("0" if kind == "0" else ""))
        elif remaining:
            out.append(remaining.pop())
        elif kind == "0":
            out.append("0")
    return "".join(reversed(out))


def _canonical(raw: _Table, path: str) -> ErpFile:
    rename: dict[int, str] = {}
    ignored: list[str] = []
    for index, caption in enumerate(raw.header):
        name = _HEADER_LOOKUP.get(_header_key(caption))
        if name is None:
            if caption:
                ignored.append(caption)
            continue
        if name in rename.values():
            raise InputFileError(path, f"two columns both mean {name!r}", row=1, column=caption)
        rename[index] = name
    for name in MANDATORY_COLUMNS:
        if name not in rename.values():
            accepted = ", ".join(repr(c) for c in accepted_captions(name))
            found = ", ".join(repr(c) for c in raw.header if c) or "none"
            raise InputFileError(
                path,
                f"missing the key column {name!r}: no column is named {accepted} "
                f"(columns found: {found})",
                row=1,
                column=name,
            )
    key_index = next(i for i, name in rename.items() if name == "no")

    issues: list[dict[str, object]] = []
    readable: list[_Row] = []
    if raw.columns is not None:  # read in Arrow: no row has a problem
        frame = pd.DataFrame(
            {name: raw.columns[i].to_pandas() for i, name in rename.items()},
            columns=list(rename.values()),
        )
        file_rows = pd.Series(raw.numbers, index=frame.index, dtype=int)
        raw.columns = None
    for row in raw.rows:
        problems = [(i, why) for i, why in row.problems if i is None or i in rename]
        if not problems:
            readable.append(row)
            continue
        key = row.values[key_index].strip() if key_index < len(row.values) else ""
        for index, why in problems:
            issues.append(
                {
                    "row": row.number,
                    "no": key,
                    "column": rename.get(index, "") if index is not None else "",
                    "code": "RECORD_UNREADABLE",
                    "message": why,
                }
            )

    if raw.numbers is None:
        frame = pd.DataFrame(
            [[row.values[i] for i in rename] for row in readable],
            columns=list(rename.values()),
            dtype=str,
        )
        file_rows = pd.Series([row.number for row in readable], index=frame.index, dtype=int)
    for name in ERP_CUSTOMER_COLUMNS:
        if name not in frame.columns:
            frame[name] = ""
    frame = frame[list(ERP_CUSTOMER_COLUMNS)].astype(str)
    frame["no"] = frame["no"].str.strip()

    blank = frame["no"] == ""
    if blank.any():
        raise InputFileError(path, "the key 'no' is blank", row=int(file_rows[blank].iloc[0]))
    if _repeats(frame["no"]):
        duplicated = frame["no"].duplicated(keep=False)
        first = frame.loc[duplicated, "no"].iloc[0]
        rows = file_rows[frame["no"] == first].tolist()
        raise InputFileError(
            path,
            f"duplicate customer no {first!r} on rows {', '.join(map(str, rows))}",
            row=int(rows[1]),
            column="no",
        )

    for name, limit in ERP_FIELD_LENGTHS.items():
        if _longest_bytes(frame[name]) <= limit:
            continue  # no value has more characters than bytes
        too_long = frame[name].str.len() > limit
        for idx in frame.index[too_long]:
            issues.append(
                {
                    "row": int(file_rows[idx]),
                    "no": frame.at[idx, "no"],
                    "column": name,
                    "code": "VALUE_TOO_LONG",
                    "message": f"{name} has {len(frame.at[idx, name])} characters; "
                    f"the ERP field holds {limit}",
                }
            )
    liable_text = casefold_texts(frame["tax_liable"].str.strip())
    unreadable = ~liable_text.isin(_TRUE | _FALSE)
    for idx in frame.index[unreadable]:
        issues.append(
            {
                "row": int(file_rows[idx]),
                "no": frame.at[idx, "no"],
                "column": "tax_liable",
                "code": "TAX_LIABLE_UNREADABLE",
                "message": f"tax_liable {frame.at[idx, 'tax_liable']!r} is not yes/no; read as no",
            }
        )
    frame["tax_liable"] = liable_text.isin(_TRUE)
    blocked = read_blocked(frame["blocked"])
    for idx in frame.index[~blocked["readable"]]:
        issues.append(
            {
                "row": int(file_rows[idx]),
                "no": frame.at[idx, "no"],
                "column": "blocked",
                "code": "BLOCKED_UNREADABLE",
                "message": f"blocked {frame.at[idx, 'blocked']!r} is not blank, Ship, Invoice, "
                "All or yes/no; read as blocked (the customer is not exported)",
            }
        )
    frame["blocked"] = blocked["blocked"]
    issue_frame = pd.DataFrame(issues, columns=ISSUE_COLUMNS)
    if not issue_frame.empty:
        issue_frame = issue_frame.sort_values("row", kind="stable").reset_index(drop=True)
    return ErpFile(
        customers=frame.reset_index(drop=True),
        issues=issue_frame,
        path=path,
        columns=tuple(name for name in ERP_CUSTOMER_COLUMNS if name in rename.values()),
        ignored=tuple(ignored),
    )


def _repeats(keys: pd.Series) -> bool:
    """Whether a key occurs twice: keys in strictly ascending order (a file exported in No.
    order) cannot, which one comparison of neighbours shows; others are hashed."""
    keys_text = pa.array(keys.astype(TEXT).array)
    if len(keys_text) < 2:
        return False
    if pc.all(pc.less(keys_text[:-1], keys_text[1:])).as_py():
        return False
    return bool(keys.duplicated().any())


def _longest_bytes(values: pd.Series) -> int:
    """The UTF-8 length of a text column's longest value (0 when empty)."""
    longest = pc.max(pc.binary_length(pa.array(values.astype(TEXT).array))).as_py()
    return int(longest or 0)
