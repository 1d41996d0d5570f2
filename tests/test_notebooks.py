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
import zmq

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


@pytest.mark.slow
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


@pytest.mark.slow
def test_validate_notebook_counts_reasons_and_exports_every_format(runs):
    text = _stdout(runs.validate)
    assert re.search(r"ELIGIBILITY: 204 ERP customers, \d+ eligible, \d+ not eligible", text)
    assert "EMAIL_INVALID" in text
    assert "Ineligible customers and what to fix" in _html(runs.validate)
    for suffix in ("csv", "xlsx", "html"):
        assert (runs.base / "reports" / f"DEMO-export-validation.{suffix}").is_file()


@pytest.mark.slow
def test_sync_dry_run_plans_and_writes_nothing(runs):
    from shopsync.store import open_store

    text = _stdout(runs.dry)
    assert "run (dry run): planned" in text
    assert "dry_run is true: nothing was written" in text
    assert "no sync run: dry run" in text
    assert open_store(f"sqlite:///{runs.base / 'dry.db'}").runs().empty
    assert "DRY RUN: nothing was written" in _html(runs.dry)


@pytest.mark.slow
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
        assert re.search(rf"DEMO-{run['id']}-\d{{8}}T\d{{6}}Z\.{suffix}$", reports[suffix])
    book = nbformat.read(str(runs.scheduled), as_version=4)
    assert "shopsync-banner" in book.cells[0].metadata["tags"]
    assert "RUN SUCCEEDED" in book.cells[0].source
    # the one line a scheduler logs: the counts, not only "succeeded"
    counts = json.loads(run["counts"])
    said = ", ".join(f"{k} {v}" for k, v in counts.items() if v)
    assert said.split(", ")[0] in process.stdout
    line = f"03-sync.ipynb: succeeded (run {run['id']} of shop DEMO: succeeded; "
    assert line in process.stdout
    assert f"run {run['id']} of shop DEMO: succeeded; " in book.cells[0].source
    # the output notebook stays small: the report files hold the tables' rows
    assert runs.scheduled.stat().st_size < 200_000, runs.scheduled.stat().st_size
    assert "the report files hold them all" in _html(runs.scheduled)
    text = _stdout(runs.scheduled)
    assert f"run {run['id']}: succeeded" in text
    (handover,) = (runs.base / "reports").glob("DEMO-erp-*.xlsx")  # erp_handover true
    assert "ERP hand-over 1 for shop DEMO: New customers" in text and str(handover) in text
    html = _html(runs.scheduled)
    assert "Failed and skipped records" in html
    assert Path(reports["html"]).name in html  # the links to the report files
    raw = runs.scheduled.read_text(encoding="utf-8")
    assert FAKE_TOKEN not in raw
    assert FAKE_TOKEN[:20] not in raw


@pytest.mark.slow
def test_a_failing_run_exits_non_zero_with_a_banner_at_the_top(runs):
    process = runs.failed_process
    assert process.returncode == 1
    assert "FAILED" in process.stderr and "ConfigError" in process.stderr
    book = nbformat.read(str(runs.failed), as_version=4)
    assert "RUN FAILED" in book.cells[0].source
    assert "ConfigError" in book.cells[0].source
    assert "papermill-error-cell" in book.cells[0].source  # the link to the failing cell


@pytest.mark.slow
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


@pytest.mark.slow
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
    # what papermill injected is in the kernel's input history (IPython's In), after the
    # parameters cell, in a cell that starts "# Parameters"
    cells = ['db: str = ""  # the store', "# Parameters\napi_key = 'x'\n"]
    with pytest.raises(UserInputError, match="look like secrets"):
        check_parameters({"__annotations__": {"db": str}, "db": "", "api_key": "x", "In": cells})
    cells = ["dry_run: bool = True  # plan only", "# Parameters\ndryrun = 0\n"]
    with pytest.raises(UserInputError, match=r"unknown parameter.*dryrun"):
        check_parameters(
            {"__annotations__": {"dry_run": bool}, "dry_run": True, "dryrun": 0, "In": cells}
        )


def test_check_parameters_ignores_what_the_notebook_and_the_analyst_created():
    """Run All twice: the second check sees the first run's variables, which are no
    parameters; an injection from before the parameters cell ran again counts no more."""
    cells = [
        "dry_run: bool = True  # plan only",
        "# Parameters\ndry_run = False\n",
        "params = check_parameters(globals())",
        "plan = 1\npanel = 2",
        "dry_run: bool = True  # plan only",  # Run All again, without papermill
    ]
    namespace = {"__annotations__": {"dry_run": bool}, "dry_run": True, "In": cells}
    namespace |= {"plan": 1, "panel": 2, "result": None, "plan_file": "x.xlsx"}
    namespace["api_key_hint"] = "set by the analyst"  # not a parameter, so not refused
    assert check_parameters(namespace) == {"dry_run": True}
    namespace["In"] = [*cells, "# Parameters\ndry_run = False\nplan_file = 'y'\n"]
    with pytest.raises(UserInputError, match=r"unknown parameter\(s\) plan_file;"):
        check_parameters(namespace)


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


