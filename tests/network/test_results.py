"""Confidence intervals of the results tables: percentiles by sectioning, centred on their estimate."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from teleradlab.network import compare, load_scenario, simulate
from teleradlab.network.results import section_ci


def test_section_ci_is_the_sectioning_formula():
    v = np.array([10.0, 14.0, 9.0, 12.0, 30.0])
    whole = 15.0
    # Nakayama (2014), eq. for the sectioning interval, written out here
    s2 = ((v - whole) ** 2).sum() / (len(v) - 1)
    half = stats.t.ppf(0.975, len(v) - 1) * np.sqrt(s2 / len(v))
    assert section_ci(whole, v) == pytest.approx((whole - half, whole + half))
    assert np.isnan(section_ci(whole, v[:1])).all()
    assert section_ci(whole, np.array([1.0, np.nan, 3.0]))[0] < whole


def test_sectioning_covers_a_skewed_p90():
    rng = np.random.default_rng(3)
    true = float(np.exp(1.5 * stats.norm.ppf(0.9)))  # p90 of lognormal(0, 1.5)
    hits, trials = 0, 400
    for _ in range(trials):
        x = rng.lognormal(0.0, 1.5, size=(20, 15))  # 20 sections of 15 waits
        lo, hi = section_ci(float(np.quantile(x, 0.9)), np.quantile(x, 0.9, axis=1))
        hits += lo <= true <= hi
    assert 0.88 <= hits / trials <= 0.99


def test_a_backlog_in_a_few_sections_stays_inside_the_interval():
    # waits of about 10 min, but 3 of 20 batches caught a backlog of about 10 hours (a night
    # without cover): the pooled p90 lies in the backlog; the mean of the batches' p90s does not
    rng = np.random.default_rng(5)
    x = rng.exponential(10.0, size=(20, 40))
    x[[4, 11, 17]] = rng.normal(600.0, 30.0, size=(3, 40))
    per, whole = np.quantile(x, 0.9, axis=1), float(np.quantile(x, 0.9))
    m, s = per.mean(), per.std(ddof=1) / np.sqrt(per.size)
    t = stats.t.ppf(0.975, per.size - 1)
    assert not (m - t * s <= whole <= m + t * s)  # the old interval excluded its own estimate
    lo, hi = section_ci(whole, per)
    assert lo <= whole <= hi and hi - lo > 2 * t * s


def test_every_percentile_interval_holds_its_estimate(canonical):
    sc = load_scenario(canonical)
    res = simulate(sc, days=6, seed=4, replications=3)
    table = res.by("priority")
    for metric in ("wait_minutes", "turnaround_minutes"):
        for stat in ("p50", "p90", "p95"):
            est, lo, hi = (table[(metric, k)] for k in (stat, f"{stat}_low", f"{stat}_high"))
            ok = est.notna() & lo.notna()
            assert ok.any()
            assert ((lo[ok] <= est[ok]) & (est[ok] <= hi[ok])).all(), (metric, stat)
    d = compare(res, res, by="priority")
    assert (d[("turnaround_minutes", "p90_diff")] == 0).all()


def _on_demand(repo_root, bandwidth_mbps: float) -> dict:
    import yaml

    raw = yaml.safe_load((repo_root / "datasets" / "scenarios" / "europe_crossborder.yaml").read_text())
    for c in raw["centres"]:
        c["workstation"] = {"policy": "on_demand", "archive": {"bandwidth_mbps": bandwidth_mbps, "rtt_ms": 30}}
    return raw


def test_archive_load_is_what_the_fetches_meet(repo_root):
    import warnings

    from teleradlab.network.results import ARCHIVE_SLOWDOWN_WARN, ArchiveLoadWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = simulate(_on_demand(repo_root, 2), days=3, seed=1, replications=2)
    table = res.archive_utilisation()
    assert list(table.index) == [c.name for c in res.scenario.centres]
    # by hand: each fetch holds the link bytes*8/rate seconds from its opening; count, at each opening,
    # the other fetches still holding it (pairwise, no sorting), and the period's share of link time
    period_s = res.meta["period_minutes"] * 60
    for centre, row in table.iterrows():
        loads, utils = [], []
        for rep in (0, 1):
            one = res.studies[(res.studies["centre"] == centre) & (res.studies["replication"] == rep)
                              & res.studies["first_start"].notna()]
            t = np.array([(s - one["first_start"].min()).total_seconds() for s in one["first_start"]])
            x = one["bytes_sent"].to_numpy(float) * 8 / 2e6
            order = np.lexsort((np.arange(t.size), t))  # earlier openings first on ties
            rank = np.empty(t.size, int)
            rank[order] = np.arange(t.size)
            others = [sum(1 for j in range(t.size) if j != i and rank[j] < rank[i] and t[j] + x[j] > t[i])
                      for i in range(t.size)]
            loads.append(np.mean(others))
            utils.append(x.sum() / period_s)
        assert row["load"] == pytest.approx(np.mean(loads), rel=1e-9)
        assert row["utilisation"] == pytest.approx(np.mean(utils), rel=1e-9)
        assert row["slowdown"] == pytest.approx(1 / (1 - row["load"]))
        assert row["load_low"] <= row["load"] <= row["load_high"]
    # the warning names each centre above the threshold, and only those
    over = [c for c, r in table.iterrows() if r["slowdown"] > ARCHIVE_SLOWDOWN_WARN]
    warned = [str(w.message) for w in caught if issubclass(w.category, ArchiveLoadWarning)]
    assert res.meta["archive_overloaded"] == over
    assert len(warned) == len(over) and all(f"({c})" in m for c, m in zip(over, warned, strict=True))
    assert over, "a 2 Mbit/s archive should load at least one centre's link past the threshold"


def test_a_fast_archive_is_not_flagged(repo_root):
    import warnings

    from teleradlab.network.results import ArchiveLoadWarning

    with warnings.catch_warnings():
        warnings.simplefilter("error", ArchiveLoadWarning)
        res = simulate(_on_demand(repo_root, 1000), days=2, seed=1)
    assert (res.archive_utilisation()["slowdown"] < 1.05).all()
    assert res.meta["archive_overloaded"] == []
    # without a fetching workstation there is nothing to report
    shipped = repo_root / "datasets" / "scenarios" / "europe_crossborder.yaml"
    assert simulate(str(shipped), days=1, seed=1).archive_utilisation().empty
