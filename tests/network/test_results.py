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
