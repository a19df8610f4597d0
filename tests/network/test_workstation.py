"""The reading workstation: policies validated, opening times against predict_retrieval and a hand-written viewer,
turnaround identity."""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pytest
import yaml

from teleradlab.compression.decode_cost import decode_table
from teleradlab.errors import ScenarioError
from teleradlab.network import defaults as D
from teleradlab.network import engine, load_scenario, simulate
from teleradlab.network.resources import prepare
from teleradlab.network.results import TURNAROUND_PARTS
from teleradlab.network.retrieval import predict_retrieval
from teleradlab.network.workload import generate
from teleradlab.network.workstation import Archive, Workstation, decode_seconds, open_seconds

ARCHIVE = {"bandwidth_mbps": 20, "rtt_ms": 30}
POLICIES = [
    {"policy": "prefetch"},
    {"policy": "on_demand", "archive": ARCHIVE},
    {"policy": "streamed", "archive": ARCHIVE, "first_images": 5, "progressive": True},
    {"policy": "streamed", "archive": {"bandwidth_mbps": 5, "rtt_ms": 80}},
]
# the same policies with the other retrieve protocol
OTHER_PROTOCOL = [
    {"policy": "streamed", "archive": {**ARCHIVE, "protocol": "cget"}, "first_images": 3},
    {"policy": "on_demand", "archive": {**ARCHIVE, "protocol": "wado-rs"}},
    {"policy": "streamed", "archive": {"bandwidth_mbps": 100, "rtt_ms": 10, "protocol": "cget"}, "progressive": True},
    {"policy": "prefetch"},
]


@pytest.fixture
def europe(repo_root) -> dict:
    return yaml.safe_load((repo_root / "datasets" / "scenarios" / "europe_crossborder.yaml").read_text())


def with_policies(raw: dict, policies=POLICIES) -> dict:
    out = copy.deepcopy(raw)
    for c, p in zip(out["centres"], policies, strict=True):
        c["workstation"] = copy.deepcopy(p)
    return out


# ------------------------------------------------------------------ validation
@pytest.mark.parametrize(("ws", "where", "match"), [
    ("prefech", "centres[1].workstation.policy", "unknown workstation policy 'prefech'"),
    ({"policy": "on_the_fly"}, "centres[1].workstation.policy", "prefetch, on_demand, streamed"),
    ({"policy": "on_demand"}, "centres[1].workstation.archive", "give the archive link"),
    ({"policy": "prefetch", "archive": ARCHIVE}, "centres[1].workstation.archive", "remove 'archive'"),
    ({"policy": "prefetch", "first_images": 3}, "centres[1].workstation.first_images", "applies to policy streamed"),
    ({"policy": "streamed", "archive": ARCHIVE, "first_images": 0}, "centres[1].workstation.first_images",
     "at least 1"),
    ({"policy": "streamed", "archive": {**ARCHIVE, "protocol": "ftp"}}, "centres[1].workstation.archive.protocol",
     "unknown protocol"),
    ({"policy": "on_demand", "archive": {"rtt_ms": 3}}, "centres[1].workstation.archive", "bandwidth_mbps"),
    ({"policy": "on_demand", "archive": {**ARCHIVE, "protocol": "cstore"}}, "centres[1].workstation.archive.protocol",
     "wado-rs or cget"),
    ({"policy": "streamed", "archive": {**ARCHIVE, "batch": 1}}, "centres[1].workstation.archive.batch",
     "unknown key"),
    ({"policy": "prefetch", "cache": True}, "centres[1].workstation.cache", "unknown key"),
])
def test_bad_workstation_is_a_scenario_error_naming_the_key(europe, ws, where, match) -> None:
    europe["centres"][1]["workstation"] = ws
    with pytest.raises(ScenarioError, match=match) as err:
        load_scenario(europe)
    assert err.value.where == where


def test_progressive_needs_a_codec_with_a_progressive_mode(europe) -> None:
    europe["centres"][0]["workstation"] = {"policy": "streamed", "archive": ARCHIVE, "progressive": True}
    load_scenario(europe)  # every modality is JPEG 2000: fine
    europe["compression"]["CR"] = {"syntax": "jpegls-near", "ratio": 10}
    with pytest.raises(ScenarioError, match="CR is sent as jpegls-near") as err:
        load_scenario(europe)
    assert err.value.where == "centres[0].workstation.progressive"
    del europe["compression"]
    with pytest.raises(ScenarioError, match="no modality is compressed"):
        load_scenario(europe)


def test_no_workstation_key_is_the_documented_default(europe) -> None:
    sc = load_scenario(europe)
    assert {c.workstation.policy for c in sc.centres} == {D.WORKSTATION_POLICY} == {"none"}
    res = simulate(europe, days=1, seed=2)
    df = res.studies[res.studies.reported]
    assert (df[["workstation_minutes", "first_image_minutes", "loaded_minutes"]] == 0).all().all()


