"""Checks of single scenario values — mappings' keys, numbers, names, time zones, places, dates.

Each check returns the value in its checked form or raises one
:class:`~teleradlab.errors.ScenarioError` whose ``where`` is the key path it was
given (``sites[1].modalities.CT.studies_per_day``). The section validators of
:mod:`teleradlab.network.scenario` (and :mod:`teleradlab.network.workstation`)
build on them.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
from collections.abc import Collection
from typing import Any, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from teleradlab.errors import ScenarioError

#: Years a scenario may start in (and its outages lie in): far enough from datetime's
#: limits (1..9999) that a run of many days, converted between zones, stays inside them.
MIN_YEAR, MAX_YEAR = 1900, 2199


def fail(message: str, where: str) -> NoReturn:
    """Raise the :class:`~teleradlab.errors.ScenarioError` ``message`` at key path ``where``."""
    raise ScenarioError(message, where=where)


def check_keys(d: Any, allowed: Collection[str], where: str, required: tuple[str, ...] = ()) -> dict:
    """A mapping whose keys are all ``allowed`` and include every ``required`` one.

    Parameters
    ----------
    d : Any
        The raw value.
    allowed, required : collection of str
        Keys it may have and keys it must have.
    where : str
        Its key path (``""`` for the top level).

    Returns
    -------
    dict
        ``d`` itself.

    Raises
    ------
    ScenarioError
        Not a mapping; an unknown key (at the key's own path, with the nearest allowed
        key as a suggestion); a missing required key.
    """
    if not isinstance(d, dict):
        fail(f"expected a mapping, got {type(d).__name__}", where)
    for k in d:
        if k not in allowed:
            near = _near(str(k), allowed)
            fail(f"unknown key {k!r}" + (f" (did you mean {near!r}?)" if near else "")
                 + f"; allowed: {', '.join(sorted(allowed))}", f"{where}.{k}" if where else str(k))
    for k in required:
        if k not in d:
            fail(f"missing required key {k!r}", where or "scenario")
    return d


def _near(word: str, options: Collection[str]) -> str | None:
    m = difflib.get_close_matches(word, sorted(options), n=1, cutoff=0.7)
    return m[0] if m else None


def number(v: Any, where: str, *, positive: bool = False, nonneg: bool = False, allow_inf: bool = False,
           upto: float | None = None) -> float:
    """A real number (not a boolean), finite unless ``allow_inf``, within the bounds asked for.

    Parameters
    ----------
    v : Any
        The raw value.
    where : str
        Its key path.
    positive, nonneg : bool
        Whether it must be > 0, or >= 0.
    allow_inf : bool
        Whether ``.inf`` is accepted.
    upto : float, optional
        The largest value accepted.

    Returns
    -------
    float
    """
    if isinstance(v, bool) or not isinstance(v, int | float):
        fail(f"expected a number, got {v!r}", where)
    x = float(v)
    if math.isnan(x) or (math.isinf(x) and not allow_inf):
        fail(f"expected a finite number, got {v!r}", where)
    if positive and x <= 0:
        fail(f"must be positive, got {v!r}", where)
    if nonneg and x < 0:
        fail(f"must not be negative, got {v!r}", where)
    if upto is not None and x > upto:
        fail(f"must be at most {upto}, got {v!r}", where)
    return x


def nonempty_str(v: Any, where: str) -> str:
    """A non-empty string, stripped."""
    if not isinstance(v, str) or not v.strip():
        fail(f"expected a non-empty string, got {v!r}", where)
    return v.strip()


def timezone(v: Any, where: str) -> str:
    """An IANA time zone name that :class:`zoneinfo.ZoneInfo` knows."""
    name = nonempty_str(v, where)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        fail(f"unknown IANA time zone {name!r} (e.g. Europe/Berlin, Asia/Vladivostok)", where)
    return name


def location(v: Any, where: str) -> tuple[float, float]:
    """A ``[latitude, longitude]`` pair in degrees."""
    if not isinstance(v, list | tuple) or len(v) != 2:
        fail(f"expected [lat, lon], got {v!r}", where)
    lat, lon = number(v[0], f"{where}[0]"), number(v[1], f"{where}[1]")
    if not -90 <= lat <= 90 or not -180 <= lon <= 180:
        fail(f"latitude must be in [-90, 90] and longitude in [-180, 180], got {v!r}", where)
    return lat, lon


def place(v: dict, where: str) -> dict[str, Any]:
    """The ``name``, ``country``, ``timezone`` and ``location`` of a site or centre, checked.

    Parameters
    ----------
    v : dict
        The raw site or centre (keys already checked).
    where : str
        Its key path (``sites[0]``, ``centres[1]``).

    Returns
    -------
    dict
        Keyword arguments for :class:`Site` or :class:`Centre`; the country in upper case.
    """
    return {"name": nonempty_str(v["name"], f"{where}.name"),
            "country": nonempty_str(v["country"], f"{where}.country").upper(),
            "timezone": timezone(v["timezone"], f"{where}.timezone"),
            "location": location(v["location"], f"{where}.location")}


def unique_names(items: list, key: str, where: str) -> None:
    """Check that the ``key`` of every mapping in ``items`` is text and none repeats.

    Parameters
    ----------
    items : list
        The raw list (items that are not mappings are left to their own checks).
    key : str
        The naming key (``name``, ``group``).
    where : str
        The list's key path.
    """
    seen = set()
    for i, item in enumerate(items):
        name = item.get(key) if isinstance(item, dict) else None
        if name is not None and not isinstance(name, str):
            fail(f"expected a text name, got {name!r}", f"{where}[{i}].{key}")
        if name in seen:
            fail(f"duplicate {key} {name!r}", f"{where}[{i}].{key}")
        seen.add(name)


def utc_datetime(v: Any, where: str, tz: str) -> dt.datetime:
    """A date or ISO 8601 date-time (local to ``tz`` when it names no offset), in UTC.

    Parameters
    ----------
    v : Any
        The raw value: a ``datetime``, a ``date`` (midnight) or an ISO 8601 string.
    where : str
        Its key path.
    tz : str
        The IANA time zone of a value without an offset.

    Returns
    -------
    datetime.datetime
        Aware, in UTC, its year within :data:`MIN_YEAR`..:data:`MAX_YEAR`.
    """
    if isinstance(v, dt.datetime):
        value = v
    elif isinstance(v, dt.date):
        value = dt.datetime(v.year, v.month, v.day)
    else:
        try:
            value = dt.datetime.fromisoformat(str(v))
        except ValueError:
            fail(f"cannot parse date-time {v!r}: use ISO 8601, e.g. 2026-03-03T14:00", where)
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        fail(f"year {value.year} is outside {MIN_YEAR}..{MAX_YEAR}", where)
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(tz))
    return value.astimezone(dt.UTC)
