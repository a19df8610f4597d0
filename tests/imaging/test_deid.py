import csv
import hashlib
import hmac
import io
import warnings
from importlib import resources

import numpy as np
import pytest
from pydicom import dcmread, dcmwrite
from pydicom._uid_dict import UID_dictionary
from pydicom.datadict import dictionary_description, dictionary_has_tag
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from teleradlab.errors import ParameterError
from teleradlab.imaging import (
    BurnedInAnnotationWarning,
    Deidentifier,
    Study,
    deidentify,
    load_study,
    save_study,
    synthesize_study,
)
from teleradlab.imaging.deid_profile import BASIC_PROFILE, EDITION, OPTIONS, TABLE_FILE, table

#: The thirteen attributes issue 12 found kept, each listed in Table E.1-1.
ISSUE_ATTRIBUTES = [0x00101050, 0x00120010, 0x00120040, 0x00400512, 0x00400551, 0x00080054, 0x00080055,
                    0x00081000, 0x00189937, 0x00404036, 0x00500020, 0x00320012, 0x00321020]
#: The eight UIDs beyond Study/Series/SOP/FoR that issue 12 found kept.
OTHER_UIDS = {"ObservationUID": 0x0040A171, "SpecimenUID": 0x00400554, "TrackingUID": 0x00620021,
              "ConcatenationUID": 0x00209161, "PaletteColorLookupTableUID": 0x00281199,
              "IrradiationEventUID": 0x00083010, "DeviceUID": 0x00181002, "InstanceCreatorUID": 0x00080014}
UNKNOWN_PUBLIC = 0x0020F0F0  # an even group, unknown to the data dictionary (checked below)


