"""Sweep specs: the constraint language (ast over a whitelisted grammar) and size limits."""

from __future__ import annotations

import time

import pytest

from teleradlab.errors import SweepError
from teleradlab.sweep.spec import Constraint, load_spec


def points(constraints: list[str], grid: dict) -> list[dict]:
    return load_spec({"target": "queue_check", "space": {"grid": grid}, "constraints": constraints}).points


def reference(grid: dict, keep) -> list[dict]:
    """The same filter written out by hand, over the same grid order."""
    import itertools

    keys = list(grid)
    return [p for p in (dict(zip(keys, v, strict=True)) for v in itertools.product(*grid.values())) if keep(p)]


CODECS = ["jpeg2000-lossless", "htj2k-lossless", "jpeg2000"]


@pytest.mark.parametrize("expr,keep", [
    ('codec != "jpeg2000-lossless"', lambda p: p["codec"] != "jpeg2000-lossless"),
    ('codec == "htj2k-lossless"', lambda p: p["codec"] == "htj2k-lossless"),
    ("codec in ('jpeg2000', 'htj2k-lossless') and c >= 2", lambda p: p["codec"] in ("jpeg2000", "htj2k-lossless")
     and p["c"] >= 2),
    ("not (c == 1 or rho > 0.6)", lambda p: not (p["c"] == 1 or p["rho"] > 0.6)),
    ("c * rho >= 1e-3 + 0.9", lambda p: p["c"] * p["rho"] >= 1e-3 + 0.9),
    ("0.4 < rho <= 0.8", lambda p: 0.4 < p["rho"] <= 0.8),
    ("codec not in ['jpeg2000']", lambda p: p["codec"] != "jpeg2000"),
    ("-c + 3 > rho", lambda p: -p["c"] + 3 > p["rho"]),
])
def test_constraints_match_a_hand_written_filter(expr, keep) -> None:
    grid = {"c": [1, 2, 3], "rho": [0.5, 0.7, 0.9], "codec": CODECS}
    got = Constraint(expr, grid, "constraints[0]")
    assert [p for p in reference(grid, lambda p: True) if got(p)] == reference(grid, keep)


def test_dotted_and_hyphenated_names_and_untouched_strings() -> None:
    names = {"links.rural-clinic.bandwidth_mbps", "compression.CR.ratio", "codec"}
    c = Constraint('links.rural-clinic.bandwidth_mbps * compression.CR.ratio >= 20 and codec != "a.b-c"',
                   names, "constraints[0]")
    assert c({"links.rural-clinic.bandwidth_mbps": 2, "compression.CR.ratio": 10, "codec": "x"})
    assert not c({"links.rural-clinic.bandwidth_mbps": 2, "compression.CR.ratio": 10, "codec": "a.b-c"})
    assert not c({"links.rural-clinic.bandwidth_mbps": 1, "compression.CR.ratio": 10, "codec": "x"})


def test_scientific_notation_parses() -> None:
    c = Constraint("x >= 1e-3 and y < 2.5E+2", {"x", "y"}, "c")
    assert c({"x": 0.002, "y": 1}) and not c({"x": 0.0001, "y": 1}) and not c({"x": 1, "y": 300})


@pytest.mark.parametrize("expr,words", [
    ("__import__('os').system('true')", "uses Call"),
    ("c.__class__", "uses Attribute"),
    ("c ** 10 ** 10", "uses BinOp"),
    ("[x for x in c]", "uses ListComp"),
    ("lambda: 1", "uses Lambda"),
    ("c[0]", "uses Subscript"),
    ("nope > 1", "'nope', which is no parameter"),
    ("c >", "cannot parse"),
    ("c is 1", "uses Compare"),
])
def test_outside_the_grammar_is_refused(expr, words) -> None:
    with pytest.raises(SweepError, match=words.replace("(", r"\(")) as err:
        Constraint(expr, {"c"}, "constraints[2]")
    assert "constraints[2]" in str(err.value)


