"""CLI: ``teleradlab sweep SPEC --out DIR [--workers N] [--scheduler ADDR | --cluster local:N] [--resume]``."""

from __future__ import annotations

import argparse
import re

from teleradlab.cli import output_folder, positive_int, scheduler_address
from teleradlab.limits import MAX_POINTS


def _cluster(text: str) -> str:
    m = re.fullmatch(r"local:(\d+)", text.strip())
    if not m or int(m.group(1)) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not local:N with N >= 1")
    return text.strip()


def _sweep(args: argparse.Namespace) -> int:
    from teleradlab.sweep.run import run
    from teleradlab.sweep.spec import load_spec

    spec = load_spec(args.spec, out=args.out, max_points=args.max_points)  # every check before any work
    df = run(spec, out=args.out, workers=args.workers, scheduler=args.scheduler, cluster=args.cluster,
             resume=args.resume, show_progress=True)
    failed = int((df["status"] != "ok").sum())
    print(f"{len(df)} runs, {failed} failed; results in {args.out}/results.parquet and results.csv")
    for _, row in df[df["status"] != "ok"].head(5).iterrows():
        print(f"  failed point {row['point']} replication {row['replication']}: {row['error']}")
    return 1 if failed else 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``sweep``."""
    p = subparsers.add_parser("sweep", help="run a parameter sweep (locally or on a Dask cluster)")
    p.add_argument("spec", help="sweep spec YAML")
    p.add_argument("--out", required=True, type=output_folder, help="output folder")
    p.add_argument("--workers", type=positive_int, help="local worker processes (default: all cores)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--scheduler", type=scheduler_address, help="address of a running Dask scheduler, e.g. tcp://HOST:8786")
    g.add_argument("--cluster", type=_cluster, help="start a Dask LocalCluster: local:N")
    p.add_argument("--resume", action="store_true", help="skip completed runs, rerun failed ones")
    p.add_argument("--max-points", type=positive_int, default=MAX_POINTS,
                   help=f"largest parameter space (points x replications) accepted (default {MAX_POINTS})")
    p.set_defaults(func=_sweep)
