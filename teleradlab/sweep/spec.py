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
import math
import operator
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from teleradlab.errors import SweepError
from teleradlab.limits import MAX_POINTS, check_points

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


def _fail(msg: str, where: str) -> NoReturn:
    raise SweepError(msg, where=where)


def _grid(grid: Any, where: str, max_points: int = MAX_POINTS) -> list[dict]:
    if not isinstance(grid, dict) or not grid:
        _fail("grid must map each parameter to a non-empty list of values", where)
    for k, v in grid.items():
        if not isinstance(v, list) or not v:
            _fail("expected a non-empty list of values", f"{where}.{k}")
    check_points(math.prod(len(v) for v in grid.values()), where, max_points=max_points)
    keys = list(grid)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*(grid[k] for k in keys))]


def _sample(spec: Any, where: str, lhs: bool, max_points: int = MAX_POINTS) -> list[dict]:
    if not isinstance(spec, dict) or "n" not in spec or "params" not in spec:
        _fail("needs 'n', 'params' and optionally 'seed'", where)
    n = spec["n"]
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        _fail("n must be a positive integer", f"{where}.n")
    check_points(n, f"{where}.n", max_points=max_points)
    seed = spec.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        _fail("seed must be an integer >= 0", f"{where}.seed")
    rng = np.random.default_rng(seed)
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
            lo, hi = p["low"], p["high"]
            if any(isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) for v in (lo, hi)):
                _fail("low and high must be finite numbers", w)
            lo, hi = float(lo), float(hi)
            if not lo < hi or (p.get("log") and lo <= 0):
                _fail("need low < high (and low > 0 for log)", w)
            vals = np.exp(np.log(lo) + u * (np.log(hi) - np.log(lo))) if p.get("log") else lo + u * (hi - lo)
            cols[name] = [int(round(v)) for v in vals] if p.get("integer") else [float(v) for v in vals]
        else:
            _fail("expected {low, high[, log, integer]} or {choices: [...]}", w)
    return [{k: cols[k][i] for k in cols} for i in range(n)]


#: The expression grammar of constraints: comparisons (chained too), and/or/not,
#: + - * / // % and unary minus, ``in`` / ``not in`` over tuples and lists, parameter
#: names, and number, string, true/false/None literals; arithmetic on numbers only (``"a" *
#: 10000000000`` would exhaust memory). No calls, attributes, subscripts or powers (``2 ** 10 ** 10``
#: would hang).
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
           ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod}
_COMPARE = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
            ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.In: lambda a, b: a in b,
            ast.NotIn: lambda a, b: a not in b}
#: Longest constraint expression accepted (a guard against pathological nesting; real ones are a line).
MAX_CONSTRAINT_CHARS = 2000
_STRING = re.compile(r"""('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")""")


