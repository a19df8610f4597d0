"""AI triage: operating points, worklist classes, common random numbers, and QuCAD's default setting."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

from teleradlab.errors import ScenarioError
from teleradlab.network import compare, load_scenario, queue_scenario, simulate
from teleradlab.network.triage import class_codes, worklist_class
from teleradlab.network.workload import generate


def mm1_preemptive_resume_waits(lam: float, mean: float, share_high: float) -> tuple[float, float]:
    """Kleinrock's M/M/1 preemptive-resume waits (time in system minus own service), two classes, one rate."""
    rho_h, rho = lam * share_high * mean, lam * mean
    m2 = 2 * mean ** 2
    t_h = mean + lam * share_high * m2 / (2 * (1 - rho_h))
    t_l = mean / (1 - rho_h) + lam * m2 / (2 * (1 - rho_h) * (1 - rho))
    return t_h - mean, t_l - mean


def qucad(repo_root) -> dict:
    import yaml

    return yaml.safe_load((repo_root / "datasets" / "scenarios" / "qucad_default.yaml").read_text())


def test_qucad_default_specificity_is_the_binormal_fit_of_its_roc(repo_root) -> None:
    raw = qucad(repo_root)
    sc = load_scenario(raw)
    fpf, tpf = np.array(raw["ai_triage"]["roc"]).T
    x, y = stats.norm.ppf(fpf), stats.norm.ppf(tpf)
    ok = np.isfinite(x) & np.isfinite(y)
    fit = stats.linregress(x[ok], y[ok])  # probit-space least squares, independently of triage.fit_binormal_roc
    sp = 1 - stats.norm.cdf((stats.norm.ppf(0.9) - fit.intercept) / fit.slope)
    assert sc.ai_triage[0].specificity == pytest.approx(sp, rel=1e-9)
    assert sc.ai_triage[0].operating_point == "roc/sensitivity"
    assert round(sp, 3) == 0.809


def test_qucad_default_waits_within_the_simulated_interval(repo_root) -> None:
    """Acceptance: per-class mean waits from the documented columns bracket the M/M/1 preemptive-resume values."""
    raw = qucad(repo_root)
    sc = load_scenario(raw)
    ai = sc.ai_triage[0]
    lam, mean = 0.08, 10.0
    positive = ai.prevalence * ai.sensitivity + (1 - ai.prevalence) * (1 - ai.specificity)
    w_pos, w_neg = mm1_preemptive_resume_waits(lam, mean, positive)
    diseased = ai.sensitivity * w_pos + (1 - ai.sensitivity) * w_neg
    healthy = (1 - ai.specificity) * w_pos + ai.specificity * w_neg
    fifo = lam * mean * mean / (1 - lam * mean)
    assert (round(diseased, 2), round(healthy, 2), round(fifo, 2)) == (7.72, 43.59, 40.0)  # the numbers

    with_ai = simulate(sc, days=200, seed=7, replications=10)
    raw["ai_triage"]["enabled"] = False
    without = simulate(raw, days=200, seed=7, replications=10)
    got = with_ai.by("diseased", ("wait_minutes",))["wait_minutes"]
    base = without.by("diseased", ("wait_minutes",))["wait_minutes"]
    for table, flag, expected in ((got, True, diseased), (got, False, healthy), (base, True, fifo), (base, False, fifo)):
        row = table.loc[flag]
        assert row["mean_low"] <= expected <= row["mean_high"], (flag, expected, row.to_dict())
    # the paired difference: the AI saves the diseased time, costs the others some
    d = compare(without, with_ai, by="diseased", metrics=("wait_minutes",))["wait_minutes"]
    assert d.loc[True, "diff_low"] <= diseased - fifo <= d.loc[True, "diff_high"]
    assert d.loc[False, "diff_low"] <= healthy - fifo <= d.loc[False, "diff_high"]
    assert d.loc[True, "diff_high"] < 0 < d.loc[False, "diff_low"]


