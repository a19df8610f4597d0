"""CLI: ``teleradlab simulate SCENARIO --days 30 --seed 1 --out DIR``; ``teleradlab scenario schema|check``."""

from __future__ import annotations

import argparse
from pathlib import Path

from teleradlab.cli import (
    non_negative_float,
    non_negative_int,
    output_folder,
    positive_float,
    positive_int,
)
from teleradlab.limits import MAX_RADIOLOGISTS, MAX_STUDIES, MAX_TOTAL_STUDIES


def _simulate(args: argparse.Namespace) -> int:
    from teleradlab.files import atomic_write_json, atomic_write_table
    from teleradlab.network.plots import save_all
    from teleradlab.network.scenario import load_scenario
    from teleradlab.network.simulation import simulate

    scenario = load_scenario(args.scenario)  # validated before anything is written
    res = simulate(scenario, days=args.days, seed=args.seed, replications=args.replications,
                   warmup_days=args.warmup_days, show_progress=True, max_studies=args.max_studies,
                   max_radiologists=args.max_radiologists, max_total_studies=args.max_total_studies)
    out = Path(args.out)
    atomic_write_table(res.studies, out, "studies")
    summary = res.summary()
    atomic_write_json(out / "summary.json", summary)
    save_all(res, out)
    t = summary["turnaround"]["all"]
    print(f"{summary['counts']['acquired']} studies, {summary['counts']['reported']} reported; turnaround "
          f"mean {t['mean']:.1f} min, p90 {t['p90']:.1f} min; results in {out}")
    return 0


def _scenario_schema(args: argparse.Namespace) -> int:
    from teleradlab.network.scenario import schema_resource

    res = schema_resource()
    print(str(res) if args.path else res.read_text(encoding="utf-8"), end="\n" if args.path else "")
    return 0


def _scenario_check(args: argparse.Namespace) -> int:
    from teleradlab.network.scenario import load_scenario

    for spec in args.scenario:  # the first invalid one is the error (one line, exit 2)
        sc = load_scenario(spec)
        print(f"{spec}: valid ({len(sc.sites)} sites, {len(sc.centres)} centres, {len(sc.links)} links)")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``simulate`` and ``scenario`` subcommands."""
    sc = subparsers.add_parser("scenario", help="a scenario file's JSON Schema, or check scenario files")
    ssub = sc.add_subparsers(dest="action", required=True, metavar="ACTION")
    schema = ssub.add_parser("schema", help="print the JSON Schema of a scenario file (for editors)")
    schema.add_argument("--path", action="store_true",
                        help="print the installed schema file's path instead (for '# yaml-language-server: $schema=')")
    schema.set_defaults(func=_scenario_schema)
    check = ssub.add_parser("check", help="validate scenario files as simulate does, without simulating")
    check.add_argument("scenario", nargs="+", help="scenario YAML files or bundled scenario names")
    check.set_defaults(func=_scenario_check)
    p = subparsers.add_parser("simulate", help="simulate a teleradiology network scenario")
    p.add_argument("scenario", help="scenario YAML (see datasets/scenarios/)")
    p.add_argument("--days", type=positive_float, default=30)
    p.add_argument("--seed", type=non_negative_int, default=1)
    p.add_argument("--replications", type=positive_int, default=1)
    p.add_argument("--warmup-days", type=non_negative_float, default=None,
                   help="days simulated first and discarded (default: five relaxation times, 1-7 days)")
    p.add_argument("--max-studies", type=positive_float, default=MAX_STUDIES,
                   help=f"most studies per replication, days x studies per day (default {MAX_STUDIES:,})")
    p.add_argument("--max-total-studies", type=positive_float, default=MAX_TOTAL_STUDIES,
                   help=f"most studies over all replications (default {MAX_TOTAL_STUDIES:,})")
    p.add_argument("--max-radiologists", type=positive_int, default=MAX_RADIOLOGISTS,
                   help=f"most radiologists in the scenario (default {MAX_RADIOLOGISTS:,})")
    p.add_argument("--out", required=True, type=output_folder, help="folder for studies.parquet, studies.csv, summary.json, PNGs")
    p.set_defaults(func=_simulate)
