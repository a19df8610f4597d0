"""De-identification with the DICOM PS3.15 Basic Application Level Confidentiality Profile.

Before a study leaves a site — to a reading centre abroad, or into this project's
``datasets/`` — identity must go. :class:`Deidentifier` applies Table E.1-1 of
:data:`~teleradlab.imaging.deid_profile.EDITION` (:mod:`.deid_profile`) with the
options the caller names, and beyond the table:

- every element of VR UI is a UID to replace, except registered UIDs (SOP classes,
  transfer syntaxes and the rest of pydicom's UID dictionary) and class UIDs;
- groups 50xx (curves), 60xx (overlays: data, labels, descriptions) and 5400
  (waveforms: channel and group labels are free text) are removed, and so is the
  Encrypted Attributes Sequence (0400,0500), whose content is the original identity;
- elements of VR UN and public elements pydicom's dictionary does not know are removed;
- private elements are removed unless listed in ``keep_private``;
- names, free text, network addresses, dates and times the table does not list are
  removed (PN, LT, ST, UT, UC, UR, AE, DA, DT, TM), and so is every Patient-group
  (0010) element the table does not list (e.g. Patient's Birth Date in Alternative
  Calendar);
- sequences are walked at every depth with the same rules;
- the File Meta Information is rebuilt (Media Storage SOP Instance UID follows the
  new SOP Instance UID; Source/Sending/Receiving AE Titles and private meta elements
  go) and the 128-byte preamble is zeroed.

Replacement UIDs are ``2.25.<integer>`` built from an HMAC-SHA256 of the original
UID under a secret key, so the same key maps the same UID to the same new UID in
every batch, at every site. That is the point and the risk: **anyone holding the
key can confirm a guessed original UID, and two data sets de-identified with one
key can be linked record by record.** Keep the key like a password, use one key per
project (not per site or forever), and never ship it with the data.

Pixel data is never changed: burned-in annotation cannot be removed this way, so a
dataset that declares it raises :class:`BurnedInAnnotationWarning`.
"""

from __future__ import annotations

import copy
import datetime as _dt
import hashlib
import hmac
import os
import re
import secrets
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pydicom._uid_dict import UID_dictionary
from pydicom.datadict import dictionary_has_tag
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import PYDICOM_IMPLEMENTATION_UID

from teleradlab.errors import ParameterError
from teleradlab.imaging.deid_profile import EDITION, OPTIONS, PROFILE_CODE, SAFE_PRIVATE_CODE, table
from teleradlab.imaging.study import Study

PROFILE_NAMES = ("basic",)

#: Dummy values for action D, by VR (UI is replaced like U; SQ gets one empty item).
DUMMIES: dict[str, Any] = {"PN": "ANONYMOUS", "LO": "ANONYMIZED", "SH": "ANONYMIZED", "CS": "ANONYMIZED",
                           "DA": "19000101", "TM": "000000", "DT": "19000101000000", "AS": "000Y",
                           "ST": "ANONYMIZED", "LT": "ANONYMIZED", "UT": "ANONYMIZED", "UC": "ANONYMIZED",
                           "AE": "ANONYMIZED", "UR": "", "IS": "0", "DS": "0", "US": 0, "SS": 0, "UL": 0,
                           "SL": 0, "UV": 0, "SV": 0, "FL": 0.0, "FD": 0.0, "OB": b"\x00\x00", "OW": b"\x00\x00",
                           "OD": b"\x00" * 8, "OF": b"\x00" * 4, "OL": b"\x00" * 4, "OV": b"\x00" * 8,
                           "UN": b"\x00\x00"}

#: VRs of names, free text and addresses (AE titles, URLs): removed when the table does not list the attribute.
TEXT_VRS = frozenset({"PN", "LT", "ST", "UT", "UC", "UR", "AE"})
#: VRs of dates and times: removed when the table does not list them, unless a
#: longitudinal-temporal option says otherwise.
TEMPORAL_VRS = frozenset({"DA", "DT", "TM"})
_STRING_VRS = frozenset({"AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UC",
                         "UI", "UR", "UT"})
