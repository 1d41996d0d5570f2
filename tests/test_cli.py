"""The shopsync command: verbs work, user errors are one line with exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from shopsync.cli import main
from shopsync.store import open_store


def test_init_then_load_erp(tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 's.db'}"
    assert main(["init", "--db", db]) == 0
    erp = tmp_path / "erp.csv"
    erp.write_text("No.;Name;City\nC1;Contoso;" + "x" * 31 + "\nC2;Fabrikam;Oslo\n")
    assert main(["load-erp", str(erp), "--db", db]) == 0
    out = capsys.readouterr().out
    assert "2 customer(s): inserted 2" in out
    assert "row 2 (C1) city: VALUE_TOO_LONG" in out
    assert open_store(db).erp_customers()["no"].tolist() == ["C1", "C2"]


def test_db_defaults_to_the_environment(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SHOPSYNC_DB", f"sqlite:///{tmp_path / 'env.db'}")
    assert main(["init"]) == 0
    assert (tmp_path / "env.db").exists()


def test_user_errors_exit_2_with_one_line_and_no_traceback(tmp_path):
    bad = tmp_path / "erp.csv"
    bad.write_text("name\nContoso\n")
    result = subprocess.run(
        [sys.executable, "-m", "shopsync.cli", "load-erp", str(bad), "--db", "sqlite://"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("shopsync: error: ")
    assert "missing the key column" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_invalid_config_lists_every_problem(tmp_path, capsys):
    config = tmp_path / "shop.toml"
    config.write_text('[shop]\ncode = "D"\nurl = "x"\nmapping_type = "nope"\n')
    assert main(["init", "--config", str(config), "--db", "sqlite://"]) == 2
    err = capsys.readouterr().err
    assert "2 problem(s)" in err and "mapping_type" in err and "url" in err


@pytest.mark.slow
def test_preview_and_validation_commands_write_their_reports(tmp_path, capsys):
    from tests_paths import SAMPLE

    db = f"sqlite:///{tmp_path / 's.db'}"
    common = ["--config", str(SAMPLE / "shop.toml"), "--erp", str(SAMPLE / "erp_customers.csv")]
    plan = tmp_path / "plan.xlsx"
    assert (
        main(["preview-import", *common, "--emulator", str(SAMPLE), "--out", str(plan), "--db", db])
        == 0
    )
    assert "Import plan for shop DEMO: 196 records" in capsys.readouterr().out
    assert plan.exists()
    orders = tmp_path / "orders.csv"
    assert (
        main(
            [
                "preview-orders",
                *common,
                "--shopify",
                str(SAMPLE / "customers.jsonl"),
                "--orders",
                str(SAMPLE / "orders.jsonl"),
                "--out",
                str(orders),
                "--db",
                db,
            ]
        )
        == 0
    )
    assert len(orders.read_text().splitlines()) == 101
    validation = tmp_path / "validation.html"
    assert main(["validate-export", *common, "--out", str(validation), "--db", db]) == 0
    assert "Export eligibility for shop DEMO: 204 records" in capsys.readouterr().out
    assert "<svg" in validation.read_text()


def test_a_report_that_cannot_be_written_is_a_one_line_error(tmp_path, capsys):
    from tests_paths import SAMPLE

    code = main(
        [
            "validate-export",
            "--config",
            str(SAMPLE / "shop.toml"),
            "--erp",
            str(SAMPLE / "erp_customers.csv"),
            "--out",
            str(tmp_path / "r.pdf"),
            "--db",
            "sqlite://",
        ]
    )
    assert code == 2
    assert "unknown report type" in capsys.readouterr().err


@pytest.mark.slow
def test_read_only_commands_never_create_a_store_and_name_the_one_they_use(
    tmp_path, monkeypatch, capsys
):
    from tests.tests_paths import SAMPLE

    monkeypatch.delenv("SHOPSYNC_DB", raising=False)
    monkeypatch.chdir(tmp_path)
    default = "store: sqlite:///data/shopsync.db"
    assert main(["runs"]) == 0
    out = capsys.readouterr().out
    assert f"{default} (none yet: not created by this command)" in out and "no runs yet" in out
    assert main(["log", "1"]) == 2
    assert "no run 1" in capsys.readouterr().err
    report = tmp_path / "v.csv"
    config = ["--config", str(SAMPLE / "shop.toml")]
    erp = ["--erp", str(SAMPLE / "erp_customers.csv")]
    assert main(["validate-export", *config, *erp, "--out", str(report)]) == 0
    assert default in capsys.readouterr().out
    shopify = ["--shopify", str(SAMPLE / "customers.jsonl")]
    assert main(["preview-import", *config, *erp, *shopify, "--out", "p.csv"]) == 0
    assert report.is_file() and (tmp_path / "p.csv").is_file()
    assert not (tmp_path / "data").exists()  # no store file, no folder
    # once a store exists, the same commands read it (and say which)
    assert main(["load-erp", str(SAMPLE / "erp_customers.csv")]) == 0
    assert default in capsys.readouterr().out
    assert main(["runs"]) == 0
    assert capsys.readouterr().out.startswith(f"{default}\n")


@pytest.mark.skipif(sys.platform != "linux", reason="the command picks jemalloc on Linux only")
@pytest.mark.parametrize(("users_choice", "pool"), [(None, "jemalloc"), ("system", "system")])
def test_the_command_takes_arrow_memory_from_jemalloc_unless_the_user_chose(users_choice, pool):
    # the lower peak of the 1M preview (README, Benchmarks) comes from this choice
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if users_choice:
        env["ARROW_DEFAULT_MEMORY_POOL"] = users_choice
    probe = (
        "from shopsync.cli import _choose_arrow_allocator; _choose_arrow_allocator(); "
        "import pyarrow; print(pyarrow.default_memory_pool().backend_name)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == pool
    assert result.stderr == ""
