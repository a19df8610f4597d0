"""The network dashboard without a browser: sliders become scenario overrides and re-simulate."""

from __future__ import annotations

import io

import matplotlib
import numpy as np
import pytest

from teleradlab.errors import ParameterError
from teleradlab.widgets.network_dashboard import network_dashboard

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def dash():
    return network_dashboard("two_hospitals_one_hub", group="hub.night", link="rural-clinic", modality="CT",
                             days=2, replications=2)


def _png_width(data: bytes) -> int:
    from PIL import Image

    return Image.open(io.BytesIO(data)).size[0]


def test_readouts_per_site_and_modality_with_intervals(dash) -> None:
    t = dash.table(["site", "modality"])
    df = dash.result.studies
    for (site, mod), row in t.iterrows():
        g = df[(df.site == site) & (df.modality == mod)]
        per_rep = g.groupby("replication")["turnaround_minutes"].mean()
        assert row.turnaround_mean == pytest.approx(per_rep.mean())
        assert row.ci_low < row.turnaround_mean < row.ci_high
        assert row.turnaround_p90 == pytest.approx(np.nanpercentile(g["turnaround_minutes"], 90))
        assert row.sla_share == pytest.approx(g.groupby("replication")["sla_met"].mean().mean())
    assert set(dash.table("site").index) == {"city-hospital", "rural-clinic"}
    assert set(dash.table("modality").index) == {"CT", "CR"}
    for words in ("by site and modality", "by site", "by modality", "within SLA", "95% CI"):
        assert words in dash.readout.value
    assert dash.acted_on() == {"link": [("rural-clinic", "CR")], "ratio": [("city-hospital", "CT")]}


def test_link_and_ratio_sliders_change_the_rows_they_act_on(dash) -> None:
    before = dash.table(["site", "modality"])
    dash.bandwidth.value = 0.5  # a twentieth of the rural link
    slow = dash.table(["site", "modality"])
    assert slow.loc[("rural-clinic", "CR"), "transfer_mean"] > 5 * before.loc[("rural-clinic", "CR"), "transfer_mean"]
    assert slow.loc[("city-hospital", "CT"), "transfer_mean"] == before.loc[("city-hospital", "CT"), "transfer_mean"]
    dash.ratio.value = 1  # CT sent uncompressed
    raw = dash.table(["site", "modality"])
    assert raw.loc[("city-hospital", "CT"), "transfer_mean"] > slow.loc[("city-hospital", "CT"), "transfer_mean"]
    # city-hospital's CR shares the link with its CT, so it waits a little longer behind bigger CT studies
    assert raw.loc[("city-hospital", "CR"), "transfer_mean"] == pytest.approx(
        slow.loc[("city-hospital", "CR"), "transfer_mean"], rel=0.01)
    assert dash.overrides()["compression.CT.syntax"] == "none"


def test_staffing_slider_resimulates(dash) -> None:
    before = dash.result.studies["turnaround_minutes"].mean()
    png = dash.image.value
    dash.staff.value = 4  # four night radiologists: nights stop queueing
    assert dash.overrides()["centres.hub.radiologists.night.count"] == 4
    assert dash.result.studies["turnaround_minutes"].mean() < before
    assert dash.image.value != png and "mean turnaround" in dash.readout.value


def test_figure_is_rendered_at_the_screens_pixel_ratio(dash) -> None:
    css_width = dash.image.width
    assert _png_width(dash.image.value) == pytest.approx(css_width, abs=1)
    dash.image.dpr = 2.0
    assert dash.image.width == css_width
    assert _png_width(dash.image.value) == pytest.approx(2 * css_width, abs=1)
    assert len(dash.figure().axes) == 2


def test_unknown_group_link_or_modality() -> None:
    with pytest.raises(ParameterError, match="no group 'hub.weekend'"):
        network_dashboard("two_hospitals_one_hub", group="hub.weekend", link="rural-clinic")
    with pytest.raises(ParameterError, match="no link from site 'nowhere'"):
        network_dashboard("two_hospitals_one_hub", group="hub.night", link="nowhere")
    with pytest.raises(ParameterError, match="no site sends 'MG'"):
        network_dashboard("two_hospitals_one_hub", group="hub.night", link="rural-clinic", modality="MG")
