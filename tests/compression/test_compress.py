"""compress() keyword by keyword, codec by codec: each is used (and changes the result) or refused.

The expectation is derived here from what each codec declares, not from
``Codec.compress_keywords``: a lossless codec (``lossy`` False) uses none of the
keywords; a lossy one uses ``ratio``, ``quality``, ``on_miss`` and
``allow_recompression``; ``max_error`` belongs to JPEG-LS near-lossless alone
(Transfer Syntax 1.2.840.10008.1.2.4.81, whose NEAR bounds the error: ISO/IEC 14495-1).
"""

from __future__ import annotations

import inspect

import numpy as np
import pydicom
import pytest

from teleradlab.cli import main
from teleradlab.compression import codecs, compress, get_codec
from teleradlab.compression.compress import (
    KeywordNotUsed,
    RatioMissWarning,
    RatioNotReachable,
    check_request,
    frame_info,
)
from teleradlab.errors import CodecError, TeleradlabError
from teleradlab.imaging import save_study, synthesize_study

#: Every keyword of compress() after the dataset and syntax, read from its signature.
KEYWORDS = [p.name for p in inspect.signature(compress).parameters.values() if p.kind is p.KEYWORD_ONLY]
CODECS = [c.name for c in codecs()]


def expected_used(name: str, keyword: str) -> bool:
    """Whether ``keyword`` should be used by the codec, from its declared lossiness and UID."""
    codec = get_codec(name)
    if not codec.lossy:
        return False
    if keyword == "max_error":
        return codec.uid == pydicom.uid.JPEGLSNearLossless
    return True


def image(native, name: str, lossy_already: bool = False) -> pydicom.Dataset:
    """A small image the codec accepts (8-bit for baseline JPEG, 12-bit otherwise), from the ``native`` fixture."""
    ds = native(8 if name == "jpeg-baseline" else 12, False)
    if lossy_already:
        ds.LossyImageCompression = "01"
    assert get_codec(name).accepts(frame_info(ds)) is None
    return ds


def inner_param(name: str) -> int | float:
    """A rate parameter inside the codec's declared range and away from its default."""
    codec = get_codec(name)
    lo, hi = codec.param_range
    value = (lo + hi) / 2 if codec.integer_param else float(np.sqrt(lo * hi))
    value = int(value) if codec.integer_param else value
    assert value != codec.default_param
    return value


def test_the_keywords_are_the_ones_checked() -> None:
    assert set(KEYWORDS) == {"ratio", "quality", "max_error", "allow_recompression", "on_miss"}
    for name in CODECS:
        assert set(get_codec(name).compress_keywords) == {k for k in KEYWORDS if expected_used(name, k)}


@pytest.mark.parametrize("keyword", KEYWORDS)
@pytest.mark.parametrize("name", CODECS)
def test_each_keyword_is_used_or_refused(name, keyword, native) -> None:
    if not expected_used(name, keyword):
        value = {"ratio": 10, "quality": 50, "max_error": 2, "on_miss": "nearest", "allow_recompression": True}
        with pytest.raises(KeywordNotUsed) as err:
            compress(image(native, name), name, **{keyword: value[keyword]})
        msg = str(err.value)
        assert isinstance(err.value, TeleradlabError) and err.value.where == f"{keyword}="
        assert f"{name} does not use {keyword}=" in msg
        accepted = [k for k in KEYWORDS if expected_used(name, k)]
        assert all(f"{k}=" in msg.split("accepts:")[1] for k in accepted)
        assert ("none" in msg.split("accepts:")[1]) == (not accepted)
        return
    ds = image(native, name)
    default = compress(ds, name)
    if keyword == "quality":
        p = inner_param(name)
        res = compress(ds, name, quality=p)
        assert res.param == p and res.compressed_bytes != default.compressed_bytes
    elif keyword == "max_error":
        near = 6
        res = compress(ds, name, max_error=near)
        err = np.abs(res.dataset.pixel_array.astype(int) - ds.pixel_array.astype(int)).max()
        assert res.param == near and default.param < err <= near  # NEAR bounds the error, beyond the default's
        assert res.compressed_bytes < default.compressed_bytes
    elif keyword == "ratio":
        # a target reachable by construction: what the parameter in mid-range gives
        target = compress(ds, name, quality=inner_param(name)).ratio
        res = compress(ds, name, ratio=target)
        assert res.target == target and abs(res.ratio / target - 1) <= 0.05
    elif keyword == "on_miss":
        far = 1e6  # no codec codes a 64x64 image to a few bytes
        with pytest.raises(RatioNotReachable):
            compress(ds, name, ratio=far)
        with pytest.warns(RatioMissWarning):
            res = compress(ds, name, ratio=far, on_miss="nearest")
        assert res.missed and res.target == far
    elif keyword == "allow_recompression":
        lossy = image(native, name, lossy_already=True)
        with pytest.raises(CodecError, match="allow_recompression=True"):
            compress(lossy, name)
        assert compress(lossy, name, allow_recompression=True).dataset.LossyImageCompression == "01"


