"""Teleradiology scenarios: the YAML schema, its validation and documented defaults.

A scenario names the *sites* that acquire studies, the *centres* whose radiologists
read them, the *links* between them, reading-time distributions, compression, the
routing and worklist policies, and report-time targets. :func:`load_scenario`
validates everything up front: an unknown key (a typo), a bad value or an
impossible arrangement is one :class:`~teleradlab.errors.ScenarioError` naming the
key path (``sites[1].modalities.CT.studies_per_day``), and nothing is simulated.

Worklists and AI triage (top-level keys):

- ``worklist``: ``fifo`` | ``priority`` | ``preemptive`` | ``cherry_pick``; ``preempt``:
  ``resume`` (default: an interrupted read keeps its work and goes back ahead of its
  class) | ``repeat`` (it starts again, same reading time).
- ``ai_triage``: one mapping or a list, one per AI, each with ``prevalence`` and an
  operating point — ``sensitivity`` + ``specificity``; ``auc`` (binormal, optional
  ``binormal_b``) + ``threshold``, ``sensitivity`` or ``specificity``; or ``roc``
  ([[FPF, TPF], ...]) + ``sensitivity`` or ``specificity`` — and optionally ``name``,
  ``modalities`` (default all), ``rank_after`` (``top`` | ``stat`` (default) |
  ``urgent``: where its flagged class sits), ``priorities`` (default: those ranked
  below it), ``enabled`` (false keeps the disease status, flags nothing) and
  ``reading_time_minutes: {diseased: ..., non_diseased: ...}``. Two AIs may not apply
  to the same modality and priority. See :mod:`teleradlab.network.triage`.

A centre's reading workstation (``centres[i].workstation``): ``none`` (the default) |
``prefetch`` | ``on_demand`` | ``streamed``, or a mapping ``{policy, archive: {bandwidth_mbps,
rtt_ms, protocol and its options}, first_images, progressive}``. See
:mod:`teleradlab.network.workstation`.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import functools
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from teleradlab.errors import ScenarioError, TeleradlabError, one_line
from teleradlab.network import defaults as D
from teleradlab.network.transfer import PROTOCOLS, TransferTiming
from teleradlab.network.workstation import Workstation
from teleradlab.network.workstation import parse as _workstation

ROUTING = ("local_first", "least_loaded", "nearest", "subspecialty", "follow_the_sun")
WORKLISTS = ("fifo", "priority", "preemptive", "cherry_pick")
#: What a preempted read keeps: ``resume`` its work done, ``repeat`` nothing (same reading time again).
PREEMPT = ("resume", "repeat")
DISTS = ("exponential", "lognormal", "gamma", "empirical", "deterministic")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LOSSLESS_SYNTAXES = {"rle", "jpeg-lossless", "jpegls", "jpeg2000-lossless", "htj2k-lossless", "jpegxl-lossless",
                     "none"}


# ----------------------------------------------------------------------------- model
@dataclass(frozen=True)
class ReadingTime:
    """A reading-time distribution in minutes."""

    dist: str
    mean: float
    sd: float = 0.0
    samples: tuple[float, ...] = ()

    @property
    def second_moment(self) -> float:
        """E[S²], for queueing formulas."""
        if self.dist == "exponential":
            return 2 * self.mean ** 2
        if self.dist == "deterministic":
            return self.mean ** 2
        if self.dist == "empirical":
            return sum(s * s for s in self.samples) / len(self.samples)
        return self.sd ** 2 + self.mean ** 2


@dataclass(frozen=True)
class ModalityLoad:
    """What one site acquires in one modality."""

    modality: str
    studies_per_day: float
    profile: tuple[float, ...]
    weekday: tuple[float, ...]
    priority_mix: dict[str, float]
    images_per_study: int
    bytes_per_image: int
    size_sd_fraction: float = 0.0
    subspecialty: str | None = None


@dataclass(frozen=True)
class Site:
    """A facility that acquires studies."""

    name: str
    country: str
    timezone: str
    location: tuple[float, float]
    modalities: dict[str, ModalityLoad]


@dataclass(frozen=True)
class Shift:
    """Local-time working windows: ``windows`` are (weekday set, start min, end min)."""

    text: str
    always: bool
    windows: tuple[tuple[frozenset[int], int, int], ...] = ()


@dataclass(frozen=True)
class Group:
    """A group of interchangeable radiologists at a centre."""

    name: str
    count: int
    shift: Shift
    subspecialties: frozenset[str]
    licensed: frozenset[str]
    speed: float = 1.0


@dataclass(frozen=True)
class Centre:
    """A reading centre."""

    name: str
    country: str
    timezone: str
    location: tuple[float, float]
    groups: tuple[Group, ...]
    workstation: Workstation = field(default_factory=Workstation)  # reading policy (teleradlab.network.workstation)


@dataclass(frozen=True)
class Link:
    """A network path from a site to a centre, and how DICOM crosses it.

    A study crosses as its instances do (:func:`teleradlab.network.transfer.predict`):
    ``protocol`` is ``cstore`` (one C-STORE request and response per instance on
    ``associations`` parallel associations, ``async_ops`` operations outstanding on
    each), ``stow-rs`` (DICOMweb, ``batch`` instances per HTTP request) or ``bundle``
    (one archive over one connection); ``nodelay`` says the sender sets TCP_NODELAY,
    ``window_kb`` caps the TCP window. ``bandwidth_mbps: .inf`` is an ideal link
    (queueing checks): studies cross it in no time, and its round trip must be 0.
    """

    site: str
    centre: str
    bandwidth_mbps: float
    rtt_ms: float
    protocol: str = D.PROTOCOL
    nodelay: bool = D.NODELAY
    associations: int = D.ASSOCIATIONS
    async_ops: int = D.ASYNC_OPS
    window_kb: float | None = D.WINDOW_KB
    batch: int | None = D.BATCH
    availability: Shift | None = None
    outages: tuple[tuple[dt.datetime, dt.datetime], ...] = ()

    @property
    def ideal(self) -> bool:
        """Whether studies cross this link in no time (infinite bandwidth, no round trip)."""
        return math.isinf(self.bandwidth_mbps)

    def timing(self, images: int, bytes_per_instance: float) -> TransferTiming:
        """How a study of ``images`` instances of ``bytes_per_instance`` bytes crosses this link when idle.

        Parameters
        ----------
        images : int
            Instances in the study.
        bytes_per_instance : float
            Size of each instance as sent (after compression).

        Returns
        -------
        TransferTiming
            From :func:`teleradlab.network.transfer.predict` with this link's options.
        """
        if self.ideal:
            raise ScenarioError("an ideal link (bandwidth .inf) has no transfer timing: studies cross it at once",
                                where=f"links[{self.site}>{self.centre}]")
        return _timing(self, int(images), float(bytes_per_instance))

    @property
    def rate_bytes_per_min(self) -> float:
        """Payload throughput shared by the transfers in flight, in bytes per minute (inf for an ideal link)."""
        if self.ideal:
            return math.inf
        return self.timing(1, 1e6).effective_rate_mbps * 1e6 / 8 * 60

    def transfer_minutes(self, nbytes: float, images: int = 1) -> float:
        """Minutes to send a study of ``nbytes`` in ``images`` equal instances over this link when idle.

        The same as ``predict(...).total_s / 60`` for this link's protocol and options.

        Parameters
        ----------
        nbytes : float
            Bytes of the whole study as sent.
        images : int
            Instances it is split into.

        Returns
        -------
        float
        """
        if self.ideal:
            return 0.0
        return self.timing(images, nbytes / images).total_s / 60


@functools.lru_cache(maxsize=4096)
def _timing(link: Link, images: int, bytes_per_instance: float) -> TransferTiming:
    from teleradlab.network.transfer import predict

    return predict(np.full(images, bytes_per_instance), bandwidth_mbps=link.bandwidth_mbps, rtt_ms=link.rtt_ms,
                   protocol=link.protocol, nodelay=link.nodelay, associations=link.associations,
                   async_ops=link.async_ops, window_kb=link.window_kb, batch=link.batch)


@dataclass(frozen=True)
class AITriage:
    """An AI that flags studies; its flagged studies form their own worklist class.

    See :mod:`teleradlab.network.triage` for the operating point and the ranking.
    """

    prevalence: float
    sensitivity: float
    specificity: float
    modalities: frozenset[str] | None = None  # None: every modality
    name: str = "ai"
    priorities: frozenset[str] = frozenset({"urgent", "routine"})  # the priorities it is applied to
    rank_after: str = "stat"  # its class sits just below this priority ("top": above all)
    enabled: bool = True  # False: studies keep their disease status but nobody is flagged
    reading_diseased: ReadingTime | None = None  # reading times by truth, else the modality's
    reading_non_diseased: ReadingTime | None = None
    operating_point: str = "sensitivity/specificity"  # how the operating point was given

    def covers(self, modality: str) -> bool:
        """Whether this AI reads studies of ``modality``."""
        return self.modalities is None or modality in self.modalities


@dataclass(frozen=True)
class Scenario:
    """A validated teleradiology scenario (see :func:`load_scenario`)."""

    name: str
    start: dt.date
    sites: tuple[Site, ...]
    centres: tuple[Centre, ...]
    links: tuple[Link, ...]
    reading: dict[str, ReadingTime]
    compression: dict[str, tuple[str, float]]
    routing: str
    worklist: str
    sla_minutes: dict[str, float]
    ai_triage: tuple[AITriage, ...] = ()
    preempt: str = "resume"
    allow_unread: bool = False
    description: str = ""
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    def site(self, name: str) -> Site:
        """The site called ``name``."""
        return next(s for s in self.sites if s.name == name)

    def centre(self, name: str) -> Centre:
        """The centre called ``name``."""
        return next(c for c in self.centres if c.name == name)

    def link(self, site: str, centre: str) -> Link | None:
        """The link from ``site`` to ``centre``, if any."""
        return next((lk for lk in self.links if lk.site == site and lk.centre == centre), None)


# ------------------------------------------------------------------------ validation
#: Years a scenario may start in (and its outages lie in): far enough from datetime's
#: limits (1..9999) that a run of many days, converted between zones, stays inside them.
MIN_YEAR, MAX_YEAR = 1900, 2199


def _fail(message: str, where: str) -> NoReturn:
    raise ScenarioError(message, where=where)


def _keys(d: Any, allowed: set[str], where: str, required: tuple[str, ...] = ()) -> dict:
    if not isinstance(d, dict):
        _fail(f"expected a mapping, got {type(d).__name__}", where)
    for k in d:
        if k not in allowed:
            near = _near(str(k), allowed)
            _fail(f"unknown key {k!r}" + (f" (did you mean {near!r}?)" if near else "")
                  + f"; allowed: {', '.join(sorted(allowed))}", f"{where}.{k}" if where else str(k))
    for k in required:
        if k not in d:
            _fail(f"missing required key {k!r}", where or "scenario")
    return d


def _near(word: str, options: set[str]) -> str | None:
    import difflib

    m = difflib.get_close_matches(word, sorted(options), n=1, cutoff=0.7)
    return m[0] if m else None


def _num(v: Any, where: str, *, positive: bool = False, nonneg: bool = False, allow_inf: bool = False,
         upto: float | None = None) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float):
        _fail(f"expected a number, got {v!r}", where)
    x = float(v)
    if math.isnan(x) or (math.isinf(x) and not allow_inf):
        _fail(f"expected a finite number, got {v!r}", where)
    if positive and x <= 0:
        _fail(f"must be positive, got {v!r}", where)
    if nonneg and x < 0:
        _fail(f"must not be negative, got {v!r}", where)
    if upto is not None and x > upto:
        _fail(f"must be at most {upto}, got {v!r}", where)
    return x


def _str(v: Any, where: str) -> str:
    if not isinstance(v, str) or not v.strip():
        _fail(f"expected a non-empty string, got {v!r}", where)
    return v.strip()


def _tz(v: Any, where: str) -> str:
    name = _str(v, where)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        _fail(f"unknown IANA time zone {name!r} (e.g. Europe/Berlin, Asia/Vladivostok)", where)
    return name


def _loc(v: Any, where: str) -> tuple[float, float]:
    if not isinstance(v, list | tuple) or len(v) != 2:
        _fail(f"expected [lat, lon], got {v!r}", where)
    lat, lon = _num(v[0], f"{where}[0]"), _num(v[1], f"{where}[1]")
    if not -90 <= lat <= 90 or not -180 <= lon <= 180:
        _fail(f"latitude must be in [-90, 90] and longitude in [-180, 180], got {v!r}", where)
    return lat, lon


_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")


def _clock(text: str, where: str) -> int:
    m = _CLOCK.match(text.strip())
    if not m or int(m.group(1)) > 24 or int(m.group(2)) > 59 or (int(m.group(1)) == 24 and int(m.group(2))):
        _fail(f"cannot parse time {text!r}: use HH:MM", where)
    return int(m.group(1)) * 60 + int(m.group(2))


def parse_shift(text: Any, where: str) -> Shift:
    """Parse a shift: ``"24/7"``, ``"08:00-18:00"``, ``"18:00-08:00"`` (crosses midnight),
    ``"mon-fri 08:00-18:00"``, or several joined by ``,``."""
    s = _str(text, where).lower()
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
            _fail(f"cannot parse shift {text!r}: use '24/7', 'HH:MM-HH:MM' or 'mon-fri HH:MM-HH:MM'", where)
        a, b = tokens[0].split("-", 1)
        start, end = _clock(a, where), _clock(b, where)
        if start == end:
            _fail(f"shift {text!r} has zero length (use '24/7' for round the clock)", where)
        windows.append((days, start, end))
    return Shift(text=str(text), always=False, windows=tuple(windows))


def _days(token: str, where: str) -> frozenset[int]:
    out: set[int] = set()
    for piece in token.split("+"):
        if "-" in piece:
            a, b = piece.split("-", 1)
            if a[:3] not in DAYS or b[:3] not in DAYS:
                _fail(f"unknown day range {piece!r}: use mon..sun", where)
            i, j = DAYS.index(a[:3]), DAYS.index(b[:3])
            out.update(range(i, j + 1) if i <= j else [*range(i, 7), *range(0, j + 1)])
        else:
            if piece[:3] not in DAYS:
                _fail(f"unknown day {piece!r}: use mon..sun", where)
            out.add(DAYS.index(piece[:3]))
    return frozenset(out)


def _profile(v: Any, where: str, presets: dict[str, list[float]], n: int) -> tuple[float, ...]:
    if isinstance(v, str):
        if v not in presets:
            _fail(f"unknown profile {v!r}; presets: {', '.join(presets)}, or a list of {n} numbers", where)
        return tuple(presets[v])
    if not isinstance(v, list) or len(v) != n:
        _fail(f"expected a preset name or a list of {n} numbers", where)
    vals = tuple(_num(x, f"{where}[{i}]", nonneg=True) for i, x in enumerate(v))
    if sum(vals) <= 0:
        _fail("the profile is all zeros", where)
    return vals


def _reading(v: Any, where: str) -> ReadingTime:
    _keys(v, {"dist", "mean", "sd", "samples"}, where, ("dist",))
    dist = v["dist"]
    if dist not in DISTS:
        _fail(f"unknown distribution {dist!r}; use one of {', '.join(DISTS)}", f"{where}.dist")
    if dist == "empirical":
        samples = v.get("samples")
        if not isinstance(samples, list) or not samples:
            _fail("an empirical distribution needs a non-empty list 'samples'", f"{where}.samples")
        vals = tuple(_num(x, f"{where}.samples[{i}]", positive=True) for i, x in enumerate(samples))
        return ReadingTime("empirical", sum(vals) / len(vals), samples=vals)
    if "mean" not in v:
        _fail("missing required key 'mean'", where)
    mean = _num(v["mean"], f"{where}.mean", positive=True)
    if dist in ("lognormal", "gamma"):
        if "sd" not in v:
            _fail(f"a {dist} distribution needs 'sd'", where)
        return ReadingTime(dist, mean, _num(v["sd"], f"{where}.sd", positive=True))
    return ReadingTime(dist, mean, mean if dist == "exponential" else 0.0)


def _priority_mix(v: Any, where: str) -> dict[str, float]:
    if v is None:
        return {"stat": 0.0, "urgent": 0.0, "routine": 1.0}
    _keys(v, set(D.PRIORITIES), where)
    mix = {p: _num(v.get(p, 0.0), f"{where}.{p}", nonneg=True) for p in D.PRIORITIES}
    total = sum(mix.values())
    if abs(total - 1) > 1e-6:
        _fail(f"priority shares must add up to 1, they add up to {total:g}", where)
    return mix


def _modality(mod: str, v: Any, where: str) -> ModalityLoad:
    _keys(v, {"studies_per_day", "profile", "weekday_profile", "priority_mix", "images_per_study",
              "bytes_per_image", "size_sd_fraction", "subspecialty"}, where, ("studies_per_day",))
    rate = _num(v["studies_per_day"], f"{where}.studies_per_day", positive=True)
    prof_name = v.get("profile", "flat")
    profile = _profile(prof_name, f"{where}.profile", D.PROFILES, 24)
    wd = v.get("weekday_profile", prof_name if isinstance(prof_name, str) else "flat")
    weekday = _profile(wd, f"{where}.weekday_profile", D.WEEKDAY_PROFILES, 7)
    size = D.STUDY_SIZES.get(mod)
    if size is None and ("images_per_study" not in v or "bytes_per_image" not in v):
        _fail(f"no default study size for modality {mod!r}: give images_per_study and bytes_per_image", where)
    images = int(_num(v.get("images_per_study", size[0] if size else 1), f"{where}.images_per_study", positive=True))
    nbytes = int(_num(v.get("bytes_per_image", size[1] if size else 1), f"{where}.bytes_per_image", positive=True))
    sub = v.get("subspecialty")
    return ModalityLoad(
        modality=mod, studies_per_day=rate, profile=profile, weekday=weekday,
        priority_mix=_priority_mix(v.get("priority_mix"), f"{where}.priority_mix"),
        images_per_study=images, bytes_per_image=nbytes,
        size_sd_fraction=_num(v.get("size_sd_fraction", 0.0), f"{where}.size_sd_fraction", nonneg=True, upto=3),
        subspecialty=_str(sub, f"{where}.subspecialty") if sub is not None else None,
    )


def _syntax(name: str, where: str) -> tuple[str, bool]:
    """A compression syntax checked against the codec registry: (its short name, whether lossless)."""
    if name == "none":
        return name, True
    from teleradlab.compression.registry import codecs, get_codec
    from teleradlab.errors import CodecError

    try:
        codec = get_codec(name)
    except CodecError:
        known = ", ".join(["none", *(c.name for c in codecs(available_only=False))])
        _fail(f"unknown compression syntax {name!r}; known: {known}", where)
    return codec.name, not codec.lossy


def _names(items: list, key: str, where: str) -> None:
    seen = set()
    for i, item in enumerate(items):
        name = item.get(key) if isinstance(item, dict) else None
        if name is not None and not isinstance(name, str):
            _fail(f"expected a text name, got {name!r}", f"{where}[{i}].{key}")
        if name in seen:
            _fail(f"duplicate {key} {name!r}", f"{where}[{i}].{key}")
        seen.add(name)


def _datetime(v: Any, where: str, tz: str) -> dt.datetime:
    if isinstance(v, dt.datetime):
        value = v
    elif isinstance(v, dt.date):
        value = dt.datetime(v.year, v.month, v.day)
    else:
        try:
            value = dt.datetime.fromisoformat(str(v))
        except ValueError:
            _fail(f"cannot parse date-time {v!r}: use ISO 8601, e.g. 2026-03-03T14:00", where)
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        _fail(f"year {value.year} is outside {MIN_YEAR}..{MAX_YEAR}", where)
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(tz))
    return value.astimezone(dt.UTC)


#: A link's transfer options (see :class:`Link`) and the protocols each applies to.
TRANSFER_OPTIONS: dict[str, tuple[str, ...]] = {
    "protocol": PROTOCOLS, "nodelay": ("cstore",), "associations": ("cstore",), "async_ops": ("cstore",),
    "window_kb": PROTOCOLS, "batch": ("stow-rs",),
}
#: Link keys of earlier versions, and what replaced them.
RETIRED_LINK_KEYS: dict[str, str] = {
    "tcp_window_kb": "renamed 'window_kb' (the TCP window cap in kB, as transfer.predict takes it)",
    "efficiency": "no longer a link key: the protocol's efficiency is a calibrated constant of the transfer model "
                  "(teleradlab.network.transfer.DEFAULT_CONSTANTS)",
    "setup_rtts": "no longer a link key: association set-up and release round trips come from the protocol "
                  "(teleradlab.network.transfer); choose 'protocol' and its options instead",
}


def _transfer_options(lk: dict, w: str) -> dict[str, Any]:
    """A link's protocol and options, validated with key paths; defaults from :mod:`~teleradlab.network.defaults`."""
    protocol = lk.get("protocol", D.PROTOCOL)
    if protocol not in PROTOCOLS:
        _fail(f"unknown protocol {protocol!r}; use one of {', '.join(PROTOCOLS)}", f"{w}.protocol")
    for key, protocols in TRANSFER_OPTIONS.items():
        if key in lk and protocol not in protocols:
            _fail(f"{key} applies to protocol {' or '.join(protocols)}, not {protocol}", f"{w}.{key}")
    nodelay = lk.get("nodelay", D.NODELAY)
    if not isinstance(nodelay, bool):
        _fail(f"expected true or false, got {nodelay!r}", f"{w}.nodelay")
    out: dict[str, Any] = {"protocol": protocol, "nodelay": nodelay}
    for key, default in (("associations", D.ASSOCIATIONS), ("async_ops", D.ASYNC_OPS), ("batch", D.BATCH)):
        v = lk.get(key, default)
        if v is not None:
            x = _num(v, f"{w}.{key}")
            if x < 1 or x != int(x):
                _fail(f"expected a whole number of at least 1, got {v!r}", f"{w}.{key}")
            v = int(x)
        out[key] = v
    window = lk.get("window_kb", D.WINDOW_KB)
    out["window_kb"] = _num(window, f"{w}.window_kb", positive=True) if window is not None else None
    return out


