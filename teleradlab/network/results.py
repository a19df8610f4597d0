"""Simulation results: one row per study, summaries with confidence intervals, resource use.

The study table's times (one row per study; minutes are floats, NaN until the study
is reported; timestamps are timezone-aware UTC):

=======================  =====================================================================
column                   meaning
=======================  =====================================================================
``acquired``             when the modality finished the study
``transfer_start``       when its transfer to the reading centre began (= ``acquired``)
``transfer_end``         when the last byte arrived; the study joins the worklist (``queued``)
``first_start``          when a radiologist first opened it
``end``                  when its report was finished
``transfer_minutes``     ``transfer_end − transfer_start``
``wait_minutes``         all time spent waiting in a worklist: before the first start *and*
                         after every preemption until a radiologist took it up again
``workstation_minutes``  time a radiologist had it open but waited on the workstation: for
                         the first image, and after reading until the last images had loaded
                         (0 without a ``workstation:`` policy; :mod:`~teleradlab.network.workstation`)
``reading_minutes``      time a radiologist was actually reading it (the sum of its reading
                         segments less ``workstation_minutes``; under ``preempt: repeat``
                         including work that was lost)
``preempted_minutes``    the part of ``wait_minutes`` after the first start (0 unless
                         preempted); ``preemptions`` counts the interruptions
``first_image_minutes``  from opening to the first image on screen at its centre's workstation
``loaded_minutes``       from opening to the whole study decoded there
``turnaround_minutes``   ``end − acquired`` = ``transfer_minutes + wait_minutes +
                         workstation_minutes + reading_minutes`` for every reported study
                         (:data:`TURNAROUND_PARTS`)
=======================  =====================================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from teleradlab.errors import SimulationError
from teleradlab.network.defaults import PRIORITIES
from teleradlab.network.scenario import Scenario

#: The archive link's processor-sharing slowdown (:meth:`SimulationResult.archive_utilisation`)
#: above which :func:`~teleradlab.network.simulate` warns: the 15% within which the
#: transfer and retrieval models are held to real transfers (issue 11's acceptance).
ARCHIVE_SLOWDOWN_WARN = 1.15


class ArchiveLoadWarning(UserWarning):
    """Workstation fetches load the archive link enough that sharing it would slow them (see
    :meth:`SimulationResult.archive_utilisation`)."""


#: Columns of :attr:`SimulationResult.studies`, in order.
COLUMNS = (
    "replication", "study_id", "site", "centre", "radiologist", "modality", "priority", "ai", "ai_flag", "diseased",
    "bytes_raw", "bytes_sent", "images", "acquired", "transfer_start", "transfer_end", "queued", "first_start", "end",
    "transfer_minutes", "wait_minutes", "workstation_minutes", "reading_minutes", "preempted_minutes", "preemptions",
    "first_image_minutes", "loaded_minutes", "turnaround_minutes", "reported", "sla_met",
)
#: The parts that add up to ``turnaround_minutes``, row by row.
TURNAROUND_PARTS = ("transfer_minutes", "wait_minutes", "workstation_minutes", "reading_minutes")
#: Columns of :attr:`SimulationResult.preemptions`: one row per interruption of a read.
PREEMPTION_COLUMNS = ("replication", "study_id", "preempted_at", "resumed_at")
#: Statistics :meth:`SimulationResult.by` and :func:`compare` report, each with a confidence interval.
STATISTICS = ("mean", "p50", "p90", "p95")


def _quantiles(x: pd.Series) -> dict[str, float]:
    v = x.dropna().to_numpy()
    if v.size == 0:
        return {"n": 0, "mean": np.nan, "p50": np.nan, "p90": np.nan, "p95": np.nan}
    p50, p90, p95 = np.percentile(v, [50, 90, 95])
    return {"n": int(v.size), "mean": float(v.mean()), "p50": float(p50), "p90": float(p90), "p95": float(p95)}


def mean_ci(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and a Student-t confidence interval across replications (NaN width for one)."""
    from scipy import stats

    v = np.asarray(values, float)
    v = v[~np.isnan(v)]
    if v.size == 0:
        return (np.nan, np.nan, np.nan)
    m = float(v.mean())
    if v.size < 2:
        return (m, np.nan, np.nan)
    half = float(stats.t.ppf(0.5 + level / 2, v.size - 1) * v.std(ddof=1) / np.sqrt(v.size))
    return (m, m - half, m + half)



