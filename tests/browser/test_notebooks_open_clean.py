"""Opening a committed notebook in JupyterLab does not mark it modified."""

from __future__ import annotations

import json

import pytest

from .conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]


@pytest.mark.parametrize("name", ["00_welcome.ipynb", "07_parameter_sweeps.ipynb"])
def test_opening_does_not_modify(lab, page, name) -> None:
    page.goto(lab.url(name), timeout=120_000)
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget &&"
                           " window.jupyterapp.shell.currentWidget.sessionContext", timeout=120_000)
    page.wait_for_function("() => { const s = window.jupyterapp.shell.currentWidget.sessionContext;"
                           " return s.session && s.session.kernel && s.session.kernel.status === 'idle'; }",
                           timeout=120_000)
    page.wait_for_timeout(3000)  # kernel info and metadata updates arrive after idle
    state = page.evaluate("() => { const m = window.jupyterapp.shell.currentWidget.context.model;"
                          " return {dirty: m.dirty, metadata: m.toJSON().metadata}; }")
    page.screenshot(path=str(ARTIFACTS / f"open_{name}.png"))
    committed = json.loads((lab.root / name).read_text())["metadata"]
    assert not state["dirty"], f"{name} turned modified on open; metadata now {state['metadata']}, committed {committed}"