def validate(raw: dict) -> Scenario:
    """Validate a scenario mapping and return a :class:`Scenario`.

    Raises
    ------
    ScenarioError
        The first problem found, with its key path in ``where``.
    """
    top = {"name", "description", "start", "sites", "centres", "links", "reading_time_minutes", "compression",
           "routing", "worklist", "preempt", "sla_minutes", "ai_triage", "allow_unread"}
    _keys(raw, top, "", ("name", "sites", "centres", "links"))
    name = _str(raw["name"], "name")
    start = raw.get("start", dt.date(2026, 3, 2))
    if isinstance(start, str):
        try:
            start = dt.date.fromisoformat(start)
        except ValueError:
            _fail(f"cannot parse date {start!r}: use YYYY-MM-DD", "start")
    if isinstance(start, dt.datetime):
        start = start.date()
    if not isinstance(start, dt.date):
        _fail(f"expected a date, got {start!r}", "start")
    if not MIN_YEAR <= start.year <= MAX_YEAR:  # the IANA zone rules (and a run's days) must fit in datetime
        _fail(f"year {start.year} is outside {MIN_YEAR}..{MAX_YEAR}", "start")

    for key in ("sites", "centres", "links"):
        if not isinstance(raw[key], list) or not raw[key]:
            _fail("expected a non-empty list", key)
    _names(raw["sites"], "name", "sites")
    _names(raw["centres"], "name", "centres")

    sites = []
    for i, s in enumerate(raw["sites"]):
        w = f"sites[{i}]"
        _keys(s, {"name", "country", "timezone", "location", "modalities"}, w,
              ("name", "country", "timezone", "location", "modalities"))
        mods = s["modalities"]
        if not isinstance(mods, dict) or not mods:
            _fail("expected a non-empty mapping of modality to workload", f"{w}.modalities")
        sites.append(Site(
            name=_str(s["name"], f"{w}.name"), country=_str(s["country"], f"{w}.country").upper(),
            timezone=_tz(s["timezone"], f"{w}.timezone"), location=_loc(s["location"], f"{w}.location"),
            modalities={str(m).upper(): _modality(str(m).upper(), v, f"{w}.modalities.{m}") for m, v in mods.items()},
        ))
    centres = []
    for i, c in enumerate(raw["centres"]):
        w = f"centres[{i}]"
        _keys(c, {"name", "country", "timezone", "location", "radiologists", "workstation"}, w,
              ("name", "country", "timezone", "location", "radiologists"))
        if not isinstance(c["radiologists"], list) or not c["radiologists"]:
            _fail("expected a non-empty list of radiologist groups", f"{w}.radiologists")
        _names(c["radiologists"], "group", f"{w}.radiologists")
        groups = []
        for j, g in enumerate(c["radiologists"]):
            gw = f"{w}.radiologists[{j}]"
            _keys(g, {"group", "count", "shift", "subspecialties", "licensed", "speed"}, gw, ("group", "count", "shift"))
            count = _num(g["count"], f"{gw}.count", nonneg=True)
            if count != int(count):
                _fail(f"expected a whole number, got {g['count']!r}", f"{gw}.count")
            lic = g.get("licensed", [c.get("country", "")])
            if not isinstance(lic, list) or not lic:
                _fail("expected a non-empty list of countries or site names", f"{gw}.licensed")
            subs = g.get("subspecialties", [])
            if not isinstance(subs, list):
                _fail("expected a list", f"{gw}.subspecialties")
            groups.append(Group(
                name=_str(g["group"], f"{gw}.group"), count=int(count), shift=parse_shift(g["shift"], f"{gw}.shift"),
                subspecialties=frozenset(_str(x, f"{gw}.subspecialties[{k}]") for k, x in enumerate(subs)),
                licensed=frozenset(_str(x, f"{gw}.licensed[{k}]") for k, x in enumerate(lic)),
                speed=_num(g.get("speed", 1.0), f"{gw}.speed", positive=True),
            ))
        centres.append(Centre(
            name=_str(c["name"], f"{w}.name"), country=_str(c["country"], f"{w}.country").upper(),
            timezone=_tz(c["timezone"], f"{w}.timezone"), location=_loc(c["location"], f"{w}.location"),
            groups=tuple(groups),
        ))
    site_names = {s.name for s in sites}
    centre_names = {c.name for c in centres}
    links = []
    seen_links = set()
    for i, lk in enumerate(raw["links"]):
        w = f"links[{i}]"
        for key, why in RETIRED_LINK_KEYS.items():
            if isinstance(lk, dict) and key in lk:
                _fail(why, f"{w}.{key}")
        _keys(lk, {"site", "centre", "bandwidth_mbps", "rtt_ms", *TRANSFER_OPTIONS, "availability", "outages"}, w,
              ("site", "centre", "bandwidth_mbps", "rtt_ms"))
        if not isinstance(lk["site"], str) or lk["site"] not in site_names:
            _fail(f"no site named {lk['site']!r}", f"{w}.site")
        if not isinstance(lk["centre"], str) or lk["centre"] not in centre_names:
            _fail(f"no centre named {lk['centre']!r}", f"{w}.centre")
        if (lk["site"], lk["centre"]) in seen_links:
            _fail(f"a second link from {lk['site']!r} to {lk['centre']!r}", w)
        seen_links.add((lk["site"], lk["centre"]))
        site_tz = next(s.timezone for s in sites if s.name == lk["site"])
        outages = []
        for k, o in enumerate(lk.get("outages", []) or []):
            ow = f"{w}.outages[{k}]"
            _keys(o, {"start", "end"}, ow, ("start", "end"))
            a, b = _datetime(o["start"], f"{ow}.start", site_tz), _datetime(o["end"], f"{ow}.end", site_tz)
            if b <= a:
                _fail("an outage must end after it starts", ow)
            outages.append((a, b))
        bandwidth = _num(lk["bandwidth_mbps"], f"{w}.bandwidth_mbps", positive=True, allow_inf=True)
        rtt = _num(lk["rtt_ms"], f"{w}.rtt_ms", nonneg=True)
        if math.isinf(bandwidth) and rtt:
            _fail("an ideal link (bandwidth .inf) moves studies at once and has no round trip; give it rtt_ms: 0, "
                  "or a finite bandwidth to model the round trips", f"{w}.rtt_ms")
        links.append(Link(
            site=lk["site"], centre=lk["centre"], bandwidth_mbps=bandwidth, rtt_ms=rtt, **_transfer_options(lk, w),
            availability=parse_shift(lk["availability"], f"{w}.availability") if lk.get("availability") else None,
            outages=tuple(outages),
        ))
    modalities = {m for s in sites for m in s.modalities}
    reading: dict[str, ReadingTime] = {}
    rt_raw = raw.get("reading_time_minutes", {}) or {}
    _keys(rt_raw, {m for m in modalities} | set(D.READING_MINUTES), "reading_time_minutes")
    for m in sorted(modalities):
        if m in rt_raw:
            reading[m] = _reading(rt_raw[m], f"reading_time_minutes.{m}")
        elif m in D.READING_MINUTES:
            mean, sd = D.READING_MINUTES[m]
            reading[m] = ReadingTime("lognormal", mean, sd)
        else:
            _fail(f"modality {m} has no reading-time distribution and no default", f"reading_time_minutes.{m}")
    comp_raw = raw.get("compression", {}) or {}
    _keys(comp_raw, modalities, "compression")
    compression = {}
    for m, v in comp_raw.items():
        w = f"compression.{m}"
        _keys(v, {"syntax", "ratio"}, w, ("syntax",))
        syntax, lossless = _syntax(_str(v["syntax"], f"{w}.syntax"), f"{w}.syntax")
        if "ratio" in v and syntax == "none" and v["ratio"] != 1:
            _fail(f"syntax none sends the images uncompressed: its ratio is 1, not {v['ratio']!r}", f"{w}.ratio")
        if "ratio" in v and lossless and syntax != "none":
            _fail(f"{syntax} is lossless: its ratio follows from the images (default {D.LOSSLESS_RATIO}); "
                  "remove 'ratio', or choose a lossy syntax", f"{w}.ratio")
        if "ratio" in v:
            ratio = _num(v["ratio"], f"{w}.ratio", positive=True)
            if ratio < 1:
                _fail(f"a compression ratio must be at least 1, got {ratio}", f"{w}.ratio")
        elif lossless:
            ratio = 1.0 if syntax == "none" else D.LOSSLESS_RATIO
        else:
            _fail(f"lossy syntax {syntax!r} needs a 'ratio'", w)
        compression[m] = (syntax, ratio)
    centres = [dataclasses.replace(c, workstation=_workstation(raw["centres"][i].get("workstation"),
                                                              f"centres[{i}].workstation", c.name, compression,
                                                              _transfer_options))
               for i, c in enumerate(centres)]
    routing = raw.get("routing", "least_loaded")
    if routing not in ROUTING:
        _fail(f"unknown routing {routing!r}; use one of {', '.join(ROUTING)}", "routing")
    worklist = raw.get("worklist", "fifo")
    if worklist not in WORKLISTS:
        _fail(f"unknown worklist {worklist!r}; use one of {', '.join(WORKLISTS)}", "worklist")
    sla_raw = raw.get("sla_minutes", {}) or {}
    _keys(sla_raw, set(D.PRIORITIES), "sla_minutes")
    sla = {p: _num(sla_raw.get(p, D.SLA_MINUTES[p]), f"sla_minutes.{p}", positive=True) for p in D.PRIORITIES}
    preempt = raw.get("preempt", "resume")
    if preempt not in PREEMPT:
        _fail(f"unknown preempt {preempt!r}; use one of {', '.join(PREEMPT)}", "preempt")
    ai = _ai_triage(raw.get("ai_triage"), modalities)
    allow_unread = raw.get("allow_unread", False)
    if not isinstance(allow_unread, bool):
        _fail("expected true or false", "allow_unread")
    scenario = Scenario(
        name=name, start=start, sites=tuple(sites), centres=tuple(centres), links=tuple(links), reading=reading,
        compression=compression, routing=routing, worklist=worklist, sla_minutes=sla, ai_triage=ai, preempt=preempt,
        allow_unread=allow_unread, description=str(raw.get("description", "")), raw=raw,
    )
    _check_readable(scenario)
    return scenario


