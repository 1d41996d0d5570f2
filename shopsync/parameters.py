"""A notebook's parameters: checked after papermill injects them, coerced, secrets refused."""

from __future__ import annotations

import ast
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from shopsync.errors import UserInputError
from shopsync.settings import (
    CONTACT_SOURCES,
    COUNTY_SOURCES,
    MAPPING_TYPES,
    NAME_SOURCES,
    PHONE_MATCHES,
    looks_secret,
)
from shopsync.shopify.client import TOKEN_ENV
from shopsync.sources import SOURCE_NAMES

__all__ = [
    "IMPORT_SETTINGS",
    "PATH_PARAMETERS",
    "check_parameters",
    "coerce_parameter",
    "in_project",
    "injected_names",
    "project_db_url",
    "project_folder",
    "refuse_secrets",
    "setting_overrides",
    "text_list",
]

# The shop settings the import plan depends on, with their choices (None: free text or bool).
IMPORT_SETTINGS: dict[str, tuple[str, ...] | None] = {
    "mapping_type": MAPPING_TYPES,
    "phone_match": PHONE_MATCHES,
    "auto_create_unknown_customers": None,
    "shopify_can_update_customers": None,
    "name_source": NAME_SOURCES,
    "name_2_source": NAME_SOURCES,
    "contact_source": CONTACT_SOURCES,
    "county_source": COUNTY_SOURCES,
    "customer_template_code": None,
    "default_customer_no": None,
}


# The notebooks' parameters that name a file or folder: a relative one is read from the
# project folder, wherever Jupyter started the kernel. ``shopify`` is one unless it names a
# source (emulator, live, store).
PATH_PARAMETERS = ("config", "erp", "erp_file", "emulator_data", "orders", "output_dir", "shopify")

# papermill's Python translator opens the cell it injects with this comment
_INJECTED_COMMENT = "# Parameters"


def refuse_secrets(names: Sequence[str]) -> None:
    """Refuse the names that look like secrets (see shopsync.settings.looks_secret)."""
    secret = sorted(name for name in names if looks_secret(name))
    if secret:
        raise UserInputError(
            f"parameter(s) {', '.join(secret)} look like secrets, and secrets never enter a "
            f"notebook (they would be saved in its output): set {TOKEN_ENV} in the environment "
            "instead; shopsync reads it itself"
        )


def check_parameters(namespace: dict[str, Any]) -> dict[str, Any]:
    """Check a notebook's parameters after papermill injected its values; return them.

    ``namespace`` is the notebook's ``globals()``. Only what can be a parameter is checked:
    the declared names (the parameters cell's annotations) and the names papermill injected
    (its ``# Parameters`` cell, found in the kernel's input history after the parameters
    cell). Variables the notebook or the analyst created are not parameters, so re-running
    cells, or Run All twice in one kernel, works. An injected name that looks secret is
    refused; an injected name the parameters cell does not declare is refused; a value of the
    wrong type is refused with the papermill trap that causes it (``-r`` for codes like
    02134, quoted YAML for ON/NO); "true"/"false" text for a bool parameter is converted in
    ``namespace``. A relative path parameter (PATH_PARAMETERS, the default store) is read
    from the project folder (see project_folder) and set in ``namespace`` as such.
    """
    declared: dict[str, Any] = dict(namespace.get("__annotations__", {}))
    injected = injected_names(namespace.get("In", ()), declared)
    refuse_secrets([*declared, *injected])
    unknown = sorted(name for name in injected if name not in declared)
    if unknown:
        raise UserInputError(
            f"unknown parameter(s) {', '.join(unknown)}; this notebook's parameters are "
            + ", ".join(declared)
        )
    problems = []
    for name, kind in declared.items():
        value = namespace.get(name)
        try:
            namespace[name] = coerce_parameter(name, value, kind)
        except UserInputError as exc:
            problems.append(str(exc))
    if problems:
        raise UserInputError("; ".join(problems))
    folder = project_folder()
    for name in declared:
        if name == "db":
            namespace[name] = project_db_url(namespace[name], folder)
        elif name in PATH_PARAMETERS:
            namespace[name] = in_project(namespace[name], folder)
    return {name: namespace[name] for name in declared}


