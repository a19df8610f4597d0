"""Coverage of model_observer's intervals on synthetic tasks with known truth (issue 13, item 1).

Three tasks, each repeated ``--reps`` times with fresh images (seeds 0, 1, ...):

``cho``    LG-CHO on white noise with a Gaussian signal, mean of 10 random 50/50 splits.
           The truth is the AUC of the Hotelling template trained on n/2 images per class,
           averaged over training sets: AUC(w) = Φ(wᵀΔ/√(2wᵀKw)) is exact for Gaussian
           channel outputs, and the average is taken over 20,000 training sets drawn
           straight from the channel-space Gaussian (no images, no teleradlab code).
``npw``    NPW with a learned template (mean difference of the training images); the same
           construction in pixel space.
``known``  NPW with the known signal: every image is a test image and the truth is
           Φ(d′/√2) with d′ = ‖s‖/σ (the ideal observer in white noise).

The nominal rate is 95%; with 400 repetitions the Monte-Carlo standard error of a
coverage near 0.95 is 1.1%, so 95% ± 3% is about ±2.7 standard errors.

Run: ``.venv/bin/python benchmarks/bench_observer_coverage.py [--reps 400] [--n 40]``.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from scipy import stats  # noqa: E402

from teleradlab.quality import model_observer  # noqa: E402

SIZE, SIGMA = 16, 1.0


def task_signal(dprime: float) -> np.ndarray:
    """A Gaussian blob (σ = 1.5 px) scaled so that ‖s‖/σ = dprime."""
    y, x = np.mgrid[0:SIZE, 0:SIZE] - (SIZE - 1) / 2
    s = np.exp(-(x ** 2 + y ** 2) / (2 * 1.5 ** 2))
    return s * dprime * SIGMA / np.linalg.norm(s)


def images(n: int, s: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n signal-present and n signal-absent white-noise ROIs."""
    return s + SIGMA * rng.standard_normal((n, SIZE, SIZE)), SIGMA * rng.standard_normal((n, SIZE, SIZE))


def lg_channels(n_channels: int, a: float) -> np.ndarray:
    """LG channels written out here (√2/a exp(−πr²/a²) L_j(2πr²/a²)), (c, pixels)."""
    from scipy.special import eval_laguerre

    y, x = np.mgrid[0:SIZE, 0:SIZE] - (SIZE - 1) / 2
    g = 2 * np.pi * (x ** 2 + y ** 2) / a ** 2
    return np.stack([(np.sqrt(2) / a * np.exp(-g / 2) * eval_laguerre(j, g)).ravel() for j in range(n_channels)])


def finite_training_truth(basis: np.ndarray, s: np.ndarray, n_train: int, *, hotelling: bool,
                          draws: int = 20_000, seed: int = 12345) -> float:
    """E over training sets of size n_train per class of the exact AUC of the trained template.

    Features f = basis·x are Gaussian: mean basis·s (present) or 0, covariance σ²·basis·basisᵀ.
    """
    rng = np.random.default_rng(seed)
    delta = basis @ s.ravel()
    k = SIGMA ** 2 * basis @ basis.T
    chol = np.linalg.cholesky(k + 1e-12 * np.trace(k) * np.eye(len(k)))
    out = np.empty(draws)
    for i in range(draws):
        fp = delta + rng.standard_normal((n_train, len(k))) @ chol.T
        fa = rng.standard_normal((n_train, len(k))) @ chol.T
        d = fp.mean(0) - fa.mean(0)
        w = np.linalg.solve(0.5 * (np.cov(fp, rowvar=False) + np.cov(fa, rowvar=False)), d) if hotelling else d
        out[i] = stats.norm.cdf(w @ delta / np.sqrt(2 * w @ k @ w))
    return float(out.mean())


def coverage(kind: str, *, reps: int, n: int, dprime: float, n_boot: int, n_splits: int = 10) -> dict:
    """Run ``reps`` repetitions and return coverage, its Monte-Carlo SE and the mean interval width."""
    s = task_signal(dprime)
    if kind == "cho":
        a = 4.0  # the first LG channel then nearly matches the blob (a = σ√(2π) ≈ 3.8)
        u = lg_channels(4, a)
        truth = finite_training_truth(u, s, n // 2, hotelling=True)
        kw = {"kind": "cho", "n_channels": 4, "channel_width": a, "n_splits": n_splits}
    elif kind == "npw":
        # NPW in pixel space: the template is a mean difference; use the pixel basis itself
        truth = finite_training_truth(np.eye(SIZE * SIZE), s, n // 2, hotelling=False, draws=4000)
        kw = {"kind": "npw", "n_splits": n_splits}
    else:
        truth = float(stats.norm.cdf(dprime / np.sqrt(2)))
        kw = {"kind": "npw", "signal": s}
    hits, widths, est = 0, [], []
    for rep in range(reps):
        p, ab = images(n, s, np.random.default_rng(rep))
        r = model_observer(p, ab, seed=rep, boot_seed=10_000 + rep, n_boot=n_boot, **kw)
        hits += r.auc_ci[0] <= truth <= r.auc_ci[1]
        widths.append(r.auc_ci[1] - r.auc_ci[0])
        est.append(r.auc)
    cov = hits / reps
    return {"kind": kind, "truth": truth, "mean_estimate": float(np.mean(est)), "coverage": cov,
            "mc_se": float(np.sqrt(cov * (1 - cov) / reps)), "mean_width": float(np.mean(widths))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=400)
    ap.add_argument("--n", type=int, default=40, help="images per class")
    ap.add_argument("--dprime", type=float, default=1.5)
    ap.add_argument("--n-boot", type=int, default=500)
    ap.add_argument("--kinds", default="cho,npw,known")
    args = ap.parse_args()
    for kind in args.kinds.split(","):
        t = time.perf_counter()
        c = coverage(kind, reps=args.reps, n=args.n, dprime=args.dprime, n_boot=args.n_boot)
        ok = abs(c["coverage"] - 0.95) <= 0.03
        print(f"{kind:6s} n={args.n}/class  truth AUC {c['truth']:.4f}  mean estimate {c['mean_estimate']:.4f}  "
              f"coverage {c['coverage']:.3f} ± {c['mc_se']:.3f} (95% ± 3%: {'met' if ok else 'NOT met'})  "
              f"mean width {c['mean_width']:.3f}  [{time.perf_counter() - t:.0f} s]")


if __name__ == "__main__":
    main()
