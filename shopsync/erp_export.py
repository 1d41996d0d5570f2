"""The hand-over file: what the imports changed on the ERP side, as Business Central imports it."""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from shopsync.errors import UserInputError
from shopsync.schema import ERP_CAPTIONS, ERP_COLUMNS
from shopsync.settings import ShopConfig, load_config
from shopsync.store import Store, open_store

__all__ = [
    "CHANGED_CUSTOMERS",
    "CHANGED_FIELDS",
    "CUSTOMER_CAPTIONS",
    "NEW_CUSTOMERS",
    "ORDER_CAPTIONS",
    "ORDER_CUSTOMERS",
    "PREVIOUS_VALUES",
    "SHEETS",
    "SHOPIFY_ID",
    "ErpExport",
    "export_erp",
    "handover_files",
    "handover_path",
    "handover_sheets",
    "write_handover",
]

NEW_CUSTOMERS = "New customers"
CHANGED_CUSTOMERS = "Changed customers"
ORDER_CUSTOMERS = "Order customers"
SHEETS = (NEW_CUSTOMERS, CHANGED_CUSTOMERS, ORDER_CUSTOMERS)

# ERP column -> Business Central's caption ("E-Mail", not the "Email" newer BC also reads)
CUSTOMER_CAPTIONS = ERP_CAPTIONS

SHOPIFY_ID = "Shopify Customer Id"  # the link, after BC's columns (readers ignore it)
CHANGED_FIELDS = "Changed Fields"
PREVIOUS_VALUES = "Previous Values"
# Captions of BC's Shopify order header (Shpfy Order Header)
ORDER_CAPTIONS = {
    "name": "Shopify Order No.",
    "sell_to_customer_no": "Sell-to Customer No.",
    "bill_to_customer_no": "Bill-to Customer No.",
    "order_id": "Shopify Order Id",
}
# BC's configuration-package import (Config. Validate Management) evaluates a Boolean in the
# user's language (Yes/No in English, Ja/Nein in German...), then in XML form: true/false is
# read whatever the language
_BOOLEAN = {True: "true", False: "false"}

_COLUMNS = {
    NEW_CUSTOMERS: [*CUSTOMER_CAPTIONS.values(), SHOPIFY_ID],
    CHANGED_CUSTOMERS: [*CUSTOMER_CAPTIONS.values(), SHOPIFY_ID, CHANGED_FIELDS, PREVIOUS_VALUES],
    ORDER_CUSTOMERS: list(ORDER_CAPTIONS.values()),
}
_CSV_NAMES = {
    NEW_CUSTOMERS: "new-customers",
    CHANGED_CUSTOMERS: "changed-customers",
    ORDER_CUSTOMERS: "order-customers",
}


@dataclass(frozen=True)
class ErpExport:
    """One hand-over written: its files, its rows per sheet, the export (bookmark) id."""

    shop_code: str
    export_id: int
    files: list[Path]
    sheets: dict[str, pd.DataFrame] = field(repr=False)

    @property
    def counts(self) -> dict[str, int]:
        """Rows per sheet."""
        return {name: len(frame) for name, frame in self.sheets.items()}

    def summary(self) -> str:
        """What was handed over, and where."""
        rows = ", ".join(f"{name} {count}" for name, count in self.counts.items())
        lines = [f"ERP hand-over {self.export_id} for shop {self.shop_code}: {rows}"]
        if not any(self.counts.values()):
            lines.append("nothing changed since the last export")
        lines += [f"  {path}" for path in self.files]
        return "\n".join(lines)


