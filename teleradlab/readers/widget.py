"""The reading widget: one case at a time, a confidence rating, optional click localisation.

A reader sees only the de-identified reading ID, the image (window/level adjustable),
their progress and a rating scale — 1–5 buttons or a 0–100 slider with a submit
button. Clicking the image marks the suspected lesion (when localisation is on).
Each rating is written to the :class:`~teleradlab.readers.store.StudyStore` at once,
with the seconds spent on the case (paused time excluded); reopening the widget
resumes at the first unrated case. Executed headless it leaves a static picture.
"""

from __future__ import annotations

import io
import time
from typing import Any

import numpy as np

from teleradlab.errors import ParameterError
from teleradlab.readers.store import Reading, StudyStore

__all__ = ["ReadingWidget", "read"]

SCALES = {"1-5": (1, 5), "0-100": (0, 100)}
DISPLAY_PX = 448  # CSS size of the picture


class ReadingWidget:
    """Read the cases of one reader's worklist in a store.

    Parameters
    ----------
    store : StudyStore
        The study.
    reader : str
        Whose worklist to read.
    scale : {"1-5", "0-100"}
        Rating scale (higher = more confident a lesion is present).
    localise : bool
        Ask for a click on the suspected lesion.
    window : (centre, width), optional
        Initial display window; default from the first image's 0.5–99.5 percentiles.

    Raises
    ------
    ParameterError
        Unknown scale, or a reader without a worklist.
    """

    def __init__(self, store: StudyStore, reader: str, *, scale: str = "1-5", localise: bool = False,
                 window: tuple[float, float] | None = None) -> None:
        import ipywidgets as w

        from teleradlab.widgets.clickable import ClickImage

        if scale not in SCALES:
            raise ParameterError(f"scale must be one of {list(SCALES)}, got {scale!r}", where="scale")
        if reader not in store.readers():
            raise ParameterError(f"no worklist for reader {reader!r}; readers: {store.readers()}", where="reader")
        self.store, self.reader, self.scale, self.localise = store, reader, scale, localise
        self.current: Reading | None = None
        self.image: np.ndarray | None = None
        self.click: tuple[float, float] | None = None
        self.paused = False
        self._shown_at = 0.0
        self._paused_for = 0.0
        self._paused_at = 0.0
        self.picture = ClickImage(width=DISPLAY_PX, height=DISPLAY_PX, css_class="teleradlab-reading-image",
                                  alt="case to read")
        self.picture.on_click(self._on_click)
        self.picture.observe(lambda _: self._draw(), names="dpr")  # re-render crisp at the screen's density
        self.title = w.HTML()
        self.status = w.HTML()
        self.status.add_class("teleradlab-readout")
        lo, hi = SCALES[scale]
        if scale == "1-5":
            labels = {1: "1 definitely no lesion", 2: "2 probably no", 3: "3 unsure", 4: "4 probably lesion",
                      5: "5 definitely lesion"}
            self.buttons = []
            for k in range(lo, hi + 1):
                b = w.Button(description=labels[k], layout=w.Layout(width="auto"))
                b.add_class(f"teleradlab-rate-{k}")
                b.on_click(lambda _b, k=k: self.rate(float(k)))
                self.buttons.append(b)
            rating_row = w.HBox(self.buttons)
        else:
            self.slider = w.IntSlider(value=50, min=lo, max=hi, description="confidence", continuous_update=True)
            self.slider.add_class("teleradlab-rate-slider")
            submit = w.Button(description="submit rating", button_style="primary")
            submit.add_class("teleradlab-rate-submit")
            submit.on_click(lambda _b: self.rate(float(self.slider.value)))
            self.buttons = [submit]
            rating_row = w.HBox([self.slider, submit])
        self.centre = w.FloatText(description="window C", layout=w.Layout(width="180px"))
        self.width = w.FloatText(description="W", layout=w.Layout(width="150px"))
        for c in (self.centre, self.width):
            c.observe(lambda _: self._draw(), names="value")
        self.pause_button = w.ToggleButton(value=False, description="pause")
        self.pause_button.add_class("teleradlab-pause")
        self.pause_button.observe(lambda ch: self.pause(bool(ch["new"])), names="value")
        hint = "Click the image where you see the lesion, then rate." if localise else "Rate the image."
        self.widget = w.VBox([self.title, w.HBox([self.centre, self.width, self.pause_button]), self.picture,
                              w.HTML(f"<i>{hint} Higher = more confident a lesion is present.</i>"), rating_row,
                              self.status])
        self._initial_window = window
        self._next()

    # ---- state -------------------------------------------------------------------------------------
    def _next(self) -> None:
        self.current = self.store.next_reading(self.reader)
        self.click = None
        done, total = self.store.progress(self.reader)
        if self.current is None:
            self.image = None
            self.title.value = f"<b>{self.reader}</b>: all {total} readings done — thank you."
            self.status.value = f"{done} of {total} rated"
            for b in self.buttons:
                b.disabled = True
            self.picture.value = b""
            return
        self.image = self.store.image(self.current.reading_id).astype(np.float32)
        if self._initial_window is None:
            lo, hi = np.percentile(self.image, [0.5, 99.5])
            self._initial_window = ((lo + hi) / 2, max(hi - lo, 1.0))
        self.centre.value, self.width.value = (float(v) for v in self._initial_window)
        self.title.value = (f"<b>{self.reader}</b> — reading {self.current.reading_id} "
                            f"(session {self.current.session})")
        self.status.value = f"{done} of {total} rated"
        self._draw()
        self._shown_at, self._paused_for = time.monotonic(), 0.0

    def _on_click(self, fx: float, fy: float) -> None:
        if self.image is None or not self.localise or self.paused:
            return
        self.click = (fy * self.image.shape[0] - 0.5, fx * self.image.shape[1] - 0.5)
        self._draw()

    def frame(self) -> np.ndarray:
        """The picture as shown: windowed 8-bit RGB with the click mark (grey when paused or done)."""
        from teleradlab.imaging.display import window_image

        if self.image is None or self.paused:
            return np.full((64, 64, 3), 96, np.uint8)
        g = window_image(self.image, float(self.centre.value), max(float(self.width.value), 1.0))
        rgb = np.repeat(g[..., None], 3, axis=2)
        if self.click is not None:
            r, c = (int(round(v)) for v in self.click)
            for dr in range(-3, 4):
                for rr, cc in ((r + dr, c), (r, c + dr)):
                    if 0 <= rr < rgb.shape[0] and 0 <= cc < rgb.shape[1]:
                        rgb[rr, cc] = (255, 40, 40)
        return rgb

    def _draw(self) -> None:
        from PIL import Image

        img = Image.fromarray(self.frame())
        size = int(DISPLAY_PX * max(self.picture.dpr, 1.0))
        img = img.resize((size, size), Image.Resampling.NEAREST)
        buf = io.BytesIO()
        img.save(buf, format="PNG", compress_level=1)
        self.picture.value = buf.getvalue()

    # ---- actions ------------------------------------------------------------------------------------
    def pause(self, on: bool = True) -> None:
        """Pause (hide the image, stop the clock) or resume."""
        if on == self.paused:
            return
        if on:
            self._paused_at = time.monotonic()
        else:
            self._paused_for += time.monotonic() - self._paused_at
        self.paused = on
        for b in self.buttons:
            b.disabled = on or self.current is None
        if self.pause_button.value != on:
            self.pause_button.value = on
        self.pause_button.description = "resume" if on else "pause"
        self._draw()

    def rate(self, value: float) -> None:
        """Rate the current reading, store it (committed) and show the next one.

        Parameters
        ----------
        value : float
            The rating on the widget's scale.

        Raises
        ------
        ParameterError
            A value outside the scale, rating while paused, or localisation asked
            for and no click given.
        """
        lo, hi = SCALES[self.scale]
        if self.current is None:
            return
        if self.paused:
            raise ParameterError("resume before rating", where="rating")
        if not lo <= value <= hi:
            raise ParameterError(f"rating {value} outside the {self.scale} scale", where="rating")
        if self.localise and self.click is None and value > lo:
            self.status.value = "<b>Click the suspected lesion first</b> (or rate the lowest value: no lesion)."
            return
        elapsed = time.monotonic() - self._shown_at - self._paused_for
        self.store.rate(self.reader, self.current.reading_id, value, time_s=round(elapsed, 3),
                        click=self.click if self.localise else None)
        self._next()

    def figure(self) -> Any:
        """A matplotlib figure of the current state (the static picture when headless)."""
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(4.5, 4.8))
        ax.imshow(self.frame())
        done, total = self.store.progress(self.reader)
        what = f"reading {self.current.reading_id}" if self.current else "finished"
        ax.set_title(f"{self.reader}: {what}\n{done} of {total} rated; scale {self.scale}", fontsize=9)
        ax.axis("off")
        fig.tight_layout()
        return fig

    def _ipython_display_(self) -> None:
        from teleradlab.widgets.static import show

        show(self.widget, self.figure)


def read(store: StudyStore, reader: str, **kwargs: Any) -> ReadingWidget:
    """Open the reading widget for ``reader`` (see :class:`ReadingWidget`).

    Parameters
    ----------
    store : StudyStore
        The study.
    reader : str
        Whose worklist to read.
    **kwargs
        ``scale``, ``localise``, ``window``.

    Returns
    -------
    ReadingWidget
    """
    return ReadingWidget(store, reader, **kwargs)
