"""JupyterLab in headless Chromium: 01-preview-matches runs, its panel re-plans on a click."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tests_paths import ROOT, SAMPLE

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
NOTEBOOK = "01-preview-matches.ipynb"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not installed (/usr/bin/chromium): `apt-get install chromium`",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """JupyterLab on loopback over a copy of the notebook (outputs never touch notebooks/)."""
    base = tmp_path_factory.mktemp("lab")
    (base / "notebooks").mkdir()
    shutil.copy(ROOT / "notebooks" / NOTEBOOK, base / "notebooks" / NOTEBOOK)
    (base / "data").mkdir()
    (base / "data" / "sample").symlink_to(SAMPLE, target_is_directory=True)
    settings = base / "user-settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    # every cell stays in the page (no virtual scrolling), so the locators find them
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    news = base / "user-settings" / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True)
    (news / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
    port, token = _free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(base / "config"),
        "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
        "JUPYTER_DATA_DIR": str(base / "jupyter-data"),
    }
    env.pop("SHOPIFY_ACCESS_TOKEN", None)
    log = (base / "lab.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            f"--ServerApp.root_dir={base}",
            f"--IdentityProvider.token={token}",
            f"--LabApp.workspaces_dir={base / 'workspaces'}",
            f"--LabApp.user_settings_dir={base / 'user-settings'}",
            "--LabApp.expose_app_in_browser=True",
            "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",
            *(["--allow-root"] if os.geteuid() == 0 else []),
        ],
        cwd=base,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "JupyterLab did not start:\n" + (base / "lab.log").read_text()
                    ) from None
                time.sleep(0.5)
        yield f"{url}/lab/tree/notebooks/{NOTEBOOK}?token={token}", base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.mark.slow  # JupyterLab, a kernel and Chromium
def test_preview_notebook_runs_in_jupyterlab_and_the_panel_replans(lab):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect, sync_playwright

    url, _ = lab
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.goto(url)
            page.wait_for_selector(".jp-Notebook", timeout=60_000)
            # JupyterLab 4.6 asks which kernel to start a few seconds after opening
            dialog = page.locator(".jp-Dialog")
            try:
                dialog.wait_for(timeout=15_000)
                page.locator(".jp-Dialog button.jp-mod-accept").click()
            except PlaywrightTimeout:  # no dialog: the kernel started by itself
                pass
            page.wait_for_function(
                "() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
                " && window.jupyterapp.shell.currentWidget.sessionContext"
                " && window.jupyterapp.shell.currentWidget.sessionContext.session",
                timeout=60_000,
            )
            page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")

            outputs = page.locator(".jp-OutputArea-output")
            plan = outputs.locator(".shopsync-plan")
            expect(plan).to_contain_text("PLAN: 196 Shopify customers", timeout=120_000)
            expect(plan).to_contain_text("as configured")
            expect(outputs.locator(".shopsync-plan-table")).to_be_visible()
            # long tables are interactive (itables: DataTables with a search box)
            expect(outputs.locator("table.dataTable").first).to_be_visible(timeout=30_000)
            button = outputs.locator(".widget-button", has_text="Preview")
            expect(button).to_be_visible()
            before = plan.inner_text()

            # (mapping_type governs order customers only, as in BC: the phone rule re-plans)
            select = outputs.locator(".widget-dropdown", has_text="phone match").locator("select")
            select.select_option("bc")
            button.click()
            expect(plan).to_contain_text("phone_match = bc", timeout=60_000)
            expect(outputs.locator(".shopsync-plan-table")).to_contain_text("phone")
            assert plan.inner_text() != before
            plan.scroll_into_view_if_needed()
        finally:
            page.screenshot(path=str(ARTIFACTS / "browser-01-preview.png"), full_page=False)
            browser.close()
    assert (ARTIFACTS / "browser-01-preview.png").stat().st_size > 10_000
