"""Transfers, shifts, time zones, licensure and routing in the event engine."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from teleradlab.network import engine, load_scenario, simulate
from teleradlab.network.workload import Workload, start_instant


def one_link(bandwidth=10.0, rtt=100.0, **link) -> dict:
    return {
        "name": "link-test", "start": "2026-03-02",
        "sites": [{"name": "s", "country": "DE", "timezone": "UTC", "location": [50, 10],
                   "modalities": {"CT": {"studies_per_day": 1, "images_per_study": 1000, "bytes_per_image": 500_000}}}],
        "centres": [{"name": "c", "country": "DE", "timezone": "UTC", "location": [52, 13],
                     "radiologists": [{"group": "g", "count": 2, "shift": "24/7"}]}],
        "links": [{"site": "s", "centre": "c", "bandwidth_mbps": bandwidth, "rtt_ms": rtt, "efficiency": 1.0, **link}],
        "reading_time_minutes": {"CT": {"dist": "deterministic", "mean": 10}},
    }


def workload(sc, times, nbytes=500e6, reading=10.0, site=None, priority=None) -> Workload:
    n = len(times)
    return Workload(
        t0=start_instant(sc), acquired=np.asarray(times, float), site=np.asarray(site or [0] * n, np.int16),
        modality=np.zeros(n, np.int16), modalities=tuple(sorted({m for x in sc.sites for m in x.modalities})), priority=np.asarray(priority or [2] * n, np.int8),
        bytes_raw=np.full(n, int(nbytes)), bytes_sent=np.full(n, int(nbytes)), reading_base=np.full(n, reading),
        diseased=np.zeros(n, bool), ai_flag=np.zeros(n, bool))


def test_500mb_over_idle_10mbit_link_takes_the_modelled_time(which) -> None:
    sc = load_scenario(one_link())
    res = engine.run(sc, workload(sc, [60.0]), days=1, engine=which)
    expected_s = 3 * 0.100 + 500e6 * 8 / 10e6  # three set-up round trips, then the payload
    assert (res.transfer_end[0] - res.transfer_start[0]) * 60 == pytest.approx(expected_s, rel=1e-9)
    assert sc.links[0].transfer_minutes(500e6) * 60 == pytest.approx(expected_s, rel=1e-12)
    assert res.read_end[0] - res.transfer_end[0] == pytest.approx(10.0)


def test_concurrent_transfers_share_the_link(which) -> None:
    sc = load_scenario(one_link(rtt=0))
    res = engine.run(sc, workload(sc, [60.0, 60.0]), days=1, engine=which)
    alone = 500e6 * 8 / 10e6 / 60
    assert np.allclose(res.transfer_end - res.transfer_start, 2 * alone)
    # a transfer that joins halfway gets half the bandwidth from then on
    res = engine.run(sc, workload(sc, [60.0, 60.0 + alone / 2]), days=1, engine=which)
    assert res.transfer_end[0] - 60 == pytest.approx(alone * 1.5)
    assert res.transfer_end[1] - res.transfer_start[1] == pytest.approx(alone * 1.5)


def test_tcp_window_limits_long_fat_links() -> None:
    sc = load_scenario(one_link(bandwidth=100, rtt=500, tcp_window_kb=64))
    window_rate = 64 * 1024 / 0.5  # bytes per second
    assert sc.links[0].rate_bytes_per_min == pytest.approx(window_rate * 60)


def test_outage_pauses_transfers(which) -> None:
    sc = load_scenario(one_link(rtt=0, outages=[{"start": "2026-03-02T01:30", "end": "2026-03-02T02:30"}]))
    res = engine.run(sc, workload(sc, [60.0]), days=1, engine=which)  # 01:00 UTC, 400 s: done before the outage
    assert res.transfer_end[0] == pytest.approx(60 + 400 / 60)
    res2 = engine.run(sc, workload(sc, [85.0], nbytes=2e9), days=1, engine=which)  # 1600 s from 01:25, paused 01:30-02:30
    assert res2.transfer_end[0] == pytest.approx(150 + (1600 / 60 - 5.0))


def shift_scenario(shift: str, tz: str = "Asia/Vladivostok") -> dict:
    return {
        "name": "shifts", "start": "2026-03-02",
        "sites": [{"name": "vladivostok-clinic", "country": "RU", "timezone": tz, "location": [43.1, 131.9],
                   "modalities": {"CR": {"studies_per_day": 1}}}],
        "centres": [{"name": "hub", "country": "RU", "timezone": tz, "location": [43.1, 131.9],
                     "radiologists": [{"group": "r", "count": 1, "shift": shift, "licensed": ["RU"]}]}],
        "links": [{"site": "vladivostok-clinic", "centre": "hub", "bandwidth_mbps": float("inf"), "rtt_ms": 0}],
        "reading_time_minutes": {"CR": {"dist": "deterministic", "mean": 5}},
    }


def local_minutes(sc, when: str, tz: str = "Asia/Vladivostok") -> float:
    from zoneinfo import ZoneInfo

    t = dt.datetime.fromisoformat(when).replace(tzinfo=ZoneInfo(tz))
    return (t - start_instant(sc)).total_seconds() / 60


def test_study_at_3am_waits_for_the_day_shift(which) -> None:
    sc = load_scenario(shift_scenario("08:00-18:00"))
    t = local_minutes(sc, "2026-03-03T03:00")
    res = engine.run(sc, workload(sc, [t], nbytes=1, reading=5), days=2, engine=which)
    assert res.read_start[0] == pytest.approx(local_minutes(sc, "2026-03-03T08:00"))


def test_night_shift_crossing_midnight_reads_at_3am(which) -> None:
    sc = load_scenario(shift_scenario("18:00-08:00"))
    t = local_minutes(sc, "2026-03-03T03:00")
    res = engine.run(sc, workload(sc, [t], nbytes=1, reading=5), days=2, engine=which)
    assert res.read_start[0] == pytest.approx(t)


def test_follow_the_sun_sends_a_vladivostok_night_study_to_whoever_is_awake(which) -> None:
    raw = shift_scenario("08:00-18:00")
    raw["centres"].append({"name": "moscow", "country": "RU", "timezone": "Europe/Moscow", "location": [55.75, 37.6],
                           "radiologists": [{"group": "day", "count": 1, "shift": "08:00-18:00", "licensed": ["RU"]}]})
    raw["centres"].append({"name": "lisbon", "country": "PT", "timezone": "Europe/Lisbon", "location": [38.7, -9.1],
                           "radiologists": [{"group": "day", "count": 3, "shift": "08:00-18:00", "licensed": ["PT"]}]})
    raw["links"] += [{"site": "vladivostok-clinic", "centre": "moscow", "bandwidth_mbps": 100, "rtt_ms": 150},
                     {"site": "vladivostok-clinic", "centre": "lisbon", "bandwidth_mbps": 100, "rtt_ms": 250}]
    raw["routing"] = "follow_the_sun"
    sc = load_scenario(raw)
    t = local_minutes(sc, "2026-03-03T17:30")  # 17:30 Vladivostok = 10:30 Moscow: both on shift; hub ends soon
    t_night = local_minutes(sc, "2026-03-04T03:00")  # 03:00 Vladivostok = 20:00 Moscow: nobody at home on shift
    t_moscow = local_minutes(sc, "2026-03-03T16:00")  # 09:00 Moscow
    res = engine.run(sc, workload(sc, [t_moscow, t_night], nbytes=1e6, reading=5), days=3, engine=which)
    names = [c.name for c in sc.centres]
    assert names[res.centre[0]] in ("hub", "moscow")
    assert names[res.centre[1]] != "lisbon"  # never to a centre not licensed for Russia
    assert t  # (documentation of the clock arithmetic above)


def test_licensure_is_respected_in_simulation(repo_root) -> None:
    res = simulate(repo_root / "datasets" / "scenarios" / "europe_crossborder.yaml", days=3, seed=1)
    df = res.studies
    hub = df[df.centre == "barcelona-hub"]
    assert not hub.empty
    german = hub[hub.site == "aachen"]
    assert german["radiologist"].astype(str).str.contains("german-speaking|weekend").all()
    dutch = hub[hub.site.isin(["utrecht", "ghent"])]
    assert not dutch["radiologist"].astype(str).str.contains("german-speaking").any()


def test_ai_triage_shortens_flagged_waits() -> None:
    from teleradlab.network import queue_scenario

    raw = queue_scenario(c=1, mean=10, rho=0.85, worklist="priority")
    raw["ai_triage"] = {"prevalence": 0.1, "sensitivity": 0.9, "specificity": 0.9}
    df = simulate(raw, days=60, seed=2).studies
    assert df.ai_flag.mean() == pytest.approx(0.1 * 0.9 + 0.9 * 0.1, abs=0.01)
    assert df[df.ai_flag].wait_minutes.mean() < 0.5 * df[~df.ai_flag].wait_minutes.mean()


def test_compression_shrinks_bytes_sent(canonical) -> None:
    df = simulate(canonical, days=1, seed=1).studies
    ct = df[df.modality == "CT"]
    assert (ct.bytes_raw / ct.bytes_sent).round(6).eq(10).all()


def test_unread_studies_counted_when_allowed() -> None:
    raw = shift_scenario("24/7")
    raw["centres"][0]["radiologists"][0]["licensed"] = ["KZ"]
    raw["allow_unread"] = True
    res = simulate(raw, days=3, seed=1)
    s = res.summary()["counts"]
    assert s["unread"] == s["acquired"] > 0 and s["reported"] == 0
