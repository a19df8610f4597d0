"""The network dashboard without a browser: sliders become scenario overrides and re-simulate."""

from __future__ import annotations

import matplotlib
import pytest

from teleradlab.errors import ParameterError
from teleradlab.widgets.network_dashboard import network_dashboard

matplotlib.use("Agg")


@pytest.fixture
def scenario(repo_root):
    return repo_root / "datasets" / "scenarios" / "two_hospitals_one_hub.yaml"


def test_sliders_override_and_resimulate(scenario) -> None:
    dash = network_dashboard(scenario, group="hub.night", link="rural-clinic", modality="CR", days=3)
    before = dash.result.studies["turnaround_minutes"].mean()
    assert dash.overrides()["centres.hub.radiologists.night.count"] == 1
    png = dash.image.value
    dash.staff.value = 4  # four night radiologists: nights stop queueing
    assert dash.overrides()["centres.hub.radiologists.night.count"] == 4
    assert dash.result.studies["turnaround_minutes"].mean() < before
    assert dash.image.value != png and "mean turnaround" in dash.readout.value
    slow = dash.result.studies.query("site == 'rural-clinic'")["transfer_minutes"].mean()
    dash.bandwidth.value = 1.0  # a tenth of the rural link
    assert dash.result.studies.query("site == 'rural-clinic'")["transfer_minutes"].mean() > 5 * slow
    assert dash.figure().axes


def test_unknown_group_or_link(scenario) -> None:
    with pytest.raises(ParameterError, match="no group 'hub.weekend'"):
        network_dashboard(scenario, group="hub.weekend", link="rural-clinic")
    with pytest.raises(ParameterError, match="no link from site 'nowhere'"):
        network_dashboard(scenario, group="hub.night", link="nowhere")
