"""Copy the reference data shopsync needs at run time from ../shared into the package,
shopsync/reference_data/ (package data: a wheel carries it, ``shopsync.reference`` reads it).

Run from the project root: ``python scripts/copy_reference_data.py [SHARED_DIR]``.
The copies are committed, so a clone works without ../shared.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FILES = ["provinces.csv", "countries.csv"]


def main(argv: list[str]) -> int:
    shared = Path(argv[0]) if argv else ROOT.parent / "shared"
    source = shared / "shopify"
    target = ROOT / "shopsync" / "reference_data"
    target.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        shutil.copyfile(source / name, target / name)
        print(f"copied {source / name} -> {target / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
