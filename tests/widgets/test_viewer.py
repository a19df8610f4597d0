import io

import numpy as np
import pytest

pytest.importorskip("teleradlab.imaging", reason="the viewer renders through teleradlab.imaging.to_display")

from teleradlab.errors import EnvironmentProblem, ParameterError  # noqa: E402
from teleradlab.imaging import WINDOW_PRESETS, synthesize_study  # noqa: E402
from teleradlab.widgets import VolumeViewer, view  # noqa: E402
from teleradlab.widgets.viewer import PLANE_COLOURS, direction_label  # noqa: E402


@pytest.fixture
def volume() -> np.ndarray:
    z, y, x = np.mgrid[0:20, 0:40, 0:30]
    return (z * 100 + y * 10 + x).astype(np.int16)  # every voxel distinct


@pytest.fixture(scope="module")
def ct():
    """A synthetic CT: 64 x 64 pixels of 5.6 mm, slices 2 mm apart along +z (towards the head)."""
    return synthesize_study("CT", seed=1, shape=(64, 64), n_images=8)


def _png_size(data: bytes) -> tuple[int, int]:
    from PIL import Image

    return Image.open(io.BytesIO(data)).size


def test_three_planes_follow_their_sliders(volume) -> None:
    v = VolumeViewer(volume, window=(1000, 2000), size=60)
    before = {p: v.images[p].value for p in ("axial", "coronal", "sagittal")}
    v.sliders["axial"].value = 3
    assert v.position[0] == 3
    assert v.images["axial"].value != before["axial"]
    assert "voxel (z, y, x) = (3, 20, 15)" in v.readout.value
    assert "value 515" in v.readout.value  # 3*100 + 20*10 + 15
    v.sliders["sagittal"].value = 0
    assert v.images["sagittal"].value != before["sagittal"]


def test_presets_land_exactly_and_the_menu_follows(ct) -> None:
    v = view(ct, window="lung", size=64)
    assert v.preset.value == "lung"
    assert v.window == WINDOW_PRESETS["lung"]
    assert (v.centre.value, v.width.value) == WINDOW_PRESETS["lung"]  # not 1502 / -598
    for name, (c, w) in WINDOW_PRESETS.items():
        v.preset.value = name
        assert v.window == (c, w) and (v.centre.value, v.width.value) == (c, w)
        assert (v.centre_text.value, v.width_text.value) == (c, w)
    v.centre_text.value = -612.5  # typed: kept exactly, and no longer a preset
    assert v.window == (-612.5, WINDOW_PRESETS[name][1])
    assert v.preset.value == "(custom)"
    v.set_window(*WINDOW_PRESETS["bone"])
    assert v.preset.value == "bone"
    v.width.value = 1234  # a slider move is exact too
    assert v.window[1] == 1234 and v.width_text.value == 1234 and v.preset.value == "(custom)"
    with pytest.raises(ParameterError, match="width must be positive"):
        v.set_window(0, 0)


def test_window_changes_the_picture(volume) -> None:
    v = VolumeViewer(volume, window=(1000, 2000), size=60)
    wide = v.plane("axial")
    v.set_window(1000, 200)
    assert not np.array_equal(wide, v.plane("axial"))


def test_aspect_is_physical_for_arrays(volume) -> None:
    v = view(volume, size=90, spacing=(5.0, 1.0, 1.0))  # thick slices: 100 mm tall, 30 mm wide
    h, w = v.css_size("coronal")
    assert h / w == pytest.approx(20 * 5 / 30, rel=0.02)
    assert v.plane("coronal").shape[:2] == (round(h), round(w))
    # one scale for all planes: the tallest extent (100 mm) gets the full size
    assert max(max(v.css_size(p)) for p in ("axial", "coronal", "sagittal")) == pytest.approx(90)


def test_slice_spacing_comes_from_positions_not_thickness(ct) -> None:
    for ds in ct.datasets:
        ds.SliceThickness = 5.0  # thick slices reconstructed 2 mm apart
    ipp = np.array([ds.ImagePositionPatient for ds in ct.datasets], dtype=float)
    dz = float(np.median(np.diff(ipp[:, 2])))
    rows, cols = ct.datasets[0].Rows, ct.datasets[0].Columns
    dy, dx = (float(s) for s in ct.datasets[0].PixelSpacing)
    v = view(ct, size=300)
    assert v.geometry.spacing == pytest.approx((dz, dy, dx))
    h, w = v.css_size("coronal")
    assert h / w == pytest.approx(len(ct.datasets) * dz / (cols * dx), rel=0.02)
    h, w = v.css_size("sagittal")
    assert h / w == pytest.approx(len(ct.datasets) * dz / (rows * dy), rel=0.02)


def test_orientation_labels_follow_image_orientation(ct) -> None:
    v = view(ct, size=64)  # IOP 1\0\0\0\1\0: rows run to the patient's left, columns to posterior
    assert v.labels("axial") == {"left": "R", "right": "L", "top": "A", "bottom": "P"}
    assert v.labels("coronal") == {"left": "R", "right": "L", "top": "S", "bottom": "I"}
    assert v.labels("sagittal") == {"left": "A", "right": "P", "top": "S", "bottom": "I"}
    assert direction_label(np.array([0.0, 0.0, -1.0])) == "I"
    assert direction_label(np.array([-0.6, 0.8, 0.0])) == "PR"
    assert view(np.zeros((4, 4, 4))).labels("axial") == {}  # a bare array has no orientation


