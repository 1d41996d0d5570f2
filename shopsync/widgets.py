"""ipywidgets panels for the notebooks: they only set the parameters and call the library."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sized
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import pandas as pd

from shopsync.erp_export import ErpExport
from shopsync.errors import ShopsyncError
from shopsync.notebook_display import banner_html, notebook_chart, report_links_html, show_table
from shopsync.parameters import IMPORT_SETTINGS
from shopsync.previews import (
    ImportPlan,
    ImportPreview,
    export_reports,
    filter_validation,
    reason_counts,
    validation_fixes,
)
from shopsync.sync import SyncResult
from shopsync.sync_job import SyncJob, problems

__all__ = ["ErpExportPanel", "PreviewPanel", "SyncPanel", "ValidationPanel"]

_BOOLEAN_SETTINGS = ("auto_create_unknown_customers", "shopify_can_update_customers")


def _error_html(exc: Exception) -> str:
    text = _escape(str(exc)).replace("\n", "<br>")
    return f'<p style="color: #c53030"><strong>{type(exc).__name__}</strong>: {text}</p>'


def _escape(text: str) -> str:
    import html

    return html.escape(text)


class PreviewPanel:
    """01: the import settings, a Preview button that re-plans, the plan, and the inspector of
    one customer's candidates with a Link button that writes the link to the store."""

    def __init__(self, preview: ImportPreview) -> None:
        self.preview = preview
        current = preview.settings()
        templates = ["", *preview.config.templates]
        self.controls: dict[str, widgets.ValueWidget] = {}
        for name, choices in IMPORT_SETTINGS.items():
            label = name.replace("_", " ")
            if name in _BOOLEAN_SETTINGS:
                control = widgets.Checkbox(
                    value=bool(current[name]), description=label, indent=True
                )
            elif name == "customer_template_code":
                control = widgets.Dropdown(
                    options=templates, value=current[name] or "", description=label
                )
            elif choices:
                control = widgets.Dropdown(options=choices, value=current[name], description=label)
            else:
                control = widgets.Text(value=str(current[name] or ""), description=label)
            control.style.description_width = "200px"
            control.layout.width = "440px"
            self.controls[name] = control
        self.preview_button = widgets.Button(
            description="Preview", button_style="primary", icon="refresh"
        )
        self.preview_button.on_click(lambda _: self.refresh())
        self.plan_view = widgets.HTML()
        self.review_output = widgets.Output()
        self.customer = widgets.Dropdown(options=[], description="Shopify customer")
        self.customer.style.description_width = "200px"
        self.customer.observe(lambda _: self._show_candidates(), names="value")
        self.candidates_view = widgets.HTML()
        self.customer_no = widgets.Text(description="ERP customer no")
        self.customer_no.style.description_width = "200px"
        self.link_button = widgets.Button(
            description="Link in the store", button_style="warning", icon="link"
        )
        self.link_button.on_click(lambda _: self.link())
        self.link_status = widgets.HTML()
        self.link_notice = widgets.HTML()
        self.result: ImportPlan | None = None
        self.widget = widgets.VBox(
            [
                widgets.HTML("<h3>Mapping settings</h3>"),
                widgets.GridBox(
                    list(self.controls.values()),
                    layout=widgets.Layout(grid_template_columns="repeat(2, 460px)"),
                ),
                self.preview_button,
                self.plan_view,
                widgets.HTML("<h3>Review a customer's candidates</h3>"),
                self.link_notice,
                self.customer,
                self.candidates_view,
                widgets.HBox([self.customer_no, self.link_button]),
                self.link_status,
                self.review_output,
            ]
        )
        self.refresh()

    def settings(self) -> dict[str, Any]:
        """The settings the controls show (the same names as the notebook's parameters)."""
        return {name: control.value for name, control in self.controls.items()}

    def refresh(self) -> ImportPlan | None:
        """Re-plan with the controls' settings (what the Preview button does); settings the
        config refuses are refused here too, with its message, and plan nothing."""
        self.preview_button.disabled = True
        try:
            self.result = self.preview.plan(self.settings())
        except (ShopsyncError, ValueError) as exc:
            self.result = None
            self.plan_view.value = _error_html(exc)
            self.customer.options = []
            self._show_candidates()
            self.review_output.clear_output()
            return None
        finally:
            self.preview_button.disabled = False
        self.plan_view.value = self.result.summary_html()
        options = self.result.review_options()
        self.customer.options = options
        self.customer.value = options[0][1] if options else None
        self._show_candidates()
        self.link_notice.value = _notice_html(self.preview.link_needs())
        self.review_output.clear_output()
        with self.review_output:
            show_table(self.result.review(), "Ties and near misses to review")
        return self.result

    def _show_candidates(self) -> None:
        if self.result is None or not self.customer.value:
            self.candidates_view.value = "<p><em>no customer to review</em></p>"
            return
        candidates = self.result.candidates(self.customer.value)
        row = self.result.plan[self.result.plan["shopify_id"] == self.customer.value].iloc[0]
        self.candidates_view.value = (
            f"<p>{_escape(str(row['email']))} {_escape(str(row['phone']))}: action "
            f"<b>{_escape(str(row['action']))}</b> ({_escape(str(row['rule']))}, "
            f"{_escape(str(row['reasons']))})</p>"
            + candidates.to_html(index=False, border=0, classes="shopsync-candidates")
        )
        if not candidates.empty:
            self.customer_no.value = str(candidates.iloc[0]["customer_no"])

    def link(self) -> str:
        """Write the link shown (Shopify customer -> ERP customer no) to the store."""
        try:
            said = self.preview.link(self.customer.value or "", self.customer_no.value)
        except ShopsyncError as exc:
            self.link_status.value = _error_html(exc)
            return ""
        self.link_status.value = f'<p style="color: #2f855a">{_escape(said)}</p>'
        self.link_notice.value = _notice_html(self.preview.link_needs())
        return said

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


