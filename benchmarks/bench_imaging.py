"""Imaging benchmarks (issue: imaging).

1. Synthesizing a 300-slice 512x512 CT on one core: slices per second, against the
   target of 50 slices/s (printed as a ratio to the target).
2. ``load_study`` over a 300-file folder against a plain ``pydicom.dcmread`` loop over
   the same files — the tool a user would otherwise pick — as a ratio (target <= 1.5).

Run: ``.venv/bin/python benchmarks/bench_imaging.py [--slices 300]``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import pydicom  # noqa: E402

from teleradlab.imaging import load_study, save_study, synthesize_study  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--slices", type=int, default=300)
    args = ap.parse_args()

    synthesize_study("CT", seed=0, n_images=2)  # warm caches (FFT plans, frequency grids)
    t = time.perf_counter()
    study = synthesize_study("CT", seed=1, n_images=args.slices)
    synth_s = time.perf_counter() - t
    rate = args.slices / synth_s
    print(f"synthesize CT {args.slices}x512x512: {synth_s:.2f} s = {rate:.0f} slices/s "
          f"(target 50/s: ratio {rate / 50:.2f}x, {'met' if rate >= 50 else 'NOT met'})")

    with tempfile.TemporaryDirectory() as d:
        files = save_study(study, d)
        paths = sorted(str(p) for p in Path(d).rglob("I*"))
        for p in paths:  # warm the page cache for both contenders alike
            Path(p).read_bytes()
        best_plain = best_ours = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            plain = [pydicom.dcmread(p) for p in paths]
            best_plain = min(best_plain, time.perf_counter() - t)
            t = time.perf_counter()
            ours = load_study(d)
            best_ours = min(best_ours, time.perf_counter() - t)
        assert len(plain) == len(ours) == len(files)
        ratio = best_ours / best_plain
        print(f"load {len(files)} files: load_study {best_ours:.3f} s vs dcmread loop {best_plain:.3f} s "
              f"= {ratio:.2f}x (target <= 1.5x, {'met' if ratio <= 1.5 else 'NOT met'})")


if __name__ == "__main__":
    main()
