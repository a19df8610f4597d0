"""De-identification with the DICOM PS3.15 Basic Application Level Confidentiality Profile.

Before a study leaves a site — to a reading centre abroad, or into this project's
``datasets/`` — identity must go: names, IDs, dates, addresses, free text, private
tags. :func:`deidentify` applies the profile's attribute actions
(:mod:`.deid_profile`), removes private tags unless asked to keep them, remaps UIDs
consistently, and records what was done. Pixel data is never changed: burned-in
annotation cannot be removed this way, so a dataset that declares it raises a warning.
"""

from __future__ import annotations

import copy
import secrets
import warnings
from typing import Any

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import generate_uid

from teleradlab.imaging.deid_profile import BASIC_PROFILE, EMPTY_VRS, KEEP, PROFILE_CODE, REMOVE_VRS
from teleradlab.imaging.study import Study

#: Dummy values for action D, by VR.
DUMMIES = {"PN": "ANONYMOUS", "LO": "ANONYMIZED", "SH": "ANON", "DA": "19000101", "TM": "000000",
           "DT": "19000101000000", "CS": "ANON", "AS": "000Y", "UI": "2.25.0", "ST": "ANONYMIZED",
           "LT": "ANONYMIZED", "UT": "ANONYMIZED", "SQ": None}

PROFILE_NAMES = ("basic",)


class BurnedInAnnotationWarning(UserWarning):
    """The dataset says its pixels carry burned-in identifying text."""


class UIDMapper:
    """Maps each original UID to one new UID, the same every time it is seen.

    Parameters
    ----------
    salt : str, optional
        Secret mixed into the new UIDs; a random one by default, so the mapping
        cannot be reversed by hashing guessed UIDs. Pass the same salt (or reuse
        the mapper) to keep several calls consistent.
    """

    def __init__(self, salt: str | None = None) -> None:
        self.salt = salt or secrets.token_hex(16)
        self.mapping: dict[str, str] = {}

    def __call__(self, uid: str) -> str:
        uid = str(uid)
        if uid not in self.mapping:
            self.mapping[uid] = generate_uid(prefix="2.25.", entropy_srcs=[self.salt, uid])
        return self.mapping[uid]


def _apply(ds: Dataset, mapper: UIDMapper, keep_private: set[int], removed: list[str]) -> None:
    for elem in list(ds):
        tag = elem.tag
        if tag.is_private:
            if int(tag) in keep_private or (tag.element < 0x0100 and any(
                    (t >> 16) == tag.group for t in keep_private)):
                continue
            del ds[tag]
            removed.append(f"{tag} (private)")
            continue
        keyword = elem.keyword
        if keyword in KEEP or tag.group == 0x0002 and keyword != "MediaStorageSOPInstanceUID":
            continue
        action = BASIC_PROFILE.get(keyword)
        if action is None and elem.VR in REMOVE_VRS:
            action = "X"
        elif action is None and elem.VR in EMPTY_VRS:
            action = "Z"
        if action is None:
            if elem.VR == "SQ":
                for item in elem.value:
                    _apply(item, mapper, keep_private, removed)
            elif tag.group in (0x5000, 0x5002) or (0x6000 <= tag.group <= 0x601E and tag.element == 0x4000):
                del ds[tag]  # curves and overlay comments
                removed.append(keyword or str(tag))
            continue
        if action == "X":
            del ds[tag]
            removed.append(keyword)
        elif action == "Z":
            elem.value = DicomSequence([]) if elem.VR == "SQ" else ""
        elif action == "D":
            if elem.VR == "SQ":
                elem.value = DicomSequence([])
            else:
                elem.value = DUMMIES.get(elem.VR, "ANONYMIZED")
        elif action == "U":
            if elem.VR == "UI" and elem.value:
                vals = elem.value if isinstance(elem.value, list | tuple) or getattr(elem, "VM", 1) > 1 else [elem.value]
                new = [mapper(v) for v in vals]
                elem.value = new if len(new) > 1 else new[0]
            elif elem.VR == "SQ":
                for item in elem.value:
                    _apply(item, mapper, keep_private, removed)


def deidentify_dataset(ds: Dataset, *, profile: str = "basic", mapper: UIDMapper | None = None,
                       keep_private: set[int] | None = None) -> Dataset:
    """De-identify one dataset and return a new one (the input is not modified).

    See :func:`deidentify` for the parameters.
    """
    if profile not in PROFILE_NAMES:
        from teleradlab.errors import ParameterError

        raise ParameterError(f"unknown profile {profile!r}; available: {', '.join(PROFILE_NAMES)}", where="profile")
    mapper = mapper or UIDMapper()
    where = str(getattr(ds, "filename", "") or getattr(ds, "SOPInstanceUID", "dataset"))
    if str(getattr(ds, "BurnedInAnnotation", "")).upper() == "YES":
        warnings.warn(f"{where}: Burned In Annotation is YES: identifying text in the pixels is NOT removed; "
                      "review or mask the pixel data before sharing", BurnedInAnnotationWarning, stacklevel=3)
    out = copy.deepcopy(ds)
    removed: list[str] = []
    _apply(out, mapper, set(keep_private or ()), removed)
    if getattr(out, "file_meta", None) is not None and "SOPInstanceUID" in out:
        out.file_meta.MediaStorageSOPInstanceUID = out.SOPInstanceUID
    out.PatientIdentityRemoved = "YES"
    out.DeidentificationMethod = "PS3.15 Basic Confidentiality Profile; teleradlab"
    code = Dataset()
    code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = PROFILE_CODE
    out.DeidentificationMethodCodeSequence = DicomSequence([code])
    if "LongitudinalTemporalInformationModified" not in out:
        out.LongitudinalTemporalInformationModified = "REMOVED"
    return out


def deidentify(study_or_dataset: Any, *, profile: str = "basic", keep_private: set[int] | None = None,
               salt: str | None = None) -> Any:
    """Apply the PS3.15 Basic Application Level Confidentiality Profile.

    Parameters
    ----------
    study_or_dataset : Study or pydicom.Dataset
        What to de-identify. It is not modified; a new object is returned.
    profile : {"basic"}
        The confidentiality profile.
    keep_private : set of int, optional
        Private tags (as ints, e.g. ``0x00291010``) to keep; all others are removed.
    salt : str, optional
        Secret for the UID mapping (random by default). Within one call every
        occurrence of a UID maps to the same new UID, so series, frames of
        reference and references stay linked.

    Returns
    -------
    Study or pydicom.Dataset
        Of the same kind as the input, with Patient Identity Removed = YES and
        De-identification Method set. Pixel data is unchanged.

    Warns
    -----
    BurnedInAnnotationWarning
        For each dataset whose Burned In Annotation is YES.
    """
    mapper = UIDMapper(salt)
    if isinstance(study_or_dataset, Study):
        datasets = [deidentify_dataset(ds, profile=profile, mapper=mapper, keep_private=keep_private)
                    for ds in study_or_dataset.datasets]
        return Study.from_datasets(datasets, truth=study_or_dataset.truth)
    return deidentify_dataset(study_or_dataset, profile=profile, mapper=mapper, keep_private=keep_private)
