"""The simulator against queueing theory (the issue's validation list)."""

from __future__ import annotations

import numpy as np
import pytest

from teleradlab.network import queue_scenario, simulate, theory


@pytest.mark.timeout(300)
def test_mmc_against_erlang_c() -> None:
    c, mean, rho = 2, 10.0, 0.8
    res = simulate(queue_scenario(c=c, mean=mean, rho=rho), days=300, seed=11, replications=8, warmup_days=2)
    lam, mu = rho * c / mean, 1 / mean
    w = res.studies["wait_minutes"]
    assert len(w) > 500_000
    assert w.mean() == pytest.approx(theory.mmc_wait(c, lam, mu), rel=0.03)
    assert (w > 1e-9).mean() == pytest.approx(theory.erlang_c(c, lam, mu), rel=0.03)
    # the wait tail too, at one point
    assert (w > 20).mean() == pytest.approx(theory.mmc_wait_tail(20, c, lam, mu), rel=0.05)


@pytest.mark.timeout(300)
def test_mg1_lognormal_against_pollaczek_khinchine() -> None:
    mean, sd, rho = 10.0, 7.5, 0.8
    sc = queue_scenario(c=1, mean=mean, rho=rho, dist={"dist": "lognormal", "mean": mean, "sd": sd})
    res = simulate(sc, days=600, seed=5, replications=8, warmup_days=2)
    lam = rho / mean
    expected = theory.mg1_wait(lam, *theory.lognormal_moments(mean, sd))
    assert res.studies["wait_minutes"].mean() == pytest.approx(expected, rel=0.03)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("worklist", ["priority", "preemptive"])
def test_two_priority_classes(worklist) -> None:
    mean, rho, share = 10.0, 0.8, 0.3
    sc = queue_scenario(c=1, mean=mean, rho=rho, worklist=worklist,
                        priority_mix={"stat": share, "urgent": 0.0, "routine": 1 - share})
    res = simulate(sc, days=800, seed=3, replications=8, warmup_days=2)
    lam = rho / mean
    lams = [lam * share, lam * (1 - share)]
    df = res.studies
    if worklist == "priority":
        expected = theory.priority_nonpreemptive_waits(lams, [mean, mean], [2 * mean ** 2] * 2)
        got = [df[df.priority == p]["wait_minutes"].mean() for p in ("stat", "routine")]
    else:
        expected = theory.priority_preemptive_times(lams, [mean, mean], [2 * mean ** 2] * 2)
        got = [df[df.priority == p]["turnaround_minutes"].mean() for p in ("stat", "routine")]
    for g, e in zip(got, expected, strict=True):
        assert g == pytest.approx(e, rel=0.05)


def test_littles_law_and_conservation(canonical) -> None:
    res = simulate(canonical, days=10, seed=2, replications=2)
    df = res.studies
    # conservation: every study is reported, unread, or still in the system
    counts = res.summary()["counts"]
    assert counts["reported"] + counts["unread"] + counts["in_system_at_end"] == counts["acquired"] == len(df)
    # timestamps in order for every reported study
    rep = df[df.reported]
    for a, b in [("acquired", "transfer_start"), ("transfer_start", "transfer_end"), ("queued", "first_start"),
                 ("first_start", "end")]:
        assert (rep[b] >= rep[a]).all(), (a, b)
    # the worklist backlog at sampled instants equals a direct count of the studies waiting then
    # (queued and not yet opened, or preempted and not yet resumed), per replication
    backlog = res.backlog(freq_minutes=1)
    pre = res.preemptions
    for t in backlog.index[:: max(len(backlog) // 40, 1)]:
        waiting = ((df["queued"] <= t) & ~(df["first_start"] <= t)).sum()
        waiting += ((pre["preempted_at"] <= t) & ~(pre["resumed_at"] <= t)).sum()
        assert backlog.loc[t, "backlog"] == pytest.approx(waiting / df["replication"].nunique()), t


def test_littles_law_on_a_queue_run() -> None:
    # Little's law with the Erlang C wait: the time-average worklist length of an M/M/3 queue at
    # rho = 0.7 is Lq = lambda Wq, both from theory (not from this run's own waits)
    c, mean, rho = 3, 10.0, 0.7
    lam, mu = rho * c / mean, 1 / mean
    res = simulate(queue_scenario(c=c, mean=mean, rho=rho), days=40, seed=1, warmup_days=1, replications=4)
    backlog = res.backlog(freq_minutes=1)  # mean over the replications
    arrivals = res.studies["queued"]
    inside = backlog[(backlog.index >= arrivals.min()) & (backlog.index <= arrivals.max())]
    assert inside["backlog"].mean() == pytest.approx(theory.littles_law(lam, theory.mmc_wait(c, lam, mu)), rel=0.08)


def test_same_seed_same_result_and_replications_differ(canonical) -> None:
    a = simulate(canonical, days=3, seed=9, replications=2)
    b = simulate(canonical, days=3, seed=9, replications=2)
    assert a.studies.equals(b.studies)
    r0 = a.studies[a.studies.replication == 0]["turnaround_minutes"].to_numpy()
    r1 = a.studies[a.studies.replication == 1]["turnaround_minutes"].to_numpy()
    assert r0.size != r1.size or not np.allclose(r0, r1)
