"""Scheduled notebook runs: papermill output scrubbed, a banner on top, an exit code for cron.

Each run is written to runs/<name>-<timestamp>.ipynb, scrubbed of secrets, with a banner at the
top and an exit code for cron or Airflow."""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shopsync import lazy_commands
from shopsync.errors import UserInputError
from shopsync.notebook_display import SUMMARY_MIME
from shopsync.parameters import coerce_parameter, refuse_secrets
from shopsync.settings import looks_secret

__all__ = [
    "NotebookRun",
    "add_run_notebook_command",
    "declared_parameters",
    "main",
    "run_notebook",
    "run_notebook_command",
    "scrub_notebook",
    "typed_parameters",
]

# Shopify access tokens (admin, custom app, partner, storefront...): shp??_ and a long tail.
_TOKEN_PATTERN = re.compile(r"shp[a-z]{2}_[A-Za-z0-9]{16,}")
# The password of a URL with credentials (a store URL such as postgresql://user:pw@host/db).
_URL_PASSWORD = re.compile(r"(\b[a-zA-Z][\w+.-]*://[^:/\s@'\"]+:)[^@\s'\"]+@")
_SCRUBBED = "[scrubbed]"
_BANNER_TAG = "shopsync-banner"


@dataclass
class NotebookRun:
    """One executed notebook: where it was written, whether it succeeded, and why not."""

    notebook: Path
    output: Path
    ok: bool
    error: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)
    scrubbed: int = 0
    summary: str = ""  # the run's one-line summary, when the notebook showed one

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1


def declared_parameters(notebook: str | Path) -> dict[str, dict[str, Any]]:
    """The parameters a notebook declares: name -> {type, default, help} (papermill's view)."""
    import papermill

    found = papermill.inspect_notebook(str(notebook))
    return {
        name: {
            "type": info.get("inferred_type_name", "None"),
            "default": info.get("default"),
            "help": info.get("help", ""),
        }
        for name, info in found.items()
    }


def typed_parameters(
    notebook: str | Path, text: Mapping[str, str], raw: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Parameters for ``notebook``: ``text`` values converted to each parameter's declared type
    (so 02134 stays text where the notebook declares text), ``raw`` values as given."""
    declared = declared_parameters(notebook)
    given = {**text, **(raw or {})}
    refuse_secrets(list(given))
    unknown = sorted(name for name in given if name not in declared)
    if unknown:
        raise UserInputError(
            f"{Path(notebook).name} has no parameter(s) {', '.join(unknown)}; "
            f"its parameters: {', '.join(declared)}"
        )
    values: dict[str, Any] = {}
    for name, value in text.items():
        kind = declared[name]["type"]
        if kind == "bool":
            values[name] = coerce_parameter(name, value, "bool")
        elif kind in ("int", "float"):
            try:
                values[name] = int(value) if kind == "int" else float(value)
            except ValueError:
                raise UserInputError(f"{name} must be a {kind}, got {value!r}") from None
        else:
            values[name] = value
    values.update(raw or {})
    return values


def run_notebook(
    notebook: str | Path,
    parameters: Mapping[str, Any] | None = None,
    *,
    output_dir: str | Path = "runs",
    cwd: str | Path | None = None,
    kernel_name: str | None = None,
    timeout: int | None = None,
) -> NotebookRun:
    """Execute ``notebook`` with papermill into ``output_dir/<name>-<timestamp>.ipynb``, scrub
    the output of secrets, and put a banner cell with the outcome at its top."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    notebook = Path(notebook)
    params = dict(parameters or {})
    refuse_secrets(list(params))
    output = _output_path(notebook, Path(output_dir))
    error = ""
    try:
        papermill.execute_notebook(
            str(notebook),
            str(output),
            parameters=params,
            cwd=str(cwd) if cwd else None,
            kernel_name=kernel_name,
            progress_bar=False,
            execution_timeout=timeout,
        )
    except PapermillExecutionError as exc:
        error = f"{exc.ename}: {exc.evalue} (cell In [{exc.exec_count}])"
    except Exception as exc:  # kernel died, timeout, unreadable notebook...
        error = f"{type(exc).__name__}: {exc}"
    scrubbed, summary = 0, ""
    if output.exists():
        scrubbed = scrub_notebook(output)
        summary = _summary(output)
        _add_banner(output, error, params, summary)
    elif not error:
        error = "papermill wrote no output notebook"
    return NotebookRun(notebook, output, not error, _scrub_text(error), params, scrubbed, summary)


def _summary(output: Path) -> str:
    """The last run summary line the executed notebook displayed ('' when none)."""
    document = json.loads(output.read_text(encoding="utf-8"))
    found = ""
    for cell in document.get("cells", []):
        for item in cell.get("outputs", []):
            data = item.get("data", {}).get(SUMMARY_MIME)
            if isinstance(data, dict) and data.get("summary"):
                found = str(data["summary"])
    return _scrub_text(found)


def _output_path(notebook: Path, output_dir: Path) -> Path:
    output_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    candidate = output_dir / f"{notebook.stem}-{stamp}.ipynb"
    number = 1
    while candidate.exists():
        number += 1
        candidate = output_dir / f"{notebook.stem}-{stamp}-{number}.ipynb"
    return candidate


def _secret_values() -> list[str]:
    """Values of environment variables whose names look secret (long enough to matter)."""
    values = {
        value
        for name, value in os.environ.items()
        if looks_secret(name) and len(value.strip()) >= 8
    }
    return sorted(values, key=len, reverse=True)


def _scrub_text(text: str, secrets: Sequence[str] | None = None) -> str:
    for secret in _secret_values() if secrets is None else secrets:
        text = text.replace(secret, _SCRUBBED)
    text = _URL_PASSWORD.sub(rf"\g<1>{_SCRUBBED}@", text)
    return _TOKEN_PATTERN.sub(_SCRUBBED, text)


def scrub_notebook(path: str | Path, secrets: Sequence[str] = ()) -> int:
    """Remove secrets from a saved notebook: the values of secret-looking environment variables
    (such as the access token), ``secrets``, anything shaped like a Shopify token, passwords
    in URLs (a store URL), and any secret-looking parameter papermill recorded. Returns how
    many strings changed."""
    path = Path(path)
    document = json.loads(path.read_text(encoding="utf-8"))
    known = sorted({*_secret_values(), *(s for s in secrets if s)}, key=len, reverse=True)
    changed = 0

    def clean(value: Any) -> Any:
        nonlocal changed
        if isinstance(value, str):
            cleaned = _scrub_text(value, known)
            changed += cleaned != value
            return cleaned
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, dict):
            return {
                k: (_SCRUBBED if looks_secret(k) and isinstance(v, str) else clean(v))
                for k, v in value.items()
            }
        return value

    params = document.get("metadata", {}).get("papermill", {}).get("parameters", {})
    for name in [n for n in params if looks_secret(n)]:
        params[name] = _SCRUBBED
        changed += 1
    document["cells"] = clean(document.get("cells", []))
    document["metadata"] = clean(document.get("metadata", {}))
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return changed


