"""CLI: ``teleradlab netlab check | probe | run | calibrate | retrieve | cleanup``."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from teleradlab.errors import ParameterError
from teleradlab.netlab.link import DEFAULT_CONGESTION_CONTROL


def _interruptible(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Treat SIGTERM like Ctrl-C, so the lab's clean-up runs either way."""

    def wrapped(args: argparse.Namespace) -> int:
        def on_term(signum: int, frame: object) -> None:
            raise KeyboardInterrupt

        previous = signal.signal(signal.SIGTERM, on_term)
        try:
            return func(args)
        finally:
            signal.signal(signal.SIGTERM, previous)

    return wrapped


def _floats(text: str) -> tuple[float, ...]:
    return tuple(float(v) for v in text.split(",") if v.strip())


def _check(args: argparse.Namespace) -> int:
    from teleradlab.netlab.link import availability
    from teleradlab.netlab.nodes import missing_tool, software_versions

    why = availability()
    print(why or "netlab: namespaces, TUN and tc available")
    for name in ("storescu", "storescp", "pynetdicom", "orthanc", "stow"):
        line = missing_tool(name)
        if line:
            print(line)
    print(json.dumps(software_versions()))
    return 1 if why else 0


def _probe(args: argparse.Namespace) -> int:
    from teleradlab.netlab.link import EmulatedLink
    from teleradlab.netlab.probe import measure_link

    with EmulatedLink(args.bandwidth, args.rtt) as link:
        m = measure_link(link)
    print(f"link {args.bandwidth:g} Mbit/s, {args.rtt:g} ms: round trip {m['rtt_ms']:.2f} ms "
          f"(min {m['rtt_ms_min']:.2f}, max {m['rtt_ms_max']:.2f}), throughput {m['throughput_mbps']:.2f} Mbit/s")
    return 0


def _run(args: argparse.Namespace) -> int:
    from teleradlab.files import atomic_write_json
    from teleradlab.netlab.run import run_transfer

    res = run_transfer(args.study, bandwidth_mbps=args.bandwidth, rtt_ms=args.rtt, sender=args.sender,
                       receiver=args.receiver, nodelay=args.nodelay, associations=args.associations,
                       batch=args.batch, seed=args.seed,
                       congestion_control=_cc(args))
    s = res.summary()
    print(f"{s['study']}: {s['n_instances']} instances, {s['total_bytes'] / 1e6:.2f} MB, {s['sender']} -> "
          f"{s['receiver']} ({s['protocol']}{', TCP_NODELAY' if s['nodelay'] else ''})\n"
          f"  measured  total {s['measured_total_s']:.3f} s, first image {s['measured_first_image_s']:.3f} s\n"
          f"  predicted total {s['predicted_total_s']:.3f} s, first image {s['predicted_first_image_s']:.3f} s "
          f"({100 * s['relative_error']:+.1f}%)")
    if _cc(args) != DEFAULT_CONGESTION_CONTROL:
        print(f"  (the model's constants were fitted with TCP {DEFAULT_CONGESTION_CONTROL}; for BBR senders set "
              f"TransferConstants.pacing_rtts to about 0.5)")
    if res.errors:
        print(f"  {len(res.errors)} errors reported by the sender, first: {res.errors[0]}")
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_json(out / "summary.json", s)
        res.timeline().to_csv(out / "timeline.csv", index=False)
        print(f"  summary.json and timeline.csv in {out}")
    return 1 if res.errors else 0


def _cc(args: argparse.Namespace) -> str | None:
    return None if args.congestion_control == "host" else args.congestion_control


def _add_cc(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--congestion-control", default=DEFAULT_CONGESTION_CONTROL,
                        help=f"TCP congestion control on the link, e.g. bbr; 'host' keeps the host's default "
                             f"(default {DEFAULT_CONGESTION_CONTROL}, as the shipped calibration)")


