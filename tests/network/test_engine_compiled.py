"""The compiled engine against the plain-Python reference: identical results, event for event."""

from __future__ import annotations

import copy
import dataclasses
import re

import numpy as np
import pytest
import yaml

from teleradlab.errors import SimulationError
from teleradlab.network import engine, load_scenario
from teleradlab.network.engine import ENGINES
from teleradlab.network.engine_compiled import run_compiled
from teleradlab.network.engine_reference import run_reference
from teleradlab.network.resources import prepare
from teleradlab.network.scenario import ROUTING, WORKLISTS
from teleradlab.network.workload import generate

FIELDS = ("centre", "radiologist", "transfer_start", "transfer_end", "read_start", "read_end", "unread",
          "preemptions", "wait", "reading", "preempt_study", "preempt_at", "preempt_back", "workstation", "first_image",
          "loaded", "radiologist_busy")


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
    with pytest.raises(SimulationError, match="unknown engine 'numba'") as err:
        engine.run(sc, generate(sc, days=1, seed=1), days=1, engine="numba")
    # the error offers exactly the engines there are; each runs and agrees with the reference
    offered = re.search(r"choose one of (.*)$", str(err.value)).group(1).split(", ")
    assert sorted(offered) == sorted(ENGINES)
    wl = generate(sc, days=1, seed=1)
    ref = run_reference(sc, wl, prepare(sc, wl.t0, days=1, drain_days=14.0, workload=wl))
    assert np.isfinite(ref.read_end).sum() > 10
    for name in offered:
        assert np.array_equal(engine.run(sc, wl, days=1, engine=name).read_end, ref.read_end, equal_nan=True), name


def _same(a, b) -> bool:
    """Deep equality of what an engine is given: dataclasses field by field, arrays bit for bit."""
    if dataclasses.is_dataclass(a):
        return type(a) is type(b) and all(_same(getattr(a, f.name), getattr(b, f.name))
                                          for f in dataclasses.fields(a))
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


@pytest.mark.parametrize("run_engine", [run_compiled, run_reference], ids=["compiled", "reference"])
def test_engines_return_busy_time_and_leave_their_inputs_alone(repo_root, run_engine) -> None:
    # preemptive, congested: the radiologists' and links' state changes all the time during the run
    sc_raw = raw(repo_root, "europe_crossborder")
    sc_raw.update(worklist="preemptive",
                  ai_triage={"prevalence": 0.1, "sensitivity": 0.9, "specificity": 0.85, "modalities": ["CT"]})
    sc = load_scenario(sc_raw)
    wl = generate(sc, days=3, seed=5)
    res = prepare(sc, wl.t0, days=3, drain_days=14.0, workload=wl)
    before_res, before_wl = copy.deepcopy(res), copy.deepcopy(wl)
    first = run_engine(sc, wl, res)
    assert first.preemptions.sum() > 0
    assert _same(res, before_res) and _same(wl, before_wl)
    # so a second run on the same inputs gives the same result, busy time included
    second = run_engine(sc, wl, res)
    for f in dataclasses.fields(first):
        assert _same(getattr(first, f.name), getattr(second, f.name)), f.name


def test_busy_time_is_the_reads_of_each_radiologist(repo_root) -> None:
    # without preemption every read is one segment by the study's radiologist: a radiologist's busy minutes are
    # the sum of the reading minutes (workstation waits included) of the studies they reported
    sc = load_scenario(raw(repo_root, "two_hospitals_one_hub"))
    wl = generate(sc, days=4, seed=2)
    for name in ENGINES:
        out = engine.run(sc, wl, days=4, engine=name)
        ok = ~np.isnan(out.read_end)
        assert out.preemptions.sum() == 0 and ok.sum() > 100
        expected = np.zeros(len(out.radiologists))
        np.add.at(expected, out.radiologist[ok], out.read_end[ok] - out.read_start[ok])
        assert out.radiologist_busy.shape == expected.shape and (expected > 0).sum() > 1
        np.testing.assert_allclose(out.radiologist_busy, expected, rtol=1e-12, atol=1e-9)


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
