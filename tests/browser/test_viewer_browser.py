"""The three-plane viewer in a real JupyterLab: physical aspect, click navigation, preset menu."""

from __future__ import annotations

import re

import nbformat
import pytest

from .conftest import ARTIFACTS, errors_in, open_and_run_all

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

CODE = ("from teleradlab.imaging import synthesize_study\n"
        "from teleradlab.widgets import view\n"
        "ct = synthesize_study('CT', seed=3, shape=(128, 128), n_images=24)\n"
        "view(ct, window='lung', size=300)")


def test_click_moves_the_other_planes_and_coronal_aspect_is_physical(lab, page) -> None:
    from teleradlab.imaging import synthesize_study

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(CODE)]
    nb.metadata["kernelspec"] = {"name": "teleradlab", "display_name": "Python (teleradlab)", "language": "python"}
    nbformat.write(nb, lab.root / "viewer.ipynb")
    open_and_run_all(page, lab, "viewer.ipynb")
    assert not errors_in(page), errors_in(page)
    axial, coronal, sagittal = (page.locator(f"img.teleradlab-viewer-{p}").first
                                for p in ("axial", "coronal", "sagittal"))
    coronal.wait_for(state="visible", timeout=120_000)
    page.wait_for_function("() => [...document.querySelectorAll('img.teleradlab-viewer-plane')]"
                           ".every(i => i.complete && i.naturalWidth > 0)", timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / "viewer_before.png"))

    # The coronal picture's shape on screen against the study's physical extent, from its DICOM attributes.
    ct = synthesize_study("CT", seed=3, shape=(128, 128), n_images=24)
    z = sorted(float(ds.ImagePositionPatient[2]) for ds in ct.datasets)
    height_mm = len(z) * (z[-1] - z[0]) / (len(z) - 1)
    width_mm = int(ct.datasets[0].Columns) * float(ct.datasets[0].PixelSpacing[1])
    box = coronal.bounding_box()
    assert box["height"] / box["width"] == pytest.approx(height_mm / width_mm, rel=0.02)

    assert page.locator(".teleradlab-preset select").first.input_value() == "lung"
    readout = page.locator(".teleradlab-readout").first
    before = {name: img.get_attribute("src") for name, img in
              (("axial", axial), ("coronal", coronal), ("sagittal", sagittal))}
    before_text = readout.inner_text()
    ax_box = axial.bounding_box()
    axial.click(position={"x": ax_box["width"] * 0.25, "y": ax_box["height"] * 0.7})
    page.wait_for_function("t => document.querySelector('.teleradlab-readout').innerText !== t",
                           arg=before_text, timeout=60_000)
    page.wait_for_function(
        "([c, s]) => document.querySelector('img.teleradlab-viewer-coronal').src !== c &&"
        " document.querySelector('img.teleradlab-viewer-sagittal').src !== s",
        arg=[before["coronal"], before["sagittal"]], timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / "viewer_after_click.png"))
    voxel = re.search(r"voxel \(z, y, x\) = \((\d+), (\d+), (\d+)\)", readout.inner_text())
    assert voxel, readout.inner_text()
    _, y, x = (int(v) for v in voxel.groups())
    assert abs(y - 0.7 * 128) <= 1 and abs(x - 0.25 * 128) <= 1