@pytest.mark.parametrize("name", [n for n in CODECS if get_codec(n).lossy])
def test_rate_keywords_exclude_each_other(name) -> None:
    p = inner_param(name)
    with pytest.raises(CodecError, match=f"ratio= and quality= each set {name}'s rate"):
        check_request(name, ratio=10, quality=p)
    with pytest.raises(CodecError, match="no ratio is asked for") as err:
        check_request(name, quality=p, on_miss="nearest")
    assert err.value.where == "on_miss="
    if expected_used(name, "max_error"):
        with pytest.raises(CodecError, match="quality= and max_error= each set"):
            check_request(name, quality=p, max_error=p)


@pytest.mark.parametrize("name", [n for n in CODECS if get_codec(n).lossy])
def test_parameters_outside_the_range_are_refused(name) -> None:
    codec = get_codec(name)
    lo, hi = codec.param_range
    for ok in (lo, hi):
        check_request(name, quality=int(ok) if codec.integer_param else ok)
    bad = [lo - 1 if codec.integer_param else lo / 2, int(hi) + 1 if codec.integer_param else hi * 2, "high", True]
    if codec.integer_param:
        bad.append(lo + 0.5)
    for value in bad:
        with pytest.raises(CodecError, match=f"{name}'s {codec.param_name} is") as err:
            check_request(name, quality=value)
        assert err.value.where == "quality="
    check_request(name, quality=np.float64(hi) if not codec.integer_param else np.int64(hi))  # numpy scalars too


@pytest.mark.parametrize("name,low,high", [("jpeg-extended", 100, 101), ("jpegxl", 25.0, 30.0)])
def test_beyond_the_range_the_library_clamps(name, low, high, native) -> None:
    """Why out-of-range parameters are refused: the codec's library codes them like the bound."""
    codec = get_codec(name)
    ds = native(12, False)
    info = frame_info(ds)
    frame = ds.pixel_array
    assert codec.encode(frame, info, high) == codec.encode(frame, info, low)


def test_compress_study_refuses_before_any_work() -> None:
    from teleradlab.compression import compress_study

    class NoDatasets:
        @property
        def datasets(self):  # the keyword check comes first: this is never read
            raise AssertionError("read")

    with pytest.raises(KeywordNotUsed, match="htj2k-lossless does not use quality="):
        compress_study(NoDatasets(), "htj2k-lossless", quality=5)


def test_cli_refuses_an_unused_option_in_one_line(tmp_path, capsys) -> None:
    src = tmp_path / "src"
    save_study(synthesize_study("CT", seed=2, shape=(64, 64), n_images=1, lesions=0), src)
    for args, needles in [(["--syntax", "jpegls", "--quality", "80"], ["jpegls does not use --quality", "none"]),
                          (["--syntax", "jpeg2000", "--max-error", "3"],
                           ["jpeg2000 does not use --max-error", "--ratio, --quality, --nearest"]),
                          (["--syntax", "jpeg2000-lossless", "--allow-recompression"], ["lossless"]),
                          (["--syntax", "jpeg2000", "--quality", "5", "--nearest"], ["--nearest", "pass --ratio"]),
                          (["--syntax", "jpeg-extended", "--quality", "80.5"], ["integer from 1 to 100"])]:
        out = tmp_path / "out"
        code = main(["compress", str(src), str(out), *args])
        err = capsys.readouterr().err
        assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
        assert all(n in err for n in needles), err
        assert not out.exists()
    assert main(["compress", str(src), str(tmp_path / "ok"), "--syntax", "jpeg-extended", "--quality", "80"]) == 0
    ds = pydicom.dcmread(next((tmp_path / "ok").rglob("I*")))
    assert ds.file_meta.TransferSyntaxUID == get_codec("jpeg-extended").uid
