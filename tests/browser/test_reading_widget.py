"""The reading widget in a real JupyterLab driven by Chromium: read a short session by clicking.

A scratch notebook designs a four-case study into a store file, shows the reading
widget with localisation on, and the test clicks the lesion position on the image and
a rating button for three cases. The test then opens the store itself and checks the
stored ratings, clicks and timings. Screenshots go to test-artifacts/browser/.
"""

from __future__ import annotations

import sqlite3

import nbformat
import pytest

from .conftest import ARTIFACTS, errors_in, open_and_run_all

pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

SETUP = """
from teleradlab.readers import design, read, synthetic_cases
store = design(synthetic_cases(4, roi=64, seed=3), ["original"], readers=["tester"], seed=3).save({path!r})
widget = read(store, "tester", localise=True)
widget
"""


def test_read_a_session_by_clicking(lab, page) -> None:
    store_path = lab.root / "browser_reading.sqlite"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(SETUP.format(path=str(store_path)).strip())]
    nb.metadata["kernelspec"] = {"display_name": "Python (teleradlab)", "language": "python", "name": "teleradlab"}
    nbformat.write(nb, lab.root / "browser_reading.ipynb")
    open_and_run_all(page, lab, "browser_reading.ipynb")
    assert not errors_in(page), errors_in(page)
    image = page.locator("img.teleradlab-reading-image").first
    image.wait_for(state="visible", timeout=120_000)
    readout = page.locator(".teleradlab-readout").first
    assert readout.inner_text().strip() == "0 of 4 rated"
    given = [(4, 0.25, 0.5), (2, 0.75, 0.25), (5, 0.5, 0.5)]
    for k, (rating, fx, fy) in enumerate(given):
        image.scroll_into_view_if_needed()
        before = image.get_attribute("src")
        box = image.bounding_box()
        page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
        # the click mark is drawn: the picture changes
        page.wait_for_function("([sel, src]) => document.querySelector(sel).getAttribute('src') !== src",
                               arg=["img.teleradlab-reading-image", before], timeout=60_000)
        page.locator(f".teleradlab-rate-{rating}").first.click()
        page.wait_for_function("(txt) => document.querySelector('.teleradlab-readout').innerText.trim() === txt",
                               arg=f"{k + 1} of 4 rated", timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / f"reading_widget_{k + 1}.png"), full_page=False)
    con = sqlite3.connect(store_path)
    rows = con.execute("SELECT r.rating, r.click_row, r.click_col, r.time_s, w.position FROM ratings r "
                       "JOIN worklist w ON w.reader = r.reader AND w.reading_id = r.reading_id "
                       "WHERE r.reader = 'tester' ORDER BY w.position").fetchall()
    con.close()
    assert [r[0] for r in rows] == [4.0, 2.0, 5.0]
    assert [r[4] for r in rows] == [1, 2, 3]  # read in worklist order
    for (_, click_row, click_col, time_s, _), (_, fx, fy) in zip(rows, given, strict=True):
        assert click_row == pytest.approx(fy * 64 - 0.5, abs=1.5)  # 64-pixel image, clicked fraction
        assert click_col == pytest.approx(fx * 64 - 0.5, abs=1.5)
        assert time_s > 0
