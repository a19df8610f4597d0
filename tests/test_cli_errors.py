"""Every CLI command on malformed input: a non-zero exit, exactly one line on stderr, never a traceback.

The malformed DICOM files are generated here with pydicom, each breaking one thing
the Image Pixel module or the file format promises (PS3.3 C.7.6.3, PS3.5, PS3.10).
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset, write_file_meta_info
from pydicom.tag import Tag
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    JPEGBaseline8Bit,
    generate_uid,
)

from teleradlab.cli import main


def image(rows: int = 64, cols: int = 64, frames: int = 1) -> Dataset:
    """A small valid 12-bit greyscale image with the attributes a DICOMDIR needs."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID, ds.SOPInstanceUID = "1.2.840.10008.5.1.4.1.1.7", generate_uid()
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.PatientID, ds.PatientName, ds.StudyDate, ds.StudyTime, ds.StudyID = "P1", "Test^P", "20240101", "1200", "1"
    ds.Modality, ds.SeriesNumber, ds.InstanceNumber = "OT", 1, 1
    ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.PhotometricInterpretation = rows, cols, 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    if frames > 1:
        ds.NumberOfFrames = frames
    ds.add_new(0x7FE00010, "OW", (np.arange(rows * cols * frames) % 4096).astype("<u2").tobytes())
    return ds


