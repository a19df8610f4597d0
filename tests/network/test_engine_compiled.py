"""The compiled engine against the plain-Python reference: identical results, event for event."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from teleradlab.errors import SimulationError
from teleradlab.network import engine, load_scenario
from teleradlab.network.engine import ENGINES
from teleradlab.network.scenario import ROUTING, WORKLISTS
from teleradlab.network.workload import generate

FIELDS = ("centre", "radiologist", "transfer_start", "transfer_end", "read_start", "read_end", "unread",
          "preemptions", "wait", "reading", "preempt_study", "preempt_at", "preempt_back", "workstation", "first_image",
          "loaded")


def raw(repo_root, name: str) -> dict:
    return yaml.safe_load((repo_root / "datasets" / "scenarios" / f"{name}.yaml").read_text())


def assert_same(sc, days: float = 6, seed: int = 3) -> engine.EngineResult:
    wl = generate(sc, days=days, seed=seed)
    assert len(wl) > 100
    ref = engine.run(sc, wl, days=days, engine="reference")
    out = engine.run(sc, wl, days=days, engine="compiled")
    for field in FIELDS:
        a, b = getattr(ref, field), getattr(out, field)
        assert a.dtype == b.dtype, field
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), field
    assert [r.busy_minutes for r in ref.radiologists] == [r.busy_minutes for r in out.radiologists]
    assert ref.link_busy == out.link_busy
    return out


@pytest.mark.parametrize("name", ["single_hospital_ed", "two_hospitals_one_hub", "europe_crossborder",
                                  "siberia_hub_spoke", "nighthawk_follow_the_sun"])
def test_bundled_scenarios_identical(repo_root, name) -> None:
    out = assert_same(load_scenario(raw(repo_root, name)))
    assert np.isfinite(out.read_end).mean() > 0.9


@pytest.mark.parametrize("routing", ROUTING)
@pytest.mark.parametrize("worklist", WORKLISTS)
def test_every_routing_and_worklist_identical(repo_root, routing, worklist) -> None:
    # several centres with different licences, time zones and subspecialties; AI triage on CT
    sc = raw(repo_root, "europe_crossborder")
    sc.update(routing=routing, worklist=worklist,
              ai_triage={"prevalence": 0.1, "sensitivity": 0.9, "specificity": 0.85, "modalities": ["CT"]})
    out = assert_same(load_scenario(sc), days=4)
    if worklist == "preemptive":
        assert out.preemptions.sum() > 0


def test_congested_links_with_outages_and_availability_identical(repo_root) -> None:
    # slow links shared by many transfers, a nightly satellite window and an outage
    sc = raw(repo_root, "siberia_hub_spoke")
    for link in sc["links"]:
        link["bandwidth_mbps"] = min(link["bandwidth_mbps"], 2)
    sc["links"][0]["availability"] = "06:00-22:00"
    sc["worklist"] = "preemptive"
    out = assert_same(load_scenario(sc), days=5)
    flight = out.transfer_end - out.transfer_start
    assert np.nanmax(flight) > 60  # the links really were congested


def test_unknown_engine_is_one_clear_error(repo_root) -> None:
    sc = load_scenario(raw(repo_root, "single_hospital_ed"))
    with pytest.raises(SimulationError, match="unknown engine 'numba'.*compiled, reference"):
        engine.run(sc, generate(sc, days=1, seed=1), days=1, engine="numba")
    # every engine the error offers runs, and they agree
    wl = generate(sc, days=1, seed=1)
    ends = [engine.run(sc, wl, days=1, engine=name).read_end for name in ENGINES]
    assert len(ends) >= 2 and all(np.array_equal(ends[0], e, equal_nan=True) for e in ends[1:])


def test_every_protocol_on_congested_links_identical(repo_root) -> None:
    # each link with other transfer options, all slow and shared, studies of varying image counts
    sc = raw(repo_root, "siberia_hub_spoke")
    options = [{"protocol": "stow-rs", "batch": 20}, {"protocol": "bundle"},
               {"nodelay": True, "associations": 3, "async_ops": 4}, {"protocol": "cstore"}, {"protocol": "stow-rs"}]
    for link, extra in zip(sc["links"], options, strict=True):
        for key in ("protocol", "nodelay", "associations", "async_ops"):
            link.pop(key, None)
        link.update(extra, bandwidth_mbps=min(link["bandwidth_mbps"], 2))
    for site in sc["sites"]:
        for load in site["modalities"].values():
            load["size_sd_fraction"] = 0.4
    out = assert_same(load_scenario(sc), days=4)
    flight = out.transfer_end - out.transfer_start
    assert np.nanmax(flight) > 30  # the links really were congested
