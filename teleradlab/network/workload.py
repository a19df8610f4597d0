"""Workload: who acquires what, when, how big, and how long it takes to read.

Arrivals are a non-homogeneous Poisson process with piecewise-constant hourly rates
in each site's *local* time (so a Vladivostok night is a Vladivostok night, and
daylight-saving days have 23 or 25 hours). Every draw comes from a stream seeded by
(seed, replication, site, modality), so results never depend on generation order.
Disease status and the AI's score come from a second stream, drawn for every study
whatever the AI (see :mod:`~teleradlab.network.triage`), and disease-specific reading
times from streams of their own: scenarios that differ only in their AI see the same
studies (common random numbers).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np

from teleradlab.network.defaults import PRIORITIES
from teleradlab.network.instances import SentRatio, instance_bytes
from teleradlab.network.scenario import ReadingTime, Scenario


@dataclass
class Workload:
    """Columnar study attributes (one entry per study, sorted by acquisition time)."""

    t0: dt.datetime  # UTC instant that simulation minute 0 stands for
    acquired: np.ndarray  # minutes since t0
    site: np.ndarray  # index into scenario.sites
    modality: np.ndarray  # index into modalities
    modalities: tuple[str, ...]
    priority: np.ndarray  # 0 stat, 1 urgent, 2 routine
    bytes_raw: np.ndarray
    bytes_sent: np.ndarray
    reading_base: np.ndarray  # minutes at speed factor 1
    diseased: np.ndarray
    ai_flag: np.ndarray
    images: np.ndarray  # instances per study
    bytes_per_instance: np.ndarray  # each instance as sent (achieved compression; see network.instances)
    ai_index: np.ndarray | None = None  # which of scenario.ai_triage covers the study (-1: none)
    sent_ratio: dict[str, SentRatio] = field(default_factory=dict)  # per modality: the ratio sent at, and its source

    def __len__(self) -> int:
        return int(self.acquired.size)


def start_instant(scenario: Scenario) -> dt.datetime:
    """Simulation minute 0: the earliest local midnight of the start date among all places."""
    zones = {s.timezone for s in scenario.sites} | {c.timezone for c in scenario.centres}
    return min(dt.datetime.combine(scenario.start, dt.time(), ZoneInfo(z)).astimezone(dt.UTC) for z in zones)


def minutes_since(t0: dt.datetime, when: dt.datetime) -> float:
    """Minutes from ``t0`` to the aware datetime ``when``."""
    return (when - t0).total_seconds() / 60.0


def hour_starts(tz: str, start: dt.date, days: int, t0: dt.datetime) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start (minutes since t0), length (minutes), local hour and weekday of each local hour.

    Returns
    -------
    starts, lengths, hour_weekday : ndarray
        ``hour_weekday`` is ``hour + 24 * weekday`` (Monday 0).
    """
    zone = ZoneInfo(tz)
    base = dt.datetime.combine(start, dt.time())
    locals_ = [base + dt.timedelta(hours=h) for h in range(days * 24 + 1)]
    utc = np.array([minutes_since(t0, t.replace(tzinfo=zone).astimezone(dt.UTC)) for t in locals_])
    starts, lengths = utc[:-1], np.clip(np.diff(utc), 0, None)
    hw = np.array([t.hour + 24 * t.weekday() for t in locals_[:-1]])
    return starts, lengths, hw


def draw_reading(rt: ReadingTime, n: int, rng: np.random.Generator) -> np.ndarray:
    """Draw ``n`` reading times (minutes) from a distribution."""
    if rt.dist == "exponential":
        return rng.exponential(rt.mean, n)
    if rt.dist == "deterministic":
        return np.full(n, rt.mean)
    if rt.dist == "lognormal":
        s2 = np.log1p((rt.sd / rt.mean) ** 2)
        return rng.lognormal(np.log(rt.mean) - s2 / 2, np.sqrt(s2), n)
    if rt.dist == "gamma":
        k = (rt.mean / rt.sd) ** 2
        return rng.gamma(k, rt.mean / k, n)
    return rng.choice(np.asarray(rt.samples), n)