def write_raw(ds: Dataset, path: Path) -> Path:
    """Write ``ds`` as explicit VR little endian whatever transfer syntax its meta claims."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID = ds.SOPClassUID, ds.SOPInstanceUID
    meta.TransferSyntaxUID = ds.file_meta.TransferSyntaxUID
    head, body = DicomBytesIO(), DicomBytesIO()
    for fp in (head, body):
        fp.is_little_endian, fp.is_implicit_VR = True, False
    write_file_meta_info(head, meta, enforce_standard=True)
    plain = Dataset()
    plain.update(ds)
    write_dataset(body, plain)
    path.write_bytes(b"\0" * 128 + b"DICM" + head.getvalue() + body.getvalue())
    return path


def _edit(change) -> Dataset:
    ds = image()
    change(ds)
    return ds


def _garbage_slope(ds: Dataset) -> None:
    tag = Tag(0x00281053)
    ds._dict[tag] = RawDataElement(tag, "DS", 4, b"abc ", 0, False, True)


def _set_ts(uid: str):
    def change(ds: Dataset) -> None:
        ds.file_meta.TransferSyntaxUID = uid
    return change


#: name → (how to break a valid image, words the error must contain)
BROKEN = {
    "no_bits_allocated": (lambda ds: delattr(ds, "BitsAllocated"), "BitsAllocated"),
    "empty_pixel_data": (lambda ds: setattr(ds, "PixelData", b""), "empty"),
    "unknown_syntax": (_set_ts("1.2.3.4.5.6"), "unknown transfer syntax"),
    "deflated_but_not": (_set_ts(DeflatedExplicitVRLittleEndian), "unreadable"),
    "jpeg_but_native": (_set_ts(JPEGBaseline8Bit), "not encapsulated"),
    "garbage_rescale_slope": (_garbage_slope, "RescaleSlope"),
    "palette_without_lut": (lambda ds: setattr(ds, "PhotometricInterpretation", "PALETTE COLOR"), "lookup table"),
    "frames_2_data_for_5": (lambda ds: (setattr(ds, "NumberOfFrames", 2),
                                        setattr(ds, "PixelData", ds.PixelData * 5)), "longer"),
    "double_length": (lambda ds: setattr(ds, "PixelData", ds.PixelData * 2), "longer"),
    "half_length": (lambda ds: setattr(ds, "PixelData", ds.PixelData[: len(ds.PixelData) // 2]), "truncated"),
    "zero_rows": (lambda ds: setattr(ds, "Rows", 0), "image size"),
    "bits_allocated_12": (lambda ds: setattr(ds, "BitsAllocated", 12), "Bits Allocated"),
    "three_samples_one_plane": (lambda ds: setattr(ds, "SamplesPerPixel", 3), "needs 1 sample"),
    "frames_zero": (lambda ds: setattr(ds, "NumberOfFrames", 0), "Number of Frames"),
}


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory) -> dict[str, tuple[Path, str]]:
    folder = tmp_path_factory.mktemp("bad")
    files = {name: (write_raw(_edit(change), folder / f"{name}.dcm"), words)
             for name, (change, words) in BROKEN.items()}
    files["not_dicom"] = (folder / "text.dcm", "not a DICOM file")
    files["not_dicom"][0].write_text("hello\n")
    good = write_raw(image(), folder / "good.dcm").read_bytes()
    files["truncated_file"] = (folder / "truncated.dcm", "")
    files["truncated_file"][0].write_bytes(good[: len(good) // 2])
    return files


def run(argv: list[str], capsys) -> tuple[int, list[str]]:
    code = main(argv)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err.strip().splitlines()


def _commands(path: Path, out: Path) -> dict[str, list[str]]:
    return {
        "dicom info": ["dicom", "info", str(path)],
        "dicom deidentify": ["dicom", "deidentify", str(path), str(out / "deid")],
        "compress": ["compress", str(path), str(out / "c.dcm"), "--syntax", "jpeg2000-lossless"],
        "quality": ["quality", str(path), str(path)],
        "datasets import": ["datasets", "import", str(path), "case", "--root", str(out / "imported")],
    }


@pytest.mark.parametrize("command", ["dicom info", "dicom deidentify", "compress", "quality", "datasets import"])
@pytest.mark.parametrize("case", [*BROKEN, "not_dicom", "truncated_file"])
def test_every_command_on_every_bad_file_is_one_line(bad_files, case, command, tmp_path, capsys) -> None:
    path, words = bad_files[case]
    code, lines = run(_commands(path, tmp_path)[command], capsys)
    assert code == 2, lines
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"teleradlab {command}: error: ") and str(path) in lines[0], lines
    assert words in lines[0], lines
    assert not any(tmp_path.rglob("*.dcm")) and not (tmp_path / "deid").exists()  # nothing written


def test_a_valid_file_passes_the_same_commands(tmp_path, capsys) -> None:
    """The checks refuse what is broken, not what is merely unusual."""
    path = write_raw(image(64, 64, frames=3), tmp_path / "ok.dcm")
    for name, argv in _commands(path, tmp_path).items():
        code, lines = run(argv, capsys)
        assert code == 0, (name, lines)


@pytest.mark.parametrize("argv,words", [
    (["simulate", "two_hospitals_one_hub", "--days", "nan", "--out", "x"], "finite"),
    (["simulate", "two_hospitals_one_hub", "--days", "-3", "--out", "x"], "above zero"),
    (["simulate", "two_hospitals_one_hub", "--days", "inf", "--out", "x"], "finite"),
    (["simulate", "two_hospitals_one_hub", "--seed", "-1", "--out", "x"], "zero or more"),
    (["simulate", "two_hospitals_one_hub", "--seed", "1.5", "--out", "x"], "not an integer"),
    (["simulate", "two_hospitals_one_hub", "--replications", "0", "--out", "x"], "at least 1"),
    (["simulate", "two_hospitals_one_hub", "--out", "{file}"], "existing file"),
    (["simulate", "two_hospitals_one_hub", "--out", "{file}/below"], "which is a file"),
    # not writable (checked before simulating; /proc refuses even root)
    (["simulate", "two_hospitals_one_hub", "--days", "1e4", "--out", "/proc/teleradlab-out"], "cannot be used"),
    (["sweep", "spec.yaml", "--out", "/proc/teleradlab-out"], "cannot be used"),
    (["sweep", "spec.yaml", "--out", "x", "--workers", "-1"], "at least 1"),
    (["sweep", "spec.yaml", "--out", "x", "--workers", "0"], "at least 1"),
    (["sweep", "spec.yaml", "--out", "x", "--scheduler", "notaurl"], "scheduler address"),
    (["sweep", "spec.yaml", "--out", "x", "--scheduler", "tcp://host:99999"], "scheduler address"),
    (["sweep", "spec.yaml", "--out", "x", "--cluster", "local:0"], "local:N"),
    (["sweep", "spec.yaml", "--out", "{file}"], "existing file"),
    (["dicom", "synth", "CT", "x", "--seed", "-1"], "zero or more"),
    (["dicom", "synth", "CT", "x", "--shape", "12"], "ROWSxCOLS"),
    (["dicom", "synth", "CT", "x", "--n-images", "0"], "at least 1"),
    (["dicom", "synth", "CT", "{file}"], "existing file"),
    (["compress", "a", "b", "--syntax", "jpeg2000", "--ratio", "nan"], "finite"),
    (["compress", "a", "b", "--syntax", "jpeg2000", "--ratio", "0.5"], "above 1"),
    (["compress", "a", "b", "--syntax", "jpegls-near", "--max-error", "-2"], "zero or more"),
    (["run", "--workers", "0"], "at least 1"),
    (["simulate"], "required"),
    (["nonsense-command"], "invalid choice"),
])
def test_bad_arguments_are_one_line(argv, words, tmp_path, capsys) -> None:
    existing = tmp_path / "existing.txt"
    existing.write_text("keep me")
    argv = [a.replace("{file}", str(existing)) for a in argv]
    code, lines = run(argv, capsys)
    assert code == 2 and len(lines) == 1, lines
    assert "error:" in lines[0] and words in lines[0], lines
    assert existing.read_text() == "keep me"


def test_unexpected_exception_is_one_internal_error_line(monkeypatch, capsys) -> None:
    import teleradlab.imaging.commands as commands

    def boom(args):
        raise RuntimeError("first line\nsecond line\nthird")

    monkeypatch.setattr(commands, "_info", boom)
    code, lines = run(["dicom", "info", "x"], capsys)
    assert code == 3 and len(lines) == 1, lines
    assert "internal error: RuntimeError: first line; second line; third" in lines[0]


def test_memory_error_is_one_plain_error_line(monkeypatch, capsys) -> None:
    """A numpy allocation too large for the machine (quality of a 65500 x 65500 image in float32)."""
    import teleradlab.imaging.commands as commands

    def too_big(args):
        raise MemoryError("Unable to allocate 16.0 GiB for an array with shape (65500, 65500)")

    monkeypatch.setattr(commands, "_info", too_big)
    code, lines = run(["dicom", "info", "x"], capsys)
    assert code == 2 and len(lines) == 1, lines
    assert "error: out of memory (Unable to allocate 16.0 GiB" in lines[0] and "internal" not in lines[0]


@pytest.mark.parametrize("command", [
    ["simulate", "single_hospital_ed", "--out", "{long}"],
    ["dicom", "deidentify", "{src}", "{long}"],
    ["compress", "{src}", "{long}/c.dcm", "--syntax", "rle"],
])
def test_a_path_the_file_system_refuses_is_one_line(command, tmp_path, capsys) -> None:
    """A 300-character file name (ENAMETOOLONG) once escaped argparse as a traceback, or was an internal error."""
    src = write_raw(image(), tmp_path / "ok.dcm")
    long = str(tmp_path / ("z" * 300))
    argv = [a.replace("{long}", long).replace("{src}", str(src)) for a in command]
    code, lines = run(argv, capsys)
    assert code == 2 and len(lines) == 1, lines
    assert "too long" in lines[0] and "internal" not in lines[0]


def test_multi_line_library_message_becomes_one_line(monkeypatch, capsys) -> None:
    import teleradlab.imaging.commands as commands
    from teleradlab.errors import DicomError

    def fail(args):
        raise DicomError("plugins failed:\n  a: no\n  b: no", where="f.dcm")

    monkeypatch.setattr(commands, "_info", fail)
    code, lines = run(["dicom", "info", "x"], capsys)
    assert code == 2 and lines == ["teleradlab dicom info: error: f.dcm: plugins failed:; a: no; b: no"]


def test_dicomdir_given_to_compress_writes_a_folder(tmp_path, capsys) -> None:
    from pydicom.fileset import FileSet

    fs = FileSet()
    for n in (1, 2):
        ds = image()
        ds.InstanceNumber = n
        fs.add(ds)
    fs.write(tmp_path / "media")
    code, lines = run(["compress", str(tmp_path / "media" / "DICOMDIR"), str(tmp_path / "out"),
                       "--syntax", "jpeg2000-lossless"], capsys)
    assert code == 0, lines
    written = [f for f in (tmp_path / "out").rglob("*") if f.is_file()]
    assert len(written) == 2
    assert all(pydicom.dcmread(f).file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.90" for f in written)


@pytest.mark.parametrize("argv", [
    ["dicom", "info", "{bad}"],
    pytest.param(["simulate", "two_hospitals_one_hub", "--days", "nan", "--out", "x"], marks=pytest.mark.slow),
    pytest.param(["sweep", "{bad}", "--out", "x", "--scheduler", "notaurl"], marks=pytest.mark.slow),
])
def test_no_traceback_through_the_real_entry_point(argv, bad_files) -> None:
    """The same guarantees in a fresh interpreter, as a user runs it."""
    bad = str(bad_files["deflated_but_not"][0])
    out = subprocess.run([sys.executable, "-m", "teleradlab.cli", *[a.replace("{bad}", bad) for a in argv]],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr


def _bomb() -> str:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    return "\n".join(lines) + "\nname: *a8\n"


#: name → (file bytes, words the error must contain), for both simulate (scenario) and sweep (spec)
BAD_YAML = {
    "alias_bomb": (_bomb().encode(), "alias bomb"),
    "not_utf8": (b"name: M\xfcnchen\n", "not UTF-8"),
    "deep": (b"name: " + b"[" * 5000 + b"]" * 5000 + b"\n", "nested deeper"),
    "malformed": (b"name: [unclosed\n", "malformed YAML"),
    "code_tag": (b"name: !!python/object/apply:os.system ['true']\n", "malformed YAML"),
    "not_a_mapping": (b"- just\n- a list\n", ""),
}


@pytest.mark.parametrize("command", ["simulate", "sweep"])
@pytest.mark.parametrize("case", list(BAD_YAML))
def test_bad_yaml_files_are_one_line(case, command, tmp_path, capsys) -> None:
    data, words = BAD_YAML[case]
    f = tmp_path / f"{case}.yaml"
    f.write_bytes(data)
    code, lines = run([command, str(f), "--out", str(tmp_path / "out")], capsys)
    assert code == 2 and len(lines) == 1, lines
    assert lines[0].startswith(f"teleradlab {command}: error: {f}") and words in lines[0], lines
    assert not (tmp_path / "out").exists()


def test_hostile_scenario_values_through_simulate(repo_root, tmp_path, capsys) -> None:
    import yaml

    raw = yaml.safe_load((repo_root / "datasets/scenarios/two_hospitals_one_hub.yaml").read_text())
    cases = {"names_as_lists": lambda r: r["sites"][0].__setitem__("name", ["a", "b"]),
             "year_9999": lambda r: r.__setitem__("start", "9999-12-31"),
             "bad_syntax": lambda r: r["compression"].__setitem__("CT", {"syntax": "jpeg3000", "ratio": 10}),
             "huge_staff": lambda r: r["centres"][0]["radiologists"][0].__setitem__("count", 10**9),
             "huge_load": lambda r: r["sites"][0]["modalities"]["CT"].__setitem__("studies_per_day", 1e12)}
    for name, change in cases.items():
        bad = yaml.safe_load(yaml.safe_dump(raw))
        change(bad)
        f = tmp_path / f"{name}.yaml"
        f.write_text(yaml.safe_dump(bad))
        code, lines = run(["simulate", str(f), "--days", "2", "--out", str(tmp_path / "out")], capsys)
        assert code == 2 and len(lines) == 1, (name, lines)
        assert not (tmp_path / "out").exists()


def test_a_resource_warning_from_the_garbage_collector_is_not_the_commands(monkeypatch, capsys) -> None:
    """An unrelated object finalised during a command (CI: another test's TemporaryDirectory) once printed
    'warning: Implicitly cleaning up ...' as the command's last line; real warnings still print."""
    import teleradlab.imaging.commands as commands

    def noisy(args):
        warnings.warn("Implicitly cleaning up <TemporaryDirectory '/tmp/x'>", ResourceWarning, stacklevel=1)
        warnings.warn("a real one", UserWarning, stacklevel=1)
        return 0

    monkeypatch.setattr(commands, "_info", noisy)
    code, lines = run(["dicom", "info", "x"], capsys)
    assert code == 0 and lines == ["teleradlab dicom info: warning: a real one"], lines
