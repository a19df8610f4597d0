"""Sweep specifications: target, parameter space, replications, seed — validated up front.

YAML (or the same dict from Python)::

    target: network_turnaround            # a registered experiment, or a notebook path
    fixed: {scenario: datasets/scenarios/two_hospitals_one_hub.yaml, days: 7}
    space:
      grid: {links.rural-clinic.bandwidth_mbps: [0.5, 2, 10], compression.CR.ratio: [5, 10, 20]}
      # or  list: [{a: 1, b: 2}, ...]
      # or  random: {n: 20, seed: 1, params: {x: {low: 1, high: 30, log: true}, y: {choices: [a, b]}}}
      # or  lhs:    {n: 20, seed: 1, params: {...}}          (Latin hypercube)
    constraints: ["compression.CR.ratio <= 15"]              # expressions over parameter values
    replications: 2
    seed: 1
"""

from __future__ import annotations

import ast
import hashlib
import itertools
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from teleradlab.errors import SweepError

SPACE_KINDS = ("grid", "list", "random", "lhs")


@dataclass
class SweepSpec:
    """A validated sweep."""

    target: str
    points: list[dict[str, Any]]
    fixed: dict[str, Any] = field(default_factory=dict)
    replications: int = 1
    seed: int = 0
    out: str | None = None
    source: str = "spec"

    @property
    def is_notebook(self) -> bool:
        """Whether the target is a notebook."""
        return self.target.endswith(".ipynb")

    def runs(self) -> list[tuple[int, int, dict[str, Any]]]:
        """(point index, replication, full parameters) for every run, in a fixed order."""
        return [(i, r, {**self.fixed, **p}) for i, p in enumerate(self.points) for r in range(self.replications)]


def canonical(obj: Any) -> str:
    """A stable JSON text of parameters (sorted keys) for hashing."""
    return json.dumps(obj, sort_keys=True, default=str, separators=(",", ":"))


def run_seed(spec_seed: int, params: dict[str, Any], replication: int) -> int:
    """A seed derived from the spec's seed, the point's parameters and the replication — never the order."""
    digest = hashlib.sha256(canonical([spec_seed, params, replication]).encode()).digest()
    return int.from_bytes(digest[:4], "little")


def run_key(target_version: str, params: dict[str, Any], replication: int, seed: int) -> str:
    """The resume key: a hash of the target's version, the parameters, the replication and seed."""
    return hashlib.sha256(canonical([target_version, params, replication, seed]).encode()).hexdigest()[:20]


def _fail(msg: str, where: str) -> None:
    raise SweepError(msg, where=where)


def _grid(grid: Any, where: str) -> list[dict]:
    if not isinstance(grid, dict) or not grid:
        _fail("grid must map each parameter to a non-empty list of values", where)
    for k, v in grid.items():
        if not isinstance(v, list) or not v:
            _fail("expected a non-empty list of values", f"{where}.{k}")
    keys = list(grid)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*(grid[k] for k in keys))]


def _sample(spec: Any, where: str, lhs: bool) -> list[dict]:
    if not isinstance(spec, dict) or "n" not in spec or "params" not in spec:
        _fail("needs 'n', 'params' and optionally 'seed'", where)
    n = spec["n"]
    if not isinstance(n, int) or n < 1:
        _fail("n must be a positive integer", f"{where}.n")
    rng = np.random.default_rng(int(spec.get("seed", 0)))
    params = spec["params"]
    if not isinstance(params, dict) or not params:
        _fail("params must map names to {low, high[, log, integer]} or {choices}", f"{where}.params")
    cols: dict[str, list] = {}
    for name, p in params.items():
        w = f"{where}.params.{name}"
        u = ((rng.permutation(n) + rng.uniform(size=n)) / n) if lhs else rng.uniform(size=n)
        if isinstance(p, dict) and "choices" in p:
            choices = p["choices"]
            if not isinstance(choices, list) or not choices:
                _fail("choices must be a non-empty list", w)
            cols[name] = [choices[min(int(x * len(choices)), len(choices) - 1)] for x in u]
        elif isinstance(p, dict) and "low" in p and "high" in p:
            lo, hi = float(p["low"]), float(p["high"])
            if not lo < hi or (p.get("log") and lo <= 0):
                _fail("need low < high (and low > 0 for log)", w)
            vals = np.exp(np.log(lo) + u * (np.log(hi) - np.log(lo))) if p.get("log") else lo + u * (hi - lo)
            cols[name] = [int(round(v)) for v in vals] if p.get("integer") else [float(v) for v in vals]
        else:
            _fail("expected {low, high[, log, integer]} or {choices: [...]}", w)
    return [{k: cols[k][i] for k in cols} for i in range(n)]