def generate(scenario: Scenario, *, days: float, seed: int, replication: int = 0) -> Workload:
    """Generate every study of ``days`` days for one replication.

    Parameters
    ----------
    scenario : Scenario
    days : float
        Length of the arrival period in each site's local days (whole days).
    seed, replication : int
        Together they seed every stream.

    Returns
    -------
    Workload
    """
    t0 = start_instant(scenario)
    n_days = int(np.ceil(days))
    modalities = tuple(sorted({m for s in scenario.sites for m in s.modalities}))
    cols: dict[str, list[np.ndarray]] = {k: [] for k in ("acq", "site", "mod", "prio", "raw", "sent", "read", "dis", "ai",
                                                         "aix")}
    cols.update(img=[], bpi=[])
    sent_ratio: dict[str, SentRatio] = {}
    ais = scenario.ai_triage
    for si, site in enumerate(scenario.sites):
        starts, lengths, hw = hour_starts(site.timezone, scenario.start, n_days, t0)
        for mod, load in site.modalities.items():
            mi = modalities.index(mod)
            rng = np.random.default_rng(np.random.SeedSequence([int(seed), int(replication), si, mi]))
            prof = np.asarray(load.profile) / np.mean(load.profile)
            week = np.asarray(load.weekday) / np.mean(load.weekday)
            rate = load.studies_per_day / 24.0 * prof[hw % 24] * week[hw // 24] * (lengths / 60.0)
            counts = rng.poisson(rate)
            n = int(counts.sum())
            acq = np.repeat(starts, counts) + rng.uniform(0, 1, n) * np.repeat(lengths, counts)
            prio = rng.choice(3, size=n, p=[load.priority_mix[p] for p in PRIORITIES])
            images = np.full(n, load.images_per_study, np.int64)
            if load.size_sd_fraction > 0:  # studies differ in their number of images
                s2 = np.log1p(load.size_sd_fraction ** 2)
                images = np.maximum(np.round(images * rng.lognormal(-s2 / 2, np.sqrt(s2), n)), 1).astype(np.int64)
            size = images * float(load.bytes_per_image)
            per_instance, sent_ratio[mod] = instance_bytes(mod, load.bytes_per_image, scenario.compression.get(mod))
            reading = draw_reading(scenario.reading[mod], n, rng)
            aix, dis, flag = _triage(ais, mod, prio, reading, [int(seed), int(replication), si, mi])
            for key, val in (("acq", acq), ("site", np.full(n, si)), ("mod", np.full(n, mi)), ("prio", prio),
                             ("raw", size), ("sent", images * per_instance), ("read", reading), ("dis", dis), ("ai", flag),
                             ("aix", aix)):
                cols[key].append(val)
            cols["img"].append(images)
            cols["bpi"].append(np.full(n, per_instance))
    cat = {k: (np.concatenate(v) if v else np.zeros(0)) for k, v in cols.items()}
    order = np.argsort(cat["acq"], kind="stable")
    return Workload(
        t0=t0, acquired=cat["acq"][order], site=cat["site"][order].astype(np.int16),
        modality=cat["mod"][order].astype(np.int16), modalities=modalities,
        priority=cat["prio"][order].astype(np.int8), bytes_raw=np.round(cat["raw"][order]).astype(np.int64),
        bytes_sent=np.round(cat["sent"][order]).astype(np.int64), reading_base=cat["read"][order],
        diseased=cat["dis"][order].astype(bool), ai_flag=cat["ai"][order].astype(bool),
        images=cat["img"][order].astype(np.int64), bytes_per_instance=cat["bpi"][order].astype(float),
        sent_ratio=sent_ratio,
        ai_index=cat["aix"][order].astype(np.int64),
    )


def _triage(ais: tuple, mod: str, prio: np.ndarray, reading: np.ndarray,
            key: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which AI covers each study, its disease status and the AI's flag; disease-specific reading times.

    ``reading`` is replaced in place where the covering AI gives reading times by truth.
    """
    n = prio.size
    u = np.random.default_rng(np.random.SeedSequence([*key, 1])).uniform(size=(2, n))  # always drawn: CRN
    aix = np.full(n, -1, np.int64)
    for k, ai in enumerate(ais):  # a modality's AI, then the one that covers each priority
        if ai.covers(mod):
            aix[aix < 0] = k
    for k, ai in enumerate(ais):
        if ai.covers(mod):
            aix[np.isin(prio, [PRIORITIES.index(p) for p in ai.priorities])] = k
    prevalence = np.array([ai.prevalence for ai in ais] + [0.0])[aix]
    dis = u[0] < prevalence
    se = np.array([ai.sensitivity for ai in ais] + [0.0])[aix]
    sp = np.array([ai.specificity for ai in ais] + [1.0])[aix]
    applies = np.array([[ai.enabled and p in ai.priorities for p in PRIORITIES] for ai in ais] + [[False] * 3])
    on = applies[aix, prio.astype(np.int64)]  # (index -1 is the last row: no AI)
    flag = on & np.where(dis, u[1] > 1 - se, u[1] > sp)
    for k, ai in enumerate(ais):
        here = aix == k
        if ai.reading_diseased is not None and here.any():
            rd = draw_reading(ai.reading_diseased, n, np.random.default_rng(np.random.SeedSequence([*key, 2])))
            rn = draw_reading(ai.reading_non_diseased, n, np.random.default_rng(np.random.SeedSequence([*key, 3])))
            reading[here] = np.where(dis, rd, rn)[here]
    return aix, dis, flag
