"""The DICOM PS3.15 Basic Application Level Confidentiality Profile as data.

The attribute table is PS3.15 Annex E, Table E.1-1 of edition :data:`EDITION`, kept
in ``teleradlab/data/deid_ps3_15_2024b_table_e1_1.tsv`` (one row per attribute:
tag, name, the Basic Profile action and the option columns). Keywords and VRs come
from pydicom's data dictionary, and the tests check that every row's name is the
dictionary's name for its tag.

Action codes (PS3.15 E.1.1): ``X`` remove; ``Z`` replace with a zero-length value;
``D`` replace with a non-zero-length dummy consistent with the VR; ``K`` keep;
``C`` clean (replace with values of similar meaning known not to identify);
``U`` replace a UID with a non-identifying one, consistently within the set.
Compound codes let a de-identifier that knows the IOD choose by the attribute's
Type there (X for Type 3, Z for Type 2, D for Type 1). This implementation does
not track the Type per IOD, so it takes the code that keeps *any* IOD valid: the
last one (``X/Z`` → Z, ``X/D``, ``Z/D``, ``X/Z/D`` → D); ``X/Z/U*`` keeps the
sequence and replaces every UID inside it.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

from pydicom.datadict import dictionary_has_tag, dictionary_VR, keyword_for_tag

#: The edition of PS3.15 whose Table E.1-1 is applied.
EDITION = "DICOM PS3.15 2024b"

#: File (in ``teleradlab/data``) holding the table.
TABLE_FILE = "deid_ps3_15_2024b_table_e1_1.tsv"


@dataclass(frozen=True)
class ProfileOption:
    """One option of PS3.15 E.3 and its code in CID 7050 (PS3.16).

    Attributes
    ----------
    name : str
        The option's name in the standard.
    column : str
        The column of the table (in :data:`TABLE_FILE`) that holds its actions.
    code : str
        Its code value (coding scheme DCM) in CID 7050.
    """

    name: str
    column: str
    code: str


#: The options teleradlab implements, by the argument name :func:`~teleradlab.imaging.deidentify`
#: takes. Codes from PS3.16 CID 7050 "De-identification Method".
OPTIONS: dict[str, ProfileOption] = {
    "retain_uids": ProfileOption("Retain UIDs Option", "uids", "113110"),
    "retain_device_identity": ProfileOption("Retain Device Identity Option", "device", "113109"),
    "retain_institution_identity": ProfileOption("Retain Institution Identity Option", "institution", "113112"),
    "retain_patient_characteristics": ProfileOption("Retain Patient Characteristics Option", "patient", "113108"),
    "retain_longitudinal_full_dates": ProfileOption(
        "Retain Longitudinal Temporal Information Full Dates Option", "full_dates", "113106"),
    "retain_longitudinal_modified_dates": ProfileOption(
        "Retain Longitudinal Temporal Information Modified Dates Option", "modified_dates", "113107"),
    "clean_descriptors": ProfileOption("Clean Descriptors Option", "descriptors", "113105"),
    "clean_structured_content": ProfileOption("Clean Structured Content Option", "structured", "113104"),
}

#: The Basic Profile itself in CID 7050.
PROFILE_CODE = ("113100", "DCM", "Basic Application Confidentiality Profile")

#: The private-tag row of the table is applied in code; keeping listed private tags is
#: recorded with this code (the caller asserts that what they keep is safe).
SAFE_PRIVATE_CODE = ("113111", "DCM", "Retain Safe Private Option")

_COMPOUND = {"X/Z": "Z", "X/D": "D", "Z/D": "D", "X/Z/D": "D", "X/Z/U*": "U*"}


@dataclass(frozen=True)
class ProfileRow:
    """One row of Table E.1-1."""

    tag: int
    name: str
    keyword: str
    vr: str
    basic: str
    options: dict[str, str]

    def action(self, columns: frozenset[str]) -> str:
        """The action with the given option columns active (K over C over the rest).

        Parameters
        ----------
        columns : frozenset of str
            Active option columns (:attr:`ProfileOption.column`).

        Returns
        -------
        str
            One of ``X``, ``Z``, ``D``, ``K``, ``C``, ``U`` or ``U*`` (keep the
            sequence, replace the UIDs inside it).
        """
        codes = {self.options[c] for c in columns if self.options.get(c)}
        for code in ("K", "C", "X"):
            if code in codes:
                return code
        return _COMPOUND.get(self.basic, self.basic)


@cache
def table() -> dict[int, ProfileRow]:
    """Table E.1-1 as rows by tag (the repeating groups 50xx and 60xx are applied in code).

    Returns
    -------
    dict of int to ProfileRow
    """
    text = resources.files("teleradlab").joinpath("data", TABLE_FILE).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    rows: dict[int, ProfileRow] = {}
    for rec in csv.DictReader(lines, delimiter="\t"):
        if "X" in rec["tag"]:
            continue  # (50xx,xxxx), (60xx,3000), (60xx,4000): whole groups are removed in code
        tag = int(rec["tag"], 16)
        known = dictionary_has_tag(tag)
        options = {k: v for k, v in rec.items() if k not in ("tag", "name", "basic") and v}
        rows[tag] = ProfileRow(tag, rec["name"], keyword_for_tag(tag) if known else "",
                               dictionary_VR(tag) if known else "UN", rec["basic"], options)
    return rows


#: Keyword → Basic Profile action for every row (as written in the standard).
BASIC_PROFILE: dict[str, str] = {row.keyword: row.basic for row in table().values() if row.keyword}
