"""Figures of a simulation: turnaround CDFs, backlog, utilisation by hour, and a map."""

from __future__ import annotations

from typing import Any

import numpy as np

from teleradlab.network.results import SimulationResult
from teleradlab.network.scenario import Scenario


def turnaround_cdf(res: SimulationResult, *, by: str = "priority", ax: Any = None, sla: bool = True) -> Any:
    """Empirical CDF of turnaround minutes per group (log x), with SLA targets marked."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 3.8))
    for name, g in res.studies.groupby(by, observed=True):
        v = np.sort(g["turnaround_minutes"].dropna().to_numpy())
        if v.size:
            line, = ax.step(np.maximum(v, 0.1), np.arange(1, v.size + 1) / v.size, where="post", label=f"{name} (n={v.size})")
            if sla and by == "priority":
                ax.axvline(res.scenario.sla_minutes[str(name)], color=line.get_color(), ls=":", lw=1)
    ax.set_xscale("log")
    ax.set_xlabel("turnaround, acquisition to report (minutes)")
    ax.set_ylabel("share of studies")
    ax.set_title(f"{res.scenario.name}: turnaround" + (" (dotted: SLA targets)" if sla and by == "priority" else ""))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return ax.figure


def backlog_plot(res: SimulationResult, *, ax: Any = None) -> Any:
    """Studies waiting in worklists over time."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3))
    b = res.backlog()
    ax.plot(b.index, b["backlog"], lw=1)
    ax.set_ylabel("studies waiting")
    ax.set_title("worklist backlog (hourly)")
    ax.grid(alpha=0.3)
    ax.figure.autofmt_xdate()
    return ax.figure


def utilisation_by_hour(res: SimulationResult, *, ax: Any = None) -> Any:
    """Reading activity by hour of day (UTC) per centre: mean radiologists busy."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3))
    df = res.studies.dropna(subset=["read_start", "read_end"])
    hours = np.arange(24)
    n_days = max(res.days, 1) * max(int(df["replication"].nunique()), 1)
    for centre, g in df.groupby("centre", observed=True):
        busy = np.zeros(24)
        start_h = (g["read_start"].dt.hour + g["read_start"].dt.minute / 60).to_numpy()
        dur_h = g["reading_minutes"].to_numpy() / 60
        for h0 in range(24):  # minutes of reading that fall in each clock hour (wrapping)
            seg = np.clip(np.minimum(start_h + dur_h, h0 + 1) - np.maximum(start_h, h0), 0, 1)
            seg += np.clip(np.minimum(start_h + dur_h - 24, h0 + 1) - np.maximum(start_h - 24, h0), 0, 1)
            busy[h0] = seg.sum()
        ax.plot(hours, busy / n_days, marker="o", ms=3, label=str(centre))
    ax.set_xticks(range(0, 24, 3))
    ax.set_xlabel("hour of day (UTC)")
    ax.set_ylabel("radiologists reading (mean)")
    ax.set_title("reading activity by hour")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return ax.figure


def network_map(scenario: Scenario, *, ax: Any = None, res: SimulationResult | None = None) -> Any:
    """Sites (circles, sized by volume) and centres (squares) from lat/lon, links drawn by bandwidth."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 4.6))
    pos = {s.name: s.location for s in scenario.sites} | {c.name: c.location for c in scenario.centres}
    for lk in scenario.links:
        (a_lat, a_lon), (b_lat, b_lon) = pos[lk.site], pos[lk.centre]
        bw = lk.bandwidth_mbps
        width = 0.6 + (2.5 if np.isinf(bw) else min(np.log10(max(bw, 0.1)) + 1, 4))
        ax.plot([a_lon, b_lon], [a_lat, b_lat], color="tab:gray", lw=width, alpha=0.6, zorder=1)
        ax.annotate("LAN" if np.isinf(bw) else f"{bw:g} Mbit/s", ((a_lon + b_lon) / 2, (a_lat + b_lat) / 2),
                    fontsize=7, color="dimgray")
    for s in scenario.sites:
        vol = sum(m.studies_per_day for m in s.modalities.values())
        ax.scatter(s.location[1], s.location[0], s=30 + 3 * np.sqrt(vol) * 4, color="tab:blue", zorder=2)
        ax.annotate(s.name, (s.location[1], s.location[0]), xytext=(4, 4), textcoords="offset points", fontsize=8)
    for c in scenario.centres:
        staff = sum(g.count for g in c.groups)
        ax.scatter(c.location[1], c.location[0], marker="s", s=60 + 20 * staff, color="tab:red", zorder=3)
        ax.annotate(f"{c.name} ({staff} rad.)", (c.location[1], c.location[0]), xytext=(4, -10),
                    textcoords="offset points", fontsize=8, color="tab:red")
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.set_title(f"{scenario.name}: sites (blue, by volume), centres (red), links")
    ax.grid(alpha=0.3)
    return ax.figure


def save_all(res: SimulationResult, folder: Any) -> list[Any]:
    """Write the four figures as PNGs into ``folder`` atomically; return their paths."""
    from pathlib import Path

    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from teleradlab.files import atomic_path

    out = []
    for name, fig in (("turnaround_cdf", turnaround_cdf(res)), ("backlog", backlog_plot(res)),
                      ("utilisation_by_hour", utilisation_by_hour(res)), ("map", network_map(res.scenario))):
        target = Path(folder) / f"{name}.png"
        with atomic_path(target) as tmp:
            fig.savefig(tmp, format="png", dpi=90, bbox_inches="tight")
        plt.close(fig)
        out.append(target)
    return out
