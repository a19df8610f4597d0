import numpy as np
import pytest
from pydicom import Dataset

from teleradlab.errors import DicomError, ParameterError
from teleradlab.imaging import WINDOW_PRESETS, to_display


def test_window_maps_range_linearly() -> None:
    c, w = WINDOW_PRESETS["lung"]
    out = to_display(np.array([c - w, c - w / 2, c, c + w / 2, c + w]), "lung")
    assert out[0] == 0 and out[1] == 0 and out[-1] == 255 and out[-2] == 255
    assert abs(int(out[2]) - 128) <= 1


def test_presets_differ_on_the_same_image() -> None:
    img = np.linspace(-1000, 1000, 200).reshape(10, 20)
    pics = {name: to_display(img, name) for name in ("brain", "lung", "bone", "abdomen")}
    assert len({p.tobytes() for p in pics.values()}) == 4


def test_monochrome1_is_inverted() -> None:
    img = np.array([[0, 100, 200]])
    m2 = to_display(img, (100, 200), photometric="MONOCHROME2")
    m1 = to_display(img, (100, 200), photometric="MONOCHROME1")
    assert np.array_equal(m1, 255 - m2)


def test_window_from_dataset() -> None:
    ds = Dataset()
    ds.WindowCenter, ds.WindowWidth, ds.PhotometricInterpretation = 40, 80, "MONOCHROME2"
    assert to_display(np.array([[0, 40, 80]]), dataset=ds).tolist() == to_display(np.array([[0, 40, 80]]), (40, 80)).tolist()


def test_rgb_and_multiframe() -> None:
    rgb = np.zeros((2, 4, 4, 3), np.uint8)
    rgb[..., 0] = 200
    out = to_display(rgb, photometric="RGB")
    assert out.shape == rgb.shape and out[..., 0].max() == 200
    frames = np.arange(2 * 3 * 3).reshape(2, 3, 3)
    assert to_display(frames, (8, 16)).shape == (2, 3, 3)


def test_palette_colour_example() -> None:
    from pydicom import examples

    ds = examples.palette_color
    out = to_display(ds.pixel_array, dataset=ds)
    assert out.shape[-1] == 3 and out.dtype == np.uint8


def test_bad_windows_and_photometric() -> None:
    with pytest.raises(ParameterError, match="unknown window preset"):
        to_display(np.zeros((2, 2)), "spleen-ish")
    with pytest.raises(ParameterError, match="positive"):
        to_display(np.zeros((2, 2)), (0, -5))
    with pytest.raises(DicomError, match="unsupported photometric"):
        to_display(np.zeros((2, 2)), photometric="YBR_RCT_WEIRD")


@pytest.mark.parametrize(("centre", "width", "words"), [
    (["40", "400", "1000"], ["80"], None),  # a list of one width: the first window is used
    ("40", "0", "not a valid window"),
    ("40", "nan", "not a valid window"),
])
def test_window_from_a_malformed_dataset(centre, width, words) -> None:
    ds = Dataset()
    ds.WindowCenter, ds.WindowWidth = centre, width
    arr = np.array([[0.0, 40.0, 80.0]])
    if words is None:
        assert to_display(arr, dataset=ds).tolist() == to_display(arr, (40, 80)).tolist()
    else:
        with pytest.raises(DicomError, match=words):
            to_display(arr, dataset=ds)


def test_a_malformed_palette_or_colour_space_is_one_dicom_error() -> None:
    ds = Dataset()
    ds.PhotometricInterpretation = "PALETTE COLOR"
    ds.BitsStored = 8
    for colour, tag in (("Red", 0x00281221), ("Green", 0x00281222), ("Blue", 0x00281223)):
        setattr(ds, f"{colour}PaletteColorLookupTableDescriptor", [256, 0, 16])
        ds.add_new(tag, "OW", b"\x07\x00" * 9)  # segment type 7 does not exist (PS3.3 C.7.9.2)
    with pytest.raises(DicomError, match="palette lookup table"):
        to_display(np.zeros((2, 2), np.uint8), dataset=ds)
    with pytest.raises(DicomError, match="YBR_ICT"):
        to_display(np.zeros((2, 2, 3), np.uint8), photometric="YBR_ICT")
