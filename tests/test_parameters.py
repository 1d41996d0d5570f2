"""A notebook's relative path parameters are read from the project folder, without a chdir."""

from __future__ import annotations

import os
from pathlib import Path

from shopsync.parameters import check_parameters, project_folder


def _project(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    (tmp_path / "notebooks").mkdir()
    return tmp_path


def _namespace(**values):
    return {"__annotations__": {name: "str" for name in values}, "In": [], **values}


def test_a_kernel_started_in_notebooks_reads_paths_from_the_project(tmp_path, monkeypatch):
    project = _project(tmp_path)
    monkeypatch.chdir(project / "notebooks")
    monkeypatch.delenv("SHOPSYNC_DB", raising=False)
    namespace = _namespace(
        config="data/sample/shop.toml",
        db="",
        erp="",
        shopify="emulator",
        output_dir="reports",
        orders=str(tmp_path / "abs.jsonl"),
        country="NO",
    )
    params = check_parameters(namespace)
    assert Path.cwd() == project / "notebooks"  # the working directory never changes
    assert params["config"] == namespace["config"] == str(project / "data/sample/shop.toml")
    assert params["output_dir"] == str(project / "reports")
    assert params["db"] == f"sqlite:///{project / 'data' / 'shopsync.db'}"
    assert (params["erp"], params["shopify"], params["country"]) == ("", "emulator", "NO")
    assert params["orders"] == str(tmp_path / "abs.jsonl")  # absolute paths stay


def test_in_the_project_folder_the_parameters_stay_as_given(tmp_path, monkeypatch):
    project = _project(tmp_path)
    monkeypatch.chdir(project)
    params = check_parameters(_namespace(config="data/shop.toml", db="", output_dir="reports"))
    assert params == {"config": "data/shop.toml", "db": "", "output_dir": "reports"}
    assert project_folder() == project == Path(os.getcwd())


def test_a_folder_named_notebooks_without_a_project_is_its_own_folder(tmp_path, monkeypatch):
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")
    assert project_folder() == tmp_path / "notebooks"
    assert check_parameters(_namespace(config="shop.toml")) == {"config": "shop.toml"}