class ValidationPanel:
    """02: filters by reason and country, the filtered table, and export buttons."""

    def __init__(
        self,
        report: pd.DataFrame,
        *,
        output_dir: str | Path,
        stem: str,
        reason: str = "",
        country: str = "",
    ) -> None:
        self.report = report
        self.output_dir = Path(output_dir)
        self.stem = stem
        reasons = ["", *reason_counts(report)]
        countries = ["", *sorted(c for c in report["country_code"].fillna("").unique() if c)]
        self.reason = widgets.Dropdown(
            options=reasons if reason in reasons else [*reasons, reason],
            value=reason,
            description="reason",
        )
        self.country = widgets.Dropdown(
            options=countries if country in countries else [*countries, country],
            value=country,
            description="country",
        )
        self.only_ineligible = widgets.Checkbox(value=True, description="only ineligible")
        for control in (self.reason, self.country, self.only_ineligible):
            control.observe(lambda _: self.refresh(), names="value")
        self.count_view = widgets.HTML()
        self.table_output = widgets.Output()
        self.export_buttons = {
            fmt: widgets.Button(description=f"Export {fmt.upper()}", icon="download")
            for fmt in ("csv", "xlsx", "html")
        }
        for fmt, button in self.export_buttons.items():
            button.on_click(lambda _, fmt=fmt: self.export(fmt))
        self.export_status = widgets.HTML()
        self.filtered = report
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.reason, self.country, self.only_ineligible]),
                self.count_view,
                widgets.HBox(list(self.export_buttons.values())),
                self.export_status,
                self.table_output,
            ]
        )
        self.refresh()

    def refresh(self) -> pd.DataFrame:
        """Apply the filters; returns the filtered report."""
        frame = filter_validation(self.report, self.reason.value, self.country.value)
        if self.only_ineligible.value:
            frame = frame[~frame["eligible"].astype(bool)].reset_index(drop=True)
        self.filtered = frame
        self.count_view.value = f"<p><b>{len(frame)}</b> customer(s) match the filters</p>"
        self.table_output.clear_output()
        with self.table_output:
            show_table(validation_fixes(frame) if self.only_ineligible.value else frame)
        return frame

    def export(self, fmt: str) -> Path:
        """Write the filtered report in ``fmt`` (csv, xlsx, html) to the output folder."""
        (path,) = export_reports(self.filtered, self.output_dir, self._stem(), fmt)
        self.export_status.value = f"<p>written: <code>{_escape(str(path))}</code></p>"
        return path

    def _stem(self) -> str:
        parts = [self.stem, self.reason.value, self.country.value]
        return "-".join(p for p in parts if p)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