def injected_names(history: Sequence[str], declared: Mapping[str, Any]) -> list[str]:
    """The names papermill's ``# Parameters`` cell assigns, from a kernel's input history
    (IPython's ``In``): the last such cell run after the last parameters cell, else none."""
    for source in reversed(list(history)):
        text = str(source or "")
        if text.lstrip().startswith(_INJECTED_COMMENT):
            return _assigned_names(text)
        if declared and _declares(text, declared):
            return []  # the parameters cell ran again, without an injection after it
    return []


def _assigned_names(source: str) -> list[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return [
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    ]


def _declares(source: str, declared: Mapping[str, Any]) -> bool:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    return any(
        isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and node.target.id in declared
        for node in tree.body
    )


def coerce_parameter(name: str, value: Any, kind: Any) -> Any:
    """``value`` as parameter ``name`` of type ``kind`` needs it, or a UserInputError naming
    the papermill trap that gave the wrong type."""
    kind_name = kind if isinstance(kind, str) else getattr(kind, "__name__", str(kind))
    if kind_name == "str":
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            raise UserInputError(
                f"{name} is text but arrived as {value!r}: YAML reads ON/OFF/YES/NO (country NO "
                f"included) as booleans; quote it (-y '{name}: \"NO\"') or pass it with -r"
            )
        raise UserInputError(
            f"{name} is text but arrived as the number {value!r}: papermill's -p reads 02134 as "
            f"2134; pass it with -r {name} VALUE so it stays text"
        )
    if kind_name == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise UserInputError(f"{name} must be true or false, got {value!r}")
    if kind_name == "int" and not (isinstance(value, int) and not isinstance(value, bool)):
        raise UserInputError(f"{name} must be a whole number, got {value!r}")
    if kind_name == "float" and not isinstance(value, (int, float)):
        raise UserInputError(f"{name} must be a number, got {value!r}")
    return value


def setting_overrides(**values: Any) -> dict[str, Any]:
    """Shop-setting parameters as overrides: "" means "as configured"; "true"/"false" are
    booleans for the boolean settings."""
    overrides: dict[str, Any] = {}
    for name, value in values.items():
        if name not in IMPORT_SETTINGS:
            raise UserInputError(f"{name} is not a setting the import plan depends on")
        if value is None or value == "":
            continue
        if name in ("auto_create_unknown_customers", "shopify_can_update_customers"):
            value = coerce_parameter(name, value, "bool")
        overrides[name] = value
    return overrides


def text_list(value: str) -> tuple[str, ...]:
    """A comma-separated parameter as a tuple of non-blank, stripped items."""
    return tuple(part.strip() for part in str(value).split(",") if part.strip())


def project_folder(cwd: Path | None = None) -> Path:
    """The folder a notebook's relative paths are read from: the working directory, or the
    project folder when Jupyter started the kernel in its ``notebooks/`` folder (the project
    folder holds ``data/``). Nothing changes the working directory."""
    here = Path.cwd() if cwd is None else cwd
    if here.name == "notebooks" and (here.parent / "data").is_dir():
        return here.parent
    return here


def in_project(value: Any, folder: Path | None = None) -> Any:
    """A relative path parameter as read from ``folder`` (default project_folder()): the
    same text when that is the working directory; "" and source names stay as they are."""
    folder = project_folder() if folder is None else folder
    if not isinstance(value, str) or not value.strip() or value.strip() in SOURCE_NAMES:
        return value
    path = Path(value)
    if path.is_absolute() or folder == Path.cwd():
        return value
    return str(folder / path)


def project_db_url(db: Any, folder: Path | None = None) -> Any:
    """The ``db`` parameter with a relative SQLite file read from ``folder`` (default
    project_folder()); "" (the default store: SHOPSYNC_DB, else data/shopsync.db) included."""
    from shopsync.store import DEFAULT_DB_URL

    folder = project_folder() if folder is None else folder
    if not isinstance(db, str) or folder == Path.cwd():
        return db
    url = db or os.environ.get("SHOPSYNC_DB") or DEFAULT_DB_URL
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url[len(prefix) :].startswith(("/", ":memory:")):
        return db
    return prefix + str(folder / url[len(prefix) :])
