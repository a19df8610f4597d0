"""Scenario loading on hostile input: one ScenarioError with a key path; size guards before allocation."""

from __future__ import annotations

import copy
import time

import pytest
import yaml

from teleradlab.errors import ScenarioError, SimulationError
from teleradlab.network.scenario import load_scenario
from teleradlab.network.simulation import simulate


@pytest.fixture(scope="module")
def base(repo_root) -> dict:
    return yaml.safe_load((repo_root / "datasets/scenarios/two_hospitals_one_hub.yaml").read_text())


def mutated(base: dict, change) -> dict:
    raw = copy.deepcopy(base)
    change(raw)
    return raw


@pytest.mark.parametrize("change,where,words", [
    (lambda r: r["sites"][0].__setitem__("name", ["a", "b"]), "sites[0].name", "text name"),
    (lambda r: r["centres"][0].__setitem__("name", {"x": 1}), "centres[0].name", "text name"),
    (lambda r: r["centres"][0]["radiologists"][0].__setitem__("group", [1]), "centres[0].radiologists[0].group",
     "text name"),
    (lambda r: r["links"][0].__setitem__("site", ["city-hospital"]), "links[0].site", "no site"),
    (lambda r: r.__setitem__("start", "9999-12-31"), "start", "outside 1900..2199"),
    (lambda r: r.__setitem__("start", "0001-01-01"), "start", "outside 1900..2199"),
    (lambda r: r["compression"].__setitem__("CT", {"syntax": "nonsense", "ratio": 10}), "compression.CT.syntax",
     "unknown compression syntax"),
    (lambda r: r["compression"].__setitem__("CT", {"syntax": "jpeg2000-lossless", "ratio": 10}),
     "compression.CT.ratio", "lossless"),
    (lambda r: r["compression"].__setitem__("CT", {"syntax": "htj2k-lossless", "ratio": 2}),
     "compression.CT.ratio", "lossless"),
    (lambda r: r["compression"].__setitem__("CT", {"syntax": "none", "ratio": 5}), "compression.CT.ratio",
     "uncompressed"),
])
def test_bad_values_name_their_key_path(base, change, where, words) -> None:
    with pytest.raises(ScenarioError, match=words) as err:
        load_scenario(mutated(base, change))
    assert err.value.where == where


def test_registry_syntaxes_are_accepted_by_name_or_uid(base) -> None:
    sc = load_scenario(mutated(base, lambda r: r["compression"].update(
        CT={"syntax": "1.2.840.10008.1.2.4.91", "ratio": 10}, CR={"syntax": "jpeg2000-lossless"})))
    assert sc.compression["CT"] == ("jpeg2000", 10.0)
    assert sc.compression["CR"][0] == "jpeg2000-lossless"
    none = load_scenario(mutated(base, lambda r: r["compression"].update(CT={"syntax": "none", "ratio": 1})))
    assert none.compression["CT"] == ("none", 1.0)


def test_file_errors_name_the_file(tmp_path, base) -> None:
    deep = tmp_path / "deep.yaml"
    deep.write_text("name: x\ndescription: " + "[" * 500 + "]" * 500 + "\n")
    with pytest.raises(ScenarioError, match="nested deeper") as err:
        load_scenario(deep)
    assert str(deep) in str(err.value)
    year = tmp_path / "year.yaml"
    year.write_text(yaml.safe_dump(mutated(base, lambda r: r.__setitem__("start", "9999-01-01"))))
    with pytest.raises(ScenarioError, match=r"year.yaml: start: year 9999"):
        load_scenario(year)


@pytest.mark.parametrize("change,words,override", [
    (lambda r: r["centres"][0]["radiologists"][0].__setitem__("count", 10**9), "radiologists",
     {"max_radiologists": 10**10}),
    (lambda r: r["sites"][0]["modalities"]["CT"].__setitem__("studies_per_day", 1e12), "studies per replication",
     {"max_studies": 1e15}),
])
def test_oversized_simulations_fail_at_once(base, change, words, override) -> None:
    sc = load_scenario(mutated(base, change))
    start = time.monotonic()
    with pytest.raises(SimulationError, match=words) as err:
        simulate(sc, days=2, seed=1, warmup_days=0)
    assert time.monotonic() - start < 2
    assert next(iter(override)) in str(err.value)  # the error names the override


def test_days_times_studies_bound_is_explicit(base) -> None:
    sc = load_scenario(base)
    per_day = sum(m.studies_per_day for s in sc.sites for m in s.modalities.values())
    with pytest.raises(SimulationError, match="above the limit"):
        simulate(sc, days=3, seed=1, warmup_days=0, max_studies=per_day * 2.5)
    res = simulate(sc, days=2, seed=1, warmup_days=0, max_studies=per_day * 2.5)
    assert len(res.studies) > 0


def test_replications_times_studies_bound_is_explicit(base, tmp_path, capsys) -> None:
    """``--replications 1000000000`` once ran for hours: every replication's studies are kept."""
    from teleradlab.cli import main

    sc = load_scenario(base)
    per_day = sum(m.studies_per_day for s in sc.sites for m in s.modalities.values())
    start = time.monotonic()
    with pytest.raises(SimulationError, match=r"^replications: 1,000,000,000 replications x .*max_total_studies"):
        simulate(sc, days=1, seed=1, warmup_days=0, replications=10**9)
    assert time.monotonic() - start < 2
    with pytest.raises(SimulationError, match="studies in all"):
        simulate(sc, days=1, seed=1, warmup_days=0, replications=3, max_total_studies=per_day * 2.5)
    res = simulate(sc, days=1, seed=1, warmup_days=0, replications=2, max_total_studies=per_day * 2.5)
    assert set(res.studies["replication"]) == {0, 1}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(base))
    code = main(["simulate", str(path), "--days", "1", "--replications", "1000000000", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "--max-total-studies" in err[0]