#: Public elements the table does not list that are removed all the same: the Encrypted
#: Attributes Sequence (0400,0500), which holds the original identifying attributes; the
#: Waveform Annotation Sequence (0040,B020), free text about the waveforms (group 5400) removed
#: too; the retired Placer/Filler Order Numbers (0040,1006), (0040,1007), (0040,2006), (0040,2007),
#: which identify an order as the Accession Number does; a UPS Contact Display Name (0074,100C);
#: a print job's Owner ID (2100,0160); and the DICOS traveller identifiers (4010,101A) Boarding
#: Pass ID, (4010,102A) Assigned Location, (4010,1051/1053) Itinerary ID and its authority,
#: (4010,1054/1055) Route ID and its authority, (4010,1058/1059) Carrier ID and its authority.
_REMOVED = frozenset({0x04000500, 0x0040B020, 0x00401006, 0x00401007, 0x00402006, 0x00402007, 0x0074100C,
                      0x21000160, 0x4010101A, 0x4010102A, 0x40101051, 0x40101053, 0x40101054, 0x40101055,
                      0x40101058, 0x40101059})
#: File-meta elements rebuilt from scratch; everything else in group 0002 is dropped.
_META_KEPT = ("MediaStorageSOPClassUID", "TransferSyntaxUID")
#: Modified-dates shift: every date of one patient moves back by the same whole number of
#: days, 365 to 3650 (one to ten years), drawn from the key and the patient's identity.
SHIFT_DAYS = (365, 3650)

#: A cleaner receives the attribute keyword, its text and the identifiers found in the
#: dataset, and returns the cleaned text ('' when nothing safe remains).
Cleaner = Callable[[str, str, frozenset[str]], str]


class BurnedInAnnotationWarning(UserWarning):
    """The dataset says its pixels carry burned-in identifying text."""


def scrub_identifiers(keyword: str, text: str, identifiers: frozenset[str]) -> str:
    """The default cleaner of the Clean options: delete known identifiers and long numbers.

    Removes, case-insensitively and as whole words, every identifier taken from the
    dataset's own identifying attributes (names, IDs, dates, institution, station...),
    then every run of four or more digits (dates, record numbers). It cannot find a
    name the header does not carry ("seen by Dr Smith" survives if Smith is nowhere
    else): review free text before using a Clean option on data from outside.

    Parameters
    ----------
    keyword : str
        The attribute being cleaned (unused by this cleaner; custom cleaners may use it).
    text : str
        Its value.
    identifiers : frozenset of str
        Words that identify (at least three characters each).

    Returns
    -------
    str
        The cleaned text, whitespace-normalised.
    """
    del keyword
    for word in sorted(identifiers, key=len, reverse=True):
        text = re.sub(rf"(?i)(?<!\w){re.escape(word)}(?!\w)", " ", text)
    text = re.sub(r"\d{4,}", " ", text)
    return " ".join(text.split())


def _key_bytes(key: bytes | str | None) -> bytes:
    if key is None:
        return secrets.token_bytes(32)
    if isinstance(key, str):
        try:
            raw = bytes.fromhex(key)
        except ValueError:
            raw = key.encode("utf-8")
    elif isinstance(key, bytes):
        raw = key
    else:
        raise ParameterError(f"the key must be bytes or str, not {type(key).__name__}", where="key")
    if len(raw) < 16:
        raise ParameterError(f"the key has {len(raw)} bytes; use at least 16 (e.g. Deidentifier().key_hex)",
                             where="key")
    return raw


