"""`make demo`: the sample shop on the emulator, previews, two syncs; the second changes nothing."""

from __future__ import annotations

import pytest

from shopsync.cli import main
from shopsync.store import open_store

pytestmark = pytest.mark.slow  # the whole demo, two syncs: ~25 s on a loaded 2-core machine


def test_demo_syncs_the_sample_shop_and_the_second_sync_changes_nothing(tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    reports = tmp_path / "reports"
    assert main(["demo", "--db", db, "--reports", str(reports), "--shopify-plan", "plus"]) == 0
    out = capsys.readouterr().out
    assert "Import plan for 196 Shopify customers" in out
    assert "Export validation: 204 ERP customers" in out
    assert "mutations sent by sync 2: 0" in out
    store = open_store(db)
    runs = store.runs("DEMO")
    assert runs["status"].tolist() == ["succeeded", "succeeded"]
    assert len(list(reports.glob("DEMO-*.xlsx"))) == 3  # plan + two runs
    assert (reports / "DEMO-export-validation.html").exists()
