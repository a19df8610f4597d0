"""Registered experiments: plain parameters in, a flat dict of metrics out.

Sweeps and notebooks call these. Each is deterministic given its ``seed``; each has
a ``version`` that is part of the resume key, so changing an experiment's meaning
(bump the version) reruns its points.

    @experiment("my_experiment", version="1")
    def my_experiment(*, x: float, seed: int = 0) -> dict[str, float]: ...
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from teleradlab.errors import ParameterError, SweepError


@dataclass(frozen=True)
class Experiment:
    """A registered experiment function and its version."""

    name: str
    version: str
    func: Callable[..., dict[str, Any]]

    def parameters(self) -> dict[str, inspect.Parameter]:
        """The function's parameters by name."""
        return dict(inspect.signature(self.func).parameters)

    def accepts_any(self) -> bool:
        """Whether it takes arbitrary keyword parameters (``**overrides``)."""
        return any(p.kind is inspect.Parameter.VAR_KEYWORD for p in self.parameters().values())

    def check(self, params: dict[str, Any]) -> None:
        """Raise ParameterError for names the experiment does not accept or required names missing."""
        sig = self.parameters()
        if not self.accepts_any():
            unknown = sorted(set(params) - set(sig))
            if unknown:
                raise ParameterError(f"{self.name} does not accept {unknown}; it takes {sorted(sig)}",
                                     where=f"{self.name}({unknown[0]})")
        missing = [n for n, p in sig.items() if p.default is inspect.Parameter.empty
                   and p.kind is inspect.Parameter.KEYWORD_ONLY and n not in params]
        if missing:
            raise ParameterError(f"{self.name} needs {missing}", where=f"{self.name}({missing[0]})")
        hints = typing.get_type_hints(self.func)
        for name, value in params.items():
            wanted = _accepted(hints.get(name)) if name in sig else None
            if wanted is not None and not any(value_fits(value, t) for t in wanted):
                names = " or ".join("None" if t is type(None) else t.__name__ for t in wanted)
                raise ParameterError(f"{self.name} takes {name} as {names}, got {type(value).__name__} {value!r}",
                                     where=f"{self.name}({name})")

    def __call__(self, **params: Any) -> dict[str, Any]:
        out = self.func(**params)
        if not isinstance(out, dict):
            raise SweepError(f"experiment {self.name} returned {type(out).__name__}, not a dict", where=self.name)
        return out


def _accepted(hint: Any) -> tuple[type, ...] | None:
    """The plain types an annotation allows (``float``, ``int | None``...), or None if it is not that simple."""
    if hint is None:
        return None
    options = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)
    plain = (bool, int, float, str, type(None))
    return tuple(options) if all(t in plain for t in options) else None


def value_fits(value: Any, t: type) -> bool:
    """Whether ``value`` will do for a parameter of type ``t``: an int for a float, never a bool for a number.

    Parameters
    ----------
    value : Any
    t : type
        ``bool``, ``int``, ``float``, ``str``, ``type(None)`` or any other class (``isinstance``).

    Returns
    -------
    bool
    """
    if t is type(None):
        return value is None
    if t is bool:
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if t is float:
        return isinstance(value, int | float)
    return isinstance(value, t)


_REGISTRY: dict[str, Experiment] = {}


def experiment(name: str, *, version: str = "1") -> Callable:
    """Register a function as an experiment (decorator)."""
    def wrap(func: Callable) -> Callable:
        _REGISTRY[name] = Experiment(name, version, func)
        return func

    return wrap


def get_experiment(name: str) -> Experiment:
    """Look an experiment up by name."""
    if name not in _REGISTRY:
        raise SweepError(f"unknown experiment {name!r}; registered: {', '.join(sorted(_REGISTRY))}", where="target")
    return _REGISTRY[name]


def list_experiments() -> list[str]:
    """Names of the registered experiments."""
    return sorted(_REGISTRY)