def test_same_seed_same_studies_whatever_the_ai() -> None:
    raw = queue_scenario(c=1, mean=10, rho=0.7, worklist="preemptive",
                         priority_mix={"stat": 0.1, "urgent": 0.2, "routine": 0.7})
    raw["ai_triage"] = {"prevalence": 0.2, "sensitivity": 0.8, "specificity": 0.9}
    a = generate(load_scenario(raw), days=20, seed=4)
    raw["ai_triage"].update(sensitivity=0.95, specificity=0.7)
    b = generate(load_scenario(raw), days=20, seed=4)
    del raw["ai_triage"]
    none = generate(load_scenario(raw), days=20, seed=4)
    for f in ("acquired", "priority", "reading_base", "bytes_sent"):
        assert np.array_equal(getattr(a, f), getattr(b, f)) and np.array_equal(getattr(a, f), getattr(none, f))
    assert np.array_equal(a.diseased, b.diseased)
    assert (b.ai_flag >= a.ai_flag).all() and b.ai_flag.sum() > a.ai_flag.sum()  # looser AI: only more flags
    assert not a.ai_flag[a.priority == 0].any()  # by default the AI is not applied to stat studies
    dis = a.diseased[a.priority > 0]
    flag = a.ai_flag[a.priority > 0]
    assert flag[dis].mean() == pytest.approx(0.8, abs=0.05)
    assert (~flag[~dis]).mean() == pytest.approx(0.9, abs=0.02)


def test_flagged_class_sits_below_stat_above_the_rest_and_can_move() -> None:
    raw = queue_scenario(c=1, mean=10, rho=0.5, worklist="priority",
                         priority_mix={"stat": 0.2, "urgent": 0.3, "routine": 0.5})
    raw["ai_triage"] = {"prevalence": 0.3, "sensitivity": 0.9, "specificity": 0.9}
    sc = load_scenario(raw)
    wl = generate(sc, days=5, seed=1)
    k = worklist_class(sc, wl)
    codes = class_codes(["stat"])
    assert (k[wl.priority == 0] == codes["stat"]).all()
    assert (k[wl.ai_flag] == codes["ai:stat"]).all()
    assert codes["stat"] < codes["ai:stat"] < codes["urgent"] < codes["routine"]
    assert (k[(wl.priority == 2) & ~wl.ai_flag] == codes["routine"]).all()
    raw["ai_triage"]["rank_after"] = "urgent"  # flagged routine studies go after urgent ones; urgent unflagged
    sc = load_scenario(raw)
    wl = generate(sc, days=5, seed=1)
    k = worklist_class(sc, wl)
    assert sc.ai_triage[0].priorities == {"routine"}
    assert (k[wl.ai_flag] == class_codes(["urgent"])["ai:urgent"]).all()
    assert not wl.ai_flag[wl.priority < 2].any()


def test_operating_point_from_auc_threshold_and_target_sensitivity() -> None:
    raw = queue_scenario(c=1, mean=10, rho=0.5)
    raw["ai_triage"] = {"prevalence": 0.1, "auc": 0.9, "threshold": 0.5}
    ai = load_scenario(raw).ai_triage[0]
    a = np.sqrt(2) * stats.norm.ppf(0.9)  # equal-variance binormal
    assert ai.specificity == pytest.approx(stats.norm.cdf(0.5))
    assert ai.sensitivity == pytest.approx(stats.norm.cdf(a - 0.5))
    raw["ai_triage"] = {"prevalence": 0.1, "auc": 0.9, "sensitivity": 0.95, "binormal_b": 0.5}
    ai = load_scenario(raw).ai_triage[0]
    a = stats.norm.ppf(0.9) * np.sqrt(1 + 0.25)
    assert ai.sensitivity == pytest.approx(0.95)
    # TPF = Phi(a + b Phi^-1(FPF)) at the operating point
    assert stats.norm.cdf(a + 0.5 * stats.norm.ppf(1 - ai.specificity)) == pytest.approx(0.95)


