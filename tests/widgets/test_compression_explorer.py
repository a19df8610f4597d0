"""The compression explorer without a browser: controls recompress for real and the picture follows."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

from teleradlab.errors import ParameterError
from teleradlab.imaging import synthesize_study
from teleradlab.widgets.compression_explorer import CompressionExplorer

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def ct():
    return synthesize_study("CT", seed=4, shape=(128, 128), n_images=1,
                            lesions=[{"kind": "hypodense", "diameter_mm": 15}]).datasets[0]


def test_controls_recompress_and_redraw(ct) -> None:
    ex = CompressionExplorer(ct, codec="jpeg2000", ratio=10, window="abdomen")
    assert "jpeg-baseline" not in ex.codec.options  # 8-bit only: not offered for 12-bit CT
    assert ex.metrics["ratio"] == pytest.approx(10, rel=0.05)
    first_png, first = ex.image.value, dict(ex.metrics)
    assert first_png[:8] == b"\x89PNG\r\n\x1a\n"
    ex.ratio.value = 30  # the slider's observer recompresses
    assert ex.metrics["ratio"] == pytest.approx(30, rel=0.05)
    assert ex.metrics["psnr_db"] < first["psnr_db"] and ex.image.value != first_png
    ex.window.value = "bone"  # a wide window hides what a narrow one shows
    assert ex.metrics["psnr_window_db"] > first["psnr_window_db"]
    assert f"jpeg2000 at {ex.metrics['ratio']:.1f}:1" in ex.readout.value and "redrawn in" in ex.readout.value
    assert f"achieved <b>{ex.metrics['ratio']:.1f}:1</b>" in ex.achieved.value
    assert ex.achieved in ex.widget.children[0].children  # beside the slider


def test_an_unreachable_ratio_shows_the_nearest_and_says_so(ct) -> None:
    from teleradlab.compression import compress
    from teleradlab.compression.compress import RatioNotReachable

    ex = CompressionExplorer(ct, codec="jpegls-near", ratio=10)
    ex.ratio.value = 2  # below JPEG-LS's near-lossless floor (NEAR = 1) on this image
    with pytest.raises(RatioNotReachable) as refused:
        compress(ct, "jpegls-near", ratio=2)
    lowest = refused.value.reachable[0]
    assert ex.metrics["ratio"] == pytest.approx(lowest, rel=1e-9)
    assert f"achieved <b>{lowest:.1f}:1</b>" in ex.achieved.value and "nearest reachable" in ex.achieved.value
    assert "cannot reach 2:1" in ex.readout.value


def test_every_offered_codec_decodes_to_the_same_hu(ct) -> None:
    ex = CompressionExplorer(ct, ratio=8)
    for name in ex.codec.options:
        ex.codec.value = name
        err = ex.decoded - ex.original
        assert float(np.sqrt(np.mean(err ** 2))) < 20, name  # HU, whichever way the codec stores them


def test_picture_and_static_figure(ct) -> None:
    ex = CompressionExplorer(ct, codec="htj2k", ratio=12)
    pic = ex.picture()
    assert pic.dtype == np.uint8 and pic.shape == (128, 3 * 128 + 8)
    fig = ex.figure()
    assert "htj2k" in fig.axes[0].get_title()


def test_bad_codec_is_one_clear_error(ct) -> None:
    with pytest.raises(ParameterError, match="'jpeg-baseline' cannot compress this image"):
        CompressionExplorer(ct, codec="jpeg-baseline")
