import copy
import shutil
import subprocess
import sys

import numpy as np
import pydicom
import pytest
from pydicom import examples

from teleradlab.errors import DicomError
from teleradlab.imaging import load_study, save_study, synthesize_study


@pytest.fixture(scope="module")
def ct():
    return synthesize_study("CT", seed=5, shape=(64, 64), n_images=6)


def test_round_trip_pixels_and_attributes(ct, tmp_path) -> None:
    files = save_study(ct, tmp_path)
    assert len(files) == 6
    back = load_study(tmp_path)
    assert np.array_equal(back.pixels(), ct.pixels())
    for a, b in zip(ct.datasets, back.datasets, strict=True):
        for kw in ("SOPInstanceUID", "SOPClassUID", "StudyInstanceUID", "BitsStored", "PixelRepresentation",
                   "RescaleIntercept", "PixelSpacing", "ImagePositionPatient"):
            assert a[kw].value == b[kw].value, kw
    assert back.truth == ct.truth  # the JSON sidecar


def test_sorted_by_position_not_file_order(ct, tmp_path) -> None:
    save_study(ct, tmp_path)
    # Rename files so that name order is reversed; loading must still sort by position.
    files = sorted(tmp_path.rglob("I*"))
    for i, f in enumerate(files):
        f.rename(f.with_name(f"Z{len(files) - i:03d}"))
    z = [float(ds.ImagePositionPatient[2]) for ds in load_study(tmp_path).datasets]
    assert z == sorted(z)


def test_hu_from_known_rescale() -> None:
    ds = examples.ct  # stored unsigned-ish values with intercept -1024
    study = load_study(examples.get_path("ct"))
    raw = ds.pixel_array.astype(np.float64)
    assert np.allclose(study.pixels()[0], raw * float(ds.RescaleSlope) + float(ds.RescaleIntercept))


def test_dicomdir(ct, tmp_path) -> None:
    save_study(ct, tmp_path, dicomdir=True)
    back = load_study(tmp_path / "DICOMDIR")
    assert len(back) == 6 and np.array_equal(back.pixels(), ct.pixels())


