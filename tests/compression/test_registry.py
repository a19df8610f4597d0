"""The codec registry: each syntax described once, its UID pydicom's, the only place UIDs are written."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pydicom.uid
import pytest
from pydicom.uid import UID

import teleradlab
from teleradlab.compression import backends, codecs, compress, get_codec, registry
from teleradlab.compression.compress import frame_info
from teleradlab.imaging.decode import DIRECT_DECODERS, IMAGECODECS_DECODERS

#: PS3.6 Table A-1: the Transfer Syntax UID and keyword of each codec, written out here as the
#: independent check (JPEG XL: DICOM Supplement 232).
PS3_6 = {
    "rle": ("RLELossless", "1.2.840.10008.1.2.5"),
    "jpeg-baseline": ("JPEGBaseline8Bit", "1.2.840.10008.1.2.4.50"),
    "jpeg-extended": ("JPEGExtended12Bit", "1.2.840.10008.1.2.4.51"),
    "jpeg-lossless": ("JPEGLosslessSV1", "1.2.840.10008.1.2.4.70"),
    "jpegls": ("JPEGLSLossless", "1.2.840.10008.1.2.4.80"),
    "jpegls-near": ("JPEGLSNearLossless", "1.2.840.10008.1.2.4.81"),
    "jpeg2000-lossless": ("JPEG2000Lossless", "1.2.840.10008.1.2.4.90"),
    "jpeg2000": ("JPEG2000", "1.2.840.10008.1.2.4.91"),
    "jpegxl-lossless": ("JPEGXLLossless", "1.2.840.10008.1.2.4.110"),
    "jpegxl": ("JPEGXL", "1.2.840.10008.1.2.4.112"),
    "htj2k-lossless": ("HTJ2KLossless", "1.2.840.10008.1.2.4.201"),
    "htj2k": ("HTJ2K", "1.2.840.10008.1.2.4.203"),
}
#: A transfer syntax UID (all of them lie under 1.2.840.10008.1.2), not a longer number that starts alike.
TS_LITERAL = re.compile(r"1\.2\.840\.10008\.1\.2(?:\.\d+)*(?![\d])")
PACKAGE = Path(teleradlab.__file__).parent


@pytest.mark.parametrize("codec", codecs(available_only=False), ids=lambda c: c.name)
def test_uid_is_pydicoms_constant_and_the_standards(codec) -> None:
    keyword, uid = PS3_6[codec.name]
    assert codec.keyword == keyword and codec.uid == uid
    assert isinstance(codec.uid, UID) and codec.uid.is_transfer_syntax and codec.uid.is_compressed
    if hasattr(pydicom.uid, keyword):  # pydicom 3.0 predates JPEG XL (Sup 232)
        assert codec.uid == getattr(pydicom.uid, keyword)
    for key in (codec.name, uid, keyword):
        assert get_codec(key) is codec
    near = keyword == "JPEGLSNearLossless"  # a bounded error, but an error: lossy
    assert codec.lossless is (not codec.lossy) and codec.lossless == ("Lossless" in keyword and not near)


def test_every_codec_of_the_standard_table_is_registered() -> None:
    assert {c.name for c in codecs(available_only=False)} == set(PS3_6)
    assert len({c.uid for c in codecs(available_only=False)}) == len(PS3_6)


def test_jpeg_xl_names_known_to_pydicom() -> None:
    assert UID(registry.JPEG_XL).name == "JPEG XL" and UID(registry.JPEG_XL_LOSSLESS).keyword == "JPEGXLLossless"
    assert UID(registry.JPEG_XL_JPEG_RECOMPRESSION).is_transfer_syntax


def _literals(path: Path) -> list[str]:
    return [f"{path}:{n}: {m.group()}" for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            for m in TS_LITERAL.finditer(line)]


def test_transfer_syntax_uids_are_written_only_in_the_registry(repo_root) -> None:
    assert _literals(PACKAGE / "compression" / "registry.py"), "the pattern finds the registry's own literals"
    files = [p for p in PACKAGE.rglob("*.py") if p != PACKAGE / "compression" / "registry.py"]
    files += [*(repo_root / "notebooks").glob("*.ipynb"), *(repo_root / "benchmarks").glob("*.py")]
    assert len(files) > 50
    found = [hit for p in files for hit in _literals(p)]
    assert not found, "transfer syntax UID literals outside the codec registry (use the registry or pydicom.uid):\n" \
                      + "\n".join(found)


def test_pattern_tells_transfer_syntaxes_from_other_uids() -> None:
    assert TS_LITERAL.search('x = "1.2.840.10008.1.2.4.91"')
    assert TS_LITERAL.search("implicit 1.2.840.10008.1.2 default")
    assert not TS_LITERAL.search('"1.2.840.10008.1.20.1"')  # Storage Commitment Push Model
    assert not TS_LITERAL.search('"1.2.840.10008.5.1.4.1.1.7"')  # Secondary Capture Image Storage


def _imports(module) -> set[str]:
    """Dotted names a module imports (``from a.b import c`` gives ``a.b`` and ``a.b.c``), anywhere in it."""
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            names.add(base)
            names.update(f"{base}.{a.name}" if node.module else f"{base}{a.name}" for a in node.names)
    return names


def test_registry_imports_backends_and_never_the_reverse() -> None:
    assert "teleradlab.compression.backends" in _imports(registry)
    theirs = _imports(backends)
    assert not [n for n in theirs if n.startswith((".", "teleradlab"))], theirs  # not the registry, not at all


def test_direct_decoders_come_from_the_registry() -> None:
    mine = registry.direct_decoders()
    assert DIRECT_DECODERS == {uid: d.decode for uid, d in mine.items()}
    assert set(IMAGECODECS_DECODERS) == {uid for uid, d in mine.items() if d.fallback}
    for c in codecs(available_only=False):
        assert (c.uid in DIRECT_DECODERS) == (c.decoder is not None)
    # pydicom decodes JPEG 2000 itself (it repairs signedness mismatches); HTJ2K and JPEG XL fall back
    assert get_codec("jpeg2000").decoder is None and get_codec("jpegxl").decoder.fallback
    assert pydicom.uid.HTJ2KLosslessRPCL in IMAGECODECS_DECODERS and pydicom.uid.JPEGLossless in DIRECT_DECODERS


@pytest.mark.parametrize("codec", [c for c in codecs() if c.lossless and c.decoder], ids=lambda c: c.name)
def test_lossless_encode_then_direct_decode_is_exact(codec, native) -> None:
    ds = native(12, False)
    frame = ds.pixel_array
    stream = codec.encode(frame, frame_info(ds), None)
    assert np.array_equal(codec.decoder.decode(stream), frame)


def test_keyword_arguments_reach_the_library() -> None:
    """The registry's options are what the library gets: JPEG XL without container, JPEG-LS at NEAR."""
    jxl = get_codec("jpegxl-lossless")
    assert jxl.options["usecontainer"] is False
    frame = np.arange(64 * 64, dtype=np.uint16).reshape(64, 64) % 4096
    info = backends.FrameInfo(bits_stored=12, bits_allocated=16, signed=False, photometric="MONOCHROME2")
    assert jxl.encode(frame, info, None)[:2] == b"\xff\x0a"  # bare codestream (ISO 18181-1), not a box file
    near = get_codec("jpegls-near")
    for n in (1, 4):
        back = near.decoder.decode(near.encode(frame, info, n)).astype(int)
        assert 0 < np.abs(back - frame).max() <= n


def test_compress_keywords() -> None:
    assert get_codec("jpegls").compress_keywords == ()
    assert get_codec("jpeg2000").compress_keywords == ("ratio", "quality", "on_miss", "allow_recompression")
    assert "max_error" in get_codec("jpegls-near").compress_keywords
    assert not any("max_error" in c.compress_keywords for c in codecs(available_only=False) if c.name != "jpegls-near")


def test_compress_writes_the_registry_uid(native) -> None:
    ds = native(12, False)
    out = compress(ds, str(pydicom.uid.JPEGLSLossless)).dataset
    assert out.file_meta.TransferSyntaxUID == pydicom.uid.JPEGLSLossless == get_codec("jpegls").uid