_AI_KEYS = {"name", "modalities", "priorities", "rank_after", "enabled", "prevalence", "sensitivity", "specificity",
            "auc", "binormal_b", "threshold", "roc", "reading_time_minutes"}


def _ai_triage(v: Any, modalities: set[str]) -> tuple[AITriage, ...]:
    """One AI (a mapping) or several (a list), each validated with its key path."""
    if not v:
        return ()
    items, listed = (v, True) if isinstance(v, list) else ([v], False)
    out: list[AITriage] = []
    for k, a in enumerate(items):
        out.append(_one_ai(a, f"ai_triage[{k}]" if listed else "ai_triage", modalities, k))
    _names([{"name": ai.name} for ai in out], "name", "ai_triage")
    for k, ai in enumerate(out):  # no study may be read by two AIs
        for j in range(k):
            other = out[j]
            mods = (modalities if ai.modalities is None else ai.modalities) & (
                modalities if other.modalities is None else other.modalities)
            if mods and ai.priorities & other.priorities:
                _fail(f"AIs {other.name!r} and {ai.name!r} both apply to {', '.join(sorted(mods))} studies of "
                      f"priority {', '.join(sorted(ai.priorities & other.priorities))}; give them disjoint "
                      "modalities or priorities", f"ai_triage[{k}]")
    return tuple(out)


