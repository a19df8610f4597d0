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
- Non-preemptive priority M/M/c with one service rate: Cobham 1954 (above); Kella O,
  Yechiali U. Waiting times in the non-preemptive priority M/M/c queue. Stochastic
  Models 1985;1(2).
- Preemptive-resume priority M/G/c, approximately: Bondi AB, Buzen JP. The response
  times of priority classes under preemptive resume in M/G/m queues. Proc ACM
  SIGMETRICS 1984 (as described by Harchol-Balter M, Osogami T, Scheller-Wolf A,
  Wierman A. Multi-server queueing systems with multiple priority classes. Queueing
  Systems 2005;51, who also give the exact M/M/c results used here).
- M/G/c FCFS waits from M/M/c: Lee AM, Longton PA. Queueing processes associated with
  airline passenger check-in. Oper Res Q 1959;10 (Wq ≈ (1 + Cs²)/2 · Wq(M/M/c)).
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


def _classes(c: int, lams: Sequence[float], mu: float, what: str) -> None:
    if c < 1 or mu <= 0 or any(lam < 0 for lam in lams) or not lams:
        raise ParameterError("need c >= 1, mu > 0 and non-negative class rates", where=what)
    _check_stable(sum(lams) / (c * mu), what)


def mmc_priority_preemptive_times(c: int, lams: Sequence[float], mu: float) -> list[float]:
    """Mean time in system per class of a preemptive-resume priority M/M/c queue, all classes at rate μ (exact).

    Class 0 is the highest priority. Classes 0..k never see lower classes, and with
    one exponential service rate the number of them in the system is that of an
    M/M/c FCFS queue with rate Λ_k = Σ_{i≤k} λ_i; so Λ_k T(Λ_k) = Σ_{i≤k} λ_i T_i, and
    T_k = (Λ_k T(Λ_k) − Λ_{k−1} T(Λ_{k−1})) / λ_k with T(Λ) = Wq_{M/M/c}(Λ) + 1/μ
    (Harchol-Balter et al. 2005, §2).

    Examples
    --------
    >>> t = mmc_priority_preemptive_times(1, [0.3, 0.5], 1.0)
    >>> expected = priority_preemptive_times([0.3, 0.5], [1.0, 1.0], [2.0, 2.0])
    >>> all(abs(a - b) < 1e-12 for a, b in zip(t, expected))
    True
    """
    _classes(c, lams, mu, "mmc_priority_preemptive_times")
    out, prev, cum = [], 0.0, 0.0
    for lam in lams:
        cum += lam
        total = cum * (mmc_wait(c, cum, mu) + 1 / mu) if cum > 0 else 0.0
        out.append((total - prev) / lam if lam > 0 else math.nan)
        prev = total
    return out


def mmc_priority_nonpreemptive_waits(c: int, lams: Sequence[float], mu: float) -> list[float]:
    """Mean wait in queue per class of a non-preemptive priority M/M/c queue, all classes at rate μ (exact).

    Wq_k = C(c, a) / (c μ) / ((1 − σ_{k−1})(1 − σ_k)), σ_k = Σ_{i≤k} λ_i / (c μ),
    with C the Erlang C probability of the whole load (Kella & Yechiali 1985).

    Examples
    --------
    >>> w = mmc_priority_nonpreemptive_waits(1, [0.3, 0.5], 1.0)
    >>> expected = priority_nonpreemptive_waits([0.3, 0.5], [1.0, 1.0], [2.0, 2.0])
    >>> all(abs(a - b) < 1e-12 for a, b in zip(w, expected))
    True
    """
    _classes(c, lams, mu, "mmc_priority_nonpreemptive_waits")
    w0 = erlang_c(c, sum(lams), mu) / (c * mu)
    out, sigma_prev = [], 0.0
    for lam in lams:
        sigma = sigma_prev + lam / (c * mu)
        out.append(w0 / ((1 - sigma_prev) * (1 - sigma)))
        sigma_prev = sigma
    return out


