"""Sweep benchmarks (issue: sweeps), side by side in one run.

1. A 200-point sweep of a registered experiment against the same points each run as one
   papermill notebook execution (what a user might otherwise do). Kernel start-up dominates the
   notebook route, so it is measured on a sample of points and extrapolated per point (said so
   in the output). Target: >= 20x.
2. Scaling of a CPU-bound experiment (32 points of ~1 s, so that worker start-up and the last
   point's tail are small beside the work) from 1 to 2 local workers. Target: >= 1.7x.

Run: ``.venv/bin/python benchmarks/bench_sweep.py [--points 200] [--notebook-sample 4]``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TELERADLAB_NO_PROGRESS", "1")

import nbformat  # noqa: E402

from teleradlab import sweep  # noqa: E402


def notebook_for_experiment(path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("ci = False\nc = 2\nrho = 0.5\ndays = 2\nseed = 0")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(
        "from teleradlab.experiments import get_experiment\nimport teleradlab\n"
        "for k, v in get_experiment('queue_check')(c=c, rho=rho, days=days, seed=seed).items():\n"
        "    teleradlab.record(k, v)")]
    nb.metadata["kernelspec"] = {"name": "teleradlab", "display_name": "Python (teleradlab)", "language": "python"}
    nbformat.write(nb, path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=200)
    ap.add_argument("--notebook-sample", type=int, default=4)
    args = ap.parse_args()
    rhos = [0.3 + 0.6 * i / (args.points - 1) for i in range(args.points)]
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        spec = {"target": "queue_check", "fixed": {"days": 2, "c": 2}, "space": {"list": [{"rho": r} for r in rhos]}}
        t = time.perf_counter()
        sweep.run(spec, out=d / "exp", workers=1)
        t_exp = time.perf_counter() - t
        nb = d / "exp.ipynb"
        notebook_for_experiment(nb)
        sample = rhos[: args.notebook_sample]
        t = time.perf_counter()
        sweep.run({"target": str(nb), "fixed": {"days": 2, "c": 2}, "space": {"list": [{"rho": r} for r in sample]}},
                  out=d / "nb", workers=1)
        per_nb = (time.perf_counter() - t) / len(sample)
        t_nb = per_nb * args.points
        ratio = t_nb / t_exp
        print(f"{args.points}-point sweep of queue_check (1 worker): registered experiment {t_exp:.1f} s; "
              f"one papermill run per point {per_nb:.2f} s/point, {t_nb:.0f} s extrapolated from "
              f"{len(sample)} points -> {ratio:.0f}x (target >= 20x: {'met' if ratio >= 20 else 'NOT met'})")

        cpu = {"target": "queue_check", "fixed": {"days": 2500, "c": 2},  # ~1 s of simulation per point
               "space": {"list": [{"rho": 0.5 + 0.01 * i} for i in range(32)]}}
        t = time.perf_counter()
        sweep.run(cpu, out=d / "w1", workers=1)
        t1 = time.perf_counter() - t
        t = time.perf_counter()
        sweep.run(cpu, out=d / "w2", workers=2)
        t2 = time.perf_counter() - t
        print(f"CPU-bound sweep (32 points): 1 worker {t1:.1f} s, 2 workers {t2:.1f} s -> {t1 / t2:.2f}x "
              f"(target >= 1.7x: {'met' if t1 / t2 >= 1.7 else 'NOT met'}; {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
