import numpy as np
import pytest

pytest.importorskip("teleradlab.imaging", reason="the viewer renders through teleradlab.imaging.to_display")

from teleradlab.errors import EnvironmentProblem, ParameterError  # noqa: E402
from teleradlab.widgets import VolumeViewer, view  # noqa: E402


@pytest.fixture
def volume() -> np.ndarray:
    z, y, x = np.mgrid[0:20, 0:40, 0:30]
    return (z * 100 + y * 10 + x).astype(np.int16)  # every voxel distinct


def test_three_planes_follow_their_sliders(volume) -> None:
    v = VolumeViewer(volume, window=(1000, 2000), size=60)
    before = {p: v.images[p].value for p in ("axial", "coronal", "sagittal")}
    v.sliders["axial"].value = 3
    assert v.position[0] == 3
    assert v.images["axial"].value != before["axial"]
    assert v.readout.value.split("value ")[1].startswith("515")
    v.sliders["sagittal"].value = 0
    assert v.images["sagittal"].value != before["sagittal"]


def test_window_changes_the_picture(volume) -> None:
    v = VolumeViewer(volume, window=(1000, 2000), size=60)
    narrow = v.plane("axial")
    v.set_window(1000, 200)
    assert not np.array_equal(narrow, v.plane("axial"))
    v.preset.value = "lung"
    assert v.window == pytest.approx(__import__("teleradlab.imaging", fromlist=["WINDOW_PRESETS"]).WINDOW_PRESETS["lung"])


def test_aspect_uses_spacing(volume) -> None:
    v = VolumeViewer(volume, size=60)
    v.spacing = (5.0, 1.0, 1.0)  # thick slices: coronal plane is five times taller per slice
    cor = v.plane("coronal")
    assert cor.shape[0] / cor.shape[1] == pytest.approx(20 * 5 / 30, rel=0.05)


def test_snapshot_is_a_three_panel_figure(volume) -> None:
    import matplotlib.pyplot as plt

    fig = VolumeViewer(volume, size=60).snapshot()
    assert len(fig.axes) == 3
    plt.close(fig)


def test_bad_inputs() -> None:
    with pytest.raises(ParameterError, match="3-D"):
        view(np.zeros((2, 2, 2, 2)))
    with pytest.raises(ParameterError, match="unknown window preset"):
        view(np.zeros((4, 4)), window="no-such-preset")
    with pytest.raises(ParameterError, match="unknown backend"):
        view(np.zeros((4, 4)), backend="vtk")


def test_itk_backend_needs_the_extra(monkeypatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "itkwidgets", None)
    with pytest.raises(EnvironmentProblem, match=r'pip install -e "\.\[itk\]"'):
        view(np.zeros((4, 4, 4)), backend="itk")


def test_views_a_synthetic_study() -> None:
    from teleradlab.imaging import synthesize_study

    study = synthesize_study("CT", seed=1, shape=(64, 64), n_images=8)
    v = view(study, window="lung", size=64)
    assert v.volume.shape == (8, 64, 64)
    assert v.plane("coronal").dtype == np.uint8
