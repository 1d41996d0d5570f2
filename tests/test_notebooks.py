"""The notebooks under papermill (dry and real runs, scheduled and scrubbed), nbval, hygiene."""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
import papermill
import pytest

from shopsync.errors import UserInputError
from shopsync.notebook import check_parameters
from shopsync.notebook_runs import (
    add_run_notebook_command,
    run_notebook,
    scrub_notebook,
    typed_parameters,
)
from tests.tests_paths import ROOT, SAMPLE

NOTEBOOKS = ROOT / "notebooks"
BOOKS = ["01-preview-matches.ipynb", "02-validate-export.ipynb", "03-sync.ipynb"]
FAKE_TOKEN = "shpat_" + "f4ke70ken" * 4  # set in the runs' environment; must never show up
SANITIZE = ROOT / "tests" / "nbval_sanitize.cfg"


@dataclass
class Runs:
    base: Path
    preview: Path
    validate: Path
    dry: Path
    scheduled: Path
    scheduled_process: subprocess.CompletedProcess
    failed: Path
    failed_process: subprocess.CompletedProcess


def _params(base: Path, name: str) -> dict[str, object]:
    return {
        "config": str(SAMPLE / "shop.toml"),
        "db": f"sqlite:///{base / (name + '.db')}",
        "output_dir": str(base / "reports"),
    }


