"""Sweep figures label their axes in words with units, not with raw keys."""

from __future__ import annotations

import matplotlib
import pandas as pd
import pytest

from teleradlab.sweep.plot import axis_label, plot

matplotlib.use("Agg")


@pytest.mark.parametrize(("key", "label"), [
    ("links.rural-clinic.bandwidth_mbps", "rural-clinic link bandwidth (Mbit/s)"),
    ("centres.hub.radiologists.night.count", "hub night radiologists (count)"),
    ("compression.CT.ratio", "CT compression ratio (x:1)"),
    ("turnaround_p90", "turnaround, 90th percentile (min)"),
    ("turnaround_mean", "mean turnaround (min)"),
    ("sla_stat", "stat studies within their SLA target (share)"),
    ("something_else", "something_else"),
])
def test_known_keys_get_words_and_units(key, label) -> None:
    assert axis_label(key) == label


def test_plot_uses_labels_and_overrides() -> None:
    import matplotlib.pyplot as plt

    rows = [{"links.a.bandwidth_mbps": bw, "centres.h.radiologists.n.count": n, "replication": r,
             "turnaround_p90": 100 / bw + 10 / n + r, "status": "ok"}
            for bw in (0.5, 2, 10) for n in (1, 2) for r in range(3)]
    df = pd.DataFrame(rows)
    fig = plot(df, x="links.a.bandwidth_mbps", y="turnaround_p90", hue="centres.h.radiologists.n.count")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "a link bandwidth (Mbit/s)"
    assert ax.get_ylabel() == "turnaround, 90th percentile (min)"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["h n radiologists (count) = 1",
                                                                   "h n radiologists (count) = 2"]
    plt.close(fig)
    fig = plot(df, x="links.a.bandwidth_mbps", y="turnaround_p90", hue="centres.h.radiologists.n.count",
               kind="heatmap", labels={"turnaround_p90": "p90 (minutes)"})
    assert fig.axes[1].get_ylabel() == "p90 (minutes)"  # the colour bar
    plt.close(fig)
