"""Scenario files: the canonical example, defaults, overrides and every bad input."""

from __future__ import annotations

import copy
import json
import subprocess
import sys

import pytest
import yaml

from teleradlab.errors import ScenarioError
from teleradlab.network import defaults as D
from teleradlab.network import load_scenario
from teleradlab.network.defaults import READING_MINUTES, STUDY_SIZES

CANONICAL_TEXT = '''
name: two-hospitals-one-hub
start: 2026-03-02            # a Monday; clock times are local to each place
sites:
  - name: city-hospital
    country: DE
    timezone: Europe/Berlin
    location: [52.52, 13.40]
    modalities:
      CT: {studies_per_day: 80, profile: ed, priority_mix: {stat: 0.25, urgent: 0.25, routine: 0.5}, images_per_study: 400, bytes_per_image: 524288}
      CR: {studies_per_day: 200, profile: outpatient, images_per_study: 2, bytes_per_image: 10485760}
  - name: rural-clinic
    country: DE
    timezone: Europe/Berlin
    location: [53.63, 11.41]
    modalities:
      CR: {studies_per_day: 30, profile: flat}
centres:
  - name: hub
    country: DE
    timezone: Europe/Berlin
    location: [52.52, 13.40]
    radiologists:
      - {group: day-team, count: 4, shift: "08:00-18:00", subspecialties: [body, neuro, chest], licensed: [DE]}
      - {group: night, count: 1, shift: "18:00-08:00", licensed: [DE]}
links:
  - {site: city-hospital, centre: hub, bandwidth_mbps: 1000, rtt_ms: 2}
  - {site: rural-clinic, centre: hub, bandwidth_mbps: 10, rtt_ms: 40}
reading_time_minutes:
  CT: {dist: lognormal, mean: 16.6, sd: 10}
  CR: {dist: lognormal, mean: 3, sd: 2}
compression:
  CT: {syntax: jpeg2000, ratio: 10}
  CR: {syntax: jpeg2000, ratio: 20}
routing: least_loaded
worklist: priority
sla_minutes: {stat: 60, urgent: 240, routine: 1440}
'''


@pytest.fixture
def raw() -> dict:
    return yaml.safe_load(CANONICAL_TEXT)


def test_canonical_example_loads_as_written(tmp_path, raw) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(CANONICAL_TEXT)
    sc = load_scenario(path)
    assert sc.name == "two-hospitals-one-hub" and sc.routing == "least_loaded" and sc.worklist == "priority"
    rural = sc.site("rural-clinic").modalities["CR"]
    assert (rural.images_per_study, rural.bytes_per_image) == STUDY_SIZES["CR"]  # documented default
    assert sc.centre("hub").groups[1].shift.windows[0][1:] == (18 * 60, 8 * 60)  # crosses midnight
    assert sc.compression["CT"] == ("jpeg2000", 10.0)


def test_every_shipped_scenario_loads(repo_root) -> None:
    files = sorted((repo_root / "datasets" / "scenarios").glob("*.yaml"))
    assert {f.stem for f in files} >= {"single_hospital_ed", "europe_crossborder", "siberia_hub_spoke",
                                       "nighthawk_follow_the_sun"}
    for f in files:
        load_scenario(f)


def test_queueing_check_form(raw) -> None:
    raw["sites"][1]["modalities"]["CR"]["profile"] = "flat"
    raw["reading_time_minutes"]["CR"] = {"dist": "exponential", "mean": 3}
    raw["centres"][0]["radiologists"][1]["shift"] = "24/7"
    raw["links"][1].update(rtt_ms=0, bandwidth_mbps=float("inf"))
    sc = load_scenario(raw)
    assert sc.links[1].transfer_minutes(1e9) == 0.0


