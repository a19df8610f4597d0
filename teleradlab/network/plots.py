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
    df = res.studies.dropna(subset=["first_start", "end"])  # a preempted read is drawn from its first start
    hours = np.arange(24)
    n_days = max(res.days, 1) * max(int(df["replication"].nunique()), 1)
    for centre, g in df.groupby("centre", observed=True):
        busy = np.zeros(24)
        start_h = (g["first_start"].dt.hour + g["first_start"].dt.minute / 60).to_numpy()
        dur_h = (g["reading_minutes"] + g["workstation_minutes"]).to_numpy() / 60  # busy: reading and waiting on it
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
    """Sites (circles, sized by volume) and centres (squares) from lat/lon, links drawn by bandwidth.

    Labels are placed where they overlap neither each other nor the markers (sites
    and centres often share a town), and the map keeps its proportions: one degree
    of longitude is drawn cos(latitude) as wide as one of latitude.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 4.6))
    pos = {s.name: s.location for s in scenario.sites} | {c.name: c.location for c in scenario.centres}
    labels: list[tuple[float, float, str, dict]] = []
    for lk in scenario.links:
        (a_lat, a_lon), (b_lat, b_lon) = pos[lk.site], pos[lk.centre]
        bw = lk.bandwidth_mbps
        width = 0.6 + (2.5 if np.isinf(bw) else min(np.log10(max(bw, 0.1)) + 1, 4))
        ax.plot([a_lon, b_lon], [a_lat, b_lat], color="tab:gray", lw=width, alpha=0.6, zorder=1)
        if (a_lat, a_lon) != (b_lat, b_lon):  # a link within one town has no length to label
            along = [(a_lon + f * (b_lon - a_lon), a_lat + f * (b_lat - a_lat)) for f in (0.4, 0.25, 0.55, 0.7)]
            labels.append((along[0][0], along[0][1], "LAN" if np.isinf(bw) else f"{bw:g} Mbit/s",
                           {"fontsize": 7, "color": "dimgray", "_anchors": along}))
    places: dict[tuple[float, float], list[tuple[str, str]]] = {}
    for s in scenario.sites:
        vol = sum(m.studies_per_day for m in s.modalities.values())
        ax.scatter(s.location[1], s.location[0], s=30 + 3 * np.sqrt(vol) * 4, color="tab:blue", zorder=2)
        lat, lon = s.location
        places.setdefault((lat, lon), []).append((f"{s.name} ({vol:g}/day)", "black"))
    for c in scenario.centres:
        staff = sum(g.count for g in c.groups)
        ax.scatter(c.location[1], c.location[0], marker="s", s=60 + 20 * staff, color="tab:red", zorder=3)
        lat, lon = c.location
        places.setdefault((lat, lon), []).append((f"{c.name} ({staff} rad.)", "tab:red"))
    for (lat, lon), names in places.items():  # one label per place: sites and centres often share a town
        colour = names[0][1] if len({c for _, c in names}) == 1 else "black"
        labels.insert(0, (lon, lat, "\n".join(n for n, _ in names), {"fontsize": 8, "color": colour}))
    lats = [lat for lat, _ in pos.values()]
    ax.set_aspect(1 / max(np.cos(np.radians(np.mean(lats))), 0.1), adjustable="datalim")
    ax.margins(0.25)
    ax.autoscale_view()
    ax.apply_aspect()  # fix the final limits now: labels are placed in screen coordinates
    _place_labels(ax, labels)
    from matplotlib.lines import Line2D

    ax.legend(handles=[
        Line2D([], [], marker="o", ls="", color="tab:blue", label="site (area: studies/day)"),
        Line2D([], [], marker="s", ls="", color="tab:red", label="reading centre (size: radiologists)"),
        Line2D([], [], color="tab:gray", lw=2.5, label="link (width: log Mbit/s)")], fontsize=7, loc="best")
    ax.set_xlabel("longitude (degrees east)")
    ax.set_ylabel("latitude (degrees north)")
    ax.set_title(f"{scenario.name}: sites, reading centres and links", fontsize=10)
    ax.grid(alpha=0.3)
    return ax.figure


#: Label offsets tried in turn (points), with the alignment that keeps the text off its point.
_LABEL_SPOTS = tuple((sx * r, sy * r, ha, va) for r in (7, 16, 28)
                     for sx, sy, ha, va in ((1, 1, "left", "bottom"), (1, -1, "left", "top"),
                                            (-1, 1, "right", "bottom"), (-1, -1, "right", "top"),
                                            (0, 1.3, "center", "bottom"), (0, -1.3, "center", "top"),
                                            (1.3, 0, "left", "center"), (-1.3, 0, "right", "center")))


def _place_labels(ax: Any, labels: list[tuple[float, float, str, dict]]) -> None:
    """Annotate each (x, y, text, style) at the first spot that overlaps no earlier label or marker.

    ``style["_anchors"]`` may list other points the label can be tied to. When every
    spot overlaps something, the one overlapping least (in area) is used.
    """
    from matplotlib.transforms import Bbox

    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    taken = [Bbox.from_extents(px - 5, py - 5, px + 5, py + 5)
             for px, py in ax.transData.transform([(x, y) for x, y, _, _ in labels])]

    def overlap(a: Any, b: Any) -> float:
        w = min(a.x1, b.x1) - max(a.x0, b.x0)
        h = min(a.y1, b.y1) - max(a.y0, b.y0)
        return w * h if w > 0 and h > 0 else 0.0

    for x, y, text, style in labels:
        style = dict(style)
        anchors = style.pop("_anchors", [(x, y)])  # other points the label may be tied to (along a link)
        best: tuple[float, Any, Any] | None = None  # (cost, annotation, its box)
        for (ax_x, ax_y), (dx, dy, ha, va) in ((a, s) for s in _LABEL_SPOTS for a in anchors):
            ann = ax.annotate(text, (ax_x, ax_y), xytext=(dx, dy), textcoords="offset points", ha=ha, va=va,
                              **style)
            box = ann.get_window_extent(renderer)
            outside = box.width * box.height - overlap(box, frame)
            cost = sum(overlap(box, t) for t in taken) + outside
            if best is None or cost < best[0]:
                if best is not None:
                    best[1].remove()
                best = (cost, ann, box)
            else:
                ann.remove()
            if cost == 0:
                break
        assert best is not None  # every label has at least one anchor and _LABEL_SPOTS is not empty
        taken.append(best[2])


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
