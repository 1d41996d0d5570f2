"""`make demo`'s job: a fresh store, the sample ERP file, the validation summary."""

from __future__ import annotations

from shopsync.cli import main
from shopsync.store import open_store


def test_demo_runs_on_the_sample_data_and_starts_fresh(tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    assert main(["demo", "--db", db]) == 0
    first = capsys.readouterr().out
    assert "Export validation: 202 ERP customers" in first
    assert "EMAIL_DUPLICATE" in first and "PHONE_INVALID" in first
    assert main(["demo", "--db", db]) == 0  # again: recreated, same answer
    assert capsys.readouterr().out == first
    assert len(open_store(db).erp_customers()) == 202