def test_a_codec_without_a_measured_decode_time_fails_at_load(europe) -> None:
    europe["compression"]["CT"] = {"syntax": "jpeg-baseline", "ratio": 10}
    assert "jpeg-baseline" not in set(decode_table().codec)  # the premise: the shipped table has no such row
    load_scenario(europe)  # no workstation: nothing is decoded, so nothing to measure
    europe["centres"][2]["workstation"] = "prefetch"
    with pytest.raises(ScenarioError, match="jpeg-baseline has no measured decode time") as err:
        load_scenario(europe)
    assert err.value.where == "compression.CT.syntax"
    assert "centres[2].workstation" in str(err.value) and "aachen-radiology" in str(err.value)


def test_retrieve_protocol_defaults_by_policy(europe) -> None:
    sc = load_scenario(with_policies(europe))
    assert sc.centres[1].workstation.archive == Archive(20.0, 30.0, D.ON_DEMAND_PROTOCOL)
    assert sc.centres[3].workstation.archive == Archive(5.0, 80.0, D.STREAM_PROTOCOL)
    assert (D.ON_DEMAND_PROTOCOL, D.STREAM_PROTOCOL) == ("cget", "wado-rs")


# ------------------------------------------------------------------ opening times by hand
def _shown(arrivals: np.ndarray, decode_s: float) -> list[float]:
    """One decoder, frames in arrival order: a plain loop (the module uses a closed form)."""
    out, free = [], 0.0
    for a in sorted(arrivals):
        free = max(free, a) + decode_s
        out.append(free)
    return out


def _by_hand(policy: dict, n: int, bpi: float, c: float) -> tuple[float, float]:
    """Opening times from predict_retrieval's arrivals (the validated fetch) and the policy's viewer, written out."""
    if policy["policy"] == "prefetch":
        return c, n * c
    link = policy["archive"]
    protocol = link.get("protocol", "cget" if policy["policy"] == "on_demand" else "wado-rs")

    def arrivals(count: int, size: float) -> np.ndarray:
        return predict_retrieval(size, 0.0, n_instances=count, bandwidth_mbps=link["bandwidth_mbps"],
                                 rtt_ms=link["rtt_ms"], protocol=protocol).arrival_s

    if policy["policy"] == "on_demand":  # the whole study arrives, then every frame is decoded
        last = arrivals(n, bpi)[-1]
        return last + c, last + n * c
    shown = _shown(arrivals(n, bpi), c)
    k = min(policy.get("first_images", 1), n)
    if not policy.get("progressive"):
        return shown[k - 1], shown[-1]
    low = _shown(arrivals(k, bpi / 16), c / 16)  # the first k at a sixteenth of their bytes and decode time
    return low[k - 1], max(shown[-1], low[k - 1])


@pytest.mark.parametrize("policies", [POLICIES, OTHER_PROTOCOL], ids=["default-protocols", "other-protocols"])
def test_first_image_and_loaded_match_predict_retrieval_and_the_decode_table(europe, policies) -> None:
    raw = with_policies(europe, policies)
    for site in raw["sites"]:  # CT studies of many sizes (the simulator shares one retrieval among them)
        site["modalities"]["CT"]["size_sd_fraction"] = 0.3
    sc = load_scenario(raw)
    wl = generate(sc, days=2, seed=5)
    res = prepare(sc, wl.t0, days=2, drain_days=1, workload=wl)
    table = decode_table()
    rng = np.random.default_rng(0)
    checked = set()
    for i in rng.choice(len(wl), 40, replace=False):
        mod = wl.modalities[wl.modality[i]]
        row = table[(table.codec == "jpeg2000") & (table.modality == mod)]
        c = float(row.ms_per_frame.iloc[0]) / 1000  # every modality here is sent as JPEG 2000
        for ci, policy in enumerate(policies):
            first, loaded = _by_hand(policy, int(wl.images[i]), float(wl.bytes_per_instance[i]), c)
            assert res.first_image[i, ci] * 60 == pytest.approx(first, rel=1e-9), (mod, policy)
            assert res.loaded[i, ci] * 60 == pytest.approx(loaded, rel=1e-9), (mod, policy)
            checked.add((mod, ci))
    assert {m for m, _ in checked} == {"CT", "CR", "MR"}
    assert len(np.unique(wl.images[wl.modality == wl.modalities.index("CT")])) > 10  # many study sizes


def test_what_the_policies_mean_on_a_ct_study(europe) -> None:
    sc = load_scenario(with_policies(europe))
    wl = generate(sc, days=2, seed=5)
    res = prepare(sc, wl.t0, days=2, drain_days=1, workload=wl)
    ct = int(np.flatnonzero(wl.modality == wl.modalities.index("CT"))[0])
    # streaming shows the first images sooner than fetching the whole study, prefetching sooner still
    assert res.first_image[ct, 0] < res.first_image[ct, 2] < res.first_image[ct, 1]
    assert res.loaded[ct, 1] > res.loaded[ct, 0]
    # one study at a time gives the same as the simulator's many at once
    ws = sc.centres[1].workstation
    dec, _ = decode_seconds("jpeg2000", "CT", float(wl.bytes_raw[ct] / wl.images[ct]))
    first, loaded = open_seconds(ws, int(wl.images[ct]), float(wl.bytes_per_instance[ct]), dec)
    assert (first / 60, loaded / 60) == (res.first_image[ct, 1], res.loaded[ct, 1])


