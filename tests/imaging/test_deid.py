import warnings

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from teleradlab.imaging import (
    BurnedInAnnotationWarning,
    deidentify,
    load_study,
    save_study,
    synthesize_study,
)
from teleradlab.imaging.deid_profile import BASIC_PROFILE

PHI = ["DOE^JANE^Q", "PAT-77341", "19710403", "20240115", "ACC-998877", "12 Birch Lane", "Springfield",
       "Dr. HOUSE^GREGORY", "St. Elsewhere Hospital", "+1-555-0100", "Jane was seen after a fall",
       "SECRET-PRIVATE-ID", "PRIVATE NOTE about Jane", "CT-STATION-7", "SN-55501"]


def phi_laden(seed: int = 1):
    study = synthesize_study("CT", seed=seed, shape=(32, 32), n_images=3, lesions=0)
    for ds in study.datasets:
        ds.PatientName = PHI[0]
        ds.PatientID = PHI[1]
        ds.PatientBirthDate = PHI[2]
        ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = ds.ContentDate = PHI[3]
        ds.AccessionNumber = PHI[4]
        ds.PatientAddress = f"{PHI[5]}, {PHI[6]}"
        ds.ReferringPhysicianName = PHI[7]
        ds.InstitutionName = PHI[8]
        ds.PatientTelephoneNumbers = PHI[9]
        ds.ImageComments = PHI[10]
        ds.AdditionalPatientHistory = PHI[10]
        ds.StationName = PHI[13]
        ds.DeviceSerialNumber = PHI[14]
        ds.OtherPatientIDs = PHI[1]
        block = ds.private_block(0x0029, "ACME HOSPITAL", create=True)
        block.add_new(0x10, "LO", PHI[11])
        block.add_new(0x11, "LT", PHI[12])
        item = Dataset()
        item.ReferencedSOPClassUID = ds.SOPClassUID
        item.ReferencedSOPInstanceUID = study.datasets[0].SOPInstanceUID
        item.ReferencedFrameNumber = 1
        ds.ReferencedImageSequence = Sequence([item])
        ds.SourceImageSequence = Sequence([item])
        ds.ReferencedPatientSequence = Sequence([Dataset()])
        ds.ReferencedPatientSequence[0].PatientName = PHI[0]
    return study


def test_no_phi_survives_anywhere(tmp_path) -> None:
    clean = deidentify(phi_laden())
    files = save_study(clean, tmp_path)
    for f in files:
        blob = f.read_bytes()
        for value in PHI:
            assert value.encode() not in blob, f"{value!r} survived in {f.name}"
        ds = dcmread(f)
        assert ds.PatientIdentityRemoved == "YES"
        assert "PS3.15 Basic Confidentiality Profile" in ds.DeidentificationMethod
        assert ds.DeidentificationMethodCodeSequence[0].CodeValue == "113100"
        assert not any(e.tag.is_private for e in ds)


def test_uids_remapped_consistently() -> None:
    raw = phi_laden()
    clean = deidentify(raw)
    old_study, new_study = raw.datasets[0].StudyInstanceUID, clean.datasets[0].StudyInstanceUID
    assert old_study != new_study
    assert {d.StudyInstanceUID for d in clean.datasets} == {new_study}
    assert {d.FrameOfReferenceUID for d in clean.datasets} == {clean.datasets[0].FrameOfReferenceUID}
    old_uids = {d.SOPInstanceUID for d in raw.datasets}
    new_uids = {d.SOPInstanceUID for d in clean.datasets}
    assert not old_uids & new_uids and len(new_uids) == 3
    # a reference inside a sequence follows its target
    for ds in clean.datasets:
        if "ReferencedImageSequence" in ds:
            assert ds.ReferencedImageSequence[0].ReferencedSOPInstanceUID in new_uids
    assert all(d.file_meta.MediaStorageSOPInstanceUID == d.SOPInstanceUID for d in clean.datasets)


def test_same_salt_same_mapping_and_input_untouched() -> None:
    raw = phi_laden()
    a, b = deidentify(raw, salt="k"), deidentify(raw, salt="k")
    assert [d.SOPInstanceUID for d in a.datasets] == [d.SOPInstanceUID for d in b.datasets]
    assert raw.datasets[0].PatientName == PHI[0]


def test_actions_follow_the_table() -> None:
    ds = deidentify(phi_laden().datasets[0])
    assert ds.PatientName == "" and ds.PatientID == "" and ds.AccessionNumber == ""  # Z
    assert "PatientAddress" not in ds and "InstitutionName" not in ds  # X
    assert BASIC_PROFILE["PatientName"] == "Z" and BASIC_PROFILE["StudyInstanceUID"] == "U"


def test_pixels_never_change_and_burned_in_warns(tmp_path) -> None:
    raw = phi_laden()
    raw.datasets[0].BurnedInAnnotation = "YES"
    with pytest.warns(BurnedInAnnotationWarning, match="Burned In Annotation"):
        clean = deidentify(raw)
    assert np.array_equal(raw.pixels(), clean.pixels())
    plain = phi_laden()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        deidentify(plain)  # no warning without burned-in annotation


def test_keep_private_on_request() -> None:
    ds = phi_laden().datasets[0]
    creator = next(e.tag for e in ds if e.tag.is_private and e.tag.element < 0x100)
    data_tag = (creator.group << 16) | ((creator.element << 8) + 0x10)
    kept = deidentify(ds, keep_private={int(creator), data_tag})
    assert data_tag in kept and int(creator) in kept


def test_import_study_deidentifies_by_default(tmp_path) -> None:
    from teleradlab.imaging.datasets import import_study

    src = tmp_path / "src"
    save_study(phi_laden(), src)
    target = import_study(src, "case1", root=tmp_path / "imported")
    study = load_study(target)
    assert all(str(d.PatientName) == "" and d.PatientIdentityRemoved == "YES" for d in study.datasets)