# ------------------------------------------------------------------------- experiments
@experiment("queue_check", version="1")
def queue_check(*, c: int = 2, mean: float = 10.0, rho: float = 0.8, days: float = 30, seed: int = 0) -> dict:
    """Simulate an M/M/c reading queue and compare with Erlang C (CPU-bound; for tests and scaling).

    The simulated mean wait comes with its 95 % batch-means interval
    (:meth:`SimulationResult.by`); ``theory_in_ci`` says whether Erlang C's value lies in it.
    """
    from teleradlab.network import queue_scenario, simulate, theory

    lam = rho * c / mean
    sc = queue_scenario(c=int(c), mean=mean, rho=rho)
    res = simulate(sc, days=days, seed=seed, show_progress=False)
    w = res.studies["wait_minutes"]
    ci = res.by("replication", metrics=("wait_minutes",)).iloc[0]
    low, high = float(ci[("wait_minutes", "mean_low")]), float(ci[("wait_minutes", "mean_high")])
    theory_wq = theory.mmc_wait(int(c), lam, 1 / mean)
    return {"studies": int(len(w)), "wait_mean": float(w.mean()), "wait_low": low, "wait_high": high,
            "wait_theory": theory_wq, "theory_in_ci": bool(low <= theory_wq <= high),
            "p_wait": float((w > 0).mean()), "p_wait_theory": theory.erlang_c(int(c), lam, 1 / mean),
            "rel_error": float(w.mean() / theory_wq - 1)}


def _network_metrics(res: Any) -> dict[str, Any]:
    s = res.summary()
    out = {"studies": s["counts"]["acquired"], "reported": s["counts"]["reported"],
           "turnaround_mean": s["turnaround"]["all"]["mean"], "turnaround_p50": s["turnaround"]["all"]["p50"],
           "turnaround_p90": s["turnaround"]["all"]["p90"], "turnaround_p95": s["turnaround"]["all"]["p95"],
           "transfer_mean": float(res.studies["transfer_minutes"].mean()),
           "wait_mean": float(res.studies["wait_minutes"].mean())}
    # the mean turnaround's 95 % interval (batch means, or across replications)
    ci = res.by("replication", metrics=("turnaround_minutes",)).iloc[0] if len(res.studies) else None
    out["turnaround_mean_ci_low"] = float(ci[("turnaround_minutes", "mean_low")]) if ci is not None else float("nan")
    out["turnaround_mean_ci_high"] = float(ci[("turnaround_minutes", "mean_high")]) if ci is not None else float("nan")
    for p, v in s["sla"].items():
        out[f"sla_{p}"] = v["compliance"]
    for p, v in s["turnaround"]["by_priority"].items():
        out[f"turnaround_mean_{p}"] = v["mean"]
    return out


@experiment("network_turnaround", version="2")
def network_turnaround(*, scenario: str, days: float = 7, seed: int = 0, warmup_days: float | None = None,
                       common_seed: int | None = None, **overrides: Any) -> dict:
    """Simulate a scenario with dotted-key overrides; return turnaround and SLA metrics.

    The mean turnaround comes with its 95 % interval (``turnaround_mean_ci_low`` /
    ``_high``: batch means of the one replication). ``warmup_days`` defaults to the
    scenario's documented warm-up rule (:func:`teleradlab.network.simulation.default_warmup_days`).

    Any other keyword is an override (``{"links.rural-clinic.bandwidth_mbps": 2}``).
    ``common_seed``, when given, replaces the run's seed: every point then sees the same
    studies (common random numbers), so differences between points are the settings'.
    """
    from teleradlab.network import load_scenario, simulate

    sc = load_scenario(scenario, overrides=overrides)
    used = seed if common_seed is None else int(common_seed)
    return _network_metrics(simulate(sc, days=days, seed=used, warmup_days=warmup_days, show_progress=False))


