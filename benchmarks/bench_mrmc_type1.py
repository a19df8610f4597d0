"""MRMC benchmark (issue 16): type I error of the OR analysis over many Roe–Metz null studies.

For each Roe & Metz (1997) variance structure, simulates ``--studies`` null studies
(no treatment difference; 5 readers, 50 diseased + 50 non-diseased cases, 5-point
ratings), analyses each with :func:`teleradlab.readers.mrmc` for DeLong, jackknife
and unbiased covariances (random readers and cases, Hillis df), and prints the
rejection rate at α = 0.05 with its 95 % Wilson interval, plus analyses per second.
There is no Python tool to compare against; the reference is the nominal 5 %
(Hillis 2007 reports the OR/Hillis-df test close to nominal, slightly conservative).

Run: ``.venv/bin/python benchmarks/bench_mrmc_type1.py [--studies 2000]``.

Last measured (1000 null studies each, 2026-11-29, shared 2-core machine): HH_0.702 0.048
[0.036, 0.063]; LH_0.702 0.062 [0.049, 0.079]; LH_0.855 0.057 [0.044, 0.073]; LH_0.962 0.042
[0.031, 0.056] — the same rejections for all three covariance estimators at this size;
33–95 analyses/s.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from teleradlab.progress import progress  # noqa: E402
from teleradlab.readers.mrmc import mrmc_cube  # noqa: E402
from teleradlab.readers.roemetz import ROE_METZ_STRUCTURES, simulate_cube  # noqa: E402


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--studies", type=int, default=2000)
    ap.add_argument("--readers", type=int, default=5)
    ap.add_argument("--cases", type=int, default=50, help="cases per truth class")
    args = ap.parse_args()
    methods = ("delong", "jackknife", "unbiased")
    for name in ROE_METZ_STRUCTURES:
        rng = np.random.default_rng(np.random.SeedSequence([16, list(ROE_METZ_STRUCTURES).index(name)]))
        hits = dict.fromkeys(methods, 0)
        t0 = time.perf_counter()
        for _ in progress(range(args.studies), desc=name):
            cube = simulate_cube(readers=args.readers, diseased=args.cases, normal=args.cases, structure=name,
                                 scale=5, rng=rng)
            for m in methods:
                hits[m] += mrmc_cube(cube, cov=m).global_test.p_value < 0.05
        rate = args.studies * len(methods) / (time.perf_counter() - t0)
        cells = ", ".join(f"{m} {hits[m] / args.studies:.3f} [{wilson(hits[m], args.studies)[0]:.3f}, "
                          f"{wilson(hits[m], args.studies)[1]:.3f}]" for m in methods)
        print(f"{name}: type I error at 0.05 ({args.studies} null studies): {cells}; {rate:.0f} analyses/s")


if __name__ == "__main__":
    main()
