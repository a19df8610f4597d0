"""CLI: ``teleradlab datasets build|verify|import`` and ``teleradlab dicom info|deidentify|synth``."""

from __future__ import annotations

import argparse
import sys
import warnings

from teleradlab.cli import non_negative_int, output_folder, positive_int, report_skipped


def _build(args: argparse.Namespace) -> int:
    from teleradlab.imaging.datasets import build_datasets

    manifest = build_datasets(args.out, ci=args.ci)
    print(f"datasets written into {manifest.parent}; manifest: {manifest}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from teleradlab.imaging.datasets import verify_datasets

    problems = verify_datasets(args.out)
    for p in problems:
        print(p, file=sys.stderr)
    if not problems:
        print("all files match the manifest")
    return 1 if problems else 0


def _import(args: argparse.Namespace) -> int:
    from teleradlab.imaging.datasets import (
        IMPORTED,
        check_import_target,
        default_folder,
        import_study,
    )
    from teleradlab.imaging.study import load_study

    root = args.root if args.root is not None else default_folder(IMPORTED)
    check_import_target(root, args.name, overwrite=args.overwrite)  # before anything is read or written
    study = load_study(args.src)
    if report_skipped("datasets import", study.skipped, allowed=args.allow_skipped):
        return 1
    key, note = (None, "") if args.keep_identity else _deid_key(args.key_file)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        target = import_study(study, args.name, root=root, deidentify_study=not args.keep_identity,
                              allow_skipped=True, key=key, overwrite=args.overwrite)
    for w in caught:
        print(f"warning: {w.message}", file=sys.stderr)
    print(f"imported into {target}" + (" (identity kept)" if args.keep_identity
                                         else f" (de-identified, UIDs mapped with {note})"))
    return 0


def _info(args: argparse.Namespace) -> int:
    from teleradlab.imaging.study import describe, load_study

    study = load_study(args.path)
    print(f"study {study.uid}: {len(study)} instances, {study.nbytes / 1e6:.1f} MB uncompressed")
    for line in describe(study):
        print("  " + line)
    for path, reason in study.skipped:
        print(f"skipped {path}: {reason}", file=sys.stderr)
    return 1 if study.skipped else 0


def _deid_key(path: str | None) -> tuple[str | None, str]:
    """The key from ``--key-file`` (created if absent), and a note saying what was used."""
    from teleradlab.imaging.deid import key_file

    if path is None:
        return None, "a random key: later batches cannot be mapped alike (use --key-file to keep one)"
    key, created = key_file(path)
    if created:
        return key, f"a new key, written to {path}: keep it secret and off the shared data"
    return key, f"the key in {path}"


def _deid(args: argparse.Namespace) -> int:
    from teleradlab.imaging.deid import deidentify
    from teleradlab.imaging.study import load_study, save_study

    study = load_study(args.src)
    if report_skipped("dicom deidentify", study.skipped, allowed=args.allow_skipped):
        return 1
    key, note = _deid_key(args.key_file)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clean = deidentify(study, key=key, options=args.option or ())
    for w in caught:
        print(f"warning: {w.message}", file=sys.stderr)
    files = save_study(clean, args.out, overwrite=args.overwrite)
    print(f"{len(files)} de-identified instances written to {args.out}, UIDs mapped with {note}")
    return 0


def _synth(args: argparse.Namespace) -> int:
    from teleradlab.imaging.study import save_study
    from teleradlab.imaging.synth import synthesize_study

    study = synthesize_study(args.modality, seed=args.seed, shape=args.shape, n_images=args.n_images)
    files = save_study(study, args.out, overwrite=args.overwrite)
    print(f"{len(files)} instances of a synthetic {args.modality} study written to {args.out} (truth.json beside)")
    return 0


def _shape(text: str) -> tuple[int, int]:
    parts = text.lower().split("x")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise argparse.ArgumentTypeError(f"{text!r} is not ROWSxCOLS, e.g. 256x256")
    rows, cols = (int(p) for p in parts)
    if not (8 <= rows <= 8192 and 8 <= cols <= 8192):
        raise argparse.ArgumentTypeError(f"{text!r}: rows and columns must be 8..8192")
    return rows, cols


def _deid_options() -> list[str]:
    from teleradlab.imaging.deid_profile import OPTIONS

    return list(OPTIONS)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``datasets`` and ``dicom`` command groups."""
    ds = subparsers.add_parser("datasets", help="build, verify or import the sample datasets")
    dsub = ds.add_subparsers(dest="action", required=True, metavar="ACTION")
    where = "the course's datasets folder (teleradlab.datasets.root(): the checkout's datasets/, or $TELERADLAB_DATASETS)"
    b = dsub.add_parser("build", help="generate the sample studies into generated/ of the datasets folder")
    b.add_argument("--out", type=output_folder, help=f"folder to write instead of generated/ in {where}")
    b.add_argument("--ci", action="store_true", help="small images (CI)")
    b.set_defaults(func=_build)
    v = dsub.add_parser("verify", help="check generated files against the manifest")
    v.add_argument("--out", help=f"folder to check instead of generated/ in {where}")
    v.set_defaults(func=_verify)
    i = dsub.add_parser("import", help="import a real study, de-identified")
    i.add_argument("src")
    i.add_argument("name")
    i.add_argument("--root", type=output_folder, help=f"folder to import into instead of imported/ in {where}")
    i.add_argument("--keep-identity", action="store_true", help="do not de-identify (only for data without identity)")
    i.add_argument("--allow-skipped", action="store_true", help="import even if some files cannot be read")
    i.add_argument("--overwrite", action="store_true", help="replace an earlier import of this name")
    i.add_argument("--key-file", help="file holding the de-identification key (created if absent)")
    i.set_defaults(func=_import)

    dc = subparsers.add_parser("dicom", help="inspect, de-identify or synthesize DICOM studies")
    csub = dc.add_subparsers(dest="action", required=True, metavar="ACTION")
    info = csub.add_parser("info", help="describe a study (file, folder or DICOMDIR)")
    info.add_argument("path")
    info.set_defaults(func=_info)
    de = csub.add_parser("deidentify", help="apply the PS3.15 Basic profile")
    de.add_argument("src")
    de.add_argument("out", type=output_folder)
    de.add_argument("--overwrite", action="store_true", help="replace files already in OUT")
    de.add_argument("--allow-skipped", action="store_true", help="write even if some files cannot be read")
    de.add_argument("--key-file", help="file holding the secret key that maps UIDs (created if absent); "
                                       "the same key maps further batches consistently")
    de.add_argument("--option", action="append", choices=_deid_options(), metavar="OPTION",
                    help=f"a PS3.15 option (repeatable): {', '.join(_deid_options())}")
    de.set_defaults(func=_deid)
    sy = csub.add_parser("synth", help="write a synthetic study")
    sy.add_argument("modality", choices=["CT", "CR", "DX", "MG", "MR", "US"])
    sy.add_argument("out", type=output_folder)
    sy.add_argument("--seed", type=non_negative_int, default=0)
    sy.add_argument("--shape", type=_shape, help="ROWSxCOLS, e.g. 256x256")
    sy.add_argument("--n-images", type=positive_int)
    sy.add_argument("--overwrite", action="store_true", help="replace files already in OUT")
    sy.set_defaults(func=_synth)