def mgc_wait(c: int, lam: float, mean: float, second_moment: float) -> float:
    """Mean wait in queue of an M/G/c FCFS queue, approximately: (1 + Cs²)/2 · Wq(M/M/c) (Lee & Longton 1959).

    Exact for c = 1 (Pollaczek–Khinchine) and for exponential service.

    Examples
    --------
    >>> round(mgc_wait(1, 0.8, 1.0, 1.0), 6) == round(mg1_wait(0.8, 1.0, 1.0), 6)
    True
    """
    cs2 = second_moment / mean ** 2 - 1
    return (1 + cs2) / 2 * mmc_wait(c, lam, 1 / mean)


def bondi_buzen_preemptive_times(c: int, lams: Sequence[float], means: Sequence[float],
                                 second_moments: Sequence[float]) -> list[float]:
    """Mean time in system per class of a preemptive-resume priority M/G/c queue (Bondi & Buzen 1984 approximation).

    The queueing delay of class k in the M/G/c priority queue is taken to be its delay
    in an M/G/1 priority queue with a c-times faster server, scaled by the ratio of
    the FCFS waits of the M/G/c and that fast M/G/1 queue for the whole load:

    T_k ≈ E[S_k] + (T_k^fast − E[S_k]/c) · Wq^{M/G/c} / Wq^{M/G/1, fast}.

    Exact for c = 1. An approximation otherwise (Harchol-Balter et al. 2005 report
    errors of a few per cent to over ten per cent, growing with load and with the
    spread of service times between classes).

    Parameters
    ----------
    c : int
        Servers.
    lams, means, second_moments : sequence of float
        Per class (0 highest): arrival rate, E[S], E[S²] at one server's speed.

    Returns
    -------
    list of float
    """
    if c < 1:
        raise ParameterError("need c >= 1", where="bondi_buzen_preemptive_times")
    fast = priority_preemptive_times(lams, [m / c for m in means], [m2 / c ** 2 for m2 in second_moments])
    lam = sum(lams)
    mean = sum(la * m for la, m in zip(lams, means, strict=True)) / lam
    m2 = sum(la * x for la, x in zip(lams, second_moments, strict=True)) / lam
    ratio = mgc_wait(c, lam, mean, m2) / mg1_wait(lam, mean / c, m2 / c ** 2)
    return [m + (t - m / c) * ratio for t, m in zip(fast, means, strict=True)]


def ai_triage_waits(c: int, lam: float, mean: float, prevalence: float, sensitivity: float,
                    specificity: float) -> dict[str, float]:
    """Mean waits with and without an AI that moves its positives ahead, M/M/c preemptive-resume, one reading rate.

    The calculation QuCAD's calculator makes for this case (Thompson et al.; FDA/DIDSR
    QuCAD), here exact through :func:`mmc_priority_preemptive_times`: AI-positive
    studies (rate λ·[p·Se + (1−p)(1−Sp)]) preempt AI-negative ones; a study's wait is
    its time in the system minus its own reading time.

    Parameters
    ----------
    c : int
        Radiologists.
    lam, mean : float
        Arrival rate (per minute) and mean reading time (minutes).
    prevalence, sensitivity, specificity : float

    Returns
    -------
    dict
        ``positive``, ``negative``, ``diseased``, ``non_diseased`` (with the AI),
        ``without_ai`` (FCFS, every study), and the differences ``saving_diseased``
        (without − with, diseased) and ``cost_non_diseased`` (with − without).

    Examples
    --------
    >>> w = ai_triage_waits(1, 0.08, 10.0, 0.1, 0.9, 0.8)
    >>> round(w["without_ai"], 2), round(w["diseased"], 2)
    (40.0, 7.86)
    """
    pos = prevalence * sensitivity + (1 - prevalence) * (1 - specificity)
    t_pos, t_neg = mmc_priority_preemptive_times(c, [lam * pos, lam * (1 - pos)], 1 / mean)
    w_pos, w_neg = t_pos - mean, t_neg - mean
    fifo = mmc_wait(c, lam, 1 / mean)
    dis = sensitivity * w_pos + (1 - sensitivity) * w_neg
    non = (1 - specificity) * w_pos + specificity * w_neg
    return {"positive": w_pos, "negative": w_neg, "diseased": dis, "non_diseased": non, "without_ai": fifo,
            "saving_diseased": fifo - dis, "cost_non_diseased": non - fifo}
