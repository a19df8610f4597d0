"""The compression explorer: codec, ratio and window controls over one image.

Shows the original, the decoded image and their difference side by side, in the
chosen display window, with PSNR/SSIM (data range from Bits Stored, or the window)
and the achieved ratio next to the slider. Each redraw compresses for real with the
registry's codecs; a ratio the codec cannot reach on this image gives the nearest it
can, and the label next to the slider says so.
"""

from __future__ import annotations

import io
import time
from typing import Any

import numpy as np

from teleradlab.errors import ParameterError


class CompressionExplorer:
    """Interactive explorer of lossy compression on one DICOM image.

    Parameters
    ----------
    dataset : pydicom.Dataset
        A single-frame image (e.g. a synthetic CT slice).
    codec : str
        Initial codec.
    ratio : float
        Initial target ratio.
    window : str
        Initial display window preset.
    """

    def __init__(self, dataset: Any, *, codec: str = "jpeg2000", ratio: float = 10.0, window: str = "abdomen") -> None:
        import ipywidgets as w

        from teleradlab.compression import codecs
        from teleradlab.compression.compress import frame_info
        from teleradlab.imaging.decode import modality_pixels
        from teleradlab.imaging.display import WINDOW_PRESETS

        self.ds = dataset
        info = frame_info(dataset)
        options = [c.name for c in codecs() if c.lossy and c.accepts(info) is None]
        if codec not in options:
            raise ParameterError(f"{codec!r} cannot compress this image; choose from {options}", where="codec")
        self.original = modality_pixels(dataset)
        self.codec = w.Dropdown(options=options, value=codec, description="codec")
        self.ratio = w.FloatSlider(value=ratio, min=2, max=60, step=1, description="ratio", continuous_update=False)
        self.ratio.add_class("teleradlab-ratio")
        self.achieved = w.HTML()
        self.achieved.add_class("teleradlab-achieved")
        self.window = w.Dropdown(options=list(WINDOW_PRESETS), value=window, description="window")
        self.image = w.Image(format="png")
        self.image.add_class("teleradlab-explorer-image")
        self.readout = w.HTML()
        self.readout.add_class("teleradlab-readout")
        for c in (self.codec, self.ratio, self.window):
            c.observe(lambda _: self.redraw(), names="value")
        self.widget = w.VBox([w.HBox([self.codec, self.ratio, self.achieved, self.window]), self.image,
                              self.readout])
        self.decoded: np.ndarray | None = None
        self.metrics: dict[str, float] = {}
        self.miss = ""
        self.redraw()

    def compress(self) -> None:
        """Compress and decode the image with the current codec and ratio; update metrics."""
        import warnings

        from teleradlab.compression import compress
        from teleradlab.compression.compress import RatioMissWarning
        from teleradlab.imaging.decode import modality_pixels
        from teleradlab.quality import data_range_for, psnr, ssim

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RatioMissWarning)
            res = compress(self.ds, self.codec.value, ratio=float(self.ratio.value), on_miss="nearest")
        self.miss = next((str(c.message) for c in caught if issubclass(c.category, RatioMissWarning)), "")
        self.achieved.value = (f"achieved <b>{res.ratio:.1f}:1</b>"
                               + (" <span title='{}'>(nearest reachable)</span>".format(
                                   self.miss.replace("'", "&#39;")) if res.missed else ""))
        self.decoded = modality_pixels(res.dataset)  # in the result's own Modality LUT: it may be level-shifted
        rng = data_range_for(self.ds)
        self.metrics = {
            "ratio": res.ratio, "psnr_db": psnr(self.original, self.decoded, data_range=rng),
            "psnr_window_db": psnr(self.original, self.decoded, window=self.window.value),
            "ssim_window": ssim(self.original, self.decoded, window=self.window.value),
        }

    def picture(self) -> np.ndarray:
        """Original | decoded | amplified difference, 8-bit, side by side."""
        from teleradlab.imaging.display import WINDOW_PRESETS, to_display

        assert self.decoded is not None  # __init__ compresses (redraw) before anything is drawn
        a = to_display(self.original, self.window.value)
        b = to_display(self.decoded, self.window.value)
        width = WINDOW_PRESETS[self.window.value][1]
        diff = np.clip(128 + (self.decoded - self.original) * (255 / width) * 4, 0, 255).astype(np.uint8)
        gap = np.full((a.shape[0], 4), 255, np.uint8)
        return np.hstack([a, gap, b, gap, diff])

    def redraw(self) -> None:
        """Recompress and redraw (the time taken is shown)."""
        from PIL import Image

        start = time.perf_counter()
        self.compress()
        buf = io.BytesIO()
        Image.fromarray(self.picture()).save(buf, format="PNG", compress_level=1)
        self.image.value = buf.getvalue()
        m = self.metrics
        self.readout.value = ((f"{self.miss}. " if self.miss else "")
                              + f"<b>{self.codec.value} at {m['ratio']:.1f}:1</b> — PSNR {m['psnr_db']:.1f} dB "
                              f"(full range), {m['psnr_window_db']:.1f} dB in the {self.window.value} window; "
                              f"SSIM in window {m['ssim_window']:.3f}; redrawn in "
                              f"{(time.perf_counter() - start) * 1000:.0f} ms. Left: original; middle: decoded; "
                              f"right: difference x4.")

    def figure(self) -> Any:
        """A matplotlib figure of the current state (the static picture left when headless)."""
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(12, 4.2))
        ax.imshow(self.picture(), cmap="gray", vmin=0, vmax=255)
        m = self.metrics
        ax.set_title(f"{self.codec.value} {m['ratio']:.1f}:1, {self.window.value} window — original | decoded | "
                     f"difference x4 — PSNR {m['psnr_window_db']:.1f} dB in window", fontsize=9)
        ax.axis("off")
        fig.tight_layout()
        return fig

    def _ipython_display_(self) -> None:
        from teleradlab.widgets.static import show

        show(self.widget, self.figure)