def _constraint(expr: str, where: str):
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError as exc:
        raise SweepError(f"cannot parse constraint {expr!r}", where=where) from exc
    allowed = (ast.Expression, ast.Compare, ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.Name, ast.Constant, ast.Load,
               ast.And, ast.Or, ast.Not, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq, ast.Add, ast.Sub,
               ast.Mult, ast.Div, ast.USub, ast.In, ast.NotIn, ast.Tuple, ast.List)
    for node in ast.walk(tree):
        if not isinstance(node, allowed):
            _fail(f"constraint {expr!r} uses {type(node).__name__}; only comparisons and arithmetic", where)
    code = compile(tree, where, "eval")

    def check(point: dict) -> bool:
        names = {k.replace(".", "_").replace("-", "_"): v for k, v in point.items()}
        try:
            return bool(eval(code, {"__builtins__": {}}, names))  # noqa: S307 - AST restricted above
        except NameError as exc:
            raise SweepError(f"constraint {expr!r} names an unknown parameter ({exc})", where=where) from None

    return check



def _dotted_to_names(expr: str) -> str:
    import re
    return re.sub(r"[A-Za-z_][A-Za-z0-9_\-]*(?:\.[A-Za-z0-9_\-]+)+|[A-Za-z_][A-Za-z0-9_]*-[A-Za-z0-9_\-]+",
                  lambda m: m.group(0).replace(".", "_").replace("-", "_"), expr)


def load_spec(spec: str | os.PathLike[str] | dict, *, out: str | None = None) -> SweepSpec:
    """Load and validate a sweep spec (YAML file or dict); nothing runs.

    Raises
    ------
    SweepError
        Malformed YAML, unknown target, an empty space, a bad constraint — with the key path.
    """
    from teleradlab.safe_yaml import load_yaml

    source = "spec"
    if not isinstance(spec, dict):
        p = Path(spec)
        if not p.is_file():
            raise SweepError("no such sweep spec file", where=str(p))
        raw = load_yaml(p, error=SweepError)  # size, alias-expansion and depth limits; UTF-8 only
        source = str(p)
    else:
        raw = spec
    if not isinstance(raw, dict):
        _fail("a sweep spec is a mapping", source)
    allowed = {"target", "fixed", "space", "constraints", "replications", "seed", "out"}
    for k in raw:
        if k not in allowed:
            _fail(f"unknown key {k!r}; allowed: {', '.join(sorted(allowed))}", k)
    if "target" not in raw:
        _fail("missing 'target' (a registered experiment or a notebook path)", "target")
    space = raw.get("space")
    if not isinstance(space, dict) or len(space) != 1 or next(iter(space)) not in SPACE_KINDS:
        _fail(f"space must have exactly one of {', '.join(SPACE_KINDS)}", "space")
    kind, body = next(iter(space.items()))
    where = f"space.{kind}"
    if kind == "grid":
        points = _grid(body, where)
    elif kind == "list":
        if not isinstance(body, list) or not body or not all(isinstance(x, dict) for x in body):
            _fail("list must be a non-empty list of parameter mappings", where)
        points = [dict(x) for x in body]
    else:
        points = _sample(body, where, lhs=kind == "lhs")
    for i, c in enumerate(raw.get("constraints", []) or []):
        check = _constraint(_dotted_to_names(str(c)), f"constraints[{i}]")
        points = [p for p in points if check(p)]
    if not points:
        _fail("the parameter space is empty (after constraints)", "space")
    reps = raw.get("replications", 1)
    if not isinstance(reps, int) or reps < 1:
        _fail("replications must be a positive integer", "replications")
    fixed = raw.get("fixed", {}) or {}
    if not isinstance(fixed, dict):
        _fail("fixed must be a mapping", "fixed")
    spec_obj = SweepSpec(target=str(raw["target"]), points=points, fixed=fixed, replications=reps,
                         seed=int(raw.get("seed", 0)), out=out or raw.get("out"), source=source)
    _check_target(spec_obj)
    return spec_obj


def _check_target(spec: SweepSpec) -> None:
    if spec.is_notebook:
        from teleradlab.sweep.notebooks import check_parameters

        for i, p in enumerate(spec.points):
            check_parameters(spec.target, {**spec.fixed, **p}, where=f"space point {i}")
        return
    from teleradlab.experiments import get_experiment

    exp = get_experiment(spec.target)
    for i, (_, _, params) in enumerate(spec.runs()[:: spec.replications]):
        try:
            exp.check({**params, "seed": 0})
        except Exception as exc:
            raise SweepError(str(exc), where=f"space point {i}") from None