def test_click_moves_the_crosshair_and_the_other_planes(ct) -> None:
    v = view(ct, size=128)
    n_z, n_y, n_x = v.volume.shape
    before = {p: v.images[p].value for p in ("axial", "coronal", "sagittal")}
    v.images["axial"].click = {"x": 0.25, "y": 0.75, "n": 1}  # what the browser sends
    assert v.position == [n_z // 2, int(0.75 * n_y), int(0.25 * n_x)]
    assert v.sliders["coronal"].value == int(0.75 * n_y) and v.sliders["sagittal"].value == int(0.25 * n_x)
    assert v.images["coronal"].value != before["coronal"] and v.images["sagittal"].value != before["sagittal"]
    v.images["coronal"].click = {"x": 0.5, "y": 0.01, "n": 2}  # the top of the coronal plane is superior...
    top = max(range(n_z), key=lambda k: float(ct.datasets[k].ImagePositionPatient[2]))
    assert v.position[0] == top  # ...the slice with the highest z position


def test_crosshair_is_drawn_in_the_other_planes_colours(volume) -> None:
    v = view(volume, size=120, spacing=(1.0, 1.0, 1.0))
    v.set_position(10, 8, 21)
    rgb = v.render("axial")
    H, W = rgb.shape[:2]
    col = int((21 + 0.5) / 30 * W)  # the sagittal plane's line in the axial picture
    row = int((8 + 0.5) / 40 * H)  # the coronal plane's line
    assert tuple(rgb[2, col]) == PLANE_COLOURS["sagittal"]
    assert tuple(rgb[row, 2]) == PLANE_COLOURS["coronal"]
    assert tuple(rgb[row, col]) != PLANE_COLOURS["coronal"]  # a gap leaves the voxel itself visible


def test_ground_truth_lesions_are_outlined(ct) -> None:
    nodule = next(les for les in ct.truth["lesions"] if les["kind"] == "nodule")
    z, y, x = (int(round(c)) for c in nodule["center_px"])
    v = view(ct, size=256, window="lung")
    v.set_position(z, y, x)
    off = v.render("axial")
    v.show_lesions.value = True
    on = v.render("axial")
    yellow = np.all(on == (255, 212, 0), axis=-1) & ~np.all(off == (255, 212, 0), axis=-1)
    ys, xs = np.nonzero(yellow)
    H, W = on.shape[:2]
    cy, cx = (nodule["center_px"][1] + 0.5) / 64 * H, (nodule["center_px"][2] + 0.5) / 64 * W
    radius_px = nodule["diameter_mm"] / 2 / (64 * float(ct.datasets[0].PixelSpacing[1])) * W
    dz_mm = abs(z - nodule["center_px"][0]) * 2.0
    expected = np.sqrt(radius_px**2 - (dz_mm / (64 * 5.6) * W) ** 2)
    assert len(ys) > 0
    assert np.median(np.hypot(ys - cy, xs - cx)) == pytest.approx(expected, abs=1.5)


def test_readout_gives_patient_millimetres_and_hounsfield_units(ct) -> None:
    v = view(ct, size=64)
    v.set_position(3, 10, 20)
    ds = ct.datasets[3]
    dy, dx = (float(s) for s in ds.PixelSpacing)
    ipp = np.array(ds.ImagePositionPatient, dtype=float)
    row, col = np.array(ds.ImageOrientationPatient[:3], float), np.array(ds.ImageOrientationPatient[3:], float)
    expected = ipp + 20 * dx * row + 10 * dy * col  # DICOM PS3.3 C.7.6.2.1.1
    assert "patient (x, y, z) = ({:.1f}, {:.1f}, {:.1f}) mm LPS".format(*expected) in v.readout.value
    assert f"{float(ct.pixels()[3, 10, 20]):.0f} HU" in v.readout.value


def test_pictures_follow_the_device_pixel_ratio(ct) -> None:
    v = view(ct, size=100)
    h, w = v.css_size("axial")
    assert _png_size(v.images["axial"].value) == (round(w), round(h))
    v.images["axial"].dpr = 2.0  # the browser reports a high-density screen
    assert (v.images["axial"].width, v.images["axial"].height) == (w, h)
    assert _png_size(v.images["axial"].value) == (round(2 * w), round(2 * h))


def test_snapshot_is_a_three_panel_figure_in_mm(ct) -> None:
    import matplotlib.pyplot as plt

    fig = view(ct, size=64).snapshot()
    assert len(fig.axes) == 3
    assert all(ax.get_xlabel() == "mm" for ax in fig.axes)
    plt.close(fig)


def test_bad_inputs() -> None:
    with pytest.raises(ParameterError, match="3-D"):
        view(np.zeros((2, 2, 2, 2)))
    with pytest.raises(ParameterError, match="unknown window preset"):
        view(np.zeros((4, 4)), window="no-such-preset")
    with pytest.raises(ParameterError, match="unknown backend"):
        view(np.zeros((4, 4)), backend="vtk")
    with pytest.raises(ParameterError, match="spacing"):
        view(np.zeros((4, 4, 4)), spacing=(0, 1, 1))


def test_itk_backend_needs_the_extra(monkeypatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "itkwidgets", None)
    with pytest.raises(EnvironmentProblem, match=r'pip install -e "\.\[itk\]"'):
        view(np.zeros((4, 4, 4)), backend="itk")


def test_views_a_synthetic_study(ct) -> None:
    v = view(ct, window="lung", size=64)
    assert v.volume.shape == (8, 64, 64)
    assert v.plane("coronal").dtype == np.uint8
