"""Promises the project makes about itself: one dependency list, the README's commands, CI."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

import shopsync

ROOT = Path(__file__).resolve().parents[1]


def test_environment_yml_installs_from_pyproject_and_pins_python():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    assert "python=3.11" in deps
    pip_entries = next(d["pip"] for d in deps if isinstance(d, dict))
    assert pip_entries == ["-e .[dev]"]
    # nothing else may drift from pyproject.toml: only python and pip come from conda
    assert [d for d in deps if isinstance(d, str)] == ["python=3.11", "pip"]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "dev" in project["project"]["optional-dependencies"]


def test_readme_quick_start_is_the_two_make_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    commands = [line for line in ci.splitlines() if line and not line.startswith("#")]
    assert "make test" in commands


def test_public_api_is_what_the_readme_lists():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Python API", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"`shopsync\.(\w+)`", section))
    assert listed == set(shopsync.__all__) - {"__version__"}
    for name in shopsync.__all__:
        assert hasattr(shopsync, name)


def test_every_cli_command_is_documented_in_the_readme():
    from shopsync.cli import build_parser

    readme = (ROOT / "README.md").read_text()
    parser = build_parser()
    verbs = parser._subparsers._group_actions[0].choices  # argparse keeps them here
    for verb in verbs:
        assert f"shopsync {verb}" in readme, f"`shopsync {verb}` is not in the README"


def test_every_reason_code_is_explained_in_the_readme():
    from shopsync.reasons import REASONS

    readme = (ROOT / "README.md").read_text()
    for code in REASONS:
        assert f"`{code}`" in readme, code


def test_every_reason_code_the_code_emits_is_registered():
    import importlib
    import re

    from shopsync.reasons import REASONS

    # the environment variables the code reads or sets (the last is pyarrow's, set by the CLI)
    environment = {
        "SHOPSYNC_DB",
        "SHOPIFY_ACCESS_TOKEN",
        "SHOPSYNC_LOCK_EXPIRY",
        "ARROW_DEFAULT_MEMORY_POOL",
    }
    emitted, exported = set(), environment
    for path in (ROOT / "shopsync").glob("*.py"):
        emitted |= set(re.findall(r'"([A-Z]{3,}(?:_[A-Z0-9]+)+)"', path.read_text()))
        module = importlib.import_module(f"shopsync.{path.stem}")
        exported |= set(getattr(module, "__all__", []))
    assert emitted - exported - set(REASONS) == set()


def _module_table() -> list[str]:
    """The paths the README's Architecture module table names (``shopsync/x.py``, ``dir/``)."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Architecture", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `(shopsync/[\w/.]+)` \|", section, flags=re.MULTILINE)


def test_every_module_the_readme_table_names_exists_and_every_module_is_in_it():
    named = _module_table()
    assert len(named) == len(set(named)), "a module is named twice"
    missing = [path for path in named if not (ROOT / path).exists()]
    assert missing == []
    package = ROOT / "shopsync"
    present = {
        f"shopsync/{p.name}/" if p.is_dir() else f"shopsync/{p.name}"
        for p in package.iterdir()
        if (p.suffix == ".py" and p.name != "__init__.py")
        or (p.is_dir() and (p / "__init__.py").is_file())
    }
    assert present - set(named) == set(), "modules the README's table does not name"


def test_every_module_has_a_one_line_docstring():
    import ast

    bad = []
    for path in sorted((ROOT / "shopsync").rglob("*.py")):
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        lines = (doc or "").splitlines()
        if not lines or not lines[0].strip() or (len(lines) > 1 and lines[1].strip()):
            bad.append(str(path.relative_to(ROOT)))  # none, or a summary over several lines
    assert bad == []


def test_no_module_changes_the_working_directory():
    calls = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "shopsync").rglob("*.py")
        if re.search(r"\bos\.chdir\(|\bchdir\(", path.read_text(encoding="utf-8"))
    ]
    assert calls == []


def _layers() -> list[set[str]]:
    """The README's architecture picture: the modules of each layer, bottom layer first."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Architecture", 1)[1].split("\n## ", 1)[0]
    picture = section.split("```\n", 2)[1]
    layers: list[set[str]] = []
    for line in picture.splitlines():
        if ":" in line:
            layers.append(set())
        words = line.split(":", 1)[-1].split()
        layers[-1] |= {w.rstrip("/") for w in words if w != "▲"}
    return layers[::-1]


def _imported_modules(path: Path) -> set[str]:
    """The shopsync modules (top level: ``shopsync.x``) a file imports, anywhere in it."""
    import ast

    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            parts = node.module.split(".")
            if parts[0] == "shopsync":
                names |= {parts[1]} if len(parts) > 1 else {a.name for a in node.names}
        elif isinstance(node, ast.Import):
            names |= {a.name.split(".")[1] for a in node.names if a.name.startswith("shopsync.")}
    return names


def test_the_readme_architecture_layers_hold_in_the_imports():
    layers = _layers()
    layer_of = {module: number for number, modules in enumerate(layers) for module in modules}
    assert sum(len(m) for m in layers) == len(layer_of), "a module stands in two layers"
    package = ROOT / "shopsync"
    modules = {
        p.stem: [p] if p.is_file() else sorted(p.rglob("*.py"))
        for p in package.iterdir()
        if (p.suffix == ".py" and p.name not in ("__init__.py", "__main__.py"))
        or (p.is_dir() and (p / "__init__.py").is_file() and p.name != "reference_data")
    }
    assert set(modules) == set(layer_of), "the picture and the package name other modules"
    upward = sorted(
        f"{module} (layer {layer_of[module]}) imports {imported} (layer {layer_of[imported]})"
        for module, files in modules.items()
        for path in files
        for imported in _imported_modules(path) - {module, "__version__"}
        if imported in layer_of and layer_of[imported] > layer_of[module]
    )
    assert upward == []
