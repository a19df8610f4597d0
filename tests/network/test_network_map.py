"""The network map's labels stay apart and its axes carry units, for every bundled scenario."""

from __future__ import annotations

import matplotlib
import pytest

from teleradlab import datasets
from teleradlab.network import load_scenario
from teleradlab.network.plots import network_map

matplotlib.use("Agg")


@pytest.mark.parametrize("name", datasets.scenario_names())
def test_labels_do_not_overlap(name) -> None:
    import matplotlib.pyplot as plt

    fig = network_map(load_scenario(name))
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    boxes = [t.get_window_extent(renderer) for t in ax.texts]
    assert len(boxes) >= len({tuple(s.location) for s in load_scenario(name).sites})
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            w = min(a.x1, b.x1) - max(a.x0, b.x0)
            h = min(a.y1, b.y1) - max(a.y0, b.y0)
            assert not (w > 1 and h > 1), f"{name}: labels overlap"
    assert "degrees" in ax.get_xlabel() and "degrees" in ax.get_ylabel()
    plt.close(fig)
