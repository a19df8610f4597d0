"""The network dashboard: staffing, bandwidth and compression sliders that redraw turnaround.

Each change re-runs :func:`teleradlab.network.simulate` on the scenario with
overrides (the same mechanism sweeps use) and redraws the turnaround distribution.
"""

from __future__ import annotations

import io
from typing import Any

from teleradlab.errors import ParameterError


class NetworkDashboard:
    """Sliders for radiologists, link bandwidth and compression ratio over one scenario.

    Parameters
    ----------
    scenario : str, path or dict
        Scenario to explore (raw form, so overrides can be applied).
    group : str
        ``"<centre>.<group>"`` whose head-count the radiologists slider sets.
    link : str
        Site name whose link bandwidth the bandwidth slider sets.
    modality : str
        Modality whose compression ratio the ratio slider sets.
    days, seed : int
        Simulated days per redraw and the seed (fixed, so only the sliders change results).
    """

    def __init__(self, scenario: Any, *, group: str, link: str, modality: str = "CT", days: int = 7,
                 seed: int = 1) -> None:
        import ipywidgets as w

        from teleradlab.network.scenario import load_scenario

        self.raw = _raw(scenario)
        self.days, self.seed = days, seed
        base = load_scenario(self.raw)
        centre_name, _, group_name = group.partition(".")
        try:
            g = next(x for x in base.centre(centre_name).groups if x.name == group_name)
        except StopIteration:
            raise ParameterError(f"no group {group!r}; use '<centre>.<group>'", where="group") from None
        lk = next((x for x in base.links if x.site == link), None)
        if lk is None:
            raise ParameterError(f"no link from site {link!r}", where="link")
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
        self.ratio = w.FloatSlider(value=ratio0, min=1, max=40, step=1, description=f"{modality} ratio",
                                   style=style, continuous_update=False)
        self.image = w.Image(format="png")
        self.image.add_class("teleradlab-dashboard-image")
        self.readout = w.HTML()
        self.readout.add_class("teleradlab-readout")
        for s in (self.staff, self.bandwidth, self.ratio):
            s.observe(lambda _: self.redraw(), names="value")
        self.widget = w.VBox([w.HBox([self.staff, self.bandwidth, self.ratio]), self.image, self.readout])
        self.result = None
        self.redraw()

    def overrides(self) -> dict[str, Any]:
        """The overrides the sliders stand for."""
        return {self.keys["staff"]: int(self.staff.value), self.keys["bandwidth"]: float(self.bandwidth.value),
                self.keys["ratio"]: float(self.ratio.value),
                self.keys["syntax"]: "jpeg2000" if self.ratio.value > 1 else "none"}

    def redraw(self) -> None:
        """Simulate with the current settings and redraw."""
        import matplotlib.pyplot as plt

        from teleradlab.network import load_scenario, simulate

        sc = load_scenario(self.raw, overrides=self.overrides())
        self.result = simulate(sc, days=self.days, seed=self.seed, show_progress=False)
        fig = self.figure()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=80, bbox_inches="tight")
        plt.close(fig)
        self.image.value = buf.getvalue()
        s = self.result.summary()
        t = s["turnaround"]["all"]
        sla = ", ".join(f"{p} {v['compliance']:.0%}" for p, v in s["sla"].items())
        self.readout.value = (f"<b>mean turnaround {t['mean']:.1f} min</b>, p90 {t['p90']:.1f} min; "
                              f"SLA met: {sla}; {s['counts']['acquired']} studies in {self.days} days")

    def figure(self) -> Any:
        """The turnaround CDF of the current result."""
        from teleradlab.network.plots import turnaround_cdf

        return turnaround_cdf(self.result)

    def _ipython_display_(self) -> None:
        from teleradlab.widgets.static import show

        show(self.widget, self.figure)


def _raw(scenario: Any) -> dict:
    import yaml

    if isinstance(scenario, dict):
        return scenario
    from pathlib import Path

    return yaml.safe_load(Path(scenario).read_text())


def network_dashboard(scenario: Any, **kwargs: Any) -> NetworkDashboard:
    """Build a :class:`NetworkDashboard` (display it to use it)."""
    return NetworkDashboard(scenario, **kwargs)
