"""Simulation results: one row per study, summaries with confidence intervals, resource use."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from teleradlab.network.defaults import PRIORITIES
from teleradlab.network.scenario import Scenario

#: Columns of :attr:`SimulationResult.studies`, in order.
COLUMNS = (
    "replication", "study_id", "site", "centre", "radiologist", "modality", "priority", "ai_flag", "diseased",
    "bytes_raw", "bytes_sent", "acquired", "transfer_start", "transfer_end", "queued", "read_start", "read_end",
    "transfer_minutes", "wait_minutes", "reading_minutes", "turnaround_minutes", "reported", "sla_met",
)


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
    """

    scenario: Scenario
    studies: pd.DataFrame
    radiologists: pd.DataFrame
    links: pd.DataFrame
    days: float
    warmup_days: float
    meta: dict[str, Any] = field(default_factory=dict)

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

    def backlog(self, freq_minutes: float = 60.0) -> pd.DataFrame:
        """Studies waiting in worklists (queued, not yet started) over time, per replication's mean."""
        df = self.studies
        q = df["queued"].dropna()
        if q.empty:
            return pd.DataFrame(columns=["backlog"])
        start = df["acquired"].min().floor("h")
        end = df["read_end"].max() if df["read_end"].notna().any() else df["acquired"].max()
        grid = pd.date_range(start, end, freq=f"{int(freq_minutes)}min")
        g = grid.asi8
        qa = np.sort(df["queued"].dropna().astype("int64").to_numpy())
        rs = np.sort(df["read_start"].dropna().astype("int64").to_numpy())
        n_rep = max(int(df["replication"].nunique()), 1)
        counts = (np.searchsorted(qa, g, side="right") - np.searchsorted(rs, g, side="right")) / n_rep
        return pd.DataFrame({"backlog": counts}, index=grid)

    def summary(self) -> dict[str, Any]:
        """Everything at a glance: turnaround by priority, modality and site; SLA; utilisation; CIs.

        Returns
        -------
        dict
            JSON-serialisable: ``turnaround`` (overall and by priority, modality, site),
            ``turnaround_mean_ci`` (mean turnaround with a 95% CI across replications),
            ``sla``, ``radiologist_utilisation``, ``link_utilisation``, ``counts``
            (acquired, reported, unread, in system at the end) and ``max_backlog``.
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
            "max_backlog": float(backlog["backlog"].max()) if not backlog.empty else 0.0,
        }