def test_defaults_documented_in_reference_csv(repo_root) -> None:
    import pandas as pd

    ref = pd.read_csv(repo_root / "datasets" / "reference" / "operations_defaults.csv", dtype={"value": str},
                      keep_default_na=False)
    text = {(r.parameter, r.modality_or_key): r.value for r in ref.itertuples()}
    get = {k: float(v) for k, v in text.items() if v.replace(".", "", 1).isdigit()}
    for mod, (images, nbytes) in STUDY_SIZES.items():
        assert get[("images_per_study", mod)] == images and get[("bytes_per_image", mod)] == nbytes
    for mod, (mean, sd) in READING_MINUTES.items():
        assert get[("reading_mean_minutes", mod)] == mean and get[("reading_sd_minutes", mod)] == sd
    # a link's transfer options: an empty value is "none" (no cap, one request for the whole study)
    for key in ("protocol", "nodelay", "associations", "async_ops", "window_kb", "batch"):
        value = getattr(D, key.upper())
        written = text[(f"link_{key}", "all")]
        assert written == ("" if value is None else str(value).lower()), key
    # the reading workstation (teleradlab.network.workstation)
    assert text[("workstation_policy", "all")] == D.WORKSTATION_POLICY
    assert text[("workstation_stream_protocol", "all")] == D.STREAM_PROTOCOL
    assert get[("workstation_stream_first_images", "all")] == D.STREAM_FIRST_IMAGES
    assert text[("workstation_on_demand_protocol", "all")] == D.ON_DEMAND_PROTOCOL
    assert get[("workstation_progressive_fraction", "all")] == D.PROGRESSIVE_FRACTION
    assert (ref["source"].str.strip().str.len() > 0).all()


def test_overrides(raw) -> None:
    sc = load_scenario(raw, overrides={"centres.hub.radiologists.day-team.count": 6,
                                       "links.rural-clinic.bandwidth_mbps": 2, "compression.CT.ratio": 15,
                                       "routing": "nearest"})
    assert sc.centre("hub").groups[0].count == 6
    assert sc.link("rural-clinic", "hub").bandwidth_mbps == 2
    assert sc.compression["CT"][1] == 15 and sc.routing == "nearest"
    assert raw["centres"][0]["radiologists"][0]["count"] == 4  # the input is not modified
    with pytest.raises(ScenarioError, match="no item 'nowhere'"):
        load_scenario(raw, overrides={"sites.nowhere.country": "FR"})


def _mutate(raw, path, value):
    out = copy.deepcopy(raw)
    node = out
    for p in path[:-1]:
        node = node[p]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


BAD = [
    (("sites", 0, "modalitys"), {}, "sites[0].modalitys", "did you mean 'modalities'"),
    (("sites", 0, "modalities", "CT", "studies_per_day"), -5, "sites[0].modalities.CT.studies_per_day", "positive"),
    (("sites", 0, "modalities", "CT", "studies_per_day"), 0, "sites[0].modalities.CT.studies_per_day", "positive"),
    (("centres", 0, "radiologists", 0, "shift"), "8am-6pm", "centres[0].radiologists[0].shift", "cannot parse"),
    (("centres", 0, "radiologists", 0, "shift"), "08:00-25:00", "centres[0].radiologists[0].shift", "cannot parse"),
    (("sites", 0, "timezone"), "Europe/Berlinn", "sites[0].timezone", "unknown IANA time zone"),
    (("routing",), "random", "routing", "unknown routing"),
    (("links", 0, "centre"), "hubb", "links[0].centre", "no centre named"),
    (("sites", 0, "modalities", "CT", "priority_mix"), {"stat": 0.5, "routine": 0.6}, "sites[0].modalities.CT.priority_mix", "add up to 1"),
    (("reading_time_minutes", "CT", "dist"), "weibull", "reading_time_minutes.CT.dist", "unknown distribution"),
    (("compression", "CT"), {"syntax": "jpeg2000"}, "compression.CT", "needs a 'ratio'"),
    (("links", 1, "rtt_ms"), -5, "links[1].rtt_ms", "must not be negative"),
    (("links", 1, "bandwidth_mbps"), 0, "links[1].bandwidth_mbps", "must be positive"),
    (("links", 1, "protocol"), "ftp", "links[1].protocol", "unknown protocol 'ftp'; use one of cstore, stow-rs, bundle"),
    (("links", 1, "associations"), 0, "links[1].associations", "whole number of at least 1"),
    (("links", 1, "async_ops"), 2.5, "links[1].async_ops", "whole number of at least 1"),
    (("links", 1, "nodelay"), "yes", "links[1].nodelay", "true or false"),
    (("links", 1, "window_kb"), -64, "links[1].window_kb", "must be positive"),
    (("links", 1, "batch"), 10, "links[1].batch", "batch applies to protocol stow-rs, not cstore"),
    (("links", 1, "tcp_window_kb"), 64, "links[1].tcp_window_kb", "renamed 'window_kb'"),
    (("links", 1, "setup_rtts"), 3, "links[1].setup_rtts", "no longer a link key"),
]