def _start_cli(args: list[str], cwd: Path) -> subprocess.Popen:
    """``shopsync run-notebook`` as cron would start it, with a token in the environment."""
    env = {**os.environ, "SHOPIFY_ACCESS_TOKEN": FAKE_TOKEN}
    return subprocess.Popen(
        [sys.executable, "-m", "shopsync.notebook_runs", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(process: subprocess.Popen) -> subprocess.CompletedProcess:
    stdout, stderr = process.communicate(timeout=300)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def _cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return _finish(_start_cli(args, cwd))


def _only(folder: Path, prefix: str) -> Path:
    (found,) = sorted(folder.glob(f"{prefix}-*.ipynb"))
    return found


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Runs:
    """Every notebook executed once against the emulator and the sample data."""
    base = tmp_path_factory.mktemp("notebooks")
    out = base / "runs"
    # the scheduled run, as cron would start it: the command line, a token in the environment
    scheduled = _start_cli(
        [
            str(NOTEBOOKS / BOOKS[2]),
            *("-p", "config", str(SAMPLE / "shop.toml")),
            *("-p", "db", f"sqlite:///{base / 'scheduled.db'}"),
            *("-p", "erp_file", str(SAMPLE / "erp_customers.csv")),
            *("-p", "emulator_data", str(SAMPLE)),
            *("-p", "emulator_plan", "plus"),
            *("-p", "output_dir", str(base / "reports")),
            *("-p", "dry_run", "false"),
            *("-p", "erp_handover", "true"),
            *("--output-dir", str(out / "scheduled")),
        ],
        cwd=base,
    )
    failed = _start_cli(
        [
            str(NOTEBOOKS / BOOKS[1]),
            *("-p", "config", str(base / "missing.toml")),
            *("--output-dir", str(out / "failed")),
        ],
        cwd=base,
    )
    try:
        sample = {"erp": str(SAMPLE / "erp_customers.csv")}
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("SHOPIFY_ACCESS_TOKEN", FAKE_TOKEN)
            preview = run_notebook(
                NOTEBOOKS / BOOKS[0],
                {
                    **_params(base, "preview"),
                    **sample,
                    "emulator_data": str(SAMPLE),
                    "emulator_plan": "plus",
                    "orders": str(SAMPLE / "orders.jsonl"),
                },
                output_dir=out / "preview",
            )
            validate = run_notebook(
                NOTEBOOKS / BOOKS[1],
                {**_params(base, "validate"), **sample},
                output_dir=out / "val",
            )
            dry = run_notebook(
                NOTEBOOKS / BOOKS[2],
                {
                    **_params(base, "dry"),
                    "erp_file": sample["erp"],
                    "emulator_data": str(SAMPLE),
                    "emulator_plan": "plus",
                },
                output_dir=out / "dry",
            )
    finally:  # the scheduled and failing runs went on meanwhile
        scheduled, failed = _finish(scheduled), _finish(failed)
    for run in (preview, validate, dry):
        assert run.ok, run.error
    return Runs(
        base,
        preview.output,
        validate.output,
        dry.output,
        _only(out / "scheduled", "03-sync") if (out / "scheduled").exists() else base,
        scheduled,
        _only(out / "failed", "02-validate-export") if (out / "failed").exists() else base,
        failed,
    )


def _stdout(path: Path) -> str:
    book = nbformat.read(str(path), as_version=4)
    return "\n".join(
        output.get("text", "")
        for cell in book.cells
        for output in cell.get("outputs", [])
        if output.get("output_type") == "stream" and output.get("name") == "stdout"
    )


def _html(path: Path) -> str:
    book = nbformat.read(str(path), as_version=4)
    return "\n".join(
        str(output.get("data", {}).get("text/html", ""))
        for cell in book.cells
        for output in cell.get("outputs", [])
    )


# -- hygiene -----------------------------------------------------------------------------------


def test_notebooks_are_committed_without_outputs():
    for name in BOOKS:
        book = nbformat.read(str(NOTEBOOKS / name), as_version=4)
        nbformat.validate(book)
        for cell in book.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [], f"{name}: a cell has outputs"
                assert cell.execution_count is None, f"{name}: a cell has an execution count"
        assert "widgets" not in book.metadata, f"{name}: saved widget state"
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == BOOKS


def test_notebooks_are_what_the_generator_writes():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import make_notebooks
    finally:
        sys.path.pop(0)
    assert make_notebooks.main(["--check"]) == 0


@pytest.mark.parametrize("name", BOOKS)
def test_each_notebook_explains_itself_and_has_one_documented_parameters_cell(name):
    book = nbformat.read(str(NOTEBOOKS / name), as_version=4)
    assert book.cells[0].cell_type == "markdown" and book.cells[0].source.startswith("# ")
    assert "Parameters that matter" in book.cells[0].source
    tagged = [c for c in book.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    lines = [line for line in tagged[0].source.splitlines() if line.strip()]
    declared = papermill.inspect_notebook(str(NOTEBOOKS / name))
    assert len(declared) == len(lines)  # papermill --help-notebook documents every line
    for line in lines:
        assert re.match(r"^\w+: (str|bool|int|float) = .+  # .+$", line), line
    for pname, info in declared.items():
        assert info["help"], pname
        assert not any(w in pname for w in ("token", "secret", "password", "key")), pname
    assert declared["config"]["inferred_type_name"] == "str"
    if name == "03-sync.ipynb":
        assert declared["dry_run"]["default"] == "True"


# -- the three notebooks under papermill -------------------------------------------------------


def test_preview_notebook_shows_the_plan_counts_of_the_sample(runs, tmp_path):
    from shopsync.jobs import preview_import, preview_orders
    from shopsync.notebook import open_shop

    config, store = open_shop(SAMPLE / "shop.toml", f"sqlite:///{tmp_path / 's.db'}")
    plan = preview_import(
        config, store, erp_file=SAMPLE / "erp_customers.csv", shopify=SAMPLE / "customers.jsonl"
    )
    orders = preview_orders(
        config,
        store,
        SAMPLE / "orders.jsonl",
        erp_file=SAMPLE / "erp_customers.csv",
        shopify=SAMPLE / "customers.jsonl",
    )
    text = _stdout(runs.preview)
    assert f"PLAN: {len(plan)} Shopify customers" in text
    actions = ", ".join(f"{k} {v}" for k, v in plan["action"].value_counts().sort_index().items())
    assert f"per action: {actions}" in text
    assert f"orders: {len(orders)};" in text
    html = _html(runs.preview)
    assert "Ties and near misses to review" in html
    assert "Sell-to and bill-to customer of each order" in html
    assert "<svg" in html  # the charts
    assert (runs.base / "reports" / "DEMO-import-plan.xlsx").is_file()
    assert "no Jupyter frontend" in text  # no panel under papermill


def test_validate_notebook_counts_reasons_and_exports_every_format(runs):
    text = _stdout(runs.validate)
    assert re.search(r"ELIGIBILITY: 202 ERP customers, \d+ eligible, \d+ not eligible", text)
    assert "EMAIL_INVALID" in text
    assert "Ineligible customers and what to fix" in _html(runs.validate)
    for suffix in ("csv", "xlsx", "html"):
        assert (runs.base / "reports" / f"DEMO-export-validation.{suffix}").is_file()


def test_sync_dry_run_plans_and_writes_nothing(runs):
    from shopsync.store import open_store

    text = _stdout(runs.dry)
    assert "run (dry run): planned" in text
    assert "dry_run is true: nothing was written" in text
    assert "no sync run: dry run" in text
    assert open_store(f"sqlite:///{runs.base / 'dry.db'}").runs().empty
    assert "DRY RUN: nothing was written" in _html(runs.dry)


def test_scheduled_sync_writes_its_report_and_a_scrubbed_output_notebook(runs):
    from shopsync.store import open_store

    process = runs.scheduled_process
    assert process.returncode == 0, process.stderr[-2000:]
    assert re.fullmatch(r"03-sync-\d{8}T\d{6}Z\.ipynb", runs.scheduled.name)
    assert f"output notebook: {runs.scheduled}" in process.stdout
    store = open_store(f"sqlite:///{runs.base / 'scheduled.db'}")
    (run,) = store.runs().to_dict("records")
    assert run["status"] == "succeeded"
    reports = json.loads(run["report"])
    for suffix in ("csv", "xlsx", "html"):
        assert Path(reports[suffix]).is_file()
        assert reports[suffix].endswith(f"DEMO-{run['id']}.{suffix}")
    book = nbformat.read(str(runs.scheduled), as_version=4)
    assert "shopsync-banner" in book.cells[0].metadata["tags"]
    assert "RUN SUCCEEDED" in book.cells[0].source
    text = _stdout(runs.scheduled)
    assert f"run {run['id']}: succeeded" in text
    (handover,) = (runs.base / "reports").glob("DEMO-erp-*.xlsx")  # erp_handover true
    assert "ERP hand-over 1 for shop DEMO: New customers" in text and str(handover) in text
    html = _html(runs.scheduled)
    assert "Failed and skipped records" in html
    assert f"DEMO-{run['id']}.html" in html  # the links to the report files
    raw = runs.scheduled.read_text(encoding="utf-8")
    assert FAKE_TOKEN not in raw
    assert FAKE_TOKEN[:20] not in raw


def test_a_failing_run_exits_non_zero_with_a_banner_at_the_top(runs):
    process = runs.failed_process
    assert process.returncode == 1
    assert "FAILED" in process.stderr and "ConfigError" in process.stderr
    book = nbformat.read(str(runs.failed), as_version=4)
    assert "RUN FAILED" in book.cells[0].source
    assert "ConfigError" in book.cells[0].source
    assert "papermill-error-cell" in book.cells[0].source  # the link to the failing cell


def test_secret_parameters_are_refused_before_anything_runs(tmp_path):
    process = _cli(
        [str(NOTEBOOKS / BOOKS[1]), "-p", "access_token", "abc", "--output-dir", str(tmp_path)],
        cwd=tmp_path,
    )
    assert process.returncode == 2
    assert "access_token" in process.stderr and "SHOPIFY_ACCESS_TOKEN" in process.stderr
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(UserInputError, match="look like secrets"):
        run_notebook(NOTEBOOKS / BOOKS[1], {"api_key": "x"}, output_dir=tmp_path)


def test_plain_papermill_with_a_secret_parameter_fails_and_the_scrub_removes_it(tmp_path):
    from papermill.exceptions import PapermillExecutionError

    output = tmp_path / "out.ipynb"
    with pytest.raises(PapermillExecutionError) as failure:
        papermill.execute_notebook(
            str(NOTEBOOKS / BOOKS[1]),
            str(output),
            parameters={"shop_secret": FAKE_TOKEN},
            progress_bar=False,
            cwd=str(tmp_path),
        )
    assert failure.value.ename == "UserInputError"
    assert "shop_secret" in failure.value.evalue
    assert FAKE_TOKEN in output.read_text()  # papermill itself keeps it
    assert scrub_notebook(output) > 0
    assert FAKE_TOKEN not in output.read_text()
    assert FAKE_TOKEN[:12] not in output.read_text()


def test_scrub_removes_environment_secrets_and_token_shapes(tmp_path, monkeypatch):
    monkeypatch.setenv("SHOPIFY_ACCESS_TOKEN", "not-shaped-like-a-token-1234")
    book = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("print('x')")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="t=not-shaped-like-a-token-1234\n"),
        nbformat.v4.new_output("error", ename="E", evalue="shpca_0123456789abcdef99", traceback=[]),
    ]
    book.cells.append(cell)
    book.cells.append(nbformat.v4.new_code_cell('db = "postgresql://sync:pa55word@db/shop"'))
    book.metadata["papermill"] = {"parameters": {"db_password": "hunter22", "db": "x"}}
    path = tmp_path / "b.ipynb"
    nbformat.write(book, str(path))
    assert scrub_notebook(path) == 4
    text = path.read_text()
    for secret in ("not-shaped-like-a-token-1234", "shpca_0123456789abcdef99", "hunter22"):
        assert secret not in text
    assert "pa55word" not in text and "postgresql://sync:[scrubbed]@db/shop" in text
    assert '"db": "x"' in text


# -- parameters --------------------------------------------------------------------------------


def test_check_parameters_explains_the_papermill_traps():
    ok = {"__annotations__": {"zip_code": str, "dry_run": bool}, "zip_code": "02134"}
    ok["dry_run"] = "false"
    assert check_parameters(ok) == {"zip_code": "02134", "dry_run": False}
    assert ok["dry_run"] is False
    with pytest.raises(UserInputError, match="-r zip_code"):
        check_parameters({"__annotations__": {"zip_code": str}, "zip_code": 2134})
    with pytest.raises(UserInputError, match="quote it"):
        check_parameters({"__annotations__": {"country": str}, "country": False})
    with pytest.raises(UserInputError, match="look like secrets"):
        check_parameters({"__annotations__": {"db": str}, "db": "", "api_key": "x"})
    with pytest.raises(UserInputError, match=r"unknown parameter.*dryrun"):
        check_parameters({"__annotations__": {"dry_run": bool}, "dry_run": True, "dryrun": 0})


def test_runner_types_parameters_by_the_notebook_declarations():
    book = NOTEBOOKS / BOOKS[2]
    typed = typed_parameters(book, {"customers": "02134", "dry_run": "false"}, {"direction": "x"})
    assert typed == {"customers": "02134", "dry_run": False, "direction": "x"}
    with pytest.raises(UserInputError, match="no parameter"):
        typed_parameters(book, {"dryrun": "false"})
    with pytest.raises(UserInputError, match="true or false"):
        typed_parameters(book, {"dry_run": "maybe"})


def test_run_notebook_command_registers_on_any_parser():
    parser = argparse.ArgumentParser(prog="shopsync")
    verbs = parser.add_subparsers(dest="verb")
    add_run_notebook_command(verbs)
    args = parser.parse_args(
        ["run-notebook", "n.ipynb", "-p", "dry_run", "false", "-r", "customers", "02134"]
    )
    assert args.notebook == Path("n.ipynb")
    assert args.parameter == [["dry_run", "false"]] and args.raw == [["customers", "02134"]]
    assert args.output_dir == Path("runs")
    assert callable(args.handler)


# -- nbval -------------------------------------------------------------------------------------


def test_nbval_reruns_the_executed_notebooks_and_their_checked_cells_match(runs):
    books = [runs.preview, runs.validate, runs.scheduled]
    checked = 0
    for path in books:
        book = nbformat.read(str(path), as_version=4)
        checked += sum("nbval-check-output" in c.metadata.get("tags", []) for c in book.cells)
    assert checked == 4
    for name in ("preview", "validate", "scheduled"):  # the same fresh stores as the first run
        (runs.base / f"{name}.db").unlink()
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts="]
    command += ["--nbval-lax", "--nbval-sanitize-with", str(SANITIZE)]
    processes = [  # one per notebook, side by side
        subprocess.Popen([*command, str(path)], cwd=runs.base, stdout=subprocess.PIPE, text=True)
        for path in books
    ]
    for path, process in zip(books, processes, strict=True):
        stdout, _ = process.communicate(timeout=300)
        assert process.returncode == 0, f"{path.name}:\n{stdout[-4000:]}"
        assert re.search(r"\d+ passed", stdout)


def test_failed_records_give_a_red_banner_and_fail_the_notebook(tmp_path):
    import pandas as pd

    from shopsync.notebook import RunFailed, banner_html, problems, raise_if_failed
    from shopsync.sync import RECORD_COLUMNS, SyncResult

    rows = [
        {c: "" for c in RECORD_COLUMNS} | {"side": "export", "record": "C1", "outcome": "created"},
        {c: "" for c in RECORD_COLUMNS}
        | {"side": "export", "record": "C2", "outcome": "failed", "message": "refused"},
        {c: "" for c in RECORD_COLUMNS}
        | {"side": "import", "record": "9", "outcome": "skipped", "reason": "NO_ADDRESS"},
    ]
    report = tmp_path / "DEMO-7.html"
    result = SyncResult(7, "failed", pd.DataFrame(rows), reports={"html": report})
    assert "RUN 7 FAILED: 1 record(s) failed" in banner_html(result)
    assert list(problems(result)["record"]) == ["C2", "9"]  # failed first
    with pytest.raises(RunFailed, match=r"run 7: 1 record\(s\) failed.*DEMO-7.html"):
        raise_if_failed(result)
    raise_if_failed(SyncResult(8, "succeeded", pd.DataFrame(rows[:1])))  # nothing failed