def key_file(path: str | os.PathLike[str]) -> tuple[str, bool]:
    """Read a de-identification key from a file, creating the file with a new random key if absent.

    Parameters
    ----------
    path : path-like
        A file holding the key as hex on one line. A new one is written readable by
        its owner only (mode 0600). Keep it off the shared data, like a password.

    Returns
    -------
    (str, bool)
        The key (hex) and whether the file was created now.

    Raises
    ------
    ParameterError
        When the file cannot be read or written, or holds no valid key.
    """
    p = Path(path)
    try:
        if p.exists():
            key = p.read_text(encoding="ascii").strip()
            _key_bytes(key)
            return key, False
        key = secrets.token_bytes(32).hex()
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(key + "\n")
        return key, True
    except (OSError, UnicodeDecodeError) as exc:
        raise ParameterError(f"cannot use it as a key file ({getattr(exc, 'strerror', None) or exc})",
                             where=str(p)) from None
    except ParameterError as exc:
        raise ParameterError(exc.message, where=str(p)) from None


class Deidentifier:
    """Applies the PS3.15 Basic profile and options with one secret key.

    One instance maps every original UID to the same new UID on every call, and a
    new instance with the same ``key`` does the same later or elsewhere: de-identify
    the batches of one study (or the studies of one project) with one key.

    Parameters
    ----------
    key : bytes or str, optional
        The secret (at least 16 bytes; a str is read as hex if it is hex, else as
        UTF-8). A random 32-byte key is generated when omitted: read it from
        :attr:`key_hex` and store it securely if more batches are to follow. See the
        module docstring for the risk of sharing it.
    options : iterable of str
        PS3.15 options by argument name, any of :data:`~teleradlab.imaging.deid_profile.OPTIONS`:
        ``retain_uids``, ``retain_device_identity``, ``retain_institution_identity``,
        ``retain_patient_characteristics``, ``retain_longitudinal_full_dates``,
        ``retain_longitudinal_modified_dates`` (dates shifted by one per-patient offset
        of 1–10 years), ``clean_descriptors``, ``clean_structured_content``.
    keep_private : set of int, optional
        Private tags (e.g. ``0x00291010``) to keep, with their creators; you assert
        they carry no identity (recorded as the Retain Safe Private Option).
    cleaner : callable, optional
        Cleans text for the Clean options; :func:`scrub_identifiers` by default.
    profile : {"basic"}
        The confidentiality profile.
    """

    def __init__(self, key: bytes | str | None = None, *, options: Iterable[str] = (),
                 keep_private: Iterable[int] | None = None, cleaner: Cleaner | None = None,
                 profile: str = "basic") -> None:
        if profile not in PROFILE_NAMES:
            raise ParameterError(f"unknown profile {profile!r}; available: {', '.join(PROFILE_NAMES)}",
                                 where="profile")
        if isinstance(options, str):
            options = (options,)
        self.options = tuple(dict.fromkeys(options))
        unknown = [o for o in self.options if o not in OPTIONS]
        if unknown:
            raise ParameterError(f"unknown option(s) {', '.join(map(repr, unknown))}; available: "
                                 f"{', '.join(OPTIONS)}", where="options")
        if {"retain_longitudinal_full_dates", "retain_longitudinal_modified_dates"} <= set(self.options):
            raise ParameterError("retain_longitudinal_full_dates and retain_longitudinal_modified_dates "
                                 "exclude each other", where="options")
        self._columns = frozenset(OPTIONS[o].column for o in self.options)
        self.key = _key_bytes(key)
        self.keep_private = {int(t) for t in (keep_private or ())}
        self.cleaner: Cleaner = cleaner or scrub_identifiers
        self.mapping: dict[str, str] = {}

    @property
    def key_hex(self) -> str:
        """The key as hex, to store (securely) and pass back as ``key`` later."""
        return self.key.hex()

    def uid(self, uid: str) -> str:
        """The replacement of one UID (registered UIDs are returned unchanged).

        Parameters
        ----------
        uid : str

        Returns
        -------
        str
            ``2.25.`` followed by the decimal value of a 128-bit UUID (version 8,
            RFC 9562) whose bits are the first 16 bytes of HMAC-SHA256(key, uid).
        """
        uid = str(uid).strip("\x00 ")
        if not uid or uid in UID_dictionary:
            return uid
        new = self.mapping.get(uid)
        if new is None:
            digest = bytearray(hmac.new(self.key, b"uid\x00" + uid.encode("utf-8"), hashlib.sha256).digest()[:16])
            digest[6] = (digest[6] & 0x0F) | 0x80  # UUID version 8
            digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122/9562 variant
            new = self.mapping[uid] = "2.25." + str(int.from_bytes(digest, "big"))
        return new

    def pseudonym(self, patient_id: str) -> str:
        """The dummy Patient ID: ``P-`` and 16 hex digits of HMAC-SHA256(key, patient ID).

        One patient keeps one pseudonym across studies and batches under one key, so
        longitudinal data stay grouped; the same linkage risk as for UIDs applies.

        Parameters
        ----------
        patient_id : str

        Returns
        -------
        str
        """
        return "P-" + hmac.new(self.key, b"patient-id\x00" + patient_id.encode("utf-8"), hashlib.sha256).hexdigest()[:16]

    def date_shift_days(self, ds: Dataset) -> int:
        """Days every date of this patient moves back under the Modified Dates option.

        Parameters
        ----------
        ds : pydicom.Dataset
            The original dataset; its Patient ID (else Patient's Name, else Study
            Instance UID) selects the offset, so all studies of a patient keep their
            intervals.

        Returns
        -------
        int
            Within :data:`SHIFT_DAYS`.
        """
        who = str(ds.get("PatientID", "") or ds.get("PatientName", "") or ds.get("StudyInstanceUID", ""))
        digest = hmac.new(self.key, b"date-shift\x00" + who.encode("utf-8"), hashlib.sha256).digest()
        lo, hi = SHIFT_DAYS
        return lo + int.from_bytes(digest[:8], "big") % (hi - lo + 1)

    # -- the walk ---------------------------------------------------------------------------

    def _private_kept(self, tag: Any) -> bool:
        if int(tag) in self.keep_private:
            return True
        if tag.element < 0x0100 and tag.element >= 0x0010:  # a creator: kept if one of its elements is
            return any((t >> 16) == tag.group and ((t & 0xFFFF) >> 8) == tag.element for t in self.keep_private)
        return False

    def _action(self, elem: Any) -> str:
        tag = elem.tag
        row = table().get(int(tag))
        if row is not None:
            return row.action(self._columns)
        if elem.VR == "UN" or not dictionary_has_tag(tag) or tag.group == 0x0010 or int(tag) in _REMOVED:
            return "X"  # unknown, any Patient-group element the table does not list (sequences too), _REMOVED
        keyword = elem.keyword
        if elem.VR == "UI":
            return "K" if keyword.endswith("ClassUID") or keyword == "TransferSyntaxUID" else "U"
        if elem.VR == "SQ":
            return "U*"
        if elem.VR in TEXT_VRS:
            return "X"
        if elem.VR in TEMPORAL_VRS:
            if "full_dates" in self._columns:
                return "K"
            return "C" if "modified_dates" in self._columns else "X"
        return "K"

    def _walk(self, ds: Dataset, ctx: dict[str, Any]) -> None:
        for elem in list(ds):
            tag = elem.tag
            if tag.is_private:
                if not self._private_kept(tag):
                    del ds[tag]
                continue
            if (tag.element == 0 or 0x5000 <= tag.group <= 0x50FF or 0x6000 <= tag.group <= 0x60FF
                    or tag.group == 0x5400):
                del ds[tag]  # group lengths (stale after editing), curves, overlays, waveforms
                continue
            action = self._action(elem)
            vr = elem.VR
            if action == "X":
                del ds[tag]
            elif action == "Z":
                elem.value = DicomSequence([]) if vr == "SQ" else ("" if vr in _STRING_VRS else None)
            elif action == "D":
                if vr == "SQ":
                    elem.value = DicomSequence([Dataset()])
                elif vr == "UI":
                    self._replace_uids(elem)
                elif elem.keyword == "PatientID" and elem.value:
                    elem.value = self.pseudonym(str(elem.value))
                else:
                    elem.value = DUMMIES.get(vr, "ANONYMIZED")
            elif action in ("U", "U*"):
                if vr == "SQ":
                    for item in elem.value:
                        self._walk(item, ctx)
                elif vr == "UI":
                    self._replace_uids(elem)
                else:
                    del ds[tag]  # a UID action on a non-UID element: nothing safe to keep
            elif action == "C":
                self._clean(ds, elem, ctx)
            # K: kept as it is

    def _replace_uids(self, elem: Any) -> None:
        value = elem.value
        if value is None or value == "":
            return
        if isinstance(value, str):
            elem.value = self.uid(value)
        else:
            elem.value = [self.uid(v) for v in value]

    def _clean(self, ds: Dataset, elem: Any, ctx: dict[str, Any]) -> None:
        vr = elem.VR
        if vr == "SQ":
            for item in elem.value:
                self._walk(item, ctx)
            return
        if vr in ("DA", "DT") and "modified_dates" in self._columns:
            values = elem.value if isinstance(elem.value, list | tuple) or elem.VM > 1 else [elem.value]
            shifted = [_shift(str(v), ctx["shift"]) for v in values]
            if any(s is None for s in shifted):
                del ds[elem.tag]
            else:
                elem.value = shifted if len(shifted) > 1 else shifted[0]
            return
        if vr == "TM" and "modified_dates" in self._columns:
            return  # whole-day shifts leave the time of day as it was
        if vr in _STRING_VRS and vr not in ("UI", "DA", "DT", "TM"):
            values = [str(v) for v in (elem.value if elem.VM > 1 else [elem.value])]
            cleaned = [self.cleaner(elem.keyword, v, ctx["identifiers"]) for v in values]
            elem.value = cleaned if len(cleaned) > 1 else cleaned[0]
            return
        del ds[elem.tag]  # no cleaning defined for this VR: remove

    # -- public -----------------------------------------------------------------------------

    def dataset(self, ds: Dataset) -> Dataset:
        """De-identify one dataset and return a new one (the input is not modified).

        Parameters
        ----------
        ds : pydicom.Dataset

        Returns
        -------
        pydicom.Dataset
            With Patient Identity Removed = YES, De-identification Method naming
            :data:`~teleradlab.imaging.deid_profile.EDITION` and the options, and the
            CID 7050 codes in De-identification Method Code Sequence.

        Warns
        -----
        BurnedInAnnotationWarning
            When Burned In Annotation is YES.
        """
        where = str(getattr(ds, "filename", "") or "dataset")
        if str(ds.get("BurnedInAnnotation", "")).upper() == "YES":
            warnings.warn(f"{where}: Burned In Annotation is YES: identifying text in the pixels is NOT removed; "
                          "review or mask the pixel data before sharing", BurnedInAnnotationWarning, stacklevel=3)
        ctx = {"shift": self.date_shift_days(ds), "identifiers": _identifiers(ds)}
        out = copy.deepcopy(ds)
        self._walk(out, ctx)
        self._rebuild_file_meta(ds, out)
        out.preamble = b"\x00" * 128
        out.PatientIdentityRemoved = "YES"
        out.DeidentificationMethod = [f"{EDITION} Basic Profile"] + [OPTIONS[o].name for o in self.options]
        codes = [PROFILE_CODE] + [(OPTIONS[o].code, "DCM", OPTIONS[o].name) for o in self.options]
        if self.keep_private:
            codes.append(SAFE_PRIVATE_CODE)
        items = []
        for value, scheme, meaning in codes:
            item = Dataset()
            item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, scheme, meaning
            items.append(item)
        out.DeidentificationMethodCodeSequence = DicomSequence(items)
        out.LongitudinalTemporalInformationModified = (
            "UNMODIFIED" if "full_dates" in self._columns else
            "MODIFIED" if "modified_dates" in self._columns else "REMOVED")
        return out

    @staticmethod
    def _rebuild_file_meta(src: Dataset, out: Dataset) -> None:
        old = getattr(src, "file_meta", None)
        if old is None:
            return
        meta = FileMetaDataset()
        for keyword in _META_KEPT:
            if keyword in old:
                setattr(meta, keyword, old[keyword].value)
        if "SOPInstanceUID" in out:
            meta.MediaStorageSOPInstanceUID = out.SOPInstanceUID
        if "SOPClassUID" in out and "MediaStorageSOPClassUID" not in meta:
            meta.MediaStorageSOPClassUID = out.SOPClassUID
        meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
        out.file_meta = meta

    def __call__(self, study_or_dataset: Any) -> Any:
        """De-identify a :class:`Study` or one pydicom Dataset (see :meth:`dataset`).

        Parameters
        ----------
        study_or_dataset : Study or pydicom.Dataset

        Returns
        -------
        Study or pydicom.Dataset
            Of the same kind as the input; the input is not modified.
        """
        if isinstance(study_or_dataset, Study):
            return Study.from_datasets([self.dataset(ds) for ds in study_or_dataset.datasets],
                                       truth=study_or_dataset.truth)
        if isinstance(study_or_dataset, Dataset):
            return self.dataset(study_or_dataset)
        raise ParameterError(f"expected a Study or a pydicom Dataset, got {type(study_or_dataset).__name__}",
                             where="study_or_dataset")


