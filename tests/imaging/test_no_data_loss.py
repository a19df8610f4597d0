"""Nothing lost: save_study never overwrites, folder commands list what they skip, DICOMDIR stays in its folder."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from teleradlab.cli import main
from teleradlab.errors import DicomError
from teleradlab.imaging.study import Study, load_study, save_study


def instance(series: str, number: int | None, seed: int) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID, ds.SOPInstanceUID = "1.2.840.10008.5.1.4.1.1.7", generate_uid()
    ds.StudyInstanceUID, ds.SeriesInstanceUID = "1.2.3.4", series
    ds.PatientID, ds.PatientName, ds.StudyDate, ds.StudyTime, ds.StudyID = "P", "A^B", "20240101", "1200", "1"
    ds.Modality, ds.SeriesNumber = "OT", 1
    if number is not None:
        ds.InstanceNumber = number
    ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.PhotometricInterpretation = 8, 8, 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.PixelData = np.random.default_rng(seed).integers(0, 4096, (8, 8)).astype("<u2").tobytes()
    return ds


def test_instances_sharing_numbers_are_all_written(tmp_path) -> None:
    # three instances with one Series/Instance Number, one without a number, and a second series
    # whose Series Number collides with the first
    study = Study.from_datasets([instance("1.1", 1, 0), instance("1.1", 1, 1), instance("1.1", 1, 2),
                                 instance("1.1", 2, 3), instance("1.2", 1, 4)])
    files = save_study(study, tmp_path, dicomdir=True)
    assert len(files) == len(set(files)) == 5
    assert all(len(f.name) <= 8 for f in files)  # PS3.10 File ID components
    back = load_study(tmp_path)
    assert sorted(str(d.SOPInstanceUID) for d in back) == sorted(str(d.SOPInstanceUID) for d in study)
    assert len(load_study(tmp_path / "DICOMDIR")) == 5


def test_instances_without_numbers_are_all_written(tmp_path) -> None:
    study = Study.from_datasets([instance("1.1", None, k) for k in range(3)] + [instance("1.1", 2, 3)])
    files = save_study(study, tmp_path)
    assert len(set(files)) == 4 and len(load_study(tmp_path)) == 4


def test_existing_files_are_an_error_unless_overwrite(tmp_path) -> None:
    study = Study.from_datasets([instance("1.1", 1, 0), instance("1.1", 2, 1)])
    first = save_study(study, tmp_path)
    before = {f: f.read_bytes() for f in first}
    other = Study.from_datasets([instance("1.1", 1, 7)])
    with pytest.raises(DicomError, match="exist already") as err:
        save_study(other, tmp_path)
    assert str(tmp_path) in str(err.value)
    assert {f: f.read_bytes() for f in first} == before  # nothing touched
    written = save_study(other, tmp_path, overwrite=True)
    assert pydicom.dcmread(written[0]).SOPInstanceUID == other.datasets[0].SOPInstanceUID


def test_output_that_is_a_file_is_refused(tmp_path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(DicomError, match="must be a folder"):
        save_study(Study.from_datasets([instance("1.1", 1, 0)]), tmp_path / "f")


@pytest.mark.filterwarnings("ignore:Invalid value for VR CS")
@pytest.mark.parametrize("file_id", [["..", "outside"], ["..", "..", "etc", "passwd"], ["a", "..", "..", "x"],
                                     ["/etc/passwd"]])
def test_dicomdir_references_cannot_leave_the_folder(tmp_path, file_id) -> None:
    media = tmp_path / "media"
    save_study(Study.from_datasets([instance("1.1", 1, 0)]), media, dicomdir=True)
    save_study(Study.from_datasets([instance("1.9", 1, 9)]), tmp_path / "outside")  # a real target
    ddir = pydicom.dcmread(media / "DICOMDIR")
    rec = next(r for r in ddir.DirectoryRecordSequence if r.DirectoryRecordType == "IMAGE")
    rec.ReferencedFileID = file_id
    ddir.save_as(media / "DICOMDIR")
    with pytest.raises(DicomError, match="outside the DICOMDIR's folder") as err:
        load_study(media / "DICOMDIR")
    assert "DirectoryRecordSequence" in str(err.value)


@pytest.fixture
def folder_with_junk(tmp_path):
    src = tmp_path / "src"
    save_study(Study.from_datasets([instance("1.1", 1, 0), instance("1.1", 2, 1)]), src)
    (src / "junk.dcm").write_bytes(b"not dicom")
    (src / "half.dcm").write_bytes(next(src.rglob("I00001")).read_bytes()[:300])
    return src


@pytest.mark.parametrize("command", [
    ["dicom", "deidentify", "{src}", "{out}"],
    ["compress", "{src}", "{out}", "--syntax", "jpegls"],
    ["datasets", "import", "{src}", "case", "--root", "{out}"],
    ["quality", "{src}", "{src}"],
])
def test_folder_commands_list_skipped_files_and_fail(folder_with_junk, command, tmp_path, capsys) -> None:
    out = tmp_path / "out"
    argv = [a.replace("{src}", str(folder_with_junk)).replace("{out}", str(out)) for a in command]
    assert main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    skipped = [line for line in err if ": skipped " in line]
    assert len(skipped) == (4 if argv[0] == "quality" else 2) and any("junk.dcm: not a DICOM file" in s for s in skipped), err
    assert any("half.dcm" in s for s in skipped)
    assert "--allow-skipped" in err[-1] and "Traceback" not in "\n".join(err)
    assert not out.exists() or not any(f.is_file() for f in out.rglob("*"))  # nothing written

    assert main([*argv, "--allow-skipped"]) == 0
    err = capsys.readouterr().err
    assert err.count(": skipped ") == (4 if argv[0] == "quality" else 2)  # still listed (quality: both sides)
    if argv[0] != "quality":
        assert len([f for f in out.rglob("*") if f.is_file() and f.name != "truth.json"]) == 2


def test_import_study_api_refuses_skipped_files(folder_with_junk, tmp_path) -> None:
    from teleradlab.imaging.datasets import import_study

    with pytest.raises(DicomError, match="2 file\\(s\\) cannot be read"):
        import_study(folder_with_junk, "case", root=tmp_path / "imp")
    assert not (tmp_path / "imp" / "case").exists()
    target = import_study(folder_with_junk, "case", root=tmp_path / "imp", allow_skipped=True)
    assert len(load_study(target)) == 2


def test_deidentify_cli_refuses_to_overwrite(tmp_path, capsys) -> None:
    src = tmp_path / "src"
    save_study(Study.from_datasets([instance("1.1", 1, 0)]), src)
    assert main(["dicom", "deidentify", str(src), str(tmp_path / "out")]) == 0
    capsys.readouterr()
    assert main(["dicom", "deidentify", str(src), str(tmp_path / "out")]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "exist already" in lines[0] and "--overwrite" in lines[0]
    assert main(["dicom", "deidentify", str(src), str(tmp_path / "out"), "--overwrite"]) == 0


def test_an_earlier_import_is_not_replaced_silently(tmp_path, capsys) -> None:
    from teleradlab.imaging.datasets import import_study

    src = tmp_path / "src"
    save_study(Study.from_datasets([instance("1.1", 1, 0)]), src)
    first = import_study(src, "case", root=tmp_path / "imp")
    before = sorted(f.read_bytes() for f in first.rglob("*") if f.is_file())
    with pytest.raises(DicomError, match="earlier import has this name"):
        import_study(src, "case", root=tmp_path / "imp")
    argv = ["datasets", "import", str(src), "case", "--root", str(tmp_path / "imp")]
    assert main(argv) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert sorted(f.read_bytes() for f in first.rglob("*") if f.is_file()) == before
    assert main([*argv, "--overwrite"]) == 0


def test_an_instance_without_sop_uids_is_skipped_not_half_written(tmp_path, capsys) -> None:
    """A file without SOP Class UID once passed read, and the folder's de-identification stopped
    at its write with part of the study written."""
    src = tmp_path / "src"
    save_study(Study.from_datasets([instance("1.1", 1, 0), instance("1.1", 2, 1)]), src)
    orphan = instance("1.1", 3, 2)
    del orphan.SOPClassUID
    orphan.preamble = b"\0" * 128
    orphan.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    orphan.file_meta.MediaStorageSOPInstanceUID = orphan.SOPInstanceUID
    pydicom.dcmwrite(src / "orphan.dcm", orphan, enforce_file_format=False)
    out = tmp_path / "out"
    assert main(["dicom", "deidentify", str(src), str(out), "--allow-skipped"]) == 0
    err = capsys.readouterr().err
    assert "orphan.dcm: SOPClassUID is missing or empty" in err
    assert len([f for f in out.rglob("*") if f.is_file()]) == 2
    study = Study.from_datasets([instance("1.1", 1, 0), orphan])
    with pytest.raises(DicomError, match="no SOPClassUID; nothing written"):
        save_study(study, tmp_path / "api")
    assert not (tmp_path / "api").exists() or not any((tmp_path / "api").rglob("*"))
