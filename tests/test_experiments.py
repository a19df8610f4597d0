import pytest

from teleradlab.errors import ParameterError, SweepError
from teleradlab.experiments import get_experiment, list_experiments


def test_registry() -> None:
    assert {"queue_check", "network_turnaround", "compression_quality", "joint_tradeoff"} <= set(list_experiments())
    with pytest.raises(SweepError, match="unknown experiment"):
        get_experiment("nope")


def test_check_parameters() -> None:
    q = get_experiment("queue_check")
    with pytest.raises(ParameterError, match="does not accept"):
        q.check({"colour": 1})
    with pytest.raises(ParameterError, match="needs"):
        get_experiment("network_turnaround").check({})
    get_experiment("network_turnaround").check({"scenario": "x", "links.a.bandwidth_mbps": 2})  # overrides allowed


def test_queue_check_agrees_with_erlang_c_and_is_deterministic() -> None:
    q = get_experiment("queue_check")
    a, b = q(c=2, rho=0.6, days=60, seed=4), q(c=2, rho=0.6, days=60, seed=4)
    assert a == b
    # Erlang C's mean wait inside the simulation's 95 % batch-means interval, which is honest (not wide)
    assert a["theory_in_ci"] and a["wait_low"] <= a["wait_mean"] <= a["wait_high"]
    assert (a["wait_high"] - a["wait_low"]) / a["wait_theory"] < 0.5
    assert a["p_wait"] == pytest.approx(a["p_wait_theory"], abs=0.03)


@pytest.mark.slow  # 20-150 s on 2 shared cores (pytest --durations)
def test_network_and_compression_experiments(repo_root) -> None:
    scen = str(repo_root / "datasets" / "scenarios" / "two_hospitals_one_hub.yaml")
    slow = get_experiment("network_turnaround")(scenario=scen, days=2, seed=1, **{"links.rural-clinic.bandwidth_mbps": 0.1,
                                                                               "compression.CR.ratio": 1.0001})
    fast = get_experiment("network_turnaround")(scenario=scen, days=2, seed=1)
    assert slow["transfer_mean"] > fast["transfer_mean"]
    q = get_experiment("compression_quality")(codec="htj2k", ratio=12, n=32, seed=2)
    assert q["ratio_achieved"] == pytest.approx(12, rel=0.05) and 0 <= q["auc"] <= 1 and q["psnr_db"] > 30
    j = get_experiment("joint_tradeoff")(scenario=scen, ratio=10, days=1, n=16, seed=3, common_seed=5)
    assert "turnaround_mean" in j and "q_auc" in j
    j2 = get_experiment("joint_tradeoff")(scenario=scen, ratio=10, days=1, n=16, seed=99, common_seed=5)
    assert j == j2  # common random numbers: the run seed no longer matters


@pytest.mark.parametrize(("params", "where", "words"), [
    ({"ratio": "10"}, "compression_quality(ratio)", "ratio as float, got str '10'"),
    ({"n": 64.5}, "compression_quality(n)", "n as int, got float"),
    ({"n": True}, "compression_quality(n)", "n as int, got bool"),
    ({"common_seed": "x"}, "compression_quality(common_seed)", "int or None"),
    ({"codec": 5}, "compression_quality(codec)", "codec as str"),
])
def test_a_value_of_the_wrong_type_is_refused_before_running(params, where, words) -> None:
    exp = get_experiment("compression_quality")
    with pytest.raises(ParameterError, match=words) as err:
        exp.check({**params, "seed": 0})
    assert err.value.where == where


def test_every_default_and_number_kind_passes_the_check() -> None:
    import inspect

    for name in ("queue_check", "network_turnaround", "compression_quality", "joint_tradeoff"):  # the shipped ones
        exp = get_experiment(name)
        given = {n: p.default for n, p in exp.parameters().items()
                 if p.kind is inspect.Parameter.KEYWORD_ONLY and p.default is not inspect.Parameter.empty}
        exp.check({**given, **({"scenario": "single_hospital_ed"} if "scenario" in exp.parameters() else {})})
    # an int is a float; None where None is allowed; overrides (**kwargs) are the scenario's to check
    get_experiment("compression_quality").check({"ratio": 10, "common_seed": None, "seed": 0})
    get_experiment("network_turnaround").check({"scenario": "x", "links.0.bandwidth_mbps": "fast", "seed": 0})


def test_a_sweep_with_a_string_for_a_number_is_refused_at_load() -> None:
    from teleradlab.sweep.spec import load_spec

    with pytest.raises(SweepError, match="ratio as float, got str") as err:
        load_spec({"target": "compression_quality", "space": {"grid": {"ratio": [8, "ten"]}}})
    assert err.value.where == "space point 1"