def _one_ai(a: Any, w: str, modalities: set[str], k: int) -> AITriage:
    from teleradlab.errors import ParameterError
    from teleradlab.network import triage

    _keys(a, _AI_KEYS, w, ("prevalence",))
    prevalence = _num(a["prevalence"], f"{w}.prevalence", nonneg=True, upto=1.0)
    mods = a.get("modalities")
    if mods is not None:
        if not isinstance(mods, list) or not mods:
            _fail("expected a non-empty list of modalities", f"{w}.modalities")
        mods = frozenset(str(m).upper() for m in mods)
        unknown = sorted(mods - modalities)
        if unknown:
            _fail(f"no site acquires {', '.join(unknown)} (modalities: {', '.join(sorted(modalities))})",
                  f"{w}.modalities")
    rank = a.get("rank_after", "stat")
    if rank not in triage.RANKS:
        _fail(f"unknown rank_after {rank!r}; use one of {', '.join(triage.RANKS)}", f"{w}.rank_after")
    if rank == D.PRIORITIES[-1]:
        _fail(f"an AI ranked below {rank} would move no study; use one of {', '.join(triage.RANKS[:-1])}",
              f"{w}.rank_after")
    below = [p for p in D.PRIORITIES if rank == "top" or D.PRIORITIES.index(p) > D.PRIORITIES.index(rank)]
    prios = a.get("priorities", below)
    if not isinstance(prios, list) or not prios or any(p not in D.PRIORITIES for p in prios):
        _fail(f"expected a non-empty list of priorities among {', '.join(D.PRIORITIES)}", f"{w}.priorities")
    enabled = a.get("enabled", True)
    if not isinstance(enabled, bool):
        _fail("expected true or false", f"{w}.enabled")
    # the operating point: exactly one way of giving it
    has = {key for key in ("sensitivity", "specificity", "auc", "threshold", "roc") if key in a}
    ways = {"sensitivity/specificity": {"sensitivity", "specificity"}, "auc/threshold": {"auc", "threshold"},
            "auc/sensitivity": {"auc", "sensitivity"}, "auc/specificity": {"auc", "specificity"},
            "roc/sensitivity": {"roc", "sensitivity"}, "roc/specificity": {"roc", "specificity"}}
    how = next((name for name, keys in ways.items() if keys == has), None)
    if how is None:
        _fail(f"give the operating point as one of: {'; '.join(' + '.join(sorted(x)) for x in ways.values())} "
              f"(got {', '.join(sorted(has)) or 'none'})", w)
    if "binormal_b" in a and not how.startswith("auc"):
        _fail("binormal_b goes with auc", f"{w}.binormal_b")
    se = _num(a["sensitivity"], f"{w}.sensitivity", nonneg=True, upto=1.0) if "sensitivity" in a else None
    sp = _num(a["specificity"], f"{w}.specificity", nonneg=True, upto=1.0) if "specificity" in a else None
    try:
        if how.startswith("auc"):
            auc = _num(a["auc"], f"{w}.auc", positive=True, upto=1.0)
            b = _num(a.get("binormal_b", 1.0), f"{w}.binormal_b", positive=True)
            thr = _num(a["threshold"], f"{w}.threshold") if "threshold" in a else None
            se, sp = triage.binormal_point(triage.binormal_a(auc, b), b,
                                           threshold=thr, sensitivity=se, specificity=sp)
        elif how.startswith("roc"):
            table = a["roc"]
            if not isinstance(table, list) or not all(isinstance(r, list | tuple) and len(r) == 2 for r in table):
                _fail("expected a list of [fpf, tpf] pairs", f"{w}.roc")
            pts = [(_num(f, f"{w}.roc[{i}][0]", nonneg=True, upto=1.0), _num(t, f"{w}.roc[{i}][1]", nonneg=True,
                                                                            upto=1.0)) for i, (f, t) in enumerate(table)]
            ra, rb = triage.fit_binormal_roc([x for x, _ in pts], [y for _, y in pts])
            se, sp = triage.binormal_point(ra, rb, sensitivity=se, specificity=sp)
    except ParameterError as exc:
        _fail(exc.message, w)
    rt = a.get("reading_time_minutes")
    rd = rn = None
    if rt is not None:
        _keys(rt, {"diseased", "non_diseased"}, f"{w}.reading_time_minutes", ("diseased", "non_diseased"))
        rd = _reading(rt["diseased"], f"{w}.reading_time_minutes.diseased")
        rn = _reading(rt["non_diseased"], f"{w}.reading_time_minutes.non_diseased")
    return AITriage(prevalence=prevalence, sensitivity=float(se), specificity=float(sp), modalities=mods,
                    name=_str(a.get("name", f"ai{k}" if k else "ai"), f"{w}.name"), priorities=frozenset(prios),
                    rank_after=rank, enabled=enabled, reading_diseased=rd, reading_non_diseased=rn,
                    operating_point=how)


