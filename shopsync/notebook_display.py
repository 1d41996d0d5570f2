"""What a notebook shows: tables, charts, a run's banner, summary line and report links."""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from shopsync.charts import bar_chart
from shopsync.reference import sample_dir

if TYPE_CHECKING:
    from shopsync.sync import SyncResult

__all__ = [
    "HEADLESS_ROWS",
    "SUMMARY_MIME",
    "banner_html",
    "count_table",
    "has_frontend",
    "notebook_chart",
    "report_links_html",
    "setup",
    "show_chart",
    "show_summary",
    "show_table",
    "summary_line",
]

# The output a notebook's run summary carries, for shopsync run-notebook to log.
SUMMARY_MIME = "application/vnd.shopsync.summary+json"

# Rows a table shows without a frontend (papermill): the report files hold them all.
HEADLESS_ROWS = 20


def setup(itables: bool = True) -> None:
    """Start a notebook: interactive tables when someone can click and itables is there.
    (Relative paths are read from the project folder by check_parameters: no chdir.)"""
    if itables and has_frontend():  # under papermill the tables stay plain and short
        try:
            from itables import init_notebook_mode
        except ImportError:
            pass
        else:
            init_notebook_mode(all_interactive=False, connected=False)


def _ipython() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def _in_kernel() -> bool:
    shell = _ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def has_frontend() -> bool:
    """True when a Jupyter frontend (JupyterLab, Notebook, VS Code) runs this kernel, false
    under papermill, nbval and plain Python: widgets are shown only when someone can click."""
    shell = _ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return False
    # ipykernel sets __session__ for kernels that Jupyter Server starts; VS Code its own name
    return bool(shell.user_ns.get("__session__") or shell.user_ns.get("__vsc_ipynb_file__"))


def _display(*objects: Any) -> None:
    try:
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython comes with the notebook extra
        for obj in objects:
            print(obj)
        return
    display(*objects)


def show_table(
    frame: pd.DataFrame,
    caption: str = "",
    *,
    interactive_from: int = 15,
    headless_rows: int = HEADLESS_ROWS,
) -> None:
    """Display a table: sortable and filterable (itables) when it is long and someone can
    click; without a frontend (papermill) its first ``headless_rows`` rows only, so that a
    scheduled run's output notebook stays small (the report files hold every row)."""
    if caption:
        _display(_html(f"<h4>{html.escape(caption)} ({len(frame)})</h4>"))
    if frame.empty:
        _display(_html("<p><em>none</em></p>"))
        return
    if not has_frontend():
        _display(frame.head(headless_rows))
        if len(frame) > headless_rows:
            _display(
                _html(
                    f"<p><em>the first {headless_rows} of {len(frame)} rows; the report "
                    "files hold them all</em></p>"
                )
            )
        return
    if len(frame) >= interactive_from:
        try:
            from itables import show
        except ImportError:
            pass
        else:
            show(frame, lengthMenu=[10, 25, 100, -1], pageLength=10)
            return
    _display(frame)


def _html(text: str) -> Any:
    try:
        from IPython.display import HTML
    except ImportError:  # pragma: no cover
        return text
    return HTML(text)


def count_table(frame: pd.DataFrame, rows: str, columns: str | None = None) -> pd.DataFrame:
    """Records per ``rows`` value (and per ``columns`` value), with totals."""
    if columns is None:
        counts = frame[rows].value_counts().sort_index()
        return counts.rename_axis(rows).reset_index(name="records")
    table = pd.crosstab(frame[rows], frame[columns], margins=True, margins_name="total")
    return table


def notebook_chart(counts: Mapping[str, int], title: str = "records") -> str:
    """The bar chart of ``counts`` for a notebook: titled, self-styled, room for long keys."""
    return bar_chart(counts, label=title, title=title, label_width=190, standalone=True)


def show_chart(counts: Mapping[str, int], title: str) -> None:
    """Display a bar chart of ``counts``."""
    _display(_html(notebook_chart(counts, title)))


def banner_html(result: SyncResult) -> str:
    """A coloured banner: failed, succeeded or planned, with the counts."""
    counts = ", ".join(f"{k} {v}" for k, v in result.counts.items() if v) or "no records"
    if result.status == "planned":
        colour, title = "#2b6cb0", "DRY RUN: nothing was written"
    elif result.failed or result.status == "failed":
        colour, title = "#c53030", f"RUN {result.run_id} FAILED: {result.failed} record(s) failed"
    else:
        colour, title = "#2f855a", f"RUN {result.run_id} SUCCEEDED"
    return (
        f'<div class="shopsync-banner" style="border-left: 6px solid {colour}; '
        f'padding: 8px 12px; background: #f7f7f7"><strong style="color: {colour}">'
        f"{html.escape(title)}</strong><br>{html.escape(counts)}</div>"
    )


def report_links_html(reports: Mapping[str, Path]) -> str:
    """Links to a run's report files."""
    if not reports:
        return "<p>No report files (dry run).</p>"
    items = "".join(
        f'<li><a href="{html.escape(_relative(path))}" target="_blank"'
        f"{'' if kind in _OPENED_IN_LAB else ' download'}>"
        f"{html.escape(kind)}</a>: <code>{html.escape(str(path))}</code></li>"
        for kind, path in reports.items()
    )
    return f"<p>Report files:</p><ul>{items}</ul>"


# Report kinds JupyterLab opens itself (its HTML and CSV viewers); other links (xlsx) carry
# ``download``, which Lab leaves to the browser instead of opening the file as text.
_OPENED_IN_LAB = ("html", "csv")


def _relative(path: Path) -> str:
    """``path`` as a link from a notebook in the project's ``notebooks/`` or ``runs/`` folder
    (Jupyter resolves links from the notebook's folder; both sit in the project folder)."""
    target = Path(path).resolve()
    try:
        return "../" + target.relative_to(sample_dir().parents[1]).as_posix()
    except ValueError:  # outside the project: an absolute link
        return target.as_uri()


def summary_line(result: SyncResult, shop: str) -> str:
    """One line of a run: status, the counts, and why it stopped (what a scheduler logs)."""
    counts = ", ".join(f"{k} {v}" for k, v in result.counts.items() if v) or "no records"
    name = "dry run" if result.run_id is None else f"run {result.run_id}"
    line = f"{name} of shop {shop}: {result.status}; {counts}"
    return line + (f"; stopped: {result.aborted}" if result.aborted else "")


def show_summary(result: SyncResult, shop: str) -> None:
    """Display the run's summary line, marked for the scheduled-run runner to pick up."""
    line = summary_line(result, shop)
    try:
        from IPython.display import display
    except ImportError:  # pragma: no cover
        print(line)
        return
    display({"text/plain": line, SUMMARY_MIME: {"summary": line}}, raw=True)
