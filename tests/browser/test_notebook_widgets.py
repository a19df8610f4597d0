"""The curriculum's widgets in a real JupyterLab driven by Chromium.

Each test prepares the notebook as CI runs it (solutions filled in, ``ci = True`` in the
parameters cell), runs all cells in the browser, moves a slider, and checks that the
picture and the readout change. Screenshots are saved under test-artifacts/browser/.
"""

from __future__ import annotations

import json

import pytest

from teleradlab.exercises import solutions_copy

from .conftest import ARTIFACTS, errors_in, open_and_run_all

pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]


def prepare(lab, name: str) -> str:
    src = lab.root / name
    target = lab.root / f"browser_{name}"
    solutions_copy(src, target)
    nb = json.loads(target.read_text())
    for cell in nb["cells"]:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            cell["source"] = "".join(cell["source"]).replace("ci = False", "ci = True")
    target.write_text(json.dumps(nb))
    return target.name


def move_and_compare(page, slider_class: str, image_class: str, steps: int, shot: str) -> None:
    image = page.locator(f"img.{image_class}").first
    readout = page.locator(".teleradlab-readout").first
    try:
        image.wait_for(state="attached", timeout=120_000)
    except Exception as exc:
        page.screenshot(path=str(ARTIFACTS / f"{shot}_missing.png"), full_page=True)
        state = page.evaluate("() => { const nb = window.jupyterapp.shell.currentWidget;"
                              " return nb.content.widgets.map(c => c.model.type + ':' + (c.promptNode ? c.promptNode.textContent : '')); }")
        raise AssertionError(f"widget image never appeared; cells: {state}; "
                             f"imgs: {page.eval_on_selector_all('img', 'els => els.map(e => e.className)')}") from exc
    image.scroll_into_view_if_needed()
    before_src, before_text = image.get_attribute("src"), readout.inner_text()
    page.screenshot(path=str(ARTIFACTS / f"{shot}_before.png"), full_page=False)
    handle = page.locator(f".{slider_class} .noUi-handle").first
    handle.scroll_into_view_if_needed()
    handle.focus()
    for _ in range(steps):
        handle.press("ArrowRight")
    page.wait_for_function(
        "([cls, txt]) => { const r = document.querySelector('.teleradlab-readout'); return r && r.innerText !== txt; }",
        arg=[image_class, before_text], timeout=120_000)
    after_src, after_text = image.get_attribute("src"), readout.inner_text()
    image.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"{shot}_after.png"), full_page=False)
    assert after_text != before_text
    assert after_src != before_src


def test_compression_explorer_reacts(lab, page) -> None:
    name = prepare(lab, "02_compression_lab.ipynb")
    open_and_run_all(page, lab, name)
    assert not errors_in(page), errors_in(page)
    move_and_compare(page, "teleradlab-ratio", "teleradlab-explorer-image", 5, "compression_explorer")
    assert "PSNR" in page.locator(".teleradlab-readout").first.inner_text()


def test_network_dashboard_reacts(lab, page) -> None:
    name = prepare(lab, "05_reading_latency.ipynb")
    open_and_run_all(page, lab, name)
    assert not errors_in(page), errors_in(page)
    move_and_compare(page, "teleradlab-staff", "teleradlab-dashboard-image", 2, "network_dashboard")
    assert "mean turnaround" in page.locator(".teleradlab-readout").first.inner_text()
