"""CLI: ``teleradlab compress IN OUT --syntax jpeg2000 --ratio 10`` (file or folder)."""

from __future__ import annotations

import argparse
from pathlib import Path

from teleradlab.cli import non_negative_int, report_skipped


def _ratio(text: str) -> float:
    from teleradlab.cli import positive_float

    value = positive_float(text)
    if value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r}: a compression ratio is above 1")
    return value


def _quality(text: str) -> float | int:
    """A non-negative number; an int when it is whole (JPEG quality and NEAR are integers)."""
    from teleradlab.cli import non_negative_float

    value = non_negative_float(text)
    return int(value) if value.is_integer() else value


#: How the compress options are spelt in messages.
_SPELLING = {"ratio": "--ratio", "quality": "--quality", "max_error": "--max-error", "on_miss": "--nearest",
             "allow_recompression": "--allow-recompression"}


def _request(args: argparse.Namespace) -> dict:
    """The keyword arguments of :func:`~teleradlab.compression.compress` the options ask for."""
    return {"ratio": args.ratio, "quality": args.quality, "max_error": args.max_error,
            "allow_recompression": args.allow_recompression, "on_miss": "nearest" if args.nearest else "raise"}


def _compress(args: argparse.Namespace) -> int:
    import warnings

    from teleradlab.compression.compress import RatioMissWarning, check_request, compress
    from teleradlab.errors import CodecError, DicomError
    from teleradlab.imaging.study import load_study, write_dataset

    # an unknown syntax, or an option the codec does not use, fails before anything is read
    check_request(args.syntax, **_request(args), spelling=_SPELLING)
    src, out = Path(args.input), Path(args.output)
    study = load_study(src)
    if report_skipped("compress", study.skipped, allowed=args.allow_skipped):
        return 1
    single = src.is_file() and len(study) == 1 and "DirectoryRecordSequence" not in _header(src)
    if single and out.is_dir():
        raise CodecError("the input is one file, so the output must be a file, not a folder", where=str(out))
    if not single and out.exists() and not out.is_dir():
        raise CodecError("the input holds several images, so the output must be a folder", where=str(out))
    base = src.parent if src.is_file() else src
    targets = []
    for ds in study.datasets:
        if single:
            targets.append(out)
            continue
        name = getattr(ds, "filename", None)
        rel = Path(name).resolve().relative_to(base.resolve()) if name else Path(str(ds.SOPInstanceUID))
        targets.append(out / rel)
    if not args.overwrite:
        existing = [t for t in targets if t.exists()]
        if existing:
            raise DicomError(f"{len(existing)} output file(s) exist already; nothing written — pass --overwrite "
                             "to replace them", where=str(existing[0]))
    results = []
    for ds in study.datasets:  # compress everything first: nothing is written if one fails
        try:
            with warnings.catch_warnings():  # misses are counted in the summary below
                warnings.simplefilter("ignore", RatioMissWarning)
                results.append((ds, compress(ds, args.syntax, **_request(args))))
        except CodecError as exc:
            raise CodecError(exc.message, where=f"{getattr(ds, 'filename', src)}: {exc.where}") from None
    for (_, res), target in zip(results, targets, strict=True):
        write_dataset(res.dataset, target, overwrite=args.overwrite)
    total_raw = sum(r.ratio * r.compressed_bytes for _, r in results)
    total = sum(r.compressed_bytes for _, r in results)
    missed = [r.ratio for _, r in results if r.missed]
    print(f"{len(results)} image(s) -> {args.syntax}: ratio {total_raw / total:.2f}:1 "
          f"({total / 1e6:.2f} MB); written to {out}"
          + (f"; {len(missed)} at the nearest reachable ratio ({min(missed):.3g}:1 to {max(missed):.3g}:1), "
             f"not {args.ratio:g}:1" if missed else ""))
    return 0


def _header(path: Path) -> set[str]:
    """Keywords of a DICOM file's top level, without pixel data (to tell a DICOMDIR)."""
    import pydicom

    try:
        return set(pydicom.dcmread(path, stop_before_pixels=True).dir())
    except Exception:  # noqa: BLE001 - load_study has read it already; this is only a hint
        return set()


def _codecs(args: argparse.Namespace) -> int:
    from teleradlab.compression.registry import codecs

    print(f"{'name':18} {'UID':26} {'lossy':6} {'bits':6} {'backend':30} usable")
    for c in codecs(available_only=False):
        print(f"{c.name:18} {c.uid:26} {'yes' if c.lossy else 'no':6} {min(c.bits)}-{max(c.bits):<4} "
              f"{c.backend:30} {'yes' if c.is_available() else 'NO'}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``compress`` and ``codecs``."""
    p = subparsers.add_parser("compress", help="compress DICOM files with a transfer syntax",
                              epilog="An option the syntax does not use is refused, not ignored: lossless "
                                     "syntaxes take none of --ratio, --nearest, --quality, --max-error, "
                                     "--allow-recompression; only jpegls-near takes --max-error.")
    p.add_argument("input", help="a DICOM file or folder")
    p.add_argument("output", help="output file (for one input file) or folder")
    p.add_argument("--syntax", required=True, help="codec name, transfer syntax UID or keyword")
    p.add_argument("--ratio", type=_ratio, help="target compression ratio (lossy syntaxes), met within ±5%% "
                                                "or refused naming the ratios reachable")
    p.add_argument("--nearest", action="store_true",
                   help="where --ratio cannot be met within ±5%%, use the nearest reachable ratio (reported)")
    p.add_argument("--quality", type=_quality,
                   help="codec-specific parameter instead of a ratio (lossy syntaxes; JPEG quality 1-100, JPEG XL "
                        "distance...)")
    p.add_argument("--max-error", type=non_negative_int, help="JPEG-LS near-lossless NEAR (jpegls-near only)")
    p.add_argument("--allow-recompression", action="store_true",
                   help="compress already-lossy images again (lossy syntaxes)")
    p.add_argument("--overwrite", action="store_true", help="replace output files that exist")
    p.add_argument("--allow-skipped", action="store_true", help="go on when some input files cannot be read")
    p.set_defaults(func=_compress)
    c = subparsers.add_parser("codecs", help="list the compression syntaxes and whether they are usable here")
    c.set_defaults(func=_codecs)
