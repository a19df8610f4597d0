"""``simulate``: workload + engine + results, over replications with independent seeds."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from teleradlab.errors import SimulationError
from teleradlab.limits import (
    MAX_RADIOLOGISTS,
    MAX_STUDIES,
    MAX_TOTAL_STUDIES,
    check_simulation_size,
)
from teleradlab.network import engine as engines
from teleradlab.network.defaults import PRIORITIES
from teleradlab.network.results import (
    ARCHIVE_SLOWDOWN_WARN,
    COLUMNS,
    PREEMPTION_COLUMNS,
    ArchiveLoadWarning,
    SimulationResult,
)
from teleradlab.network.scenario import Scenario, load_scenario
from teleradlab.network.workload import generate
from teleradlab.progress import progress


def simulate(scenario: Scenario | dict | str, *, days: float, seed: int, replications: int = 1,
             warmup_days: float | None = None, drain_days: float = 14.0, show_progress: bool | None = None,
             engine: str = "compiled", max_studies: float = MAX_STUDIES,
             max_radiologists: int = MAX_RADIOLOGISTS,
             max_total_studies: float = MAX_TOTAL_STUDIES) -> SimulationResult:
    """Simulate a teleradiology network.

    Parameters
    ----------
    scenario : Scenario, dict or path
        A validated scenario, or anything :func:`load_scenario` takes.
    days : float
        Days of arrivals after the warm-up (whole days in each site's local time).
    seed : int
        Replication ``k`` uses streams seeded by ``(seed, k, site, modality)``: the
        same seed gives the same result, and replications are independent.
    replications : int
        Independent runs; summaries give confidence intervals across them.
    warmup_days : float, optional
        Days simulated first and discarded (the system starts empty). Default:
        :func:`default_warmup_days` of the scenario (1 to 7 whole days).
    drain_days : float
        How long the simulation may run on after the last arrival to finish reads.
    show_progress : bool, optional
        A progress bar over replications (default: when there are several).
    engine : {"compiled", "reference"}
        The event loop: compiled with Numba (default), or the plain-Python reference;
        their results are identical.
    max_studies, max_radiologists, max_total_studies : optional
        Size guards checked before anything is allocated (:mod:`teleradlab.limits`):
        raise them explicitly for a larger run.

    Returns
    -------
    SimulationResult

    Examples
    --------
    >>> res = simulate("datasets/scenarios/single_hospital_ed.yaml", days=1, seed=1)  # doctest: +SKIP
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if warmup_days is None:
        warmup_days = default_warmup_days(sc)
    if days <= 0 or warmup_days < 0 or replications < 1:
        raise SimulationError("need days > 0, warmup_days >= 0 and replications >= 1",
                              where="days" if days <= 0 else "warmup_days" if warmup_days < 0 else "replications")
    check_simulation_size(sc, days + warmup_days, max_studies=max_studies, max_radiologists=max_radiologists,
                          replications=replications, max_total_studies=max_total_studies)
    total = float(days) + float(warmup_days)
    frames, pre_frames, rad_rows, link_rows = [], [], [], []
    unread_total = 0
    period = None
    reps = range(replications)
    if show_progress or (show_progress is None and replications > 1):
        reps = progress(reps, desc=f"simulate {sc.name}", total=replications)
    for rep in reps:
        wl = generate(sc, days=total, seed=seed, replication=rep)
        res = engines.run(sc, wl, days=total, drain_days=drain_days, engine=engine)
        warm = warmup_days * 1440.0
        keep = wl.acquired >= warm
        unread_total += int((res.unread & keep).sum())
        frames.append(_frame(sc, wl, res, rep, keep))
        pre_frames.append(_preemptions(wl, res, rep, keep))
        period = days * 1440.0
        for r in res.radiologists:
            shift = sum(max(0.0, min(b, total * 1440) - max(a, warm)) for a, b in r.intervals)
            rad_rows.append({"replication": rep, "radiologist": r.index, "centre": sc.centres[r.centre].name,
                             "group": r.group.name, "shift_minutes": shift,
                             "busy_minutes": float(res.radiologist_busy[r.index])})
        for (si, ci), busy in res.link_busy.items():
            link_rows.append({"replication": rep, "site": sc.sites[si].name, "centre": sc.centres[ci].name,
                              "busy_minutes": busy})
    studies = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
    result = SimulationResult(
        scenario=sc, studies=studies, radiologists=pd.DataFrame(rad_rows), links=pd.DataFrame(link_rows),
        days=float(days), warmup_days=float(warmup_days),
        meta={"seed": seed, "unread": unread_total, "period_minutes": period},
        preemptions=pd.concat(pre_frames, ignore_index=True) if pre_frames else pd.DataFrame(columns=PREEMPTION_COLUMNS),
    )
    _check_archive_load(result)
    return result


def _check_archive_load(result: SimulationResult) -> None:
    """Record, and warn about, archive links loaded enough that unshared fetches are optimistic."""
    load = result.archive_utilisation()
    loaded = load[load["slowdown"] > ARCHIVE_SLOWDOWN_WARN]
    result.meta["archive_overloaded"] = list(loaded.index)
    names = [c.name for c in result.scenario.centres]
    for centre, row in loaded.iterrows():
        warnings.warn(
            f"centres[{names.index(str(centre))}].workstation.archive ({centre}): the fetches there meet a load of "
            f"{row['load']:.0%} of its {row['bandwidth_mbps']:g} Mbit/s (period average {row['utilisation']:.0%}); "
            f"the simulator fetches each study "
            f"alone on the link, so workstation times are optimistic by about "
            + ("the whole queue (the link cannot carry them)" if not np.isfinite(row["slowdown"])
               else f"{row['slowdown']:.2f}x on their transfer part")
            + " (SimulationResult.archive_utilisation)", ArchiveLoadWarning, stacklevel=3)


def default_warmup_days(scenario: Scenario) -> float:
    """The warm-up :func:`simulate` uses unless told: five relaxation times, in whole days from 1 to 7.

    The rule: the reading system's utilisation ρ is the offered reading load
    (studies per minute × mean reading minutes, summed over sites and modalities)
    over the capacity (radiologists × speed × their share of the week on shift);
    its relaxation time is approximated by that of an M/M/1 queue with one server c
    times as fast, τ = E[S] / (c (1 − √ρ)²), c the capacity in full-time radiologists (Morse PM.
    Stochastic properties of waiting lines. J Oper Res Soc Am 1955;3:255–261), within
    which an empty start's deficit decays by a factor e. Five τ leave under 1% of it.
    The warm-up is at least one day (shift and arrival patterns are daily) and at
    most seven (ρ ≥ 1 on average has no steady state; the cap is then an explicit
    choice, pass ``warmup_days`` to change it).

    Parameters
    ----------
    scenario : Scenario

    Returns
    -------
    float
        Whole days.

    Examples
    --------
    >>> from teleradlab.network.scenario import load_scenario, queue_scenario
    >>> default_warmup_days(load_scenario(queue_scenario(c=1, mean=10, rho=0.8)))  # tau = 10 / 0.0111 = 897 min
    4.0
    """
    load = 0.0  # reading minutes offered per minute
    volume = 0.0
    for s in scenario.sites:
        for m, ml in s.modalities.items():
            load += ml.studies_per_day / 1440 * scenario.reading[m].mean
            volume += ml.studies_per_day / 1440
    capacity = 0.0
    for c in scenario.centres:
        for g in c.groups:
            capacity += g.count * g.speed * _shift_share(g.shift)
    if capacity <= 0 or volume <= 0:
        return 1.0
    rho = load / capacity
    if rho >= 1:
        return 7.0
    tau = load / volume / (capacity * (1 - np.sqrt(rho)) ** 2)
    return float(min(7.0, max(1.0, np.ceil(5 * tau / 1440))))


def _shift_share(shift) -> float:
    """Share of a week a shift is on (overlapping windows counted once)."""
    if shift.always:
        return 1.0
    week = np.zeros(7 * 1440 * 2, bool)  # two weeks, so a window that crosses Sunday midnight wraps
    for days, a, b in shift.windows:
        for d in days:
            start = d * 1440 + a
            week[start: d * 1440 + (b if b > a else b + 1440)] = True
    on = week[: 7 * 1440] | week[7 * 1440:]
    return float(on.mean())


def _frame(sc: Scenario, wl, res: engines.EngineResult, rep: int, keep: np.ndarray) -> pd.DataFrame:
    t0 = pd.Timestamp(wl.t0)

    def ts(x: np.ndarray) -> pd.Series:
        return t0 + pd.to_timedelta(x[keep], unit="min")

    acq = wl.acquired[keep]
    te = res.transfer_end[keep]
    rs = res.read_start[keep]
    re_ = res.read_end[keep]
    wait = res.wait[keep]
    turnaround = re_ - acq
    sla = np.array([sc.sla_minutes[p] for p in PRIORITIES])[wl.priority[keep]]
    rad_names = [f"{sc.centres[r.centre].name}/{r.group.name}/{r.index}" for r in res.radiologists] + [""]
    centre_names = [c.name for c in sc.centres] + [""]
    ai_names = [a.name for a in sc.ai_triage] + [""]
    ai_index = wl.ai_index if wl.ai_index is not None else np.full(keep.size, -1)

    def codes(x: np.ndarray, names: list[str]) -> np.ndarray:  # -1 (none) is the last name, ""
        return np.where(x < 0, len(names) - 1, x)
    df = pd.DataFrame({
        "replication": np.full(acq.size, rep, np.int16),
        "study_id": np.flatnonzero(keep).astype(np.int64),
        "site": pd.Categorical.from_codes(wl.site[keep], [s.name for s in sc.sites]),
        "centre": pd.Categorical.from_codes(codes(res.centre[keep], centre_names), centre_names),
        "radiologist": pd.Categorical.from_codes(codes(res.radiologist[keep], rad_names), rad_names),
        "modality": pd.Categorical.from_codes(wl.modality[keep], list(wl.modalities)),
        "priority": pd.Categorical.from_codes(wl.priority[keep], list(PRIORITIES), ordered=True),
        "ai": pd.Categorical.from_codes(codes(ai_index[keep], ai_names), ai_names),
        "ai_flag": wl.ai_flag[keep], "diseased": wl.diseased[keep],
        "bytes_raw": wl.bytes_raw[keep], "bytes_sent": wl.bytes_sent[keep], "images": wl.images[keep].astype(np.int32),
        "acquired": ts(wl.acquired), "transfer_start": ts(res.transfer_start), "transfer_end": ts(res.transfer_end),
        "queued": ts(res.transfer_end), "first_start": ts(res.read_start), "end": ts(res.read_end),
        "transfer_minutes": te - res.transfer_start[keep], "wait_minutes": wait,
        "workstation_minutes": res.workstation[keep], "reading_minutes": res.reading[keep] - res.workstation[keep],
        "preempted_minutes": wait - (rs - te), "preemptions": res.preemptions[keep],
        "first_image_minutes": res.first_image[keep], "loaded_minutes": res.loaded[keep],
        "turnaround_minutes": turnaround,
        "reported": ~np.isnan(re_), "sla_met": turnaround <= sla,
    })
    if list(df.columns) != list(COLUMNS):
        raise SimulationError("internal: study table columns out of step", where="results")
    return df


def _preemptions(wl, res: engines.EngineResult, rep: int, keep: np.ndarray) -> pd.DataFrame:
    t0 = pd.Timestamp(wl.t0)
    mine = keep[res.preempt_study] if res.preempt_study.size else np.zeros(0, bool)
    return pd.DataFrame({
        "replication": np.full(int(mine.sum()), rep, np.int16), "study_id": res.preempt_study[mine].astype(np.int64),
        "preempted_at": t0 + pd.to_timedelta(res.preempt_at[mine], unit="min"),
        "resumed_at": t0 + pd.to_timedelta(res.preempt_back[mine], unit="min"),
    })