def test_bad_files_are_skipped_with_reasons(ct, tmp_path) -> None:
    save_study(ct, tmp_path)
    (tmp_path / "notes.bin").write_bytes(b"not dicom at all" * 10)
    good = next(tmp_path.rglob("I00001"))
    data = good.read_bytes()
    (tmp_path / "truncated").write_bytes(data[: len(data) // 2])
    nopix = pydicom.dcmread(good)
    del nopix.PixelData
    nopix.save_as(tmp_path / "nopixels")
    study = load_study(tmp_path)
    assert len(study) == 6
    reasons = {p.split("/")[-1]: r for p, r in study.skipped}
    assert "not a DICOM file" in reasons["notes.bin"]
    assert "truncated" in reasons["truncated"]
    assert reasons["nopixels"] == "no Pixel Data"


@pytest.mark.parametrize("content,reason", [(b"hello", "not a DICOM file"), (None, "no such file")])
def test_single_bad_file_raises_naming_it(tmp_path, content, reason) -> None:
    path = tmp_path / "bad.dcm"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(DicomError, match=reason) as err:
        load_study(path)
    assert str(path) in str(err.value)


def test_inconsistent_series_names_the_instance(tmp_path) -> None:
    a = synthesize_study("MR", seed=1, shape=(32, 32), n_images=2, lesions=0)
    b = synthesize_study("MR", seed=1, shape=(48, 48), n_images=1, lesions=0)
    odd = b.datasets[0]
    odd.SOPInstanceUID = "1.2.3.999"
    a.series[next(iter(a.series))].instances.append(odd)
    with pytest.raises(DicomError, match=r"inconsistent series.*\(48, 48\)") as err:
        a.pixels()
    assert "1.2.3.999" in str(err.value)


def test_cli_reports_bad_input_in_one_line(tmp_path) -> None:
    (tmp_path / "x.dcm").write_bytes(b"junk")
    out = subprocess.run([sys.executable, "-m", "teleradlab.cli", "dicom", "info", str(tmp_path / "x.dcm")],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "x.dcm" in out.stderr


@pytest.mark.skipif(shutil.which("dcmdump") is None, reason="dcmtk's dcmdump is not installed (apt-get install dcmtk)")
def test_dcmdump_parses_every_written_file(tmp_path) -> None:
    for modality in ("CT", "CR", "MG", "MR", "US"):
        kwargs = dict(shape=(64, 64)) if modality != "US" else dict(shape=(64, 80), n_images=3)
        files = save_study(synthesize_study(modality, seed=2, **kwargs), tmp_path / modality)
        out = subprocess.run(["dcmdump", "-E", str(files[0])], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert f"[{modality}]" in out.stdout and "PixelData" in out.stdout


@pytest.mark.parametrize("name", ["JPEG2000.dcm", "JPEGLSNearLossless_16.dcm", "JPGExtended.dcm",
                                  "MR_small_RLE.dcm", "MR_small_jp2klossless.dcm", "SC_rgb_jpeg_dcmtk.dcm"])
def test_compressed_inputs_decode(name) -> None:
    from pydicom.data import get_testdata_file

    path = get_testdata_file(name)
    study = load_study(path)
    ds = pydicom.dcmread(path)
    assert ds.file_meta.TransferSyntaxUID.is_compressed
    px = study.pixels()
    assert px.shape[-2:] == (ds.Rows, ds.Columns) or px.shape[-3:-1] == (ds.Rows, ds.Columns)


def test_lossless_mr_decodes_identically() -> None:
    from pydicom.data import get_testdata_file

    ref = load_study(get_testdata_file("MR_small.dcm")).pixels()
    for name in ("MR_small_RLE.dcm", "MR_small_jp2klossless.dcm", "MR_small_jpeg_ls_lossless.dcm"):
        assert np.array_equal(load_study(get_testdata_file(name)).pixels(), ref), name


def test_jpegxl_falls_back_to_imagecodecs() -> None:
    import imagecodecs
    from pydicom.encaps import encapsulate

    from teleradlab.compression import get_codec

    study = synthesize_study("MR", seed=3, shape=(48, 48), n_images=1, lesions=0)
    ds = study.datasets[0]
    original = ds.pixel_array.copy()
    ds.PixelData = encapsulate([imagecodecs.jpegxl_encode(original, lossless=True)])
    ds.file_meta.TransferSyntaxUID = get_codec("jpegxl-lossless").uid
    assert np.array_equal(study.pixels()[0], original)


def test_sort_key_from_raw_bytes_equals_converted_values(tmp_path) -> None:
    """Slices are sorted from the raw DS/IS bytes (fast); the key must be what the converted values give."""
    from teleradlab.imaging.study import _sort_key

    ds = synthesize_study("CT", seed=3, shape=(32, 32), n_images=1, lesions=0).datasets[0]
    ds.ImageOrientationPatient = [0.866025, 0.5, 0.0, -0.5, 0.866025, 0.0]  # oblique
    ds.ImagePositionPatient = [-12.5, 30.25, -101.75]
    ds.InstanceNumber = 17
    path = tmp_path / "oblique.dcm"
    ds.save_as(path, enforce_file_format=True)
    raw = pydicom.dcmread(path)
    key = _sort_key(raw)  # from RawDataElements
    iop, ipp = np.asarray(raw.ImageOrientationPatient, float), np.asarray(raw.ImagePositionPatient, float)
    assert key[0] == 0 and key[2] == 17
    assert key[1] == pytest.approx(float(np.dot(np.cross(iop[:3], iop[3:]), ipp)), abs=1e-9)
    assert _sort_key(raw) == key  # and after conversion


def test_a_deflate_bomb_is_refused_before_it_is_inflated(ct, tmp_path) -> None:
    """A deflated file inflating beyond the limit is one DicomError, checked in steps, not all at once."""
    import resource
    import zlib

    from pydicom.uid import DeflatedExplicitVRLittleEndian

    from teleradlab.imaging.study import read_dataset

    ds = copy.deepcopy(ct.datasets[0])
    ds.file_meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
    path = tmp_path / "deflated.dcm"
    ds.save_as(path, enforce_file_format=True)
    assert read_dataset(path).Rows == ds.Rows  # a genuine deflated file reads
    with pytest.raises(DicomError, match="inflates to more than 1,000 bytes") as err:
        read_dataset(path, max_inflated=1000)
    assert str(path) in str(err.value)
    # a real bomb: under 100 kB of deflate that would inflate to 256 MiB inside one private element
    head = path.read_bytes()
    meta_end = 132 + 12 + int.from_bytes(head[140:144], "little")
    body = (b"\x09\x00\x10\x00LO\x04\x00ACME" + b"\x09\x00\x01\x10OB\x00\x00" + (256 * 2**20).to_bytes(4, "little"))
    deflater = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    zipped = deflater.compress(body) + b"".join(deflater.compress(bytes(2**20)) for _ in range(256)) + deflater.flush()
    assert len(zipped) < 300_000
    bomb = tmp_path / "bomb.dcm"
    bomb.write_bytes(head[:meta_end] + zipped)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(DicomError, match="deflate bomb"):
        read_dataset(bomb, max_inflated=16 * 2**20)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100 * 1024  # kB: far below 256 MiB


@pytest.mark.parametrize(("element", "keyword", "words"), [
    (b"\x28\x00\x03\x01US\x01\x00\x01", "PixelRepresentation", r"\(0028,0103\) cannot be read"),  # US of 1 byte
    (b"\x20\x00\x11\x00IS\x06\x0099e999", "SeriesNumber", r"\(0020,0011\) cannot be read"),  # IS beyond int
])
def test_a_corrupt_element_value_is_refused_at_read(ct, tmp_path, element, keyword, words) -> None:
    """pydicom converts values lazily; read_dataset converts them all, so a corrupt one names its tag."""
    from teleradlab.imaging.study import read_dataset

    path = tmp_path / "ok.dcm"
    ds = copy.deepcopy(ct.datasets[0])
    delattr(ds, keyword)
    ds.save_as(path, enforce_file_format=True)
    blob = path.read_bytes()
    at = blob.index(b"\xe0\x7f\x10\x00")  # insert before Pixel Data, keeping tag order valid enough
    bad = tmp_path / "bad.dcm"
    bad.write_bytes(blob[:at] + element + blob[at:])
    with pytest.raises(DicomError, match=words):
        read_dataset(bad)


def test_sequences_nested_too_deep_are_refused_at_read(tmp_path) -> None:
    """200 levels once passed read and then broke copying and de-identification with a RecursionError."""
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    from teleradlab.imaging import deidentify
    from teleradlab.imaging.study import MAX_SEQUENCE_DEPTH, read_dataset

    def nested(depth: int) -> pydicom.Dataset:
        st = synthesize_study("CT", seed=1, shape=(16, 16), n_images=1, lesions=0)
        item = Dataset()
        item.CodeMeaning = "leaf"
        for _ in range(depth):
            outer = Dataset()
            outer.ContentSequence = Sequence([item])
            item = outer
        st.datasets[0].ContentSequence = item.ContentSequence
        return save_study(st, tmp_path / str(depth))[0]

    ok = read_dataset(nested(MAX_SEQUENCE_DEPTH))
    save_study(deidentify(load_study(ok.filename)), tmp_path / "deid")  # the deepest accepted copies and walks
    with pytest.raises(DicomError, match=r"nested deeper than 64 levels \(in \(0040,A730\)\); refused$"):
        read_dataset(nested(200))
