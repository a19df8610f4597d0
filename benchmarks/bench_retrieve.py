"""Reading a study on demand: the retrieval model vs a real viewer on the emulated WAN (issue 15, item 3).

Orthanc with its DICOMweb plugin is the archive in one namespace; a viewer in the other
retrieves a 40-slice CT study (uncompressed, JPEG 2000 and HTJ2K at 10:1) by WADO-RS
(dicomweb-client) and by C-GET (pynetdicom), decoding every instance as it arrives, over
links of {10, 100} Mbit/s x {20, 100} ms. It prints, per point, the measured and
predicted time to first image and to fully loaded, the hits (both within 20%) and the
misses, and whether the target (>= 80% of points) is met. HTJ2K by C-GET is left out:
the lab's Orthanc cannot send it (see ``teleradlab.netlab.retrieve.UNSUPPORTED``).
A few minutes; needs root (network namespaces) — without it, it says why and stops.

Run: ``.venv/bin/python benchmarks/bench_retrieve.py [--out CSV]``.
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("TELERADLAB_NO_PROGRESS", "1")

import pandas as pd  # noqa: E402

from teleradlab.netlab import availability  # noqa: E402
from teleradlab.netlab.retrieve import hits, measure_grid  # noqa: E402
from teleradlab.network.retrieval import DEFAULT_RETRIEVAL  # noqa: E402

TOLERANCE = 0.20
TARGET = 0.80


def main() -> int:
    """Run the grid and print hits and misses; exit 1 when the target is missed."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=None, help="write the measured table to this CSV")
    args = ap.parse_args()
    why = availability()
    if why:
        print(f"bench_retrieve: {why}")
        return 0
    results = measure_grid("full")
    table = pd.DataFrame([r.summary() for r in results])
    if args.out:
        table.to_csv(args.out, index=False)
    table["hit"] = (table["first_image_error"].abs() <= TOLERANCE) & (table["loaded_error"].abs() <= TOLERANCE)
    cols = ["codec", "protocol", "bandwidth_mbps", "rtt_ms", "decode_ms", "measured_first_image_s",
            "predicted_first_image_s", "first_image_error", "measured_loaded_s", "predicted_loaded_s",
            "loaded_error", "decode_bound", "hit"]
    with pd.option_context("display.width", 250, "display.max_columns", 20):
        print(table[cols].to_string(index=False))
    h = hits(results, TOLERANCE)
    print(f"\nconstants: {DEFAULT_RETRIEVAL.source}")
    print(f"{h['n']} points: both times within {TOLERANCE:.0%} on {h['within']:.0%} (target >= {TARGET:.0%}); "
          f"first image {h['first_within']:.0%}, loaded {h['loaded_within']:.0%}")
    misses = table[~table["hit"]]
    print(f"hits {int(table['hit'].sum())}, misses {len(misses)}"
          + ("" if misses.empty else ":\n" + misses[cols[:4] + ["first_image_error", "loaded_error"]]
             .to_string(index=False)))
    return 0 if h["within"] >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
