import math

import pytest

from teleradlab.errors import ParameterError
from teleradlab.network import theory


def test_erlang_c_against_direct_formula() -> None:
    c, lam, mu = 4, 3.0, 1.0
    a = lam / mu
    top = a ** c / math.factorial(c) * c / (c - a)
    direct = top / (sum(a ** k / math.factorial(k) for k in range(c)) + top)
    assert theory.erlang_c(c, lam, mu) == pytest.approx(direct, rel=1e-12)
    assert theory.mmc_wait(c, lam, mu) == pytest.approx(direct / (c * mu - lam))
    assert theory.mmc_wait_tail(0, c, lam, mu) == pytest.approx(direct)


def test_pk_reduces_to_mm1_and_md1() -> None:
    lam, mean = 0.8, 1.0
    assert theory.mg1_wait(lam, mean, 2 * mean ** 2) == pytest.approx(theory.mmc_wait(1, lam, 1 / mean))
    assert theory.mg1_wait(lam, mean, mean ** 2) == pytest.approx(theory.mmc_wait(1, lam, 1 / mean) / 2)


def test_priority_formulas_conserve_work() -> None:
    # Kleinrock's conservation law: sum rho_k Wq_k is the same as FIFO's rho Wq for exponential service.
    lams, means = [0.3, 0.5], [1.0, 1.0]
    m2 = [2.0, 2.0]
    w = theory.priority_nonpreemptive_waits(lams, means, m2)
    fifo = theory.mg1_wait(sum(lams), 1.0, 2.0)
    assert sum(lam * x for lam, x in zip(lams, w, strict=True)) / sum(lams) == pytest.approx(fifo)
    t = theory.priority_preemptive_times(lams, means, m2)
    assert t[0] == pytest.approx(theory.mmc_wait(1, 0.3, 1.0) + 1.0)  # the top class sees an M/M/1 alone


def test_unstable_queue_is_refused() -> None:
    with pytest.raises(ParameterError, match="unstable"):
        theory.erlang_c(2, 3.0, 1.0)