def handover_sheets(
    changes: pd.DataFrame, customers: pd.DataFrame, orders: pd.DataFrame
) -> dict[str, pd.DataFrame]:
    """The three sheets, every cell text, with BC's captions.

    ``changes`` is Store.erp_changes (oldest first), ``customers`` the ERP customers they
    name (current values), ``orders`` the order-customer rows to hand over. A customer created
    since the last export is new (with its current values, later updates included); one
    updated is changed, naming the fields whose value now differs from before the first
    update (a field changed and changed back is not named; a customer left as it was is left
    out).
    """
    current = customers.set_index("no", drop=False)
    customer_changes = changes[changes["kind"].isin(["created", "updated"])]
    created = set(customer_changes.loc[customer_changes["kind"] == "created", "record"])
    shopify_ids = customer_changes.groupby("record")["shopify_id"].last().to_dict()
    new_rows, changed_rows = [], []
    for no in sorted(created & set(current.index)):
        new_rows.append([*_customer_cells(current.loc[no]), shopify_ids.get(no, "")])
    updated = customer_changes[~customer_changes["record"].isin(created)]
    for no, group in updated.groupby("record", sort=True):
        if no not in current.index:
            continue
        before: dict[str, object] = {}
        for fields in group["fields"]:
            for name, (old, _new) in fields.items():
                before.setdefault(name, old)
        row = current.loc[no]
        changed = [name for name in ERP_COLUMNS if name in before and before[name] != row[name]]
        if changed:
            changed_rows.append(
                [
                    *_customer_cells(row),
                    shopify_ids.get(no, ""),
                    ", ".join(CUSTOMER_CAPTIONS[name] for name in changed),
                    "; ".join(f"{CUSTOMER_CAPTIONS[n]}: {_cell(n, before[n])}" for n in changed),
                ]
            )
    order_rows = [
        [str(r[name] or "") for name in ORDER_CAPTIONS]
        for r in orders.sort_values("order_id").to_dict("records")
    ]
    return {
        NEW_CUSTOMERS: pd.DataFrame(new_rows, columns=_COLUMNS[NEW_CUSTOMERS], dtype=object),
        CHANGED_CUSTOMERS: pd.DataFrame(
            changed_rows, columns=_COLUMNS[CHANGED_CUSTOMERS], dtype=object
        ),
        ORDER_CUSTOMERS: pd.DataFrame(order_rows, columns=_COLUMNS[ORDER_CUSTOMERS], dtype=object),
    }


def _customer_cells(row: pd.Series) -> list[str]:
    return [_cell(name, row[name]) for name in ERP_COLUMNS]


def _cell(name: str, value: object) -> str:
    if name == "tax_liable":
        return _BOOLEAN[bool(value)]
    return "" if value is None else str(value)


def handover_files(out: str | Path) -> dict[str, Path]:
    """Sheet -> file: an .xlsx holds every sheet; a .csv ``out`` becomes one file per sheet,
    ``STEM-new-customers.csv``, ``STEM-changed-customers.csv``, ``STEM-order-customers.csv``."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix == ".xlsx":
        return dict.fromkeys(SHEETS, out)
    if suffix == ".csv":
        return {name: out.with_name(f"{out.stem}-{_CSV_NAMES[name]}.csv") for name in SHEETS}
    raise UserInputError(f"{out}: the hand-over file must be .xlsx or .csv")


def handover_path(folder: str | Path, shop_code: str, suffix: str = ".xlsx") -> Path:
    """A new hand-over file name in ``folder``: ``<shop>-erp-<UTC time>.xlsx``."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return Path(folder) / f"{shop_code}-erp-{stamp}{suffix}"


def write_handover(sheets: Mapping[str, pd.DataFrame], out: str | Path) -> list[Path]:
    """Write the sheets to ``out`` (see handover_files), completely or not at all: each file
    is written beside its target and renamed into place once every one is complete."""
    files = _new_files(out)
    targets = handover_files(out)
    with _staged(files) as staged:
        if Path(out).suffix.lower() == ".xlsx":
            _write_xlsx(sheets, staged[files[0]])
        else:
            for name, path in targets.items():
                _write_csv(sheets[name], staged[path])
    return files


