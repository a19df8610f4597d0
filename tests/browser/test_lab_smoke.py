"""The browser machinery itself: a widget moved in real JupyterLab changes the kernel's state."""

import nbformat
import pytest

from .conftest import ARTIFACTS, open_and_run_all

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]


def test_slider_drives_kernel(lab, page) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import ipywidgets as w\n"
        "s = w.IntSlider(value=5, min=0, max=10, description='knob')\n"
        "out = w.Label(value='square=25')\n"
        "s.observe(lambda ch: setattr(out, 'value', f\"square={ch['new']**2}\"), names='value')\n"
        "w.VBox([s, out])")]
    nb.metadata["kernelspec"] = {"name": "teleradlab", "display_name": "Python (teleradlab)", "language": "python"}
    nbformat.write(nb, lab.root / "smoke.ipynb")
    open_and_run_all(page, lab, "smoke.ipynb")
    page.wait_for_selector(".widget-slider .noUi-handle", timeout=60_000)
    assert page.locator(".widget-label", has_text="square=25").count() == 1
    handle = page.locator(".widget-slider .noUi-handle").first
    handle.focus()
    handle.press("ArrowRight")
    page.wait_for_selector(".widget-label:has-text('square=36')", timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "smoke.png"))