def eligible(group: Group, site: Site) -> bool:
    """Whether radiologists of ``group`` may read studies from ``site`` (licence by country or site name)."""
    return bool(group.count) and (site.country in {x.upper() for x in group.licensed} or site.name in group.licensed)


def _check_readable(sc: Scenario) -> None:
    if sc.allow_unread:
        return
    for i, site in enumerate(sc.sites):
        ok = any(eligible(g, site) for lk in sc.links if lk.site == site.name for g in sc.centre(lk.centre).groups)
        if not ok:
            linked = [lk.centre for lk in sc.links if lk.site == site.name]
            _fail(f"no radiologist may read studies from {site.name!r} (country {site.country}): "
                  + (f"no group at {', '.join(linked)} is licensed for it" if linked else "it has no link to a centre")
                  + "; set allow_unread: true to count such studies as unread", f"sites[{i}]")


# ------------------------------------------------------------------------ overrides
def apply_overrides(raw: dict, overrides: dict[str, Any]) -> dict:
    """Return a copy of ``raw`` with dotted-key ``overrides`` applied.

    A path walks mappings by key and lists by item name: ``sites.<name>``,
    ``centres.<name>.radiologists.<group>``, ``links.<site>`` (or
    ``links.<site>><centre>`` when a site has several links), or by index
    (``sites.0``). Examples: ``{"centres.hub.radiologists.day-team.count": 6,
    "links.rural-clinic.bandwidth_mbps": 2, "compression.CT.ratio": 15,
    "routing": "nearest"}``.
    """
    out = copy.deepcopy(raw)
    for path, value in (overrides or {}).items():
        parts = str(path).split(".")
        node: Any = out
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            here = ".".join(parts[: depth + 1])
            if isinstance(node, list):
                idx = _find_item(node, part)
                if idx is None:
                    _fail(f"no item {part!r} in this list", f"overrides[{path}] at {here}")
                if last:
                    node[idx] = value
                else:
                    node = node[idx]
            elif isinstance(node, dict):
                if last:
                    node[part] = value
                else:
                    if part not in node:
                        node[part] = {}
                    node = node[part]
            else:
                _fail(f"cannot descend into {type(node).__name__}", f"overrides[{path}] at {here}")
    return out