def test_open_seconds_is_cheap_for_many_study_sizes() -> None:
    """A few hundred distinct CT sizes (a long run) cost well under a second: one retrieval, then per size."""
    import time

    ws = Workstation(policy="streamed", archive=Archive(7.0, 33.0, "wado-rs"), first_images=2)
    counts = tuple(range(200, 700))
    from teleradlab.network.workstation import _open_by_count

    t = time.perf_counter()
    first, loaded = _open_by_count(ws, counts, 61_234.0, 0.004)
    assert time.perf_counter() - t < 2.0
    assert np.all(np.diff(loaded) > 0) and np.all(first < loaded)


def test_a_modality_without_a_measurement_is_scaled_from_the_nearest_frame_size() -> None:
    table = decode_table()
    mr = table[(table.codec == "uncompressed") & (table.modality == "MR")].iloc[0]
    us_bytes = 640 * 480 * 2  # an ultrasound frame: the table has no US row
    sec, source = decode_seconds("none", "US", float(us_bytes))
    frames = {m: r.rows * r.cols * 2 for m, r in table[table.codec == "uncompressed"].set_index("modality").iterrows()}
    nearest = min(frames, key=lambda m: abs(np.log(frames[m] / us_bytes)))
    ref = table[(table.codec == "uncompressed") & (table.modality == nearest)].iloc[0]
    assert sec == pytest.approx(ref.ms_per_frame / 1000 * us_bytes / frames[nearest], rel=1e-12)
    assert f"on {nearest}" in source and "no US measurement" in source
    assert decode_seconds("none", "MR", 1.0)[0] == pytest.approx(mr.ms_per_frame / 1000)


# ------------------------------------------------------------------ the engines
def test_radiologist_busy_for_first_image_then_reading_while_it_loads(europe, which) -> None:
    raw = with_policies(europe)
    raw["reading_time_minutes"] = {"CR": {"dist": "exponential", "mean": 0.3}}  # short reads: some wait for loading
    sc = load_scenario(raw)
    wl = generate(sc, days=3, seed=4)
    out = engine.run(sc, wl, days=3, engine=which)
    ok = ~np.isnan(out.read_end) & (out.preemptions == 0)
    speed = np.array([r.speed for r in out.radiologists])[out.radiologist[ok]]
    work = wl.reading_base[ok] / speed
    first, loaded = out.first_image[ok], out.loaded[ok]
    np.testing.assert_allclose(out.read_end[ok] - out.read_start[ok], first + np.maximum(work, loaded - first),
                               rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(out.workstation[ok], first + np.maximum(loaded - first - work, 0), atol=1e-9)
    np.testing.assert_allclose(out.reading[ok] - out.workstation[ok], work, atol=1e-9)
    assert (loaded - first > work + 1e-6).sum() > 5  # the wait at the end for the last images is exercised


@pytest.mark.parametrize("preempt", ["resume", "repeat"])
def test_engines_identical_with_workstations(europe, preempt) -> None:
    raw = with_policies(europe)
    raw.update(worklist="preemptive", preempt=preempt,
               ai_triage={"prevalence": 0.1, "sensitivity": 0.9, "specificity": 0.85, "modalities": ["CT"]})
    raw["reading_time_minutes"] = {"CR": {"dist": "exponential", "mean": 0.3}}
    sc = load_scenario(raw)
    wl = generate(sc, days=5, seed=3)
    ref = engine.run(sc, wl, days=5, engine="reference")
    out = engine.run(sc, wl, days=5, engine="compiled")
    for f in dataclasses.fields(engine.EngineResult):
        a, b = getattr(ref, f.name), getattr(out, f.name)
        if isinstance(a, np.ndarray):
            assert a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), f.name
    assert (out.preemptions > 0).sum() > 10 and np.nansum(out.workstation) > 0


def test_turnaround_is_transfer_wait_workstation_reading_row_by_row(europe) -> None:
    raw = with_policies(europe)
    raw.update(worklist="preemptive",
               ai_triage={"prevalence": 0.1, "sensitivity": 0.9, "specificity": 0.85, "modalities": ["CT"]})
    res = simulate(raw, days=4, seed=3, warmup_days=1)
    df = res.studies[res.studies.reported]
    assert "workstation_minutes" in TURNAROUND_PARTS and (df.preemptions > 0).sum() > 10
    parts = df[list(TURNAROUND_PARTS)].sum(axis=1)
    np.testing.assert_allclose(parts, df.turnaround_minutes, rtol=1e-9, atol=1e-9)
    # every opened study waited at least for its first image (a preemption may split that wait)
    assert (df.workstation_minutes >= df.first_image_minutes - 1e-9).all()
    assert (df.groupby("centre", observed=True).first_image_minutes.mean() > 0).all()