def _identifiers(ds: Dataset) -> frozenset[str]:
    """Words from the dataset's identifying attributes (names, IDs, dates, places), for the Clean options."""
    words: set[str] = set()
    rows = table()
    for elem in ds:
        row = rows.get(int(elem.tag))
        if row is None or "descriptors" in row.options or elem.VR not in ("PN", "LO", "SH", "DA", "DT", "AE"):
            continue  # descriptors are what gets cleaned, not what identifies
        values = elem.value if elem.VM > 1 else [elem.value]
        for value in values:
            for word in re.split(r"[\s^,;:/\\()\[\]]+", str(value)):
                if len(word) >= 3 and word.upper() not in ("ANONYMOUS", "ANONYMIZED"):
                    words.add(word)
    return frozenset(words)


def _shift(value: str, days: int) -> str | None:
    """Move a DA or DT value back by ``days`` (None when it is not a full date)."""
    value = value.strip()
    if len(value) < 8 or not value[:8].isdigit():
        return None
    try:
        day = _dt.date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        return None
    return (day - _dt.timedelta(days=days)).strftime("%Y%m%d") + value[8:]


def deidentify(study_or_dataset: Any, *, key: bytes | str | None = None, options: Iterable[str] = (),
               keep_private: set[int] | None = None, cleaner: Cleaner | None = None,
               profile: str = "basic") -> Any:
    """Apply the PS3.15 Basic Application Level Confidentiality Profile (see :class:`Deidentifier`).

    Parameters
    ----------
    study_or_dataset : Study or pydicom.Dataset
        What to de-identify. It is not modified; a new object is returned.
    key : bytes or str, optional
        The secret that makes the UID mapping reproducible: pass the same key to map
        further batches of the same study consistently. Without it a random key is
        used for this call only (nothing else can link to the output); create a
        :class:`Deidentifier` instead to read back a generated key.
    options : iterable of str
        PS3.15 options by name (see :class:`Deidentifier`).
    keep_private : set of int, optional
        Private tags to keep (asserted safe by the caller).
    cleaner : callable, optional
        Text cleaner for the Clean options.
    profile : {"basic"}
        The confidentiality profile.

    Returns
    -------
    Study or pydicom.Dataset
        Of the same kind as the input, with Patient Identity Removed = YES and the
        method recorded. Pixel data is unchanged.

    Warns
    -----
    BurnedInAnnotationWarning
        For each dataset whose Burned In Annotation is YES.
    """
    return Deidentifier(key, options=options, keep_private=keep_private, cleaner=cleaner,
                        profile=profile)(study_or_dataset)