def _find_item(items: list, key: str) -> int | None:
    if key.isdigit() and int(key) < len(items):
        return int(key)
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        if key in (item.get("name"), item.get("group"), item.get("site")):
            return i
        if ">" in key and f"{item.get('site')}>{item.get('centre')}" == key:
            return i
    return None


def _scenario_file(spec: str | os.PathLike[str]) -> Path:
    """An existing file as given, else a bundled scenario of that name (a bare name, no folder)."""
    from teleradlab import datasets

    p = Path(spec)
    if p.is_file():
        return p
    if len(p.parts) == 1:
        try:
            return datasets.scenario(str(spec))
        except TeleradlabError:
            pass
    try:
        known = ", ".join(datasets.scenario_names())
    except TeleradlabError:
        known = "none installed"
    raise ScenarioError(f"no such scenario file, nor a bundled scenario name (bundled: {known})", where=str(p))


def load_scenario(path_or_dict: str | os.PathLike[str] | dict, *, overrides: dict[str, Any] | None = None) -> Scenario:
    """Load and validate a scenario from a YAML file or a mapping.

    Parameters
    ----------
    path_or_dict : path-like or dict
        A YAML file, the name of a bundled scenario (``"siberia_hub_spoke"``, see
        :func:`teleradlab.datasets.scenario_names`), or the same structure as a dict.
    overrides : dict, optional
        Dotted-key overrides applied before validation (see :func:`apply_overrides`).

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        Malformed YAML, or the first validation problem with its key path.
    """
    from teleradlab.safe_yaml import load_yaml

    if isinstance(path_or_dict, dict):
        raw, source = path_or_dict, "scenario"
    else:
        p = _scenario_file(path_or_dict)
        raw = load_yaml(p, error=ScenarioError)  # size, alias-expansion and depth limits; UTF-8 only
        source = str(p)
    if overrides:
        raw = apply_overrides(raw, overrides)
    try:
        return validate(raw)
    except ScenarioError as exc:
        if source != "scenario":
            raise ScenarioError(exc.message, where=f"{source}: {exc.where}") from None
        raise
    except (TypeError, ValueError, KeyError, AttributeError, OverflowError, RecursionError) as exc:
        # a shape no check above anticipated: still one ScenarioError naming the file
        raise ScenarioError(f"invalid scenario ({type(exc).__name__}: {one_line(exc)})", where=source) from None