class Markers:
    """Unique marker strings, one per place identity can hide."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def __call__(self, place: str, length: int | None = None) -> str:
        value = f"PHI{len(self.values):03d}{place.replace(' ', '')}"[: length or 64]
        assert value not in self.values.values()
        self.values[place] = value
        return value


def _vr_value(tag: int, marker: str):
    from pydicom.datadict import dictionary_VR

    vr = dictionary_VR(tag)
    if vr == "SQ":
        item = Dataset()
        item.PersonName = marker  # a name inside the sequence
        return vr, Sequence([item])
    return vr, marker


def phi_laden(markers: Markers, n_images: int = 3) -> Study:
    """A small CT study with identity in every place issue 12 names, each a unique marker."""
    study = synthesize_study("CT", seed=3, shape=(16, 16), n_images=n_images, lesions=0)
    patient = {"PatientName": markers("NAME") + "^JANE", "PatientID": markers("PID"),
               "OtherPatientIDs": markers("OPID"), "AccessionNumber": markers("ACC", 16)}
    for i, ds in enumerate(study.datasets):
        def m(place: str, length: int | None = None, i: int = i) -> str:
            return markers(f"{place}{i}", length)

        for keyword, value in patient.items():
            setattr(ds, keyword, value)
        ds.PatientAddress = m("ADDR")
        ds.InstitutionName = m("INST")
        ds.StationName = m("STATION", 16)
        ds.DeviceSerialNumber = m("SERIAL")
        ds.ReferringPhysicianName = m("REFPHYS")
        ds.ImageComments = m("COMMENT")
        ds.StudyDescription = m("STUDYDESC")
        ds.PatientSex, ds.PatientAge = "F", "053Y"
        ds.PatientBirthDate = "19710403"
        ds.StudyDate, ds.SeriesDate, ds.AcquisitionDate, ds.ContentDate = "20240115", "20240116", "20240117", "20240118"
        ds.add_new(0x00100033, "LO", m("ALTCAL"))  # Patient's Birth Date in Alternative Calendar
        for tag in ISSUE_ATTRIBUTES:
            vr, value = _vr_value(tag, m(f"T{tag:08X}", 16))
            ds.add_new(tag, vr, value)
        # overlays (group 6000 and 6002) and curves (5004: outside 5000/5002)
        for group in (0x6000, 0x6002):
            ds.add_new((group << 16) | 0x0010, "US", 16)
            ds.add_new((group << 16) | 0x0011, "US", 16)
            ds.add_new((group << 16) | 0x0022, "LO", m(f"OVLDESC{group:04X}"))
            ds.add_new((group << 16) | 0x1500, "LO", m(f"OVLLABEL{group:04X}"))
            ds.add_new((group << 16) | 0x3000, "OW", m(f"OVLDATA{group:04X}").encode().ljust(32, b"\0"))
        ds.add_new(0x50043000, "OB", m("CURVEDATA").encode().ljust(32, b"\0"))
        ds.add_new(0x50042500, "LO", m("CURVELABEL"))
        ds.add_new(UNKNOWN_PUBLIC, "UN", m("UNKNOWNUN").encode().ljust(32, b" "))
        # free text in a nested content item
        inner = Dataset()
        code = Dataset()
        code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = "121071", "DCM", m("CODEMEANING")
        inner.ConceptNameCodeSequence = Sequence([code])
        inner.ObservationUID = "1.2.3.999.1"
        outer = Dataset()
        outer.ContentSequence = Sequence([inner])
        outer.ValueType = "CONTAINER"
        ds.ContentSequence = Sequence([outer])
        # the eight other UIDs (one inside a sequence)
        specimen = Dataset()
        specimen.SpecimenUID = f"1.2.3.999.2.{i}"
        specimen.SpecimenIdentifier = m("SPECID", 16)
        ds.SpecimenDescriptionSequence = Sequence([specimen])
        for keyword in ("ObservationUID", "TrackingUID", "ConcatenationUID", "PaletteColorLookupTableUID",
                        "IrradiationEventUID", "DeviceUID", "InstanceCreatorUID"):
            setattr(ds, keyword, f"1.2.3.999.{3 + list(OTHER_UIDS).index(keyword)}.{i}")
        # references between the instances
        ref = Dataset()
        ref.ReferencedSOPClassUID = ds.SOPClassUID
        ref.ReferencedSOPInstanceUID = study.datasets[0].SOPInstanceUID
        ds.ReferencedImageSequence = Sequence([ref])
        # private tags
        block = ds.private_block(0x0029, "ACME HOSPITAL", create=True)
        block.add_new(0x10, "LO", m("PRIVLO"))
        block.add_new(0x11, "LT", m("PRIVLT"))
        # file meta and preamble
        ds.file_meta.SourceApplicationEntityTitle = m("SRCAE", 16)
        ds.preamble = m("PREAMBLE").encode().ljust(128, b"\0")
    return study


def _bytes(ds: Dataset) -> bytes:
    buffer = io.BytesIO()
    dcmwrite(buffer, ds, enforce_file_format=True)
    return buffer.getvalue()


def _all_uids(ds: Dataset) -> set[str]:
    found: set[str] = set()

    def walk(d: Dataset) -> None:
        for elem in d:
            if elem.VR == "SQ":
                for item in elem.value:
                    walk(item)
            elif elem.VR == "UI" and elem.value:
                found.update([elem.value] if isinstance(elem.value, str) else list(elem.value))

    walk(ds)
    if getattr(ds, "file_meta", None) is not None:
        walk(ds.file_meta)
    return {u for u in found if u not in UID_dictionary}


def test_the_unknown_public_tag_is_unknown() -> None:
    assert not dictionary_has_tag(UNKNOWN_PUBLIC) and (UNKNOWN_PUBLIC >> 16) % 2 == 0


def test_no_marker_and_no_original_uid_in_the_output_bytes() -> None:
    markers = Markers()
    raw = phi_laden(markers)
    before = [_bytes(ds) for ds in raw.datasets]
    # the test is able to fail: every marker and UID is in the input bytes
    for value in markers.values.values():
        assert any(value.encode() in blob for blob in before), value
    original_uids = set().union(*(_all_uids(ds) for ds in raw.datasets))
    assert len(original_uids) >= 3 * 10
    for uid in original_uids:
        assert any(uid.encode() in blob for blob in before), uid
    assert any(blob[:128].startswith(b"PHI") for blob in before)

    clean = deidentify(raw, key=b"k" * 32)
    for ds in clean.datasets:
        blob = _bytes(ds)
        assert blob[:128] == b"\0" * 128
        for place, value in markers.values.items():
            assert value.encode() not in blob, f"{place} ({value!r}) survived"
        for uid in original_uids:
            assert uid.encode() not in blob, f"original UID {uid} survived"
        for word in (b"DOE", b"JANE", b"19710403", b"20240115", b"ACME"):
            assert word not in blob
        back = dcmread(io.BytesIO(blob))
        assert not any(e.tag.is_private for e in back)
        assert not any(0x5000 <= e.tag.group <= 0x60FF for e in back)
        assert "SourceApplicationEntityTitle" not in back.file_meta
        assert back.file_meta.MediaStorageSOPInstanceUID == back.SOPInstanceUID
        assert back.SOPClassUID == raw.datasets[0].SOPClassUID  # registered UIDs stay


def test_uids_are_hmac_derived_uuids_under_2_25() -> None:
    key = bytes(range(32))
    deid = Deidentifier(key)
    original = "1.2.840.99999.1.2.3"
    new = deid.uid(original)
    # independent derivation: HMAC-SHA256, first 128 bits, UUID version 8 and variant bits
    bits = bytearray(hmac.new(key, b"uid\x00" + original.encode(), hashlib.sha256).digest()[:16])
    bits[6] = (bits[6] & 0x0F) | 0x80
    bits[8] = (bits[8] & 0x3F) | 0x80
    assert new == "2.25." + str(int.from_bytes(bits, "big"))
    assert len(new) <= 64
    value = int(new.split(".")[2])
    assert value < 2**128 and (value >> 76) & 0xF == 8
    assert deid.uid("1.2.840.10008.5.1.4.1.1.2") == "1.2.840.10008.5.1.4.1.1.2"  # CT Image Storage


def test_batches_with_one_key_map_consistently() -> None:
    raw = phi_laden(Markers(), n_images=4)
    first = Study.from_datasets(raw.datasets[:2])
    second = Study.from_datasets(raw.datasets[2:])
    deid = Deidentifier()
    a = deid(first)
    b = Deidentifier(deid.key_hex)(second)  # later, elsewhere, from the stored key
    assert {d.StudyInstanceUID for d in a.datasets} == {d.StudyInstanceUID for d in b.datasets}
    assert {d.FrameOfReferenceUID for d in a.datasets} == {d.FrameOfReferenceUID for d in b.datasets}
    new_sop = {d.SOPInstanceUID for d in a.datasets}
    # a reference in batch two follows its target in batch one
    for ds in b.datasets:
        assert ds.ReferencedImageSequence[0].ReferencedSOPInstanceUID in new_sop
    other = Deidentifier()(second)
    assert other.datasets[0].StudyInstanceUID != b.datasets[0].StudyInstanceUID
    assert raw.datasets[0].PatientName.family_name.startswith("PHI")  # input untouched


def test_key_must_be_long_enough() -> None:
    with pytest.raises(ParameterError, match="at least 16"):
        Deidentifier("short")
    with pytest.raises(ParameterError, match="unknown option"):
        Deidentifier(options=["retain_everything"])
    with pytest.raises(ParameterError, match="exclude each other"):
        Deidentifier(options=["retain_longitudinal_full_dates", "retain_longitudinal_modified_dates"])


def _plain(name: str) -> str:
    return "".join(c for c in name.casefold() if c.isalnum())


def test_table_rows_agree_with_the_data_dictionary() -> None:
    text = resources.files("teleradlab").joinpath("data", TABLE_FILE).read_text()
    rows = list(csv.DictReader([line for line in text.splitlines() if not line.startswith("#")], delimiter="\t"))
    assert len(rows) == len({r["tag"] for r in rows})
    for row in rows:
        assert row["basic"] in {"X", "Z", "D", "U", "X/Z", "X/D", "Z/D", "X/Z/D", "X/Z/U*"}, row
        if "X" in row["tag"]:
            continue
        tag = int(row["tag"], 16)
        assert dictionary_has_tag(tag), row
        assert _plain(dictionary_description(tag)) == _plain(row["name"]), row
    rows_by_tag = table()
    for tag in ISSUE_ATTRIBUTES + list(OTHER_UIDS.values()):
        assert tag in rows_by_tag, f"{tag:08X}"
    assert all(rows_by_tag[t].basic == "U" for t in OTHER_UIDS.values())
    assert BASIC_PROFILE["PatientName"] == "Z" and BASIC_PROFILE["StudyInstanceUID"] == "U"


def test_actions_follow_the_table() -> None:
    raw = phi_laden(Markers())
    ds = deidentify(raw.datasets[0], key=b"p" * 16)
    assert ds.PatientName == "" and ds.AccessionNumber == ""  # Z
    # Patient ID (Z/D → D): a keyed pseudonym, one per patient
    expected = "P-" + hmac.new(b"p" * 16, b"patient-id\x00" + raw.datasets[0].PatientID.encode(), hashlib.sha256).hexdigest()[:16]
    assert ds.PatientID == expected
    assert "PatientAddress" not in ds and "OtherPatientIDs" not in ds and "ImageComments" not in ds  # X
    assert ds.InstitutionName == "ANONYMIZED"  # X/Z/D resolves to D
    assert ds.ContentSequence == Sequence([Dataset()])  # D on a sequence: one empty item
    assert "PatientSex" in ds and ds.PatientSex == "" and "PatientAge" not in ds
    assert ds.LongitudinalTemporalInformationModified == "REMOVED"
    assert ds.DeidentificationMethod == f"{EDITION} Basic Profile"
    assert [c.CodeValue for c in ds.DeidentificationMethodCodeSequence] == ["113100"]


def test_retain_options_keep_what_they_name_and_are_recorded() -> None:
    raw = phi_laden(Markers(), n_images=2)
    options = ["retain_uids", "retain_device_identity", "retain_institution_identity",
               "retain_patient_characteristics", "retain_longitudinal_modified_dates"]
    clean = deidentify(raw, key=b"x" * 16, options=options)
    ds, orig = clean.datasets[0], raw.datasets[0]
    assert ds.StudyInstanceUID == orig.StudyInstanceUID and ds.SOPInstanceUID == orig.SOPInstanceUID
    assert ds.DeviceSerialNumber == orig.DeviceSerialNumber and ds.StationName == orig.StationName
    assert ds.InstitutionName == orig.InstitutionName
    assert ds.PatientSex == "F" and ds.PatientAge == "053Y"
    assert ds.PatientName == "" and "PatientAddress" not in ds  # the Basic actions still apply
    # modified dates: one shift for the patient, intervals kept, originals gone
    import datetime as dt

    def day(text: str) -> dt.date:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))

    shift = day(orig.StudyDate) - day(ds.StudyDate)
    assert 365 <= shift.days <= 3650
    assert day(orig.ContentDate) - day(ds.ContentDate) == shift
    assert clean.datasets[1].StudyDate == ds.StudyDate
    assert ds.PatientBirthDate == ""  # no option retains the birth date
    assert ds.LongitudinalTemporalInformationModified == "MODIFIED"
    codes = [c.CodeValue for c in ds.DeidentificationMethodCodeSequence]
    assert codes == ["113100"] + [OPTIONS[o].code for o in options]
    assert list(ds.DeidentificationMethod)[1:] == [OPTIONS[o].name for o in options]


def test_clean_descriptors_scrubs_known_identifiers() -> None:
    ds = phi_laden(Markers(), n_images=1).datasets[0]
    name = ds.PatientName.family_name
    ds.StudyDescription = f"CT chest for {name} record 12345678"
    ds.ImageComments = f"patient {ds.PatientID} seen at {ds.InstitutionName}, Jane's follow-up"
    clean = deidentify(ds, options=["clean_descriptors"])
    assert clean.StudyDescription == "CT chest for record"
    # the given name is a known identifier too; words the header does not carry are the documented limit
    assert clean.ImageComments == "patient seen at , 's follow-up"
    assert "113105" in [c.CodeValue for c in clean.DeidentificationMethodCodeSequence]


def test_pixels_never_change_and_burned_in_warns() -> None:
    raw = phi_laden(Markers())
    raw.datasets[0].BurnedInAnnotation = "YES"
    with pytest.warns(BurnedInAnnotationWarning, match="Burned In Annotation"):
        clean = deidentify(raw)
    assert np.array_equal(raw.pixels(), clean.pixels())
    plain = phi_laden(Markers())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        deidentify(plain)  # no warning without burned-in annotation


def test_keep_private_on_request() -> None:
    ds = phi_laden(Markers(), n_images=1).datasets[0]
    creator = next(e.tag for e in ds if e.tag.is_private and e.tag.element < 0x100)
    data_tag = (creator.group << 16) | ((creator.element << 8) + 0x10)
    kept = deidentify(ds, keep_private={data_tag})
    assert data_tag in kept and int(creator) in kept
    assert (creator.group << 16) | ((creator.element << 8) + 0x11) not in kept
    assert "113111" in [c.CodeValue for c in kept.DeidentificationMethodCodeSequence]


def test_import_study_deidentifies_by_default(tmp_path) -> None:
    from teleradlab.imaging.datasets import import_study

    src = tmp_path / "src"
    save_study(phi_laden(Markers()), src)
    target = import_study(src, "case1", root=tmp_path / "imported")
    study = load_study(target)
    assert all(str(d.PatientName) == "" and d.PatientIdentityRemoved == "YES" for d in study.datasets)


def test_cli_key_file_maps_two_batches_alike(tmp_path, capsys) -> None:
    import os

    from teleradlab.cli import main

    raw = phi_laden(Markers(), n_images=2)
    save_study(Study.from_datasets(raw.datasets[:1]), tmp_path / "a")
    save_study(Study.from_datasets(raw.datasets[1:]), tmp_path / "b")
    key = tmp_path / "project.key"
    assert main(["dicom", "deidentify", str(tmp_path / "a"), str(tmp_path / "out_a"), "--key-file", str(key),
                 "--option", "retain_device_identity"]) == 0
    assert f"a new key, written to {key}" in capsys.readouterr().out
    assert os.stat(key).st_mode & 0o777 == 0o600
    assert main(["dicom", "deidentify", str(tmp_path / "b"), str(tmp_path / "out_b"), "--key-file", str(key),
                 "--option", "retain_device_identity"]) == 0
    a, b = load_study(tmp_path / "out_a").datasets[0], load_study(tmp_path / "out_b").datasets[0]
    assert a.StudyInstanceUID == b.StudyInstanceUID != raw.datasets[0].StudyInstanceUID
    assert a.StudyInstanceUID == Deidentifier(key.read_text().strip()).uid(raw.datasets[0].StudyInstanceUID)
    assert a.DeviceSerialNumber == raw.datasets[0].DeviceSerialNumber
    key.write_text("not a key")
    assert main(["dicom", "deidentify", str(tmp_path / "a"), str(tmp_path / "out_c"), "--key-file", str(key)]) != 0
    assert "project.key" in capsys.readouterr().err


def test_files_written_by_save_study_are_clean_too(tmp_path) -> None:
    markers = Markers()
    raw = phi_laden(markers)
    original_uids = set().union(*(_all_uids(ds) for ds in raw.datasets))
    for path in save_study(deidentify(raw), tmp_path / "out"):
        blob = path.read_bytes()
        assert blob[:128] == b"\0" * 128
        assert not [p for p, v in markers.values.items() if v.encode() in blob]
        assert not [u for u in original_uids if u.encode() in blob]


def test_a_binary_key_file_is_one_clear_error(tmp_path) -> None:
    from teleradlab.errors import ParameterError
    from teleradlab.imaging.deid import key_file

    bad = tmp_path / "key.bin"
    bad.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(ParameterError, match="cannot use it as a key file"):
        key_file(bad)


def test_places_found_by_the_second_adversarial_pass_are_removed() -> None:
    """Identity nested where issue 12's first pass did not look (found in a later pass)."""
    markers = Markers()
    ds = synthesize_study("CT", seed=4, shape=(16, 16), n_images=1, lesions=0).datasets[0]
    qualifiers = Dataset()  # (0010,0024): a Patient-group sequence the table does not list
    qualifiers.UniversalEntityID = markers("UEID")
    qualifiers.AssigningJurisdictionCodeSequence = Sequence([Dataset()])
    jurisdiction = qualifiers.AssigningJurisdictionCodeSequence[0]
    jurisdiction.CodeValue, jurisdiction.CodingSchemeDesignator = markers("JURVALUE", 16), "99X"
    jurisdiction.CodeMeaning = markers("JURMEANING")
    ds.IssuerOfPatientIDQualifiersSequence = Sequence([qualifiers])
    waveform = Dataset()  # group 5400: labels are free text
    waveform.MultiplexGroupLabel = markers("GROUPLABEL", 16)
    channel = Dataset()
    channel.ChannelLabel = markers("CHANLABEL", 16)
    waveform.ChannelDefinitionSequence = Sequence([channel])
    waveform.add_new(0x54001010, "OW", markers("WAVEDATA").encode().ljust(32, b"\0"))
    ds.WaveformSequence = Sequence([waveform])
    encrypted = Dataset()  # (0400,0500) carries the original identity
    encrypted.EncryptedContentTransferSyntaxUID = "1.2.840.10008.1.2.1"
    encrypted.EncryptedContent = markers("ENCRYPTED").encode().ljust(32, b"\0")
    ds.EncryptedAttributesSequence = Sequence([encrypted])
    for tag, vr in ((0x00401006, "SH"), (0x00402007, "SH"), (0x0074100C, "LO"), (0x21000160, "SH"),
                    (0x4010101A, "SH"), (0x40101051, "LO")):  # order numbers, a contact, an owner, a traveller
        ds.add_new(tag, vr, markers(f"T{tag:08X}", 16))
    before = _bytes(ds)
    assert all(v.encode() in before for v in markers.values.values())
    blob = _bytes(deidentify(ds, key=b"k" * 32))
    for place, value in markers.values.items():
        assert value.encode() not in blob, f"{place} ({value!r}) survived"
    back = dcmread(io.BytesIO(blob))
    for keyword in ("IssuerOfPatientIDQualifiersSequence", "WaveformSequence", "EncryptedAttributesSequence"):
        assert keyword not in back
