"""Working windows in local time: a radiologist group's ``shift`` and a link's ``availability``."""

from __future__ import annotations

import re
from typing import Any

from teleradlab.network.scenario.model import DAYS, Shift
from teleradlab.network.scenario.values import fail, nonempty_str

_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")


def _clock(hhmm: str, where: str) -> int:
    m = _CLOCK.match(hhmm.strip())
    if not m or int(m.group(1)) > 24 or int(m.group(2)) > 59 or (int(m.group(1)) == 24 and int(m.group(2))):
        fail(f"cannot parse time {hhmm!r}: use HH:MM", where)
    return int(m.group(1)) * 60 + int(m.group(2))


def parse_shift(text: Any, where: str) -> Shift:
    """Parse a shift: ``"24/7"``, ``"08:00-18:00"``, ``"18:00-08:00"`` (crosses midnight),
    ``"mon-fri 08:00-18:00"``, or several joined by ``,``."""
    s = nonempty_str(text, where).lower()
    if s in ("24/7", "always"):
        return Shift(text=str(text), always=True)
    windows = []
    for part in s.split(","):
        tokens = part.split()
        days = frozenset(range(7))
        if len(tokens) == 2:
            days = _days(tokens[0], where)
            tokens = tokens[1:]
        if len(tokens) != 1 or "-" not in tokens[0]:
            fail(f"cannot parse shift {text!r}: use '24/7', 'HH:MM-HH:MM' or 'mon-fri HH:MM-HH:MM'", where)
        a, b = tokens[0].split("-", 1)
        start, end = _clock(a, where), _clock(b, where)
        if start == end:
            fail(f"shift {text!r} has zero length (use '24/7' for round the clock)", where)
        windows.append((days, start, end))
    return Shift(text=str(text), always=False, windows=tuple(windows))


def _days(token: str, where: str) -> frozenset[int]:
    out: set[int] = set()
    for piece in token.split("+"):
        if "-" in piece:
            a, b = piece.split("-", 1)
            if a[:3] not in DAYS or b[:3] not in DAYS:
                fail(f"unknown day range {piece!r}: use mon..sun", where)
            i, j = DAYS.index(a[:3]), DAYS.index(b[:3])
            out.update(range(i, j + 1) if i <= j else [*range(i, 7), *range(0, j + 1)])
        else:
            if piece[:3] not in DAYS:
                fail(f"unknown day {piece!r}: use mon..sun", where)
            out.add(DAYS.index(piece[:3]))
    return frozenset(out)