def test_disease_specific_reading_times_and_two_ais_on_two_modalities() -> None:
    raw = queue_scenario(c=2, mean=10, rho=0.6, worklist="preemptive")
    raw["sites"][0]["modalities"]["CR"] = {"studies_per_day": 50, "profile": "flat"}
    raw["reading_time_minutes"]["CR"] = {"dist": "exponential", "mean": 3}
    raw["ai_triage"] = [
        {"name": "ich", "modalities": ["CT"], "prevalence": 0.2, "sensitivity": 0.9, "specificity": 0.85,
         "reading_time_minutes": {"diseased": {"dist": "deterministic", "mean": 20},
                                  "non_diseased": {"dist": "deterministic", "mean": 8}}},
        {"name": "ptx", "modalities": ["CR"], "prevalence": 0.05, "sensitivity": 0.8, "specificity": 0.95,
         "rank_after": "urgent"},
    ]
    sc = load_scenario(raw)
    wl = generate(sc, days=10, seed=2)
    ct = np.array(wl.modalities)[wl.modality] == "CT"
    assert np.all(wl.reading_base[ct & wl.diseased] == 20) and np.all(wl.reading_base[ct & ~wl.diseased] == 8)
    assert set(wl.ai_index[ct]) == {0} and set(wl.ai_index[~ct]) == {1}
    assert wl.diseased[~ct].mean() == pytest.approx(0.05, abs=0.03)
    res = simulate(sc, days=10, seed=2)
    assert set(res.studies["ai"].astype(str)) == {"ich", "ptx"}
    summary = json.loads(json.dumps(res.summary()))["ai_triage"]
    assert summary["method"].startswith("batch means")
    flagged = summary["ich/flagged/diseased"]
    assert flagged["wait_minutes_mean_low"] <= flagged["wait_minutes_mean"] <= flagged["wait_minutes_mean_high"]
    assert flagged["n"] == int((res.studies.ai.astype(str).eq("ich") & res.studies.ai_flag & res.studies.diseased
                                & res.studies.reported).sum())
    assert res.studies.groupby("ai", observed=True)["ai_flag"].mean()["ich"] > 0.1


@pytest.mark.parametrize(("change", "where", "match"), [
    ({"specificity": None}, "ai_triage", "give the operating point"),
    ({"specificity": 0.9, "auc": 0.8}, "ai_triage", "give the operating point"),
    ({"modalities": ["MR"]}, "ai_triage.modalities", "no site acquires MR"),
    ({"rank_after": "urgnt"}, "ai_triage.rank_after", "unknown rank_after"),
    ({"rank_after": "routine"}, "ai_triage.rank_after", "would move no study"),
    ({"priorities": ["emergency"]}, "ai_triage.priorities", "priorities among"),
    ({"roc": [[0.1, 0.5]], "specificity": None}, "ai_triage", "at least two points"),
    ({"reading_time_minutes": {"diseased": {"dist": "exponential", "mean": 5}}}, "ai_triage.reading_time_minutes",
     "missing required key 'non_diseased'"),
    ({"enabled": "yes"}, "ai_triage.enabled", "true or false"),
])
def test_bad_ai_settings_name_their_key_path(change, where, match) -> None:
    raw = queue_scenario(c=1, mean=10, rho=0.5)
    ai = {"prevalence": 0.1, "sensitivity": 0.9, "specificity": 0.8}
    for key, value in change.items():
        if value is None:
            ai.pop(key, None)
        else:
            ai[key] = value
    if "roc" in change:
        ai.pop("specificity", None)
    raw["ai_triage"] = ai
    with pytest.raises(ScenarioError, match=match) as err:
        load_scenario(raw)
    assert err.value.where == where


def test_two_ais_on_the_same_studies_are_refused() -> None:
    raw = queue_scenario(c=1, mean=10, rho=0.5)
    raw["ai_triage"] = [{"name": "a", "prevalence": 0.1, "sensitivity": 0.9, "specificity": 0.8},
                        {"name": "b", "prevalence": 0.1, "sensitivity": 0.9, "specificity": 0.8}]
    with pytest.raises(ScenarioError, match="both apply to CT") as err:
        load_scenario(raw)
    assert err.value.where == "ai_triage[1]"