@pytest.mark.slow
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


# -- the analyst's loop: one kernel, Run All twice, the panels ---------------------------------


class Kernel:
    """One Jupyter kernel (nbclient) in a fresh copy of the project's layout, as an analyst
    who cloned the project and opened JupyterLab has it: no store file yet, no reports."""

    def __init__(self, client) -> None:
        self.client = client
        self.count = 0

    def run_all(self, name: str) -> nbformat.NotebookNode:
        """Run every cell of notebook ``name`` in this kernel (Run All); returns the cells."""
        book = nbformat.read(str(NOTEBOOKS / name), as_version=4)
        for cell in book.cells:
            if cell.cell_type == "code":
                self._execute(cell)
        return book

    def run(self, source: str) -> str:
        """Run one cell of ``source``; returns its stdout."""
        cell = nbformat.v4.new_code_cell(source)
        self._execute(cell)
        return "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")

    def facts(self, source: str) -> dict:
        """Run ``source``, which binds ``facts`` to a dict; returns that dict."""
        return json.loads(self.run(source + "\nimport json as _j; print(_j.dumps(facts))"))

    def _execute(self, cell) -> None:
        self.count += 1
        self.client.nb.cells.append(cell)
        self.client.execute_cell(cell, len(self.client.nb.cells) - 1)


def _wake_the_reply_wait_after_each_send(channel) -> None:
    """Make each send on ``channel`` (the client's shell channel) re-check its socket's events.

    jupyter_client's ``Session.send`` writes to the channel's ``zmq.asyncio`` socket through a
    plain ``zmq.Socket.shadow`` of it, behind the asyncio wrapper's back. A send processes the
    socket's pending commands, which drains its edge-triggered FD: when the kernel's
    execute_reply has just arrived, the event loop is never woken for it and nbclient's
    ``shell_channel.get_msg`` sleeps until its timeout (300 s) with the reply in the socket.
    nbclient does send on the shell channel while it waits for that reply: its Output widget
    mimic syncs each ``clear_output`` and output back to the kernel (the validate panel's
    table, in the last cell). ``get(zmq.EVENTS)`` on the asyncio socket after the send
    schedules the waiting poll if a message is there, as pyzmq does after its own sends
    (zeromq/pyzmq#1208); a reply that never comes still times out.
    """
    send = channel.send

    def send_and_wake(msg) -> None:
        send(msg)
        channel.socket.get(zmq.EVENTS)

    channel.send = send_and_wake