def test_evaluation_errors_name_the_constraint() -> None:
    c = Constraint("1 / (c - 1) > 0", {"c"}, "constraints[0]")
    with pytest.raises(SweepError, match="cannot be evaluated"):
        c({"c": 1})


def test_spec_constraints_filter_with_strings() -> None:
    grid = {"c": [1, 2], "rho": [0.5, 0.8]}
    assert points(["c == 2"], grid) == [{"c": 2, "rho": 0.5}, {"c": 2, "rho": 0.8}]
    with pytest.raises(SweepError, match="expected an expression"):
        points([5], grid)


@pytest.mark.parametrize("space,where", [
    ({"grid": {f"p{i}": list(range(20)) for i in range(10)}}, "space.grid"),  # 20**10 points
    ({"random": {"n": 10**9, "seed": 1, "params": {"rho": {"low": 0.1, "high": 0.9}}}}, "space.random.n"),
    ({"lhs": {"n": 10**9, "params": {"rho": {"low": 0.1, "high": 0.9}}}}, "space.lhs.n"),
])
def test_oversized_spaces_fail_before_allocation(space, where) -> None:
    start = time.monotonic()
    with pytest.raises(SweepError, match="above the limit") as err:
        load_spec({"target": "queue_check", "space": space})
    assert time.monotonic() - start < 2 and err.value.where == where


def test_limit_is_overridable_and_counts_replications() -> None:
    spec = {"target": "queue_check", "space": {"grid": {"c": [1, 2, 3], "rho": [0.5, 0.6]}}, "replications": 2}
    with pytest.raises(SweepError, match="12 points"):
        load_spec(spec, max_points=10)
    assert len(load_spec(spec, max_points=12).runs()) == 12


@pytest.mark.parametrize("bad,words", [
    ({"random": {"n": 1e9, "params": {"rho": {"low": 0.1, "high": 0.9}}}}, "positive integer"),
    ({"random": {"n": 3, "params": {"rho": {"low": "a", "high": 0.9}}}}, "finite numbers"),
    ({"random": {"n": 3, "seed": -1, "params": {"rho": {"low": 0.1, "high": 0.9}}}}, "seed"),
])
def test_malformed_samples(bad, words) -> None:
    with pytest.raises(SweepError, match=words):
        load_spec({"target": "queue_check", "space": bad})


@pytest.mark.parametrize("extra,where", [({"replications": True}, "replications"), ({"seed": -2}, "seed"),
                                         ({"out": 5}, "out"), ({"constraints": "c > 1"}, "constraints"),
                                         ({"fixed": [1]}, "fixed")])
def test_malformed_top_level_keys(extra, where) -> None:
    with pytest.raises(SweepError) as err:
        load_spec({"target": "queue_check", "space": {"grid": {"c": [1, 2]}}, **extra})
    assert err.value.where == where


@pytest.mark.parametrize(("expr", "words"), [
    ('"a" * 10000000000 != c', "arithmetic is on numbers only"),  # would allocate 10 GB
    ('"%*d" % (1000000000, c) != ""', "arithmetic is on numbers only"),  # string formatting: the same
    ("(1,) * 1000000000 != c", "arithmetic is on numbers only"),
])
def test_sequence_arithmetic_is_refused_at_once(expr, words) -> None:
    c = Constraint(expr, {"c"}, "constraints[0]")
    t0 = time.perf_counter()
    with pytest.raises(SweepError, match=words):
        c({"c": 1})
    assert time.perf_counter() - t0 < 1


@pytest.mark.parametrize("expr", [" + ".join(["c"] * 20000) + " < 2", "(" * 3000 + "c" + ")" * 3000 + " < 2",
                                  "c < 1\x00"])
def test_pathological_constraint_text_is_one_error(expr) -> None:
    """A 20,000-term sum once raised RecursionError from the parser."""
    with pytest.raises(SweepError, match="constraint") as err:
        Constraint(expr, {"c"}, "constraints[1]")
    assert str(err.value).startswith("constraints[1]: ")