def section_ci(whole: float, values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """A sectioning confidence interval for a statistic such as a percentile.

    The statistic of the whole run (``whole``) is the estimate; the spread of the same
    statistic over sections (replications or batches) *around* it gives the standard
    error: ``whole ± t(b−1) · sqrt(Σ(vᵢ − whole)² / (b − 1)) / sqrt(b)``. Unlike a
    t-interval around the mean of the sections' percentiles — which for skewed waits
    sits below the percentile of the pooled run, since a small section's p90 is
    biased — the interval always holds its own estimate (Nakayama, "Confidence
    intervals for quantiles using sectioning when applying variance-reduction
    techniques", ACM TOMACS 24(4), 2014; Asmussen & Glynn, Stochastic Simulation,
    2007, ch. III.5a).

    Parameters
    ----------
    whole : float
        The statistic over all sections pooled.
    values : numpy.ndarray
        The statistic per section.
    level : float
        Confidence level.

    Returns
    -------
    tuple of float
        ``(low, high)``; NaN with fewer than two sections.
    """
    from scipy import stats

    v = np.asarray(values, float)
    v = v[~np.isnan(v)]
    if v.size < 2 or not np.isfinite(whole):
        return (np.nan, np.nan)
    half = float(stats.t.ppf(0.5 + level / 2, v.size - 1) * np.sqrt(np.sum((v - whole) ** 2) / (v.size - 1))
                 / np.sqrt(v.size))
    return (whole - half, whole + half)


@dataclass
class SimulationResult:
    """What :func:`teleradlab.network.simulate` returns.

    Attributes
    ----------
    scenario : Scenario
    studies : pandas.DataFrame
        One row per study (columns in :data:`COLUMNS`); timestamps are
        timezone-aware UTC; minutes are floats (NaN while unfinished).
    radiologists : pandas.DataFrame
        Per replication and radiologist: centre, group, on-shift and busy minutes.
    links : pandas.DataFrame
        Per replication and link: busy minutes (data flowing) over the period.
    days, warmup_days : float
    meta : dict
        Seed, unread count and the arrival period in minutes.
    preemptions : pandas.DataFrame
        One row per interrupted read (columns in :data:`PREEMPTION_COLUMNS`).

    The study table's columns are explained in this module's docstring.
    """

    scenario: Scenario
    studies: pd.DataFrame
    radiologists: pd.DataFrame
    links: pd.DataFrame
    days: float
    warmup_days: float
    meta: dict[str, Any] = field(default_factory=dict)
    preemptions: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=PREEMPTION_COLUMNS))

    # ------------------------------------------------------------------ summaries
    def turnaround(self, by: str | list[str] | None = None) -> pd.DataFrame:
        """Turnaround (minutes) n/mean/p50/p90/p95, overall or grouped by columns."""
        df = self.studies
        if by is None:
            return pd.DataFrame([_quantiles(df["turnaround_minutes"])], index=["all"])
        rows = {k: _quantiles(g["turnaround_minutes"]) for k, g in df.groupby(by, observed=True)}
        return pd.DataFrame.from_dict(rows, orient="index")

    def sla_compliance(self) -> pd.DataFrame:
        """Share of reported studies within their priority's target, per priority (with CI across replications)."""
        rows = {}
        for p in PRIORITIES:
            sub = self.studies[self.studies["priority"] == p]
            if sub.empty:
                continue
            per_rep = sub.groupby("replication")["sla_met"].mean().to_numpy()
            m, lo, hi = mean_ci(per_rep)
            lo, hi = (max(lo, 0.0), min(hi, 1.0)) if not np.isnan(lo) else (lo, hi)
            rows[p] = {"target_minutes": self.scenario.sla_minutes[p], "n": len(sub), "compliance": m,
                       "ci_low": lo, "ci_high": hi}
        return pd.DataFrame.from_dict(rows, orient="index")

    def utilisation(self) -> pd.DataFrame:
        """Radiologist utilisation (busy ÷ on-shift minutes) per centre and group."""
        r = self.radiologists.groupby(["centre", "group"])[["busy_minutes", "shift_minutes"]].sum()
        r["utilisation"] = r["busy_minutes"] / r["shift_minutes"].where(r["shift_minutes"] > 0)
        return r

    def link_utilisation(self) -> pd.DataFrame:
        """Share of the period each link carried data."""
        period = self.meta["period_minutes"]
        if self.links.empty:
            return pd.DataFrame(columns=["busy_minutes", "utilisation"])
        out = self.links.groupby(["site", "centre"])["busy_minutes"].mean().to_frame()
        out["utilisation"] = out["busy_minutes"] / period
        return out

    def archive_utilisation(self) -> pd.DataFrame:
        """Load on each centre's archive link from the studies its workstations fetched.

        The simulator gives every fetch (``on_demand`` and ``streamed`` workstations) the
        archive link to itself. Fetches that overlap share it in reality, so the
        workstation times are optimistic once the link is loaded. This says by how much.
        Each fetch needs ``x`` = its study's bytes × 8 / link rate seconds of the link.
        ``utilisation`` is the period average, Σx / period. ``load`` is the load the
        fetches meet: the mean number of other fetches in progress (each taking ``x``
        from its opening) when a fetch starts — for Poisson openings the same ρ (PASTA),
        but it also sees the busy hours that the period average dilutes. ``slowdown`` =
        1 / (1 − load) is the mean stretch of a transfer sharing a link at that load (M/G/1
        processor sharing: a job of size x takes x / (1 − ρ) on average; Kleinrock,
        *Queueing Systems* vol. 2, 1976, §4.4), ``inf`` at load ≥ 1. Means over
        replications with 95% intervals. :func:`teleradlab.network.simulate` warns
        (:class:`ArchiveLoadWarning`) when the slowdown exceeds :data:`ARCHIVE_SLOWDOWN_WARN`.

        Returns
        -------
        pandas.DataFrame
            Indexed by centre (only those whose workstation fetches from an archive):
            ``policy``, ``bandwidth_mbps``, ``studies`` (fetched per replication),
            ``utilisation``, ``load``, ``load_low``, ``load_high``, ``slowdown``.
        """
        cols = ["policy", "bandwidth_mbps", "studies", "utilisation", "load", "load_low", "load_high", "slowdown"]
        period_s = float(self.meta.get("period_minutes") or 0.0) * 60.0
        reps = sorted(self.studies["replication"].unique()) if not self.studies.empty else [0]
        opened = self.studies[self.studies["first_start"].notna()]
        rows = {}
        for c in self.scenario.centres:
            archive = c.workstation.archive
            if archive is None or period_s <= 0:
                continue
            here = opened[opened["centre"] == c.name]
            util, load, count = [], [], []
            for rep in reps:
                one = here[here["replication"] == rep]
                x = one["bytes_sent"].to_numpy(float) * 8.0 / (archive.bandwidth_mbps * 1e6)  # seconds of link
                t = (one["first_start"] - one["first_start"].min()).dt.total_seconds().to_numpy()
                start, end = np.sort(t), np.sort(t + x)
                # fetches in progress when each one starts, itself excluded (ties: earlier openings first)
                in_progress = np.arange(start.size) - np.searchsorted(end, start, side="right")
                util.append(x.sum() / period_s)
                load.append(in_progress.mean() if start.size else 0.0)
                count.append(start.size)
            m, lo, hi = mean_ci(np.asarray(load))
            rows[c.name] = {"policy": c.workstation.policy, "bandwidth_mbps": archive.bandwidth_mbps,
                            "studies": float(np.mean(count)), "utilisation": float(np.mean(util)), "load": m,
                            "load_low": max(lo, 0.0) if np.isfinite(lo) else lo, "load_high": hi,
                            "slowdown": 1.0 / (1.0 - m) if m < 1 else np.inf}
        return pd.DataFrame.from_dict(rows, orient="index", columns=cols) if rows else pd.DataFrame(columns=cols)

    def backlog(self, freq_minutes: float = 60.0) -> pd.DataFrame:
        """Studies waiting in worklists over time, mean over replications.

        A study counts from the moment it is queued until a radiologist first opens it,
        and again from each preemption until its read resumes.
        """
        df = self.studies
        q = df["queued"].dropna()
        if q.empty:
            return pd.DataFrame(columns=["backlog"])
        start = df["acquired"].min().floor("h")
        end = df["end"].max() if df["end"].notna().any() else df["acquired"].max()
        grid = pd.date_range(start, end, freq=f"{int(freq_minutes)}min")
        g = grid.asi8
        pre = self.preemptions
        ins = np.sort(np.concatenate([df["queued"].dropna().astype("int64").to_numpy(),
                                      pre["preempted_at"].astype("int64").to_numpy()]))
        outs = np.sort(np.concatenate([df["first_start"].dropna().astype("int64").to_numpy(),
                                       pre["resumed_at"].dropna().astype("int64").to_numpy()]))
        n_rep = max(int(df["replication"].nunique()), 1)
        counts = (np.searchsorted(ins, g, side="right") - np.searchsorted(outs, g, side="right")) / n_rep
        return pd.DataFrame({"backlog": counts}, index=grid)

    def by(self, columns: str | list[str], metrics: tuple[str, ...] = ("wait_minutes", "turnaround_minutes"),
           *, level: float = 0.95, batches: int = 20) -> pd.DataFrame:
        """Mean and percentiles of waits and turnaround per group, each with a confidence interval.

        With several replications the interval is a Student-t interval over the
        replications' values; with one, over ``batches`` batch means (the run cut by
        acquisition time into equal spans; Law & Kelton, Simulation Modeling and
        Analysis, 3rd ed., 2000, ch. 9), which assumes the batches are long enough to be
        nearly independent. Percentiles take the pooled run's percentile as the
        estimate and the sections' spread around it (:func:`section_ci`), so an
        interval always holds its estimate.

        Parameters
        ----------
        columns : str or list of str
            Study-table columns to group by, e.g. ``["ai_flag", "diseased"]``.
        metrics : tuple of str
            Minute columns to summarise.
        level : float
            Confidence level.
        batches : int
            Number of batches when there is one replication.

        Returns
        -------
        pandas.DataFrame
            One row per group; columns ``(metric, statistic)`` with statistics
            ``n`` and, for each of :data:`STATISTICS`, the value and ``_low`` / ``_high``.
            ``attrs["method"]`` says how the intervals were made.

        Examples
        --------
        >>> res.by(["ai_flag", "diseased"])[("wait_minutes", "mean")]  # doctest: +SKIP
        """
        keys = [columns] if isinstance(columns, str) else list(columns)
        df = self.studies[self.studies["reported"]]
        unit, method = _units(df, batches)
        rows: dict[Any, dict] = {}
        for name, g in df.groupby(keys, observed=True):
            row: dict = {}
            for m in metrics:
                row[(m, "n")] = int(g[m].notna().sum())
                per = g.groupby(unit.loc[g.index], observed=True)[m]
                for stat in STATISTICS:
                    values = per.mean() if stat == "mean" else per.quantile(int(stat[1:]) / 100)
                    whole = g[m].mean() if stat == "mean" else g[m].quantile(int(stat[1:]) / 100)
                    if stat == "mean":
                        _, lo, hi = mean_ci(values.to_numpy(), level)
                    else:  # a percentile: sectioning, centred on the pooled run's percentile
                        lo, hi = section_ci(float(whole), values.to_numpy(), level)
                    row[(m, stat)], row[(m, f"{stat}_low")], row[(m, f"{stat}_high")] = float(whole), lo, hi
            rows[name if isinstance(name, tuple) and len(keys) > 1 else (name[0] if isinstance(name, tuple) else name)] = row
        out = pd.DataFrame.from_dict(rows, orient="index")
        if len(keys) > 1 and not out.empty:
            out.index = pd.MultiIndex.from_tuples(out.index, names=keys)
        else:
            out.index.name = keys[0]
        out.columns = pd.MultiIndex.from_tuples(out.columns)
        out.attrs["method"] = method
        return out

    def summary(self) -> dict[str, Any]:
        """Everything at a glance: turnaround by priority, modality and site; SLA; utilisation; CIs.

        Returns
        -------
        dict
            JSON-serialisable: ``turnaround`` (overall and by priority, modality, site),
            ``turnaround_mean_ci`` (mean turnaround with a 95% CI across replications),
            ``sla``, ``radiologist_utilisation``, ``link_utilisation``,
            ``archive_utilisation`` (:meth:`archive_utilisation`), ``counts``
            (acquired, reported, unread, in system at the end), ``max_backlog`` and, when
            the scenario has an AI, ``ai_triage``: mean wait and turnaround with 95% CIs
            per AI, flag and disease status (see :meth:`by`).
        """
        df = self.studies
        per_rep = df.groupby("replication")["turnaround_minutes"].mean().to_numpy()
        m, lo, hi = mean_ci(per_rep)

        def table(frame: pd.DataFrame) -> dict:
            return {str(k): {c: (None if pd.isna(v) else v) for c, v in row.items()} for k, row in frame.iterrows()}

        util = self.utilisation()
        backlog = self.backlog()
        return {
            "scenario": self.scenario.name,
            "days": self.days, "warmup_days": self.warmup_days, "replications": int(df["replication"].nunique()),
            "counts": {
                "acquired": int(len(df)), "reported": int(df["reported"].sum()),
                "unread": int(self.meta.get("unread", 0)),
                "in_system_at_end": int((~df["reported"]).sum() - self.meta.get("unread", 0)),
            },
            "turnaround": {
                "all": table(self.turnaround())["all"], "by_priority": table(self.turnaround("priority")),
                "by_modality": table(self.turnaround("modality")), "by_site": table(self.turnaround("site")),
            },
            "turnaround_mean_ci": {"mean": m, "ci_low": lo, "ci_high": hi},
            "sla": table(self.sla_compliance()),
            "radiologist_utilisation": {f"{c}/{g}": float(v) for (c, g), v in util["utilisation"].items()},
            "link_utilisation": {f"{s}->{c}": float(v) for (s, c), v in self.link_utilisation()["utilisation"].items()},
            "archive_utilisation": table(self.archive_utilisation()),
            "max_backlog": float(backlog["backlog"].max()) if not backlog.empty else 0.0,
            **({"ai_triage": self._ai_summary()} if self.scenario.ai_triage and df["reported"].any() else {}),
        }

    def _ai_summary(self) -> dict[str, Any]:
        """Mean wait and turnaround with CIs per (AI, flag, disease status), JSON-serialisable."""
        t = self.by(["ai", "ai_flag", "diseased"])
        out: dict[str, Any] = {"method": t.attrs["method"]}
        for (ai, flag, dis), row in t.iterrows():
            key = f"{ai or 'no AI'}/{'flagged' if flag else 'not flagged'}/{'diseased' if dis else 'not diseased'}"
            out[key] = {f"{m}_{stat}": (None if pd.isna(row[(m, stat)]) else float(row[(m, stat)]))
                        for m in ("wait_minutes", "turnaround_minutes") for stat in ("mean", "mean_low", "mean_high")}
            out[key]["n"] = int(row[("wait_minutes", "n")])
        return out


