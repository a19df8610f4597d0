"""Network simulation benchmarks (issue: network), ratios measured side by side in one run.

1. teleradlab (its compiled engine, and the plain-Python reference engine too) vs a
   straightforward SimPy model (benchmarks/simpy_reference.py) on
   ``single_hospital_ed.yaml`` with the same studies: speed ratio (target >= 10x) and a
   two-sample Kolmogorov-Smirnov test that the turnaround distributions agree.
2. Studies simulated per second of one core (target >= 200,000/s).
3. Memory of one million studies' results (target < 500 MB).

Run: ``.venv/bin/python benchmarks/bench_network.py [--days 120]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TELERADLAB_NO_PROGRESS", "1")
sys.path.insert(0, str(Path(__file__).parent))

import numpy as np  # noqa: E402
import yaml  # noqa: E402
from scipy import stats  # noqa: E402
from simpy_reference import simulate_simpy  # noqa: E402

from teleradlab.network import engine, load_scenario, simulate  # noqa: E402
from teleradlab.network.workload import generate  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=120)
    ap.add_argument("--million", action="store_true", help="also measure memory for 1M studies (slow)")
    args = ap.parse_args()
    sc = load_scenario(ROOT / "datasets" / "scenarios" / "single_hospital_ed.yaml")
    t = time.perf_counter()
    engine.run(sc, generate(sc, days=1, seed=0), days=1)  # compile, or load Numba's cache
    t_jit = time.perf_counter() - t
    wl = generate(sc, days=args.days, seed=1)
    n = len(wl)

    t = time.perf_counter()
    ref = simulate_simpy(sc, wl, days=args.days)
    t_simpy = time.perf_counter() - t
    t = time.perf_counter()
    engine.run(sc, wl, days=args.days, engine="reference")
    t_reference = time.perf_counter() - t
    t = time.perf_counter()
    res = engine.run(sc, wl, days=args.days)
    t_engine = time.perf_counter() - t
    ours = res.read_end - wl.acquired
    t = time.perf_counter()
    full = simulate(sc, days=args.days, seed=1)
    t_full = time.perf_counter() - t
    # the same run with a workstation stage: every study fetched on demand from an archive, then decoded
    raw = yaml.safe_load((ROOT / "datasets" / "scenarios" / "single_hospital_ed.yaml").read_text())
    for c in raw["centres"]:
        c["workstation"] = {"policy": "on_demand", "archive": {"bandwidth_mbps": 100, "rtt_ms": 20}}
    simulate(raw, days=1, seed=0)  # load the decode table and its codec libraries once
    t = time.perf_counter()
    with_ws = simulate(raw, days=args.days, seed=1)
    t_ws = time.perf_counter() - t
    ks = stats.ks_2samp(ours[~np.isnan(ours)], ref[~np.isnan(ref)])
    print(f"{n} studies of single_hospital_ed over {args.days} days")
    print(f"  SimPy reference      {t_simpy:7.2f} s  ({n / t_simpy:9.0f} studies/s)")
    print(f"  reference engine     {t_reference:7.2f} s  ({n / t_reference:9.0f} studies/s)  speed-up "
          f"{t_simpy / t_reference:5.1f}x (the plain-Python loop)")
    print(f"  compiled engine      {t_engine:7.2f} s  ({n / t_engine:9.0f} studies/s)  speed-up {t_simpy / t_engine:5.1f}x "
          f"(first use in this process: {t_jit:.1f} s to compile or load the cache)")
    print(f"  teleradlab simulate  {t_full:7.2f} s  ({n / t_full:9.0f} studies/s)  speed-up {t_simpy / t_full:5.1f}x "
          f"(workload + engine + results table)")
    print(f"  with a workstation   {t_ws:7.2f} s  ({n / t_ws:9.0f} studies/s)  speed-up {t_simpy / t_ws:5.1f}x "
          f"(on_demand over 100 Mbit/s, 20 ms; mean first image "
          f"{with_ws.studies.first_image_minutes.mean() * 60:.1f} s)")
    print(f"  target >= 10x: {'met' if min(t_simpy / t_full, t_simpy / t_ws) >= 10 else 'NOT met'}; "
          f">= 200,000 studies/s: {'met' if n / t_full >= 200_000 else 'NOT met'}")
    print(f"  turnaround mean {np.nanmean(ours):.2f} vs {np.nanmean(ref):.2f} min; KS statistic {ks.statistic:.4f}, "
          f"p = {ks.pvalue:.3f} ({'indistinguishable' if ks.pvalue > 0.01 else 'DIFFERENT'})")
    mem = full.studies.memory_usage(deep=True).sum()
    print(f"  results table {mem / 1e6:.1f} MB for {len(full.studies)} studies = "
          f"{mem / len(full.studies) * 1e6 / 1e6:.0f} MB per million (target < 500 MB)")
    if args.million:
        days = int(1e6 / (n / args.days)) + 1
        t = time.perf_counter()
        big = simulate(sc, days=days, seed=2)
        dt = time.perf_counter() - t
        mem = big.studies.memory_usage(deep=True).sum()
        print(f"  1M run: {len(big.studies)} studies in {dt:.1f} s, table {mem / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
