"""The network dashboard: staffing, bandwidth and compression sliders that re-simulate a scenario.

Each change re-runs :func:`teleradlab.network.simulate` on the scenario with
overrides (the same mechanism sweeps use) and shows, per site and per modality,
mean turnaround (with its 95% interval across replications), the 90th percentile
and the share of studies within their SLA target. A network-wide mean hides what
a link or a compression ratio does, because each acts only on the studies that
cross that link or use that modality: the dashboard therefore names those studies,
highlights their rows and plots their transfer times, where the effect shows.
The figure is rendered at the screen's device-pixel ratio, so it stays crisp.
"""

from __future__ import annotations

import html
import io
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from teleradlab.errors import ParameterError

if TYPE_CHECKING:
    from teleradlab.network.results import SimulationResult

_CSS_DPI = 96  # CSS pixels per inch


class NetworkDashboard:
    """Sliders for radiologists, link bandwidth and compression ratio over one scenario.

    Parameters
    ----------
    scenario : str, path or dict
        Scenario to explore: a file, a bundled scenario's name, or the raw mapping.
    group : str
        ``"<centre>.<group>"`` whose head-count the radiologists slider sets.
    link : str
        Site name whose link bandwidth the bandwidth slider sets.
    modality : str
        Modality whose compression ratio the ratio slider sets.
    days, seed : int
        Simulated days per redraw and the seed (fixed, so only the sliders change results).
    replications : int
        Independent replications per redraw; the intervals shown are across them.
    """

    def __init__(self, scenario: Any, *, group: str, link: str, modality: str = "CT", days: int = 7,
                 seed: int = 1, replications: int = 3) -> None:
        import ipywidgets as w

        from teleradlab.network.scenario import load_scenario
        from teleradlab.widgets.clickable import ClickImage

        self.raw = _raw(scenario)
        self.days, self.seed, self.replications = days, seed, int(replications)
        if self.replications < 2:
            raise ParameterError("at least 2 replications are needed for an interval", where="replications")
        base = load_scenario(self.raw)
        centre_name, _, group_name = group.partition(".")
        try:
            g = next(x for x in base.centre(centre_name).groups if x.name == group_name)
        except StopIteration:
            raise ParameterError(f"no group {group!r}; use '<centre>.<group>'", where="group") from None
        lk = next((x for x in base.links if x.site == link), None)
        if lk is None:
            raise ParameterError(f"no link from site {link!r}", where="link")
        if not any(modality in s.modalities for s in base.sites):
            raise ParameterError(f"no site sends {modality!r} studies", where="modality")
        self.link, self.modality, self.group = link, modality, group
        self.keys = {"staff": f"centres.{centre_name}.radiologists.{group_name}.count",
                     "bandwidth": f"links.{link}.bandwidth_mbps", "ratio": f"compression.{modality}.ratio",
                     "syntax": f"compression.{modality}.syntax"}
        ratio0 = base.compression.get(modality, ("jpeg2000", 1.0))[1]
        style = {"description_width": "140px"}
        self.staff = w.IntSlider(value=g.count, min=1, max=max(3 * g.count, 6), description=f"{group_name} staff",
                                 style=style, continuous_update=False)
        self.staff.add_class("teleradlab-staff")
        self.bandwidth = w.FloatLogSlider(value=lk.bandwidth_mbps, base=10, min=-1, max=3, step=0.1,
                                          description=f"{link} Mbit/s", style=style, continuous_update=False)
        self.bandwidth.add_class("teleradlab-bandwidth")
        self.ratio = w.FloatSlider(value=ratio0, min=1, max=40, step=1, description=f"{modality} ratio",
                                   style=style, continuous_update=False)
        self.ratio.add_class("teleradlab-ratio")
        self.image = ClickImage(css_class="teleradlab-dashboard-image", alt="network dashboard figure")
        self.image.observe(lambda _: self._draw_figure(), names="dpr")
        self.readout = w.HTML()
        self.readout.add_class("teleradlab-readout")
        for s in (self.staff, self.bandwidth, self.ratio):
            s.observe(lambda _: self.redraw(), names="value")
        self.widget = w.VBox([w.HBox([self.staff, self.bandwidth, self.ratio]), self.image, self.readout])
        self.result: SimulationResult | None = None
        self.redraw()

    def overrides(self) -> dict[str, Any]:
        """The overrides the sliders stand for."""
        return {self.keys["staff"]: int(self.staff.value), self.keys["bandwidth"]: float(self.bandwidth.value),
                self.keys["ratio"]: float(self.ratio.value),
                self.keys["syntax"]: "jpeg2000" if self.ratio.value > 1 else "none"}

    def acted_on(self) -> dict[str, list[tuple[str, str]]]:
        """Which (site, modality) groups each slider acts on directly.

        Returns
        -------
        dict
            ``"link"``: the studies crossing the chosen site's link (every modality it
            sends); ``"ratio"``: the studies of the chosen modality (every site sending
            it). Staffing acts on every study its group may read.
        """
        assert self.result is not None  # __init__ simulates (redraw) before anything reads the result
        sc = self.result.scenario
        site = next(s for s in sc.sites if s.name == self.link)
        return {"link": [(self.link, m) for m in site.modalities],
                "ratio": [(s.name, self.modality) for s in sc.sites if self.modality in s.modalities]}

    def table(self, by: str | list[str]) -> pd.DataFrame:
        """Per-group readout: n, mean transfer, mean turnaround with 95% CI, p90 and SLA share with 95% CI.

        Parameters
        ----------
        by : str or list of str
            ``"site"``, ``"modality"`` or ``["site", "modality"]``.

        Returns
        -------
        DataFrame
            Minutes for times; SLA share is the fraction of reported studies within
            their priority's target. Intervals are Student-t across replications.
        """
        from teleradlab.network.results import mean_ci

        assert self.result is not None  # __init__ simulates (redraw) before anything reads the result
        df = self.result.studies
        rows = {}
        for key, g in df.groupby(by, observed=True):
            per_rep = g.groupby("replication")
            m, lo, hi = mean_ci(per_rep["turnaround_minutes"].mean().to_numpy())
            s, s_lo, s_hi = mean_ci(per_rep["sla_met"].mean().to_numpy())
            rows[key] = {"n": len(g), "transfer_mean": g["transfer_minutes"].mean(),
                         "turnaround_mean": m, "ci_low": lo, "ci_high": hi,
                         "turnaround_p90": g["turnaround_minutes"].quantile(0.9),
                         "sla_share": s, "sla_ci_low": max(s_lo, 0.0), "sla_ci_high": min(s_hi, 1.0)}
        out = pd.DataFrame.from_dict(rows, orient="index")
        if isinstance(by, list):
            out.index = pd.MultiIndex.from_tuples(out.index, names=by)
        else:
            out.index.name = by
        return out

    def redraw(self) -> None:
        """Simulate with the current settings, redraw the figure and the readout."""
        from teleradlab.network import load_scenario, simulate

        sc = load_scenario(self.raw, overrides=self.overrides())
        self.result = simulate(sc, days=self.days, seed=self.seed, replications=self.replications,
                               show_progress=False)
        self._draw_figure()
        self.readout.value = self._readout_html()

    def _draw_figure(self) -> None:
        import matplotlib.pyplot as plt

        if self.result is None:
            return
        fig = self.figure()
        dpr = min(max(float(self.image.dpr or 1.0), 1.0), 3.0)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=_CSS_DPI * dpr)  # no bbox cropping: the CSS size is the figure's
        w_in, h_in = fig.get_size_inches()
        plt.close(fig)
        with self.image.hold_sync():
            self.image.width, self.image.height = w_in * _CSS_DPI, h_in * _CSS_DPI
            self.image.value = buf.getvalue()

    def _readout_html(self) -> str:
        acted = self.acted_on()
        link_rows = set(acted["link"])
        ratio_rows = set(acted["ratio"])

        def fmt_table(t: pd.DataFrame, mark: Any) -> str:
            head = ("<tr><th></th><th>n</th><th>transfer mean (min)</th><th>turnaround mean (min) [95% CI]</th>"
                    "<th>p90 (min)</th><th>within SLA [95% CI]</th><th>slider acting</th></tr>")
            body = []
            for key, r in t.iterrows():
                label = " · ".join(key) if isinstance(key, tuple) else str(key)
                tags = mark(key)
                style = ' style="background:#fff3c4"' if tags else ""
                body.append(
                    f"<tr{style}><td>{html.escape(label)}</td><td>{int(r.n)}</td><td>{r.transfer_mean:.3g}</td>"
                    f"<td>{r.turnaround_mean:.1f} [{r.ci_low:.1f}, {r.ci_high:.1f}]</td><td>{r.turnaround_p90:.1f}</td>"
                    f"<td>{r.sla_share:.1%} [{r.sla_ci_low:.1%}, {r.sla_ci_high:.1%}]</td><td>{tags}</td></tr>")
            return f"<table class='teleradlab-dashboard-table'>{head}{''.join(body)}</table>"

        def mark_pair(key: tuple) -> str:
            return ", ".join(t for t, hit in (("link", key in link_rows), ("ratio", key in ratio_rows)) if hit)

        def mark_site(key: str) -> str:
            return "link" if key == self.link else ""

        def mark_modality(key: str) -> str:
            return "ratio" if key == self.modality else ""

        assert self.result is not None  # __init__ simulates (redraw) before anything reads the result
        s = self.result.summary()
        t = s["turnaround"]["all"]
        ci = s["turnaround_mean_ci"]
        head = (f"<b>mean turnaround {t['mean']:.1f} min</b> [95% CI {ci['ci_low']:.1f}, {ci['ci_high']:.1f}], "
                f"p90 {t['p90']:.1f} min; {s['counts']['acquired']} studies in {self.days} days x "
                f"{self.replications} replications.")
        where = (f"The <i>{html.escape(self.link)} link</i> slider acts on "
                 f"{', '.join(m for _, m in acted['link'])} from {html.escape(self.link)}; the "
                 f"<i>{html.escape(self.modality)} ratio</i> slider on {html.escape(self.modality)} from "
                 f"{', '.join(site for site, _ in acted['ratio'])} (highlighted). Their effect is in those rows' "
                 "transfer times; it reaches turnaround only where transfer is a sizeable part of it.")
        return (f"<div>{head}</div><div style='font-size:90%'>{where}</div>"
                f"<div style='display:flex;gap:1.5em;flex-wrap:wrap'>"
                f"<div><b>by site and modality</b>{fmt_table(self.table(['site', 'modality']), mark_pair)}</div>"
                f"<div><b>by site</b>{fmt_table(self.table('site'), mark_site)}"
                f"<b>by modality</b>{fmt_table(self.table('modality'), mark_modality)}</div></div>")

    def figure(self) -> Any:
        """Turnaround CDF by priority, and mean transfer time per site and modality with the slider-acted rows marked."""
        import matplotlib.pyplot as plt

        from teleradlab.network.plots import turnaround_cdf

        assert self.result is not None  # __init__ simulates (redraw) before anything reads the result
        fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8), gridspec_kw={"width_ratios": [1.3, 1]})
        turnaround_cdf(self.result, ax=left)
        left.set_title("turnaround by priority (dotted: SLA targets)", fontsize=10)
        acted = self.acted_on()
        per = self.result.studies.groupby(["site", "modality", "replication"], observed=True)["transfer_minutes"].mean()
        labels, means, errs, colours = [], [], [], []
        from teleradlab.network.results import mean_ci

        for (site, mod), g in per.groupby(level=[0, 1]):
            m, lo, hi = mean_ci(g.to_numpy())
            labels.append(f"{site} · {mod}")
            means.append(max(m, 1e-4))
            errs.append((max(m - lo, 0.0) if np.isfinite(lo) else 0.0, (hi - m) if np.isfinite(hi) else 0.0))
            hit = [t for t in ("link", "ratio") if (site, mod) in acted[t]]
            colours.append("tab:orange" if hit else "tab:gray")
        y = np.arange(len(labels))
        right.barh(y, means, xerr=np.array(errs).T if errs else None, color=colours, capsize=3)
        right.set_yticks(y, labels, fontsize=8)
        right.set_xscale("log")
        right.set_xlabel("mean transfer time per study (minutes, log; bars: 95% CI)")
        right.set_title(f"transfer: orange = rows the {self.link} link or {self.modality} ratio acts on", fontsize=9)
        right.grid(alpha=0.3, axis="x")
        fig.tight_layout()
        return fig

    def _ipython_display_(self) -> None:
        from teleradlab.widgets.static import show

        show(self.widget, self.figure)


def _raw(scenario: Any) -> dict:
    """The raw mapping of a scenario given as a mapping, a file or a bundled scenario's name."""
    if isinstance(scenario, dict):
        return scenario
    from teleradlab.network.scenario import load_scenario

    return load_scenario(scenario).raw


def network_dashboard(scenario: Any, **kwargs: Any) -> NetworkDashboard:
    """Build a :class:`NetworkDashboard` (display it to use it)."""
    return NetworkDashboard(scenario, **kwargs)