class SyncPanel:
    """03: after a dry run, a button that applies the dry run's plan; the panel shows each
    phase's progress while it runs, then the banner, the counts and the report links."""

    def __init__(self, job: SyncJob, plan: SyncResult) -> None:
        self.job = job
        self.plan = plan
        self.confirm = widgets.Checkbox(
            value=False, description="I have checked the plan above", indent=False
        )
        self.run_button = widgets.Button(
            description="Run the sync now", button_style="danger", icon="play", disabled=True
        )
        self.confirm.observe(lambda change: self._arm(change["new"]), names="value")
        self.run_button.on_click(lambda _: self.run())
        self.status = widgets.HTML(
            f"<p>The dry run planned: {_escape(_counts(plan.counts))}. Nothing was written.</p>"
        )
        self.bar = widgets.IntProgress(value=0, min=0, max=1, description="", bar_style="info")
        self.bar.layout.visibility = "hidden"
        self.phases_view = widgets.HTML()
        self.phases: dict[str, int] = {}  # records done per phase, in the order they ran
        self.output = widgets.Output()
        self.result: SyncResult | None = None
        self.widget = widgets.VBox(
            [
                self.status,
                widgets.HBox([self.confirm, self.run_button]),
                self.bar,
                self.phases_view,
                self.output,
            ]
        )

    def _arm(self, confirmed: bool) -> None:
        self.run_button.disabled = not confirmed or self.result is not None

    def track(self, items: Iterable[Any], label: str, total: int | None = None) -> Iterator[Any]:
        """The sync's progress hook: count ``items`` of phase ``label`` in the panel."""
        if total is None and isinstance(items, Sized):
            total = len(items)
        self.bar.layout.visibility = "visible"
        self.bar.description = label
        self.bar.max = max(total or 0, 1)
        self.bar.value = 0
        self.phases[label] = 0
        self._show_phases()
        for item in items:
            yield item
            self.phases[label] += 1
            self.bar.value = min(self.phases[label], self.bar.max)
            self._show_phases()

    def _show_phases(self) -> None:
        done = ", ".join(f"{label} {count}" for label, count in self.phases.items())
        self.phases_view.value = f"<p>phases: {_escape(done)}</p>"

    def run(self) -> SyncResult | None:
        """Run the real sync once (the button disables itself) and show its outcome."""
        if self.result is not None or not self.confirm.value:
            return self.result
        self.run_button.disabled = True
        self.status.value = "<p>Running the sync...</p>"
        with self.output:
            try:
                self.result = self.job.run(dry_run=False, planned=self.plan, progress=self.track)
            except ShopsyncError as exc:
                self.status.value = _error_html(exc)
                self.run_button.disabled = not self.confirm.value
                return None
        result = self.result
        self.bar.bar_style = "danger" if result.status == "failed" else "success"
        self.bar.value = self.bar.max
        self.status.value = (
            banner_html(result)
            + f"<p>{_escape(_counts(result.counts))}</p>"
            + notebook_chart({k: v for k, v in result.counts.items() if v}, "records per outcome")
            + report_links_html(result.reports)
            + "<p>Run the cells below again: they show this run.</p>"
        )
        with self.output:
            show_table(problems(result), "Failed and skipped records")
        return result

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


class ErpExportPanel:
    """03: after a sync, a button that hands the imports' ERP changes over (a new file each
    time; what a click handed over is not handed over again)."""

    def __init__(self, export: Callable[[], ErpExport]) -> None:
        self._export = export
        self.button = widgets.Button(description="Hand over to the ERP", icon="download")
        self.button.on_click(lambda _: self.export())
        self.status = widgets.HTML(
            "<p>Writes what the imports created and changed since the last hand-over.</p>"
        )
        self.result: ErpExport | None = None
        self.widget = widgets.VBox([self.button, self.status])

    def export(self) -> ErpExport | None:
        """Write one hand-over and show its counts and files (or the error, in one line)."""
        try:
            self.result = self._export()
        except ShopsyncError as exc:
            self.status.value = _error_html(exc)
            return None
        files = "".join(f"<li><code>{_escape(str(p))}</code></li>" for p in self.result.files)
        self.status.value = (
            f"<p>Hand-over {self.result.export_id}: {_escape(_counts(self.result.counts))}</p>"
            f"<ul>{files}</ul>"
        )
        return self.result

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def _notice_html(text: str) -> str:
    return f'<p style="color: #975a16">{_escape(text)}</p>' if text else ""


def _counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items() if v) or "no records"
