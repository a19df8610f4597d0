"""``simulate``: workload + engine + results, over replications with independent seeds."""

from __future__ import annotations

import numpy as np
import pandas as pd

from teleradlab.errors import SimulationError
from teleradlab.network import engine as engines
from teleradlab.network.defaults import PRIORITIES
from teleradlab.network.results import COLUMNS, SimulationResult
from teleradlab.network.scenario import Scenario, load_scenario
from teleradlab.network.workload import generate
from teleradlab.progress import progress


def simulate(scenario: Scenario | dict | str, *, days: float, seed: int, replications: int = 1,
             warmup_days: float = 0.0, drain_days: float = 14.0, show_progress: bool | None = None,
             engine: str = "compiled") -> SimulationResult:
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
    warmup_days : float
        Days simulated first and discarded (the system starts empty).
    drain_days : float
        How long the simulation may run on after the last arrival to finish reads.
    show_progress : bool, optional
        A progress bar over replications (default: when there are several).
    engine : {"compiled", "reference"}
        The event loop: compiled with Numba (default), or the plain-Python reference;
        their results are identical.

    Returns
    -------
    SimulationResult

    Examples
    --------
    >>> res = simulate("datasets/scenarios/single_hospital_ed.yaml", days=1, seed=1)  # doctest: +SKIP
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if days <= 0 or warmup_days < 0 or replications < 1:
        raise SimulationError("need days > 0, warmup_days >= 0 and replications >= 1",
                              where="days" if days <= 0 else "warmup_days" if warmup_days < 0 else "replications")
    total = float(days) + float(warmup_days)
    frames, rad_rows, link_rows = [], [], []
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
        period = days * 1440.0
        for r in res.radiologists:
            shift = sum(max(0.0, min(b, total * 1440) - max(a, warm)) for a, b in r.intervals)
            rad_rows.append({"replication": rep, "radiologist": r.index, "centre": sc.centres[r.centre].name,
                             "group": r.group.name, "shift_minutes": shift, "busy_minutes": r.busy_minutes})
        for (si, ci), busy in res.link_busy.items():
            link_rows.append({"replication": rep, "site": sc.sites[si].name, "centre": sc.centres[ci].name,
                              "busy_minutes": busy})
    studies = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
    return SimulationResult(
        scenario=sc, studies=studies, radiologists=pd.DataFrame(rad_rows), links=pd.DataFrame(link_rows),
        days=float(days), warmup_days=float(warmup_days),
        meta={"seed": seed, "unread": unread_total, "period_minutes": period},
    )


def _frame(sc: Scenario, wl, res: engines.EngineResult, rep: int, keep: np.ndarray) -> pd.DataFrame:
    t0 = pd.Timestamp(wl.t0)

    def ts(x: np.ndarray) -> pd.Series:
        return t0 + pd.to_timedelta(x[keep], unit="min")

    acq = wl.acquired[keep]
    te = res.transfer_end[keep]
    rs = res.read_start[keep]
    re_ = res.read_end[keep]
    turnaround = re_ - acq
    sla = np.array([sc.sla_minutes[p] for p in PRIORITIES])[wl.priority[keep]]
    rad_names = [f"{sc.centres[r.centre].name}/{r.group.name}/{r.index}" for r in res.radiologists] + [""]
    centre_names = [c.name for c in sc.centres] + [""]

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
        "ai_flag": wl.ai_flag[keep], "diseased": wl.diseased[keep],
        "bytes_raw": wl.bytes_raw[keep], "bytes_sent": wl.bytes_sent[keep],
        "acquired": ts(wl.acquired), "transfer_start": ts(res.transfer_start), "transfer_end": ts(res.transfer_end),
        "queued": ts(res.transfer_end), "read_start": ts(res.read_start), "read_end": ts(res.read_end),
        "transfer_minutes": te - res.transfer_start[keep], "wait_minutes": rs - te,
        "reading_minutes": re_ - rs, "turnaround_minutes": turnaround,
        "reported": ~np.isnan(re_), "sla_met": turnaround <= sla,
    })
    if list(df.columns) != list(COLUMNS):
        raise SimulationError("internal: study table columns out of step", where="results")
    return df