@experiment("compression_quality", version="3")
def compression_quality(*, modality: str = "CT", codec: str = "jpeg2000", ratio: float = 10.0, n: int = 64,
                        roi: int = 64, background: str = "lumpy", observer: str = "cho", seed: int = 0,
                        common_seed: int | None = None, on_miss: str = "raise") -> dict:
    """Compress a synthetic image and an observer task; return fidelity metrics and the observer's AUC.

    ``common_seed``, when given, replaces the run's seed (the same images at every point).
    A ``ratio`` the codec cannot reach within ±5% fails the point with the reachable
    ratios named (a sweep records it as failed, with that reason); with
    ``on_miss="nearest"`` the point uses the nearest reachable ratio instead. Either
    way the metrics carry the ratios achieved — ``ratio_achieved`` on the image,
    ``ratio_achieved_rois`` on the observer's ROIs — beside ``ratio_target``. The
    observer's AUC and d′ carry 95% intervals (10 train/test splits, bootstrap over
    images), and ``delta_auc`` the paired interval against the uncompressed ROIs.
    """
    seed = seed if common_seed is None else int(common_seed)
    import warnings

    import numpy as np

    from teleradlab.compression import compress
    from teleradlab.compression.compress import RatioMissWarning
    from teleradlab.imaging import lesion_ensemble, synthesize_study
    from teleradlab.imaging.decode import modality_pixels
    from teleradlab.quality import (
        all_metrics,
        data_range_for,
        model_observer,
        paired_auc_difference,
    )
    from teleradlab.quality.acceptable import compress_stack

    shape = {"CT": (256, 256), "MR": (256, 256), "CR": (500, 410), "DX": (500, 410), "MG": (459, 383),
             "US": (240, 320)}.get(modality.upper(), (256, 256))
    ds = synthesize_study(modality, seed=seed, shape=shape, n_images=1).datasets[0]
    res = compress(ds, codec, ratio=ratio, on_miss=on_miss)
    out = {"ratio_target": float(ratio), "ratio_achieved": res.ratio, **all_metrics(modality_pixels(ds), modality_pixels(res.dataset),
                                                      data_range=data_range_for(ds))}
    ens = lesion_ensemble(n, roi=roi, background=background, seed=seed, signal={"amplitude": 8, "radius_px": roi / 16})
    hi = 4095
    p, a = np.clip(np.round(ens.present), 0, hi), np.clip(np.round(ens.absent), 0, hi)
    with warnings.catch_warnings():  # a miss is recorded in the ratios returned, not warned per stack
        warnings.simplefilter("ignore", RatioMissWarning)
        cp, ratio_p = compress_stack(p, codec, ratio, on_miss=on_miss)
        ca, ratio_a = compress_stack(a, codec, ratio, on_miss=on_miss)
    out["ratio_achieved_rois"] = (ratio_p + ratio_a) / 2
    # the signal is the NPW/NPWE template and sizes the CHO's LG channels; same seeds: a paired ΔAUC
    kw: dict[str, Any] = {"kind": observer, "signal": ens.signal, "seed": seed, "n_boot": 200}
    ref_obs = model_observer(p, a, **kw)
    obs = model_observer(cp, ca, **kw)
    delta, delta_ci, _ = paired_auc_difference(obs, ref_obs)
    # n_boot=200 > 0: every interval is present
    assert delta_ci is not None and obs.auc_ci is not None and obs.dprime_ci is not None
    d_lo, d_hi = delta_ci
    out.update({"auc": obs.auc, "auc_ci_low": obs.auc_ci[0], "auc_ci_high": obs.auc_ci[1], "dprime": obs.dprime,
                "dprime_ci_low": obs.dprime_ci[0], "dprime_ci_high": obs.dprime_ci[1],
                "auc_uncompressed": ref_obs.auc, "delta_auc": delta, "delta_auc_ci_low": d_lo,
                "delta_auc_ci_high": d_hi})
    return out


@experiment("joint_tradeoff", version="4")
def joint_tradeoff(*, scenario: str, codec: str = "jpeg2000", ratio: float = 10.0, modality: str = "CT",
                   days: float = 7, n: int = 64, seed: int = 0, common_seed: int | None = None,
                   on_miss: str = "raise", **overrides: Any) -> dict:
    """Turnaround on the network with ``modality`` compressed at ``ratio``, and detectability at that ratio.

    ``common_seed`` gives every point the same studies and images (common random numbers).
    """
    net = network_turnaround(scenario=scenario, days=days, seed=seed, common_seed=common_seed, **overrides,
                             **{f"compression.{modality}.syntax": codec, f"compression.{modality}.ratio": ratio})
    qual = compression_quality(modality=modality, codec=codec, ratio=ratio, n=n, seed=seed, common_seed=common_seed,
                               on_miss=on_miss)
    return {**net, **{f"q_{k}": v for k, v in qual.items()}}