def _new_files(out: str | Path) -> list[Path]:
    """The files ``out`` stands for; refused if one exists: an earlier hand-over that the ERP
    may not have imported yet is never overwritten."""
    files = list(dict.fromkeys(handover_files(out).values()))
    taken = [str(path) for path in files if path.exists()]
    if taken:
        raise UserInputError(
            f"{', '.join(taken)} already exists: a hand-over file is never overwritten (the "
            "ERP may not have imported it yet); choose a new name"
        )
    return files


@contextmanager
def _staged(files: list[Path]) -> Iterator[dict[Path, Path]]:
    """Temporary files beside ``files``; renamed onto them when the block succeeds, removed
    when it fails."""
    staged: dict[Path, Path] = {}
    target = files[0]
    try:
        try:
            for target in files:
                target.parent.mkdir(parents=True, exist_ok=True)
                handle, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
                os.close(handle)
                staged[target] = Path(name)
            yield staged
            for target, temporary in staged.items():
                os.replace(temporary, target)
        except OSError as exc:
            where = f" ({exc.filename})" if exc.filename and exc.filename != str(target) else ""
            raise UserInputError(f"cannot write {target}: {exc.strerror or exc}{where}") from None
    finally:
        for temporary in staged.values():
            with suppress(FileNotFoundError):
                temporary.unlink()


def _write_xlsx(sheets: Mapping[str, pd.DataFrame], path: Path) -> None:
    """Every cell a string cell formatted as text ("@"): a value is never read as a number,
    a date or a formula, so leading zeros, "+45..." phones and "=..." text stay as they are."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    for name, frame in sheets.items():
        sheet = workbook.create_sheet(name)
        sheet.freeze_panes = "A2"

        def cells(values: list[str], sheet=sheet) -> list[WriteOnlyCell]:
            row = []
            for value in values:
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"
                cell.number_format = "@"
                row.append(cell)
            return row

        sheet.append(cells(list(frame.columns)))
        for values in frame.itertuples(index=False):
            sheet.append(cells([str(v) for v in values]))
    workbook.save(path)


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    """UTF-8 with a byte order mark (Excel and BC's importers read it), values as they are."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_MINIMAL)
        writer.writerow(frame.columns)
        writer.writerows(frame.itertuples(index=False))


def export_erp(
    config: ShopConfig | str | Path,
    out: str | Path,
    *,
    db: str | None = None,
    store: Store | None = None,
    all_changes: bool = False,
) -> ErpExport:
    """Hand the imports' ERP-side changes over: ``shopsync.export_erp("shop.toml", "erp.xlsx")``.

    Writes what changed since the shop's last export (``all_changes``: everything the store
    recorded), then moves the bookmark past exactly what the file holds: a change a run
    commits meanwhile is handed over next time. ``store`` (or ``db``, a store URL) is where
    the syncs ran.
    """
    if not isinstance(config, ShopConfig):
        config = load_config(config)
    shop = config.shop.code
    _new_files(out)  # refuse an unknown file type or an existing file before reading
    store = store or open_store(db)
    if store.runs(shop).empty:
        raise UserInputError(
            f"shop {shop} has no sync run in {store!r}: run `shopsync sync` first "
            "(or pass the store the syncs use with --db)"
        )
    changes = store.erp_changes(shop, pending=not all_changes)
    customer_nos = changes.loc[changes["kind"] != "order", "record"]
    customers = store.erp_customers_by_no(customer_nos)  # read after the changes: see above
    orders = store.order_customers(shop)
    if not all_changes:
        orders = orders[orders["order_id"].isin(changes.loc[changes["kind"] == "order", "record"])]
    sheets = handover_sheets(changes, customers, orders)
    files = write_handover(sheets, out)
    export_id = store.mark_erp_exported(
        shop,
        changes["id"].tolist(),
        files=[str(p) for p in files],
        counts={name: len(frame) for name, frame in sheets.items()},
    )
    return ErpExport(shop_code=shop, export_id=export_id, files=files, sheets=sheets)
