"""Read ERP customer files (CSV, Excel) into the canonical customer DataFrame, as text."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from shopsync.errors import InputFileError

__all__ = [
    "CAPTIONS",
    "ERP_COLUMNS",
    "ERP_FIELD_LENGTHS",
    "ErpFile",
    "read_erp_customers",
]

ERP_COLUMNS = (
    "no",
    "name",
    "name_2",
    "contact",
    "address",
    "address_2",
    "city",
    "county",
    "post_code",
    "country_code",
    "phone",
    "email",
    "gen_bus_posting_group",
    "vat_bus_posting_group",
    "customer_posting_group",
    "tax_area_code",
    "tax_liable",
    "payment_terms_code",
)

# Business Central's field lengths: longer values are reported, never cut.
ERP_FIELD_LENGTHS = {
    "no": 20,
    "name": 100,
    "name_2": 50,
    "contact": 100,
    "address": 100,
    "address_2": 50,
    "city": 30,
    "county": 30,
    "post_code": 20,
    "country_code": 10,
    "phone": 30,
    "email": 80,
    "gen_bus_posting_group": 20,
    "vat_bus_posting_group": 20,
    "customer_posting_group": 20,
    "tax_area_code": 20,
    "payment_terms_code": 10,
}

# Business Central's own export captions, besides the canonical names.
CAPTIONS = {
    "No.": "no",
    "Name": "name",
    "Name 2": "name_2",
    "Contact": "contact",
    "Address": "address",
    "Address 2": "address_2",
    "City": "city",
    "County": "county",
    "Post Code": "post_code",
    "Country/Region Code": "country_code",
    "Phone No.": "phone",
    "E-Mail": "email",
    "Email": "email",
    "Gen. Bus. Posting Group": "gen_bus_posting_group",
    "VAT Bus. Posting Group": "vat_bus_posting_group",
    "Customer Posting Group": "customer_posting_group",
    "Tax Area Code": "tax_area_code",
    "Tax Liable": "tax_liable",
    "Payment Terms Code": "payment_terms_code",
}

_TRUE = {"true", "yes", "1", "y", "x", "ja", "oui"}
_FALSE = {"false", "no", "0", "n", "", "nein", "non"}


def _header_key(caption: str) -> str:
    return re.sub(r"[^0-9a-z]", "", caption.casefold())


_HEADER_LOOKUP = {_header_key(c): name for c, name in CAPTIONS.items()} | {
    _header_key(name): name for name in ERP_COLUMNS
}


@dataclass(frozen=True)
class ErpFile:
    """An ERP customer file read: the customers and the problems found on single values."""

    customers: pd.DataFrame
    issues: pd.DataFrame  # columns: row, no, column, code, message
    path: str

    def summary(self) -> dict[str, int]:
        """Count of issues per code."""
        return self.issues["code"].value_counts().sort_index().to_dict()


def read_erp_customers(path: str | Path, *, encoding: str | None = None) -> ErpFile:
    """Read ERP customers from a CSV (``,`` ``;`` or tab) or Excel file.

    Every value stays text (leading zeros survive); BC captions are accepted. A file that
    cannot be used raises InputFileError naming the file, row and column; problems with
    single values (too long for the ERP field, unreadable Tax Liable) are returned as issues
    and the values are kept as they are.
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError(str(path), "file not found")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        raw = _read_excel(path)
    elif suffix in (".csv", ".txt", ".tsv"):
        raw = _read_csv(path, encoding)
    else:
        raise InputFileError(str(path), f"unsupported file type {suffix!r} (use .csv or .xlsx)")
    return _canonical(raw, str(path))


def _read_csv(path: Path, encoding: str | None) -> pd.DataFrame:
    data = path.read_bytes()
    enc = encoding or "utf-8-sig"
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
    if not text.strip():
        raise InputFileError(str(path), "the file is empty")
    first_line = text.splitlines()[0]
    delimiter = max([",", ";", "\t"], key=first_line.count)
    try:
        return pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            quoting=csv.QUOTE_MINIMAL,
        )
    except pd.errors.ParserError as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise InputFileError(
            str(path), f"malformed CSV: {exc}", row=int(match.group(1)) if match else None
        ) from None


def _read_excel(path: Path) -> pd.DataFrame:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken files
        raise InputFileError(str(path), f"not a readable Excel workbook ({exc})") from None
    sheet = workbook.worksheets[0]
    rows = [[_excel_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    workbook.close()
    rows = [r for r in rows if any(v for v in r)]
    if not rows:
        raise InputFileError(str(path), "the first sheet is empty")
    header, body = rows[0], rows[1:]
    width = len(header)
    return pd.DataFrame([(r + [""] * width)[:width] for r in body], columns=header, dtype=str)


def _excel_text(value: object) -> str:
    """A cell as the text a user sees: 2134.0 -> '2134', None -> ''."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _canonical(raw: pd.DataFrame, path: str) -> ErpFile:
    rename: dict[str, str] = {}
    for caption in raw.columns:
        name = _HEADER_LOOKUP.get(_header_key(str(caption)))
        if name is None:
            continue
        if name in rename.values():
            raise InputFileError(path, f"two columns both mean {name!r}", column=str(caption))
        rename[caption] = name
    if "no" not in rename.values():
        raise InputFileError(
            path, "missing the key column (expected 'no' or BC's 'No.')", row=1, column="no"
        )
    frame = raw[list(rename)].rename(columns=rename)
    for name in ERP_COLUMNS:
        if name not in frame.columns:
            frame[name] = ""
    frame = frame[list(ERP_COLUMNS)].astype(str)
    frame["no"] = frame["no"].str.strip()
    file_rows = pd.Series(range(2, len(frame) + 2), index=frame.index)

    blank = frame["no"] == ""
    if blank.any():
        raise InputFileError(path, "the key 'no' is blank", row=int(file_rows[blank].iloc[0]))
    duplicated = frame["no"].duplicated(keep=False)
    if duplicated.any():
        first = frame.loc[duplicated, "no"].iloc[0]
        rows = file_rows[frame["no"] == first].tolist()
        raise InputFileError(
            path,
            f"duplicate customer no {first!r} on rows {', '.join(map(str, rows))}",
            row=int(rows[1]),
            column="no",
        )

    issues: list[dict[str, object]] = []
    for name, limit in ERP_FIELD_LENGTHS.items():
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
    liable_text = frame["tax_liable"].str.strip().str.casefold()
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
    issue_frame = pd.DataFrame(issues, columns=["row", "no", "column", "code", "message"])
    return ErpFile(customers=frame.reset_index(drop=True), issues=issue_frame, path=path)
