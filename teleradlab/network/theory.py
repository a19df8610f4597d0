"""Queueing theory for teaching and for validating the simulator.

Notation: arrival rate λ, service rate μ (1/mean service time), c servers,
offered load a = λ/μ, utilisation ρ = a/c. Times are in the units of 1/λ.

References
----------
- Erlang C: Kleinrock L. Queueing Systems, Vol. 1. Wiley, 1975, §3.5.
- Pollaczek–Khinchine: Kleinrock 1975, §5.
- Non-preemptive priority M/G/1: Cobham A. Priority assignment in waiting line
  problems. Oper Res 1954;2:70–76.
- Preemptive-resume priority M/G/1: Kleinrock L. Queueing Systems, Vol. 2, 1976, §3.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from teleradlab.errors import ParameterError


def _check_stable(rho: float, what: str) -> None:
    if not 0 <= rho < 1:
        raise ParameterError(f"the queue is unstable: utilisation {rho:.3f} must be below 1", where=what)


def erlang_c(c: int, lam: float, mu: float) -> float:
    """Probability that an arrival waits in an M/M/c queue (Erlang C).

    Parameters
    ----------
    c : int
        Servers (radiologists).
    lam, mu : float
        Arrival rate and service rate per server.

    Returns
    -------
    float
        P(W > 0) = [a^c/c! · c/(c−a)] / [Σ_{k<c} a^k/k! + a^c/c! · c/(c−a)].

    Examples
    --------
    >>> round(erlang_c(1, 0.8, 1.0), 6)  # M/M/1: P(wait) = rho
    0.8
    >>> round(erlang_c(2, 1.0, 1.0), 4)
    0.3333
    """
    if c < 1 or lam < 0 or mu <= 0:
        raise ParameterError("need c >= 1, lam >= 0, mu > 0", where="erlang_c")
    a = lam / mu
    _check_stable(a / c, "erlang_c")
    # Numerically stable: recurrence for the Erlang B blocking probability, then C from B.
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    rho = a / c
    return b / (1 - rho + rho * b)


def mmc_wait(c: int, lam: float, mu: float) -> float:
    """Mean wait in queue Wq of an M/M/c queue: C(c, a) / (cμ − λ).

    Examples
    --------
    >>> round(mmc_wait(1, 0.8, 1.0), 6)  # M/M/1: rho / (mu - lam)
    4.0
    """
    return erlang_c(c, lam, mu) / (c * mu - lam)


def mmc_wait_tail(t: float, c: int, lam: float, mu: float) -> float:
    """P(Wq > t) for an M/M/c queue: C(c, a) · exp(−(cμ − λ) t)."""
    return erlang_c(c, lam, mu) * math.exp(-(c * mu - lam) * t)


def mg1_wait(lam: float, mean: float, second_moment: float) -> float:
    """Mean wait in queue of an M/G/1 queue (Pollaczek–Khinchine).

    Wq = λ E[S²] / (2 (1 − ρ)), with ρ = λ E[S].

    Examples
    --------
    >>> round(mg1_wait(0.8, 1.0, 2.0), 6)  # exponential service: E[S^2] = 2 E[S]^2, same as M/M/1
    4.0
    """
    rho = lam * mean
    _check_stable(rho, "mg1_wait")
    return lam * second_moment / (2 * (1 - rho))


def lognormal_moments(mean: float, sd: float) -> tuple[float, float]:
    """E[S] and E[S²] of a lognormal with the given mean and standard deviation."""
    return mean, sd * sd + mean * mean


def priority_nonpreemptive_waits(lams: Sequence[float], means: Sequence[float],
                                 second_moments: Sequence[float]) -> list[float]:
    """Mean wait in queue per class of a non-preemptive priority M/G/1 queue (Cobham).

    Class 0 is the highest priority. Wq_k = W0 / ((1 − σ_{k−1})(1 − σ_k)), with
    W0 = Σ_i λ_i E[S_i²] / 2 and σ_k = Σ_{i≤k} ρ_i.
    """
    w0 = sum(lam * m2 for lam, m2 in zip(lams, second_moments, strict=True)) / 2
    out, sigma_prev = [], 0.0
    for lam, mean in zip(lams, means, strict=True):
        sigma = sigma_prev + lam * mean
        _check_stable(sigma, "priority_nonpreemptive_waits")
        out.append(w0 / ((1 - sigma_prev) * (1 - sigma)))
        sigma_prev = sigma
    return out


def priority_preemptive_times(lams: Sequence[float], means: Sequence[float],
                              second_moments: Sequence[float]) -> list[float]:
    """Mean time in system per class of a preemptive-resume priority M/G/1 queue.

    T_k = E[S_k]/(1 − σ_{k−1}) + Σ_{i≤k} λ_i E[S_i²] / (2 (1 − σ_{k−1})(1 − σ_k)).
    """
    out, sigma_prev, acc = [], 0.0, 0.0
    for lam, mean, m2 in zip(lams, means, second_moments, strict=True):
        sigma = sigma_prev + lam * mean
        _check_stable(sigma, "priority_preemptive_times")
        acc += lam * m2
        out.append(mean / (1 - sigma_prev) + acc / (2 * (1 - sigma_prev) * (1 - sigma)))
        sigma_prev = sigma
    return out


def littles_law(lam: float, w: float) -> float:
    """L = λ W: the mean number in a system from its arrival rate and mean time in it."""
    return lam * w