class Constraint:
    """A parsed constraint: an ``ast`` tree over a whitelisted grammar, evaluated without ``eval``.

    Parameter names may hold dots and hyphens (``links.rural-clinic.bandwidth_mbps``);
    they are replaced by placeholders before parsing — outside string literals only,
    longest name first — so ``codec != "jpeg2000-lossless"`` compares the parameter
    ``codec`` with that exact string, and ``x >= 1e-3`` reads a number.

    Parameters
    ----------
    expr : str
        The expression.
    names : iterable of str
        The parameter names it may use.
    where : str
        Its key path in the spec (``constraints[0]``), for errors.

    Raises
    ------
    SweepError
        Unparseable text, a construct outside the grammar, or an unknown name.
    """

    def __init__(self, expr: str, names: Any, where: str) -> None:
        self.expr, self.where = expr, where
        self.params: dict[str, str] = {}
        pieces = _STRING.split(expr)
        ordered = sorted(set(names), key=len, reverse=True)
        for i in range(0, len(pieces), 2):  # even pieces lie outside string literals
            for name in ordered:
                pattern = rf"(?<![\w.]){re.escape(name)}(?![\w.])"
                if re.search(pattern, pieces[i]):
                    slot = self.params.setdefault(name, f"_p{len(self.params)}")
                    pieces[i] = re.sub(pattern, slot, pieces[i])
        if len(expr) > MAX_CONSTRAINT_CHARS:
            raise SweepError(f"constraint of {len(expr):,} characters, above the limit of {MAX_CONSTRAINT_CHARS:,}",
                             where=where)
        try:
            self.tree = ast.parse("".join(pieces).strip(), mode="eval").body
        except (SyntaxError, ValueError, RecursionError, MemoryError):  # ValueError: a NUL; the others: nesting
            raise SweepError(f"cannot parse constraint {expr!r}", where=where) from None
        self.slots = {slot: name for name, slot in self.params.items()}
        self._check(self.tree)

    def _check(self, node: ast.AST) -> None:
        ok = (isinstance(node, ast.BoolOp | ast.Compare | ast.Tuple | ast.List)
              or (isinstance(node, ast.BinOp) and type(node.op) in _BINARY)
              or (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not | ast.USub | ast.UAdd))
              or (isinstance(node, ast.Constant) and isinstance(node.value, int | float | str | bool | None)))
        if isinstance(node, ast.Name):
            if node.id in self.slots:
                return
            if node.id in ("true", "false", "True", "False", "None", "null"):
                return
            raise SweepError(f"constraint {self.expr!r} names {node.id!r}, which is no parameter of the space",
                             where=self.where)
        if isinstance(node, ast.Compare) and any(type(op) not in _COMPARE for op in node.ops):
            ok = False
        if not ok:
            raise SweepError(f"constraint {self.expr!r} uses {type(node).__name__}; only comparisons, and/or/not, "
                             "arithmetic, `in`, parameter names and literals are allowed", where=self.where)
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, ast.expr_context | ast.boolop | ast.operator | ast.unaryop | ast.cmpop):
                self._check(child)

    def __call__(self, point: dict[str, Any]) -> bool:
        """Whether ``point`` satisfies the constraint."""
        try:
            return bool(self._eval(self.tree, point))
        except SweepError:
            raise
        except (TypeError, ZeroDivisionError, ValueError, OverflowError) as exc:
            raise SweepError(f"constraint {self.expr!r} cannot be evaluated at {point} ({exc})",
                             where=self.where) from None

    def _eval(self, node: ast.AST, point: dict[str, Any]) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            if node.id in self.slots:
                name = self.slots[node.id]
                if name not in point:
                    raise SweepError(f"constraint {self.expr!r} needs {name!r}, which this point lacks",
                                     where=self.where)
                return point[name]
            return {"true": True, "True": True, "false": False, "False": False}.get(node.id)
        if isinstance(node, ast.Tuple | ast.List):
            return tuple(self._eval(e, point) for e in node.elts)
        if isinstance(node, ast.BoolOp):
            if isinstance(node.op, ast.And):
                return all(self._eval(v, point) for v in node.values)
            return any(self._eval(v, point) for v in node.values)
        if isinstance(node, ast.UnaryOp):
            value = self._eval(node.operand, point)
            return not value if isinstance(node.op, ast.Not) else -value if isinstance(node.op, ast.USub) else +value
        if isinstance(node, ast.BinOp):
            left, right = self._eval(node.left, point), self._eval(node.right, point)
            if not all(isinstance(v, int | float) for v in (left, right)):  # "a" * 10**9, "%*d" % ...: no
                raise TypeError(f"arithmetic is on numbers only, not {type(left).__name__} and "
                                f"{type(right).__name__}")
            return _BINARY[type(node.op)](left, right)
        assert isinstance(node, ast.Compare)
        left = self._eval(node.left, point)
        for op, comp in zip(node.ops, node.comparators, strict=True):
            right = self._eval(comp, point)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True


def load_spec(spec: str | os.PathLike[str] | dict, *, out: str | None = None,
              max_points: int = MAX_POINTS) -> SweepSpec:
    """Load and validate a sweep spec (YAML file or dict); nothing runs.

    Parameters
    ----------
    spec : path-like or dict
        The YAML file (read through :func:`teleradlab.safe_yaml.load_yaml`) or its mapping.
    out : str, optional
        The output folder, overriding the spec's ``out``.
    max_points : int
        Most points the space may hold (:data:`teleradlab.limits.MAX_POINTS`), checked
        before the space is built; raise it explicitly for a bigger sweep.

    Raises
    ------
    SweepError
        Malformed YAML, unknown target, an empty or oversized space, a bad constraint —
        with the key path.
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
        points = _grid(body, where, max_points)
    elif kind == "list":
        if not isinstance(body, list) or not body or not all(isinstance(x, dict) for x in body):
            _fail("list must be a non-empty list of parameter mappings", where)
        points = [dict(x) for x in body]
    else:
        points = _sample(body, where, lhs=kind == "lhs", max_points=max_points)
    check_points(len(points), where, max_points=max_points)
    constraints = raw.get("constraints", []) or []
    if not isinstance(constraints, list):
        _fail("constraints must be a list of expressions", "constraints")
    fixed_raw = raw.get("fixed", {}) or {}
    names = {k for p in points for k in p} | (set(fixed_raw) if isinstance(fixed_raw, dict) else set())
    for i, c in enumerate(constraints):
        if not isinstance(c, str):
            _fail(f"expected an expression in quotes, got {c!r}", f"constraints[{i}]")
        check = Constraint(c, names, f"constraints[{i}]")
        points = [p for p in points if check(p)]
    if not points:
        _fail("the parameter space is empty (after constraints)", "space")
    reps = raw.get("replications", 1)
    if isinstance(reps, bool) or not isinstance(reps, int) or reps < 1:
        _fail("replications must be a positive integer", "replications")
    check_points(len(points) * reps, "replications", max_points=max_points)
    fixed = raw.get("fixed", {}) or {}
    if not isinstance(fixed, dict):
        _fail("fixed must be a mapping", "fixed")
    seed = raw.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        _fail("seed must be an integer >= 0", "seed")
    if raw.get("out") is not None and not isinstance(raw["out"], str):
        _fail(f"out must be a folder path, got {raw['out']!r}", "out")
    spec_obj = SweepSpec(target=str(raw["target"]), points=points, fixed=fixed, replications=reps,
                         seed=seed, out=out or raw.get("out"), source=source)
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