@pytest.mark.parametrize("path,value,where,message", BAD, ids=[b[2] + ":" + b[3] for b in BAD])
def test_bad_input_names_the_key_path(raw, path, value, where, message) -> None:
    with pytest.raises(ScenarioError, match=message) as err:
        load_scenario(_mutate(raw, path, value))
    assert err.value.where == where


def test_link_transfer_options(raw) -> None:
    raw["links"][1].update(protocol="stow-rs", batch=25, window_kb=256)
    lk = load_scenario(raw).link("rural-clinic", "hub")
    assert (lk.protocol, lk.batch, lk.window_kb, lk.nodelay, lk.associations) == ("stow-rs", 25, 256.0, False, 1)
    with pytest.raises(ScenarioError, match="async_ops applies to protocol cstore, not stow-rs") as err:
        load_scenario(_mutate(raw, ("links", 1, "async_ops"), 4))
    assert err.value.where == "links[1].async_ops"
    raw["links"][1] = {"site": "rural-clinic", "centre": "hub", "bandwidth_mbps": float("inf"), "rtt_ms": 40}
    with pytest.raises(ScenarioError, match="ideal link") as err:
        load_scenario(raw)
    assert err.value.where == "links[1].rtt_ms"


def test_site_no_radiologist_may_read(raw) -> None:
    raw["centres"][0]["radiologists"][0]["licensed"] = ["AT"]
    raw["centres"][0]["radiologists"][1]["licensed"] = ["AT"]
    with pytest.raises(ScenarioError, match="no radiologist may read studies from 'city-hospital'") as err:
        load_scenario(raw)
    assert err.value.where == "sites[0]"
    raw["allow_unread"] = True
    load_scenario(raw)


def test_modality_without_reading_distribution(raw) -> None:
    raw["sites"][0]["modalities"]["XA"] = {"studies_per_day": 5, "images_per_study": 100, "bytes_per_image": 1000}
    with pytest.raises(ScenarioError, match="no reading-time distribution") as err:
        load_scenario(raw)
    assert err.value.where == "reading_time_minutes.XA"


def test_malformed_yaml_names_file_and_line(tmp_path) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text("name: x\nsites: [\n  - {name: a\n")
    with pytest.raises(ScenarioError, match="malformed YAML") as err:
        load_scenario(p)
    assert str(p) in err.value.where


@pytest.mark.slow  # 20-150 s on 2 shared cores (pytest --durations)
def test_cli_simulate_writes_results_and_refuses_bad_input(tmp_path, canonical) -> None:
    out = tmp_path / "out"
    ok = subprocess.run([sys.executable, "-m", "teleradlab.cli", "simulate", str(canonical), "--days", "2",
                         "--seed", "1", "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0, ok.stderr
    for name in ("studies.parquet", "studies.csv", "summary.json", "turnaround_cdf.png", "backlog.png",
                 "utilisation_by_hour.png", "map.png"):
        assert (out / name).stat().st_size > 0, name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"]["acquired"] == summary["counts"]["reported"] > 0
    bad = tmp_path / "bad.yaml"
    bad.write_text(CANONICAL_TEXT.replace("routing: least_loaded", "routeing: least_loaded"))
    out2 = tmp_path / "out2"
    err = subprocess.run([sys.executable, "-m", "teleradlab.cli", "simulate", str(bad), "--out", str(out2)],
                         capture_output=True, text=True, timeout=120)
    assert err.returncode == 2 and "Traceback" not in err.stderr
    assert len(err.stderr.strip().splitlines()) == 1 and "routeing" in err.stderr
    assert not out2.exists()  # nothing simulated, nothing written