def queue_scenario(*, c: int, mean: float, rho: float, dist: dict | None = None, worklist: str = "fifo",
                   priority_mix: dict | None = None, modality: str = "CT") -> dict:
    """A queueing-check scenario: Poisson arrivals, ``c`` round-the-clock radiologists, no transfer delay.

    Arrivals are set so that utilisation is ``rho`` for reading times of mean ``mean``
    minutes (exponential unless ``dist`` says otherwise); the result is the raw mapping
    :func:`load_scenario` takes, ready for comparison with :mod:`teleradlab.network.theory`.

    Examples
    --------
    >>> sc = load_scenario(queue_scenario(c=2, mean=10, rho=0.8))
    >>> round(sc.sites[0].modalities["CT"].studies_per_day, 1)
    230.4
    """
    load: dict[str, Any] = {"studies_per_day": rho * c / mean * 1440, "profile": "flat"}
    if priority_mix:
        load["priority_mix"] = priority_mix
    return {
        "name": f"M/{'M' if dist is None else 'G'}/{c} check",
        "sites": [{"name": "s", "country": "DE", "timezone": "UTC", "location": [0, 0],
                   "modalities": {modality: load}}],
        "centres": [{"name": "c", "country": "DE", "timezone": "UTC", "location": [0, 0],
                     "radiologists": [{"group": "g", "count": int(c), "shift": "24/7"}]}],
        "links": [{"site": "s", "centre": "c", "bandwidth_mbps": float("inf"), "rtt_ms": 0}],
        "reading_time_minutes": {modality: dist or {"dist": "exponential", "mean": mean}},
        "worklist": worklist,
    }
