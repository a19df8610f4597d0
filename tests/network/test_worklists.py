"""Worklist disciplines against queueing theory, preemption semantics, and the time columns' identity."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from teleradlab.errors import SimulationError
from teleradlab.network import compare, engine, load_scenario, queue_scenario, simulate, theory
from teleradlab.network.results import TURNAROUND_PARTS
from teleradlab.network.workload import generate, start_instant

MEAN = 10.0
#: reading-time distributions, with E[S^2]
DISTS = {
    "deterministic": ({"dist": "deterministic", "mean": MEAN}, MEAN ** 2),
    "exponential": ({"dist": "exponential", "mean": MEAN}, 2 * MEAN ** 2),
    "lognormal": ({"dist": "lognormal", "mean": MEAN, "sd": 12.0}, 12.0 ** 2 + MEAN ** 2),
}
TWO = {"stat": 0.3, "urgent": 0.0, "routine": 0.7}
THREE = {"stat": 0.2, "urgent": 0.3, "routine": 0.5}


def by_priority(res, metric: str, mix: dict) -> pd.DataFrame:
    table = res.by("priority", (metric,))[metric]
    return table.loc[[p for p, share in mix.items() if share > 0]]


def check(table: pd.DataFrame, expected: list[float], rel: float) -> None:
    for (name, row), e in zip(table.iterrows(), expected, strict=True):
        assert row["mean"] == pytest.approx(e, rel=rel), (name, row["mean"], e)


def run_case(worklist: str, dist: str, mix: dict, c: int, rho: float, days: int, reps: int = 8):
    spec, m2 = DISTS[dist]
    raw = queue_scenario(c=c, mean=MEAN, rho=rho, worklist=worklist, dist=spec, priority_mix=mix)
    res = simulate(raw, days=days, seed=21, replications=reps)
    lam = rho * c / MEAN
    lams = [lam * share for share in mix.values() if share > 0]
    return res, lams, m2


# ---------------------------------------------------------------------------- M/G/1, every discipline x distribution
@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("mix", [TWO, THREE], ids=["two-classes", "three-classes"])
@pytest.mark.parametrize("dist", list(DISTS))
def test_preemptive_resume_mg1_against_kleinrock(dist, mix) -> None:
    res, lams, m2 = run_case("preemptive", dist, mix, 1, 0.7, days=1500)
    expected = theory.priority_preemptive_times(lams, [MEAN] * len(lams), [m2] * len(lams))
    check(by_priority(res, "turnaround_minutes", mix), expected, 0.03)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("dist", list(DISTS))
def test_preemptive_resume_mg1_fast(dist) -> None:
    """A short run: the two-class formula lies within the simulated 95% intervals, and within 3% for the top class."""
    res, lams, m2 = run_case("preemptive", dist, TWO, 1, 0.7, days=300, reps=6)
    expected = theory.priority_preemptive_times(lams, [MEAN] * 2, [m2] * 2)
    table = by_priority(res, "turnaround_minutes", TWO)
    for (name, row), e in zip(table.iterrows(), expected, strict=True):
        assert row["mean_low"] - 0.01 * e <= e <= row["mean_high"] + 0.01 * e, (name, row.to_dict(), e)
    assert table.iloc[0]["mean"] == pytest.approx(expected[0], rel=0.03)


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("dist", list(DISTS))
def test_priority_mg1_against_cobham(dist) -> None:
    res, lams, m2 = run_case("priority", dist, THREE, 1, 0.7, days=1500)
    expected = theory.priority_nonpreemptive_waits(lams, [MEAN] * 3, [m2] * 3)
    check(by_priority(res, "wait_minutes", THREE), expected, 0.03)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("dist", ["deterministic", "lognormal"])
def test_fifo_mg1_against_pollaczek_khinchine(dist) -> None:
    res, lams, m2 = run_case("fifo", dist, THREE, 1, 0.7, days=400, reps=6)
    expected = theory.mg1_wait(sum(lams), MEAN, m2)
    row = res.by("reported", ("wait_minutes",))["wait_minutes"].iloc[0]
    assert row["mean"] == pytest.approx(expected, rel=0.03)
    assert row["mean_low"] - 0.01 * expected <= expected <= row["mean_high"] + 0.01 * expected


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("dist", list(DISTS))
def test_cherry_pick_is_cobham_by_modality(dist) -> None:
    """cherry_pick reads the modality with the shorter mean first: non-preemptive priority by modality."""
    spec, m2 = DISTS[dist]
    raw = queue_scenario(c=1, mean=MEAN, rho=0.35, worklist="cherry_pick", dist=spec)
    raw["sites"][0]["modalities"]["CR"] = {"studies_per_day": 0.35 / 3 * 1440, "profile": "flat"}
    raw["reading_time_minutes"]["CR"] = {"dist": "exponential", "mean": 3}
    res = simulate(raw, days=1200, seed=5, replications=8)
    lam_cr, lam_ct = 0.35 / 3, 0.35 / MEAN
    expected = theory.priority_nonpreemptive_waits([lam_cr, lam_ct], [3, MEAN], [18, m2])
    table = res.by("modality", ("wait_minutes",))["wait_minutes"]
    check(table.loc[["CR", "CT"]], expected, 0.03)


# ---------------------------------------------------------------------------- c > 1
@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("c", [2, 3])
def test_preemptive_mmc_exact_for_one_rate(c) -> None:
    res, lams, _ = run_case("preemptive", "exponential", THREE, c, 0.8, days=600)
    expected = theory.mmc_priority_preemptive_times(c, lams, 1 / MEAN)
    check(by_priority(res, "turnaround_minutes", THREE), expected, 0.03)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_priority_mmc_against_kella_yechiali() -> None:
    res, lams, _ = run_case("priority", "exponential", THREE, 2, 0.8, days=600)
    expected = theory.mmc_priority_nonpreemptive_waits(2, lams, 1 / MEAN)
    check(by_priority(res, "wait_minutes", THREE), expected, 0.03)


@pytest.mark.timeout(300)
def test_preemptive_mmc_fast_and_bondi_buzen_for_lognormal() -> None:
    res, lams, _ = run_case("preemptive", "exponential", TWO, 2, 0.7, days=200, reps=4)
    exact = theory.mmc_priority_preemptive_times(2, lams, 1 / MEAN)
    table = by_priority(res, "turnaround_minutes", TWO)
    for (name, row), e in zip(table.iterrows(), exact, strict=True):
        assert row["mean_low"] - 0.01 * e <= e <= row["mean_high"] + 0.01 * e, (name, row.to_dict(), e)
    # Bondi-Buzen is an approximation: within 12% of the simulation for lognormal reads at c = 2
    res, lams, m2 = run_case("preemptive", "lognormal", TWO, 2, 0.7, days=300, reps=4)
    approx = theory.bondi_buzen_preemptive_times(2, lams, [MEAN] * 2, [m2] * 2)
    check(by_priority(res, "turnaround_minutes", TWO), approx, 0.12)


# ---------------------------------------------------------------------------- preemption semantics, by hand
def hand_case(preempt: str = "resume"):
    raw = queue_scenario(c=1, mean=MEAN, rho=0.5, worklist="preemptive")
    raw["preempt"] = preempt
    sc = load_scenario(raw)
    # A routine (10 min) at 0, B routine (10) at 1, S stat (5) at 2: three studies of a generated workload, retimed
    wl = generate(sc, days=1, seed=1)
    wl = dataclasses.replace(wl, **{f.name: getattr(wl, f.name)[:3] for f in dataclasses.fields(wl)
                                    if isinstance(getattr(wl, f.name), np.ndarray) and getattr(wl, f.name).size == len(wl)})
    wl = dataclasses.replace(wl, acquired=np.array([0.0, 1.0, 2.0]), priority=np.array([2, 2, 0], np.int8),
                             reading_base=np.array([10.0, 10.0, 5.0]))
    return sc, wl


@pytest.mark.parametrize("preempt", ["resume", "repeat"])
def test_interrupted_study_resumes_before_the_rest_of_its_class(which, preempt) -> None:
    sc, wl = hand_case(preempt)
    res = engine.run(sc, wl, days=1, engine=which)
    a_end = 15.0 if preempt == "resume" else 17.0  # resume keeps 2 min of work; repeat reads 10 again
    assert list(res.read_start) == [0.0, a_end, 2.0]
    assert list(res.read_end) == [a_end, a_end + 10, 7.0]
    assert list(res.wait) == [5.0, a_end - 1, 0.0]
    assert list(res.reading) == [10.0 if preempt == "resume" else 12.0, 10.0, 5.0]
    assert list(res.preempt_study) == [0] and list(res.preempt_at) == [2.0] and list(res.preempt_back) == [7.0]


def test_time_columns_and_backlog_of_a_preempted_study() -> None:
    from teleradlab.network.results import SimulationResult
    from teleradlab.network.simulation import _frame, _preemptions

    sc, wl = hand_case()
    out = engine.run(sc, wl, days=1)
    keep = np.ones(3, bool)
    df = _frame(sc, wl, out, 0, keep)
    a = df.iloc[0]
    assert (a.wait_minutes, a.reading_minutes, a.preempted_minutes, a.preemptions) == (5.0, 10.0, 5.0, 1)
    assert a.first_start == a.acquired and (a.end - a.acquired) == pd.Timedelta(minutes=15)
    res = SimulationResult(scenario=sc, studies=df, radiologists=pd.DataFrame(), links=pd.DataFrame(), days=1,
                           warmup_days=0, preemptions=_preemptions(wl, out, 0, keep))
    b = res.backlog(freq_minutes=1)
    at = {int((t - df.acquired.min()).total_seconds() // 60): v for t, v in b["backlog"].items()}
    assert at[1] == 1 and at[3] == 2 and at[8] == 1 and at[15] == 0  # B; B and the preempted A; B; nobody


def test_turnaround_is_transfer_plus_wait_plus_reading_row_by_row(repo_root) -> None:
    import yaml

    raw = yaml.safe_load((repo_root / "datasets" / "scenarios" / "europe_crossborder.yaml").read_text())
    raw.update(worklist="preemptive",
               ai_triage={"prevalence": 0.1, "sensitivity": 0.9, "specificity": 0.85, "modalities": ["CT"]})
    res = simulate(raw, days=4, seed=3, warmup_days=1)
    df = res.studies[res.studies.reported]
    assert (df.preemptions > 0).sum() > 10 and (df.transfer_minutes > 0).all()
    parts = df[list(TURNAROUND_PARTS)].sum(axis=1)
    np.testing.assert_allclose(parts, df.turnaround_minutes, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose((df.end - df.acquired).dt.total_seconds() / 60, df.turnaround_minutes, atol=1e-6)
    pre = df[df.preemptions > 0]
    assert (pre.preempted_minutes > 0).all() and (df[df.preemptions == 0].preempted_minutes.abs() < 1e-9).all()
    # time in a worklist, from the preemption log: first wait + every preempted stay
    log = res.preemptions
    stays = ((log.resumed_at - log.preempted_at).dt.total_seconds() / 60).groupby(log.study_id).sum()
    np.testing.assert_allclose(pre.set_index("study_id").preempted_minutes.sort_index(),
                               stays.loc[pre.study_id].sort_index(), atol=1e-6)


def test_default_warm_up_rule() -> None:
    from teleradlab.network.simulation import default_warmup_days

    sc = load_scenario(queue_scenario(c=1, mean=10, rho=0.8))
    tau = 10 / (1 - np.sqrt(0.8)) ** 2  # Morse's M/M/1 relaxation time, minutes
    assert default_warmup_days(sc) == np.ceil(5 * tau / 1440) == 4
    assert default_warmup_days(load_scenario(queue_scenario(c=4, mean=10, rho=0.3))) == 1
    assert default_warmup_days(load_scenario(queue_scenario(c=1, mean=10, rho=0.99))) == 7
    res = simulate(queue_scenario(c=1, mean=10, rho=0.8), days=1, seed=1)
    t0 = pd.Timestamp(start_instant(res.scenario))
    assert res.warmup_days == 4
    assert t0 + pd.Timedelta(days=4) <= res.studies.acquired.min() < t0 + pd.Timedelta(days=4, hours=1)


@pytest.mark.slow  # 20-150 s on 2 shared cores (pytest --durations)
@pytest.mark.timeout(300)
def test_batch_means_and_paired_comparison_in_one_replication() -> None:
    """One long replication: batch-means intervals hold the M/M/1 wait; compare() pairs FIFO with priority."""
    mix = {"stat": 0.3, "urgent": 0.0, "routine": 0.7}
    fifo = simulate(queue_scenario(c=1, mean=MEAN, rho=0.7, priority_mix=mix), days=1200, seed=8)
    prio = simulate(queue_scenario(c=1, mean=MEAN, rho=0.7, worklist="priority", priority_mix=mix), days=1200, seed=8)
    table = fifo.by("reported", ("wait_minutes",))
    assert table.attrs["method"].startswith("batch means")
    row = table["wait_minutes"].iloc[0]
    expected = theory.mmc_wait(1, 0.07, 1 / MEAN)
    assert row["mean_low"] <= expected <= row["mean_high"] and row["mean_high"] - row["mean_low"] < 0.2 * expected
    # Cobham's waits minus the FIFO wait, per class, inside the paired intervals
    lams = [0.07 * 0.3, 0.07 * 0.7]
    cobham = theory.priority_nonpreemptive_waits(lams, [MEAN] * 2, [2 * MEAN ** 2] * 2)
    d = compare(fifo, prio, by="priority", metrics=("wait_minutes",))["wait_minutes"]
    for p, w in zip(("stat", "routine"), cobham, strict=True):
        assert d.loc[p, "diff_low"] <= w - expected <= d.loc[p, "diff_high"], (p, d.loc[p].to_dict(), w - expected)
    with pytest.raises(SimulationError, match="do not hold the same studies"):
        compare(fifo, simulate(queue_scenario(c=1, mean=MEAN, rho=0.7), days=1200, seed=9))


def test_littles_law_holds_for_the_worklist_under_preemption() -> None:
    """Time-average backlog (preempted studies counted again) = arrival rate x mean wait (all stays)."""
    res = simulate(queue_scenario(c=2, mean=MEAN, rho=0.8, worklist="preemptive", priority_mix=THREE), days=30,
                   seed=4, warmup_days=0)
    df = res.studies
    assert (df.preemptions > 0).sum() > 100
    backlog = res.backlog(freq_minutes=1)
    span = (backlog.index[-1] - backlog.index[0]).total_seconds() / 60
    assert backlog["backlog"].mean() == pytest.approx(len(df) / span * df["wait_minutes"].mean(), rel=0.01)
    first_waits_only = (df.first_start - df.queued).dt.total_seconds().mean() / 60
    assert len(df) / span * first_waits_only < 0.97 * backlog["backlog"].mean()  # the old count would fall short