def _calibrate(args: argparse.Namespace) -> int:
    import pandas as pd

    from teleradlab.netlab.calibrate import GRIDS, calibrate, measure_grid

    grid = "full" if args.full else "reduced"
    table = None
    if args.table:
        missing = [p for p in args.table if not Path(p).is_file()]
        if missing:
            raise ParameterError(f"no such table: {', '.join(missing)}", where="--table")
        table = pd.concat([pd.read_csv(p) for p in args.table], ignore_index=True)
    elif args.bandwidths or args.rtts or args.studies:
        g = GRIDS[grid]
        table = measure_grid(bandwidths=_floats(args.bandwidths) if args.bandwidths else g["bandwidths"],
                             rtts=_floats(args.rtts) if args.rtts else g["rtts"],
                             studies=tuple(args.studies.split(",")) if args.studies else g["studies"],
                             nodelays=g["nodelays"], sender=args.sender, receiver=args.receiver,
                             studies_dir=args.studies_dir, congestion_control=_cc(args),
                             out=Path(args.out) / "transfer_measured.partial.csv" if args.out else None)
        if args.measure_only:
            Path(args.out).mkdir(parents=True, exist_ok=True)
            table.to_csv(Path(args.out) / "transfer_measured.csv", index=False)
            (Path(args.out) / "transfer_measured.partial.csv").unlink(missing_ok=True)
            print(f"{len(table)} points measured; table in {args.out}")
            return 0
    command = "teleradlab netlab " + " ".join(sys.argv[2:]) if len(sys.argv) > 2 else None
    if args.table:
        command = f"teleradlab netlab calibrate --{grid} --table {' '.join(args.table)}"
        command += f"; the tables: {args.table_command}" if args.table_command else ""
    cal = calibrate(grid, sender=args.sender, receiver=args.receiver, table=table, out=args.out,
                    command=command, congestion_control=_cc(args))
    print(f"{len(cal.table)} points; predicted within 15% on {100 * cal.within_15:.0f}% of the C-STORE points; "
          + ", ".join(f"{p} {100 * v:.0f}%" for p, v in cal.within_by_protocol().items()))
    for protocol, fit in cal.fit.items():
        print(f"  {protocol}: efficiency {fit['efficiency']:.4g} (measured goodput / rate)")
        for name, v, se in zip(fit["names"], fit["values"], fit["standard_errors"], strict=True):
            print(f"    {name} = {v:.4g} ± {se:.2g}")
    print("largest misses:\n" + cal.misses(5).to_string(index=False))
    if args.out:
        print(f"transfer_measured.csv and transfer_calibration.json in {args.out}")
    return 0


def _retrieve(args: argparse.Namespace) -> int:
    from teleradlab.netlab.retrieve import retrieve_study, run_retrieval

    if args.archive:
        host, _, port = args.archive.rpartition(":")
        if not host or not port.isdigit() or not args.study:

            raise ParameterError(f"give HOST:PORT and --study UID, got {args.archive!r}", where="--archive")
        out = retrieve_study(host, int(port), args.study, protocol=args.protocol)
        n = len(out["decoded"])
        first = out["decoded"][0] - out["t0"] if n else float("nan")
        last = max(out["decoded"]) - out["t0"] if n else float("nan")
        print(f"{n} instances from {args.archive} by {args.protocol}: first image {first:.3f} s, loaded {last:.3f} s"
              + (f"; {len(out['errors'])} errors, first: {out['errors'][0]}" if out["errors"] else ""))
        return 1 if out["errors"] or not n else 0
    r = run_retrieval(args.codec, bandwidth_mbps=args.bandwidth, rtt_ms=args.rtt, protocol=args.protocol,
                      n_images=args.n_images, seed=args.seed)
    s = r.summary()
    print(f"{s['study']} by {s['protocol']}, {s['total_bytes'] / 1e6:.2f} MB, decode {s['decode_ms']:.1f} ms/image\n"
          f"  measured  first image {s['measured_first_image_s']:.3f} s, loaded {s['measured_loaded_s']:.3f} s\n"
          f"  predicted first image {s['predicted_first_image_s']:.3f} s ({100 * s['first_image_error']:+.1f}%), "
          f"loaded {s['predicted_loaded_s']:.3f} s ({100 * s['loaded_error']:+.1f}%)")
    if r.errors:
        print(f"  {len(r.errors)} errors, first: {r.errors[0]}")
    return 1 if r.errors else 0


