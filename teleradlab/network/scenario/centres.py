"""The ``centres`` section: reading centres and their groups of radiologists (count, shift, licences)."""

from __future__ import annotations

from teleradlab.network.scenario.model import Centre, Group
from teleradlab.network.scenario.shifts import parse_shift
from teleradlab.network.scenario.values import (
    check_keys,
    fail,
    nonempty_str,
    number,
    place,
    unique_names,
)

#: Keys of one centre (``workstation`` is read by :mod:`teleradlab.network.workstation`).
CENTRE_KEYS = {"name", "country", "timezone", "location", "radiologists", "workstation"}
#: Keys of one group of radiologists.
GROUP_KEYS = {"group", "count", "shift", "subspecialties", "licensed", "speed"}


def parse_centres(raw_centres: list) -> list[Centre]:
    """Every centre of the ``centres`` list (already checked to be a non-empty list of unique names).

    Parameters
    ----------
    raw_centres : list
        The raw list.

    Returns
    -------
    list of Centre
        With the default workstation; the scenario's validation sets each centre's
        own once compression is known. A group licensed for nothing named is licensed
        for its centre's country.
    """
    centres = []
    for i, c in enumerate(raw_centres):
        w = f"centres[{i}]"
        check_keys(c, CENTRE_KEYS, w, ("name", "country", "timezone", "location", "radiologists"))
        if not isinstance(c["radiologists"], list) or not c["radiologists"]:
            fail("expected a non-empty list of radiologist groups", f"{w}.radiologists")
        unique_names(c["radiologists"], "group", f"{w}.radiologists")
        groups = []
        for j, g in enumerate(c["radiologists"]):
            gw = f"{w}.radiologists[{j}]"
            check_keys(g, GROUP_KEYS, gw, ("group", "count", "shift"))
            count = number(g["count"], f"{gw}.count", nonneg=True)
            if count != int(count):
                fail(f"expected a whole number, got {g['count']!r}", f"{gw}.count")
            lic = g.get("licensed", [c.get("country", "")])
            if not isinstance(lic, list) or not lic:
                fail("expected a non-empty list of countries or site names", f"{gw}.licensed")
            subs = g.get("subspecialties", [])
            if not isinstance(subs, list):
                fail("expected a list", f"{gw}.subspecialties")
            groups.append(Group(
                name=nonempty_str(g["group"], f"{gw}.group"), count=int(count),
                shift=parse_shift(g["shift"], f"{gw}.shift"),
                subspecialties=frozenset(nonempty_str(x, f"{gw}.subspecialties[{k}]") for k, x in enumerate(subs)),
                licensed=frozenset(nonempty_str(x, f"{gw}.licensed[{k}]") for k, x in enumerate(lic)),
                speed=number(g.get("speed", 1.0), f"{gw}.speed", positive=True),
            ))
        centres.append(Centre(
            **place(c, w),
            groups=tuple(groups),
        ))
    return centres