@pytest.fixture
def kernel(tmp_path):
    from nbclient import NotebookClient

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "sample").symlink_to(SAMPLE)  # the relative defaults resolve here
    client = NotebookClient(
        nbformat.v4.new_notebook(),
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    with client.setup_kernel():
        _wake_the_reply_wait_after_each_send(client.kc.shell_channel)
        found = Kernel(client)
        found.run("__session__ = 'lab'  # a kernel JupyterLab started: the panels show")
        yield found


def _html_of(book_cells) -> str:
    return "\n".join(
        str(o.get("data", {}).get("text/html", ""))
        for c in book_cells
        for o in c.get("outputs", [])
    )


@pytest.mark.slow
def test_preview_notebook_run_all_twice_and_its_panel_on_a_fresh_clone(kernel, tmp_path):
    for _ in range(2):  # the second Run All sees the first one's variables
        kernel.run_all(BOOKS[0])
    # nothing was written by previewing (the store starts without ERP customers)
    assert kernel.facts(
        "facts = {'links': store.links('DEMO'), 'erp': len(store.erp_customers())}"
    ) == {"links": {}, "erp": 0}

    facts = kernel.facts(
        """review = panel.result.review()
first = panel.customer.options[0]
facts = {
    "n_options": len(panel.customer.options),
    "n_review": len(review),
    "value": panel.customer.value,
    "first_id": review.iloc[0]["shopify_id"],
    "label": first[0],
    "email": review.iloc[0]["email"],
    "candidates": panel.candidates_view.value,
    "candidate": panel.customer_no.value,
    "notice": panel.link_notice.value,
}
erp = panel.preview.erp_customers().set_index("no")
facts["erp_name"] = erp.at[facts["candidate"], "name"]
facts["erp_city"] = erp.at[facts["candidate"], "city"]"""
    )
    # 3. the review list is filled after the preview, labelled with name and e-mail
    assert facts["n_options"] == facts["n_review"] > 0
    assert facts["value"] == facts["first_id"]
    assert facts["email"] in facts["label"] and facts["first_id"] in facts["label"]
    # ...and a candidate shows the ERP customer's name and address, not only its number
    assert facts["candidate"] in facts["candidates"]
    assert facts["erp_name"] in facts["candidates"] and facts["erp_city"] in facts["candidates"]
    # 2. the main action works on a fresh clone: the panel says first what linking will do
    assert "loads" in facts["notice"] and "erp_customers.csv" in facts["notice"]
    facts = kernel.facts(
        """said = panel.link()
facts = {"said": said, "status": panel.link_status.value, "notice": panel.link_notice.value,
         "links": panel.preview.store.links("DEMO")}"""
    )
    assert "linked Shopify customer" in facts["said"], facts["status"]
    assert "into the store" in facts["said"]
    assert len(facts["links"]) == 1
    assert facts["notice"] == ""  # the store has the ERP customers now
    # 4. the panel refuses what the config refuses, with the config's message
    facts = kernel.facts(
        """panel.controls["default_customer_no"].value = "NOPE1"
panel.preview_button.click()
nope = panel.plan_view.value
nope_result = panel.result
panel.controls["default_customer_no"].value = "C90000"
panel.controls["shopify_can_update_customers"].value = True
panel.preview_button.click()
facts = {"nope": nope, "nope_result": nope_result is None, "both": panel.plan_view.value,
         "options": len(panel.customer.options)}"""
    )
    assert "default_customer_no &#x27;NOPE1&#x27; is not an ERP customer" in facts["nope"]
    assert facts["nope_result"]
    assert "exclude each other: set at most one to true" in facts["both"]
    assert facts["options"] == 0  # nothing planned, nothing to review


@pytest.mark.slow
def test_validate_notebook_run_all_twice(kernel, tmp_path):
    for _ in range(2):
        book = kernel.run_all(BOOKS[1])
    assert "Ineligible customers and what to fix" in _html_of(book.cells)
    assert (tmp_path / "reports" / "DEMO-export-validation.xlsx").is_file()


@pytest.mark.slow
def test_sync_notebook_run_all_twice_then_the_button_and_the_cells_below(kernel, tmp_path):
    for _ in range(2):
        kernel.run_all(BOOKS[2])
    assert kernel.run("print(result)").strip() == "None"  # a dry run only
    facts = kernel.facts(
        """sync_panel.confirm.value = True
sync_panel.run_button.click()
facts = {"status": sync_panel.status.value, "phases": dict(sync_panel.phases),
         "phases_view": sync_panel.phases_view.value, "bar": sync_panel.bar.bar_style,
         "run": sync_panel.result.run_id, "counts": sync_panel.result.counts}"""
    )
    # 6. per-phase progress and the counts in the panel
    assert facts["phases"]["import"] > 0 and "import" in facts["phases_view"]
    assert set(facts["phases"]) >= {"import", "export"}
    assert facts["bar"] == "success"
    counts = ", ".join(f"{k} {v}" for k, v in facts["counts"].items() if v)
    assert counts in facts["status"]
    # 5. the cells below, run again, show that run (not "dry run") and link its reports
    book = nbformat.read(str(NOTEBOOKS / BOOKS[2]), as_version=4)
    below = next(i for i, c in enumerate(book.cells) if "nb.latest_run" in c.source)
    for cell in book.cells[below:]:
        if cell.cell_type == "code":
            kernel._execute(cell)
    text = "".join(o.get("text", "") for o in book.cells[below].outputs)
    assert text.startswith(f"run {facts['run']}: succeeded"), text
    links = _html_of(book.cells[below:])
    xlsx = re.search(r'<a href="[^"]*DEMO-[^"]*\.xlsx"[^>]*>', links)
    assert xlsx and " download" in xlsx.group(0)  # downloaded, not opened as text by Lab
    html_link = re.search(r'<a href="[^"]*DEMO-[^"]*\.html"[^>]*>', links)
    assert html_link and " download" not in html_link.group(0)
    # fail_on_failed applies to the panel's run: had it failed, the last cell raises
    kernel.run(
        "import dataclasses\nfailed = dataclasses.replace(sync_panel.result, status='failed')"
    )
    kernel.run("sync_panel.result = failed")
    from nbclient.exceptions import CellExecutionError

    with pytest.raises(CellExecutionError, match="RunFailed"):
        for cell in book.cells[below:]:
            if cell.cell_type == "code":
                kernel._execute(cell)