def _units(df: pd.DataFrame, batches: int) -> tuple[pd.Series, str]:
    """What a confidence interval averages over: replications, or batches of one replication."""
    n_rep = int(df["replication"].nunique())
    if n_rep >= 2:
        return df["replication"], f"Student-t over {n_rep} replications"
    if batches < 2:
        raise SimulationError("need at least 2 batches for batch means", where="batches")
    t = df["acquired"].astype("int64").to_numpy()
    if t.size == 0:
        return pd.Series(np.zeros(0, int), index=df.index), "no studies"
    edges = np.linspace(t.min(), t.max(), batches + 1)
    b = np.clip(np.searchsorted(edges, t, side="right") - 1, 0, batches - 1)
    return pd.Series(b, index=df.index), f"batch means: {batches} batches of one replication"


def compare(a: SimulationResult, b: SimulationResult, by: str | list[str] | None = None,
            metrics: tuple[str, ...] = ("wait_minutes", "turnaround_minutes"), *, level: float = 0.95,
            batches: int = 20) -> pd.DataFrame:
    """Paired differences ``b − a`` under common random numbers, with confidence intervals.

    ``a`` and ``b`` must come from the same seed, replications and days, so that they
    hold the same studies (the workload does not depend on the AI, the worklist or
    the staffing: see :mod:`teleradlab.network.workload`); each study's times in
    ``b`` are paired with its times in ``a``. Groups are taken from ``a`` (e.g. its
    ``ai_flag``); intervals are Student-t over replications, or over batch means of
    one replication (see :meth:`SimulationResult.by`). Only studies reported in both
    runs are paired.

    Parameters
    ----------
    a, b : SimulationResult
        The baseline and the alternative.
    by : str or list of str, optional
        Columns of ``a``'s study table to group by (default: all studies together).
    metrics : tuple of str
        Minute columns to compare.
    level : float
        Confidence level.
    batches : int
        Number of batches when there is one replication.

    Returns
    -------
    pandas.DataFrame
        One row per group; columns ``(metric, statistic)``: ``n``, ``a``, ``b`` (means),
        ``diff`` (mean of b − a), ``diff_low``, ``diff_high``, and the same for the 90th
        percentile (``p90_diff``...). ``attrs["method"]`` says how.

    Raises
    ------
    SimulationError
        When the two runs do not hold the same studies.
    """
    sa, sb = a.studies, b.studies
    if (a.meta.get("seed") != b.meta.get("seed") or a.days != b.days or a.warmup_days != b.warmup_days
            or len(sa) != len(sb) or not np.array_equal(sa["study_id"].to_numpy(), sb["study_id"].to_numpy())
            or not sa["acquired"].equals(sb["acquired"])):
        raise SimulationError("the two runs do not hold the same studies: simulate both with the same seed, days, "
                              "warmup_days and replications (and the same sites' workloads)", where="compare")
    keys = [] if by is None else ([by] if isinstance(by, str) else list(by))
    both = (sa["reported"] & sb["reported"]).to_numpy()
    df = sa.loc[both, ["replication", "acquired", *keys]].copy()
    for m in metrics:
        df[(m, "a")] = sa.loc[both, m].to_numpy()
        df[(m, "b")] = sb.loc[both, m].to_numpy()
    unit, method = _units(df, batches)
    groups = df.groupby(keys, observed=True) if keys else [("all", df)]
    rows: dict[Any, dict] = {}
    for name, g in groups:
        row: dict = {}
        u = unit.loc[g.index]
        for m in metrics:
            va, vb = g[(m, "a")], g[(m, "b")]
            row[(m, "n")] = int(len(g))
            row[(m, "a")], row[(m, "b")] = float(va.mean()), float(vb.mean())
            d = (vb - va).groupby(u, observed=True).mean().to_numpy()
            _, lo, hi = mean_ci(d, level)
            row[(m, "diff")], row[(m, "diff_low")], row[(m, "diff_high")] = float((vb - va).mean()), lo, hi
            pa, pb = va.groupby(u, observed=True).quantile(0.9), vb.groupby(u, observed=True).quantile(0.9)
            row[(m, "p90_diff")] = float(vb.quantile(0.9) - va.quantile(0.9))
            lo, hi = section_ci(row[(m, "p90_diff")], (pb - pa).to_numpy(), level)
            row[(m, "p90_diff_low")], row[(m, "p90_diff_high")] = lo, hi
        rows[name if not isinstance(name, tuple) or len(keys) > 1 else name[0]] = row
    out = pd.DataFrame.from_dict(rows, orient="index")
    if len(keys) > 1 and not out.empty:
        out.index = pd.MultiIndex.from_tuples(out.index, names=keys)
    out.columns = pd.MultiIndex.from_tuples(out.columns)
    out.attrs["method"] = method + "; paired (common random numbers)"
    return out
