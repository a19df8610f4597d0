"""A real JupyterLab on 127.0.0.1 driven by Debian's Chromium through Playwright.

No browser is ever downloaded: Playwright launches the system ``chromium`` binary
(which ``.ci/run`` installs with apt-get). Tests skip, saying why, only where that
binary cannot be had. Screenshots go to ``test-artifacts/browser/``.
"""

from __future__ import annotations

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

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str | None:
    """The system Chromium, or None."""
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A running JupyterLab server."""

    def __init__(self, root: Path, port: int, token: str, proc: subprocess.Popen) -> None:
        self.root, self.port, self.token, self.proc = root, port, token, proc

    def url(self, notebook: str) -> str:
        """A fresh workspace per notebook, so no earlier test's open tabs are restored."""
        workspace = "ws-" + secrets.token_hex(4)
        return f"http://127.0.0.1:{self.port}/lab/workspaces/{workspace}/tree/{notebook}?reset&token={self.token}"


@pytest.fixture(scope="session")
def chromium() -> str:
    path = chromium_path()
    if path is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium); no browser may be downloaded")
    return path


@pytest.fixture(scope="session")
def lab(tmp_path_factory, chromium) -> Iterator[Lab]:
    """JupyterLab serving a scratch copy of notebooks/ (the repository stays untouched)."""
    root = tmp_path_factory.mktemp("lab")
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    if (ROOT / "datasets").exists():
        os.symlink(ROOT / "datasets", root / "datasets")
    port, token = _free_port(), secrets.token_hex(16)
    settings = root / ".jupyter" / "lab" / "user-settings"
    # Render every cell (no virtual scrolling), so the tests can find widgets anywhere in a notebook.
    tracker = settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    tracker.write_text('{"windowingMode": "none"}')
    news = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    news.parent.mkdir(parents=True)
    news.write_text('{"fetchNews": "false", "checkForUpdates": false}')
    env = dict(os.environ, JUPYTER_PATH=str(Path(sys.prefix) / "share" / "jupyter"),
               JUPYTER_CONFIG_DIR=str(root / ".jupyter"), JUPYTER_RUNTIME_DIR=str(root / ".runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(settings))
    log = open(root / "lab.log", "w")  # noqa: SIM115 - closed at teardown
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", "--expose-app-in-browser",
         "--ServerApp.disable_check_xsrf=True", "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         f"--notebook-dir={root / 'notebooks'}", *(["--allow-root"] if os.geteuid() == 0 else [])],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2)
            break
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail(f"JupyterLab did not start; log: {(root / 'lab.log').read_text()[-2000:]}")
    if proc.poll() is not None:
        pytest.fail(f"JupyterLab exited; log: {(root / 'lab.log').read_text()[-2000:]}")
    yield Lab(root / "notebooks", port, token, proc)
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="session")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    yield pg
    context.close()


def open_and_run_all(page, lab: Lab, notebook: str, *, timeout_ms: int = 240_000) -> None:
    """Open a notebook in JupyterLab, run all its cells and wait until the kernel is idle."""
    page.goto(lab.url(notebook), timeout=120_000)
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell && "
                           "window.jupyterapp.shell.currentWidget && "
                           "window.jupyterapp.shell.currentWidget.sessionContext", timeout=120_000)
    page.wait_for_function("() => { const s = window.jupyterapp.shell.currentWidget.sessionContext;"
                           " return s.session && s.session.kernel && s.session.kernel.status === 'idle'; }",
                           timeout=120_000)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_timeout(1000)
    page.wait_for_function(
        "() => { const nb = window.jupyterapp.shell.currentWidget;"
        " const busy = nb.content.widgets.some(c => c.model.type === 'code' && c.promptNode &&"
        " c.promptNode.textContent.includes('*'));"
        " const s = nb.sessionContext.session;"
        " return !busy && !!s && !!s.kernel && s.kernel.status === 'idle'; }",
        timeout=timeout_ms, polling=500)


def errors_in(page) -> list[str]:
    """Error outputs shown in the open notebook."""
    return page.eval_on_selector_all(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
                                     "els => els.map(e => e.textContent)")
