"""CLI: ``teleradlab quality REF TEST [--window lung]`` prints a table of metrics."""

from __future__ import annotations

import argparse


def _quality(args: argparse.Namespace) -> int:
    from teleradlab.cli import report_skipped
    from teleradlab.errors import QualityError
    from teleradlab.imaging.study import load_study
    from teleradlab.quality.metrics import all_metrics, data_range_for

    ref, test = load_study(args.reference), load_study(args.test)
    if report_skipped("quality", ref.skipped + test.skipped, allowed=args.allow_skipped):
        return 1
    a, b = ref.pixels(), test.pixels()
    if a.shape != b.shape:
        raise QualityError(f"images differ in shape: {a.shape} vs {b.shape}", where=args.test)
    rng = data_range_for(ref.datasets[0])
    rows = []
    for i in range(a.shape[0]):
        m = all_metrics(a[i], b[i], data_range=rng, window=args.window)
        rows.append(m)
    keys = list(rows[0])
    print(f"{'image':>5}  " + "  ".join(f"{k:>13}" for k in keys))
    for i, m in enumerate(rows):
        print(f"{i:>5}  " + "  ".join(f"{m[k]:13.4f}" for k in keys))
    if len(rows) > 1:
        print(f"{'mean':>5}  " + "  ".join(f"{sum(r[k] for r in rows) / len(rows):13.4f}" for k in keys))
    print(f"data range {rng:g}" + (f", window {args.window}" if args.window else ""))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``quality``."""
    p = subparsers.add_parser("quality", help="fidelity metrics between a reference and a test study")
    p.add_argument("reference")
    p.add_argument("test")
    p.add_argument("--window", help="compare inside a display window (preset name)")
    p.add_argument("--allow-skipped", action="store_true", help="compare even if some files cannot be read")
    p.set_defaults(func=_quality)