def _add_banner(output: Path, error: str, params: Mapping[str, Any], summary: str = "") -> None:
    import nbformat

    document = nbformat.read(str(output), as_version=4)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    shown = ", ".join(f"`{k}` = `{v!r}`" for k, v in params.items()) or "the defaults"
    if error:
        text = (
            f'<div style="border-left: 6px solid #c53030; padding: 8px 12px">'
            f'<strong style="color: #c53030">RUN FAILED</strong> ({when})<br>'
            + (f"{html.escape(summary)}<br>" if summary else "")
            + f"{html.escape(_scrub_text(error))}<br>"
            '<a href="#papermill-error-cell">Go to the failing cell</a>; the failed records '
            "table is above it.</div>\n\nParameters: " + shown
        )
    else:
        text = (
            f'<div style="border-left: 6px solid #2f855a; padding: 8px 12px">'
            f'<strong style="color: #2f855a">RUN SUCCEEDED</strong> ({when})'
            + (f"<br>{html.escape(summary)}" if summary else "")
            + "</div>"
            "\n\nParameters: " + shown
        )
    cell = nbformat.v4.new_markdown_cell(_scrub_text(text))
    cell.metadata["tags"] = [_BANNER_TAG]
    document.cells.insert(0, cell)
    nbformat.write(document, str(output))


def add_run_notebook_command(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``run-notebook`` on an argparse sub-parsers object; returns the new parser."""
    return lazy_commands.add_run_notebook_command(subparsers, run_notebook_command)


def run_notebook_command(args: argparse.Namespace) -> int:
    """The ``run-notebook`` handler: prints where the output went; 0, or 1 when it failed."""
    if not args.notebook.is_file():
        raise UserInputError(f"{args.notebook}: no such notebook")
    raw: dict[str, Any] = {}
    if args.parameters_file:
        import yaml

        loaded = yaml.safe_load(args.parameters_file.read_text(encoding="utf-8")) or {}
        if not isinstance(loaded, dict):
            raise UserInputError(f"{args.parameters_file}: expected a mapping of parameters")
        raw.update(loaded)
    raw.update(dict(args.raw))
    parameters = typed_parameters(args.notebook, dict(args.parameter), raw)
    run = run_notebook(
        args.notebook,
        parameters,
        output_dir=args.output_dir,
        cwd=args.cwd,
        kernel_name=args.kernel,
        timeout=args.timeout,
    )
    print(f"output notebook: {run.output}")
    said = f" ({run.summary})" if run.summary else ""
    if run.ok:
        print(f"{args.notebook.name}: succeeded{said}")
    else:
        print(f"{args.notebook.name}: FAILED{said}: {run.error}", file=sys.stderr)
    return run.exit_code


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m shopsync.notebook_runs NOTEBOOK [options]``: run-notebook on its own."""
    parser = argparse.ArgumentParser(prog="shopsync")
    verbs = parser.add_subparsers(dest="verb")
    add_run_notebook_command(verbs)
    args = parser.parse_args(["run-notebook", *(sys.argv[1:] if argv is None else argv)])
    try:
        return run_notebook_command(args)
    except UserInputError as exc:
        print(f"shopsync: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