def _cleanup(args: argparse.Namespace) -> int:
    from teleradlab.netlab.link import cleanup_stale

    removed = cleanup_stale()
    print(f"removed {len(removed)} stale lab namespaces" + (f": {', '.join(removed)}" if removed else ""))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``netlab`` subcommand and its actions."""
    p = subparsers.add_parser("netlab", help="emulated-WAN lab: real DICOM transfers over a shaped, delayed link")
    sub = p.add_subparsers(dest="netlab_command", metavar="ACTION", required=True)
    c = sub.add_parser("check", help="say whether the lab can run here and which software it found")
    c.set_defaults(func=_check)
    pr = sub.add_parser("probe", help="make a link and measure its round trip and throughput")
    pr.add_argument("--bandwidth", type=float, default=10, help="Mbit/s")
    pr.add_argument("--rtt", type=float, default=50, help="ms")
    pr.set_defaults(func=_interruptible(_probe))
    r = sub.add_parser("run", help="send a study across a link and compare with the model")
    r.add_argument("study", help="synthetic study (1x10MB, 100x50kB, 100x0.5MB, NxKIND) or a folder of DICOM files")
    r.add_argument("--bandwidth", type=float, default=10, help="Mbit/s")
    r.add_argument("--rtt", type=float, default=50, help="ms")
    r.add_argument("--sender", default="storescu", choices=("storescu", "pynetdicom", "stow", "bundle"))
    r.add_argument("--receiver", default=None, choices=("storescp", "pynetdicom", "orthanc"))
    r.add_argument("--nodelay", action="store_true", help="TCP_NODELAY at both ends")
    r.add_argument("--associations", type=int, default=1)
    r.add_argument("--batch", type=int, default=None, help="instances per STOW-RS request")
    r.add_argument("--seed", type=int, default=1)
    _add_cc(r)
    r.add_argument("--out", default=None, help="folder for summary.json and timeline.csv")
    r.set_defaults(func=_interruptible(_run))
    k = sub.add_parser("calibrate", help="run a grid and fit the transfer model's constants")
    k.add_argument("--full", action="store_true", help="the full grid of issue 11 (most of an hour)")
    k.add_argument("--bandwidths", default=None, help="override the grid's bandwidths, e.g. 2,10")
    k.add_argument("--rtts", default=None, help="override the grid's round trips, e.g. 0,50")
    k.add_argument("--studies", default=None, help="override the grid's studies, e.g. 100x50kB,1x10MB")
    k.add_argument("--measure-only", action="store_true", help="measure (with --bandwidths/--rtts) without fitting")
    k.add_argument("--studies-dir", default=None, help="reuse studies written before (DIR/NAME/)")
    k.add_argument("--table", nargs="*", default=None, help="fit measured CSV table(s) instead of measuring")
    k.add_argument("--table-command", default=None, help="with --table: how the tables were measured (provenance)")
    k.add_argument("--sender", default="storescu", choices=("storescu", "pynetdicom", "stow", "bundle"))
    k.add_argument("--receiver", default=None, choices=("storescp", "pynetdicom", "orthanc"))
    k.add_argument("--out", default=None, help="folder for transfer_measured.csv and transfer_calibration.json")
    _add_cc(k)
    k.set_defaults(func=_interruptible(_calibrate))
    rv = sub.add_parser("retrieve", help="a viewer retrieves and decodes a study from Orthanc across a link")
    rv.add_argument("--codec", default="jpeg2000", help="uncompressed, jpeg2000, htj2k (the study's storage)")
    rv.add_argument("--protocol", default="wado-rs", choices=("wado-rs", "cget"))
    rv.add_argument("--bandwidth", type=float, default=10, help="Mbit/s")
    rv.add_argument("--rtt", type=float, default=50, help="ms")
    rv.add_argument("--n-images", type=int, default=40, help="CT slices")
    rv.add_argument("--seed", type=int, default=1)
    rv.add_argument("--archive", default=None, help="HOST:PORT of an existing archive instead of the lab "
                    "(HTTP port for wado-rs, DICOM port for cget)")
    rv.add_argument("--study", default=None, help="with --archive: the Study Instance UID")
    rv.set_defaults(func=_interruptible(_retrieve))
    cl = sub.add_parser("cleanup", help="remove lab namespaces left by a killed run")
    cl.set_defaults(func=_cleanup)
