"""CLI: ``teleradlab compress IN OUT --syntax jpeg2000 --ratio 10`` (file or folder)."""

from __future__ import annotations

import argparse
from pathlib import Path


def _compress(args: argparse.Namespace) -> int:
    from teleradlab.compression.compress import compress
    from teleradlab.compression.registry import get_codec
    from teleradlab.errors import CodecError
    from teleradlab.files import atomic_path
    from teleradlab.imaging.study import load_study

    get_codec(args.syntax)  # an unknown syntax fails before anything is read
    src, out = Path(args.input), Path(args.output)
    study = load_study(src)
    results = []
    for ds in study.datasets:  # compress everything first: nothing is written if one fails
        try:
            results.append((ds, compress(ds, args.syntax, ratio=args.ratio, quality=args.quality,
                                         max_error=args.max_error, allow_recompression=args.allow_recompression)))
        except CodecError as exc:
            raise CodecError(exc.message, where=f"{getattr(ds, 'filename', src)}: {exc.where}") from None
    single = src.is_file() and len(results) == 1
    for ds, res in results:
        if single:
            target = out
        else:
            rel = Path(ds.filename).relative_to(src) if getattr(ds, "filename", None) else Path(ds.SOPInstanceUID)
            target = out / rel
        with atomic_path(target) as tmp:
            res.dataset.save_as(tmp, enforce_file_format=True)
    total_raw = sum(r.ratio * r.compressed_bytes for _, r in results)
    total = sum(r.compressed_bytes for _, r in results)
    print(f"{len(results)} image(s) -> {args.syntax}: ratio {total_raw / total:.2f}:1 "
          f"({total / 1e6:.2f} MB); written to {out}")
    for path, reason in study.skipped:
        print(f"skipped {path}: {reason}")
    return 0


def _codecs(args: argparse.Namespace) -> int:
    from teleradlab.compression.registry import codecs

    print(f"{'name':18} {'UID':26} {'lossy':6} {'bits':6} {'backend':30} usable")
    for c in codecs(available_only=False):
        print(f"{c.name:18} {c.uid:26} {'yes' if c.lossy else 'no':6} {min(c.bits)}-{max(c.bits):<4} "
              f"{c.backend:30} {'yes' if c.is_available() else 'NO'}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``compress`` and ``codecs``."""
    p = subparsers.add_parser("compress", help="compress DICOM files with a transfer syntax")
    p.add_argument("input", help="a DICOM file or folder")
    p.add_argument("output", help="output file (for one input file) or folder")
    p.add_argument("--syntax", required=True, help="codec name, transfer syntax UID or keyword")
    p.add_argument("--ratio", type=float, help="target compression ratio (lossy syntaxes)")
    p.add_argument("--quality", type=float, help="codec-specific quality parameter instead of a ratio")
    p.add_argument("--max-error", type=int, help="JPEG-LS near-lossless NEAR")
    p.add_argument("--allow-recompression", action="store_true", help="compress already-lossy images again")
    p.set_defaults(func=_compress)
    c = subparsers.add_parser("codecs", help="list the compression syntaxes and whether they are usable here")
    c.set_defaults(func=_codecs)
