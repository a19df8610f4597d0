"""An offline volume viewer: three orthogonal planes, slice sliders, window/level.

:func:`view` needs no internet and no JavaScript beyond ipywidgets itself: each plane
is a PNG rendered on the kernel side and sent to an ``ipywidgets.Image``. Executed
headless, it leaves a static three-plane picture (see :mod:`teleradlab.widgets.static`).
``backend="itk"`` hands the volume to itkwidgets instead, when the ``itk`` extra is
installed.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from teleradlab.errors import EnvironmentProblem, ParameterError

PLANES = ("axial", "coronal", "sagittal")


def _volume_and_spacing(data: Any) -> tuple[np.ndarray, tuple[float, float, float], str | None]:
    """Return a (z, y, x) volume, its voxel spacing in mm and the photometric interpretation."""
    spacing = (1.0, 1.0, 1.0)
    photometric = None
    if hasattr(data, "pixels") and hasattr(data, "datasets"):
        volume = np.asarray(data.pixels())
        ds = data.datasets[0]
        photometric = str(getattr(ds, "PhotometricInterpretation", "")) or None
        row, col = (float(v) for v in getattr(ds, "PixelSpacing", (1.0, 1.0)))
        dz = float(getattr(ds, "SpacingBetweenSlices", 0) or getattr(ds, "SliceThickness", 0) or row)
        if len(data.datasets) > 1 and hasattr(ds, "ImagePositionPatient"):
            z = sorted(float(d.ImagePositionPatient[2]) for d in data.datasets[:2])
            dz = abs(z[1] - z[0]) or dz
        spacing = (dz, row, col)
    else:
        volume = np.asarray(data)
    if volume.ndim == 2:
        volume = volume[np.newaxis]
    if volume.ndim != 3:
        raise ParameterError(f"expected a 2-D image or a 3-D (z, y, x) volume, got shape {volume.shape}",
                             where="view(volume)")
    return volume, spacing, photometric


class VolumeViewer:
    """Three orthogonal planes of a volume with slice and window/level controls.

    Parameters
    ----------
    data : ndarray or Study
        A (z, y, x) volume (or a 2-D image), or a :class:`teleradlab.imaging.Study`
        whose pixels (Modality LUT applied) and spacing are used.
    window : tuple or str, optional
        Initial (centre, width) or a preset name such as ``"lung"``; by default the
        volume's 1st–99th percentile range.
    size : int
        Largest side of each rendered plane, in pixels.
    """

    def __init__(self, data: Any, *, window: tuple[float, float] | str | None = None, size: int = 320) -> None:
        import ipywidgets as w

        from teleradlab.imaging import WINDOW_PRESETS

        self.volume, self.spacing, self.photometric = _volume_and_spacing(data)
        self.size = size
        lo, hi = (float(v) for v in np.percentile(self.volume, [1, 99]))
        vmin, vmax = float(self.volume.min()), float(self.volume.max())
        if isinstance(window, str):
            if window not in WINDOW_PRESETS:
                raise ParameterError(f"unknown window preset {window!r}; known: {', '.join(WINDOW_PRESETS)}",
                                     where="view(window)")
            centre, width = WINDOW_PRESETS[window]
        elif window is not None:
            centre, width = (float(v) for v in window)
        else:
            centre, width = (lo + hi) / 2, max(hi - lo, 1.0)
        self.position = [s // 2 for s in self.volume.shape]
        self.images = {p: w.Image(format="png", layout=w.Layout(margin="2px")) for p in PLANES}
        shape = self.volume.shape
        self.sliders = {
            p: w.IntSlider(value=self.position[i], min=0, max=shape[i] - 1, description=p,
                           continuous_update=True, layout=w.Layout(width="300px"))
            for i, p in enumerate(PLANES)
        }
        span = max(vmax - vmin, 1.0)
        self.centre = w.FloatSlider(value=centre, min=vmin - span, max=vmax + span, step=span / 500,
                                    description="level", continuous_update=True)
        self.width = w.FloatSlider(value=width, min=span / 1000, max=2 * span, step=span / 500,
                                   description="window", continuous_update=True)
        self.preset = w.Dropdown(options=["(custom)", *WINDOW_PRESETS], value="(custom)", description="preset")
        self.readout = w.Label()
        for i, p in enumerate(PLANES):
            self.sliders[p].observe(lambda change, i=i: self.set_slice(i, change["new"]), names="value")
        self.centre.observe(lambda _: self.redraw(), names="value")
        self.width.observe(lambda _: self.redraw(), names="value")
        self.preset.observe(self._on_preset, names="value")
        self.widget = w.VBox([
            w.HBox([self.images[p] for p in PLANES]),
            w.HBox([self.sliders[p] for p in PLANES]),
            w.HBox([self.preset, self.centre, self.width]),
            self.readout,
        ])
        self.redraw()

    # -- state -----------------------------------------------------------------
    @property
    def window(self) -> tuple[float, float]:
        """The current (centre, width)."""
        return float(self.centre.value), float(self.width.value)

    def set_slice(self, axis: int, index: int) -> None:
        """Move plane ``axis`` (0 axial, 1 coronal, 2 sagittal) to ``index`` and redraw."""
        self.position[axis] = int(np.clip(index, 0, self.volume.shape[axis] - 1))
        if self.sliders[PLANES[axis]].value != self.position[axis]:
            self.sliders[PLANES[axis]].value = self.position[axis]
        self.redraw()

    def set_window(self, centre: float, width: float) -> None:
        """Set window level and width and redraw."""
        with self.widget.hold_trait_notifications():
            self.centre.value, self.width.value = centre, width
        self.redraw()

    def _on_preset(self, change: dict) -> None:
        from teleradlab.imaging import WINDOW_PRESETS

        if change["new"] in WINDOW_PRESETS:
            self.set_window(*WINDOW_PRESETS[change["new"]])

    # -- rendering -------------------------------------------------------------
    def plane(self, name: str) -> np.ndarray:
        """Return the 8-bit display image of one plane, aspect-corrected."""
        from scipy.ndimage import zoom

        from teleradlab.imaging import to_display

        z, y, x = self.position
        dz, dy, dx = self.spacing
        if name == "axial":
            img, aspect = self.volume[z], dy / dx
        elif name == "coronal":
            img, aspect = self.volume[:, y, :], dz / dx
        elif name == "sagittal":
            img, aspect = self.volume[:, :, x], dz / dy
        else:
            raise ParameterError(f"unknown plane {name!r}; use one of {PLANES}", where="plane")
        u8 = to_display(img, window=self.window, photometric=self.photometric)
        rows, cols = u8.shape[:2]
        scale = self.size / max(rows * aspect, cols)
        factors = (rows * aspect * scale / rows, scale) + ((1,) if u8.ndim == 3 else ())
        return zoom(u8, factors, order=1) if not np.allclose(factors[:2], 1) else u8

    def redraw(self) -> None:
        """Re-render every plane and the readout."""
        from PIL import Image

        for p in PLANES:
            buf = io.BytesIO()
            Image.fromarray(self.plane(p)).save(buf, format="PNG", compress_level=1)
            self.images[p].value = buf.getvalue()
        c, wdt = self.window
        value = self.volume[tuple(self.position)]
        self.readout.value = (f"voxel (z, y, x) = {tuple(self.position)}  value {float(value):.1f}   "
                              f"window {wdt:.0f} / level {c:.0f}")

    def snapshot(self) -> Any:
        """A matplotlib figure of the three planes in their current state."""
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 3, figsize=(10, 3.6))
        for ax, p in zip(axes, PLANES, strict=True):
            ax.imshow(self.plane(p), cmap="gray", vmin=0, vmax=255)
            ax.set_title(f"{p} {self.position[PLANES.index(p)]}")
            ax.axis("off")
        c, wdt = self.window
        fig.suptitle(f"window {wdt:.0f} / level {c:.0f}", fontsize=9)
        fig.tight_layout()
        return fig

    def _ipython_display_(self) -> None:
        from teleradlab.widgets.static import show

        show(self.widget, self.snapshot)


def view(data: Any, *, window: tuple[float, float] | str | None = None, backend: str = "builtin",
         size: int = 320) -> Any:
    """View a volume or study in three orthogonal planes, offline.

    Parameters
    ----------
    data : ndarray or Study
        A (z, y, x) volume, a 2-D image, or a :class:`teleradlab.imaging.Study`.
    window : tuple or str, optional
        Initial (centre, width) or a preset name (``"lung"``, ``"brain"``...).
    backend : {"builtin", "itk"}
        ``"builtin"`` (default) renders on the kernel side and works offline;
        ``"itk"`` uses itkwidgets (``pip install -e ".[itk]"``; see the README's caveat).
    size : int
        Largest side of each plane in pixels (builtin backend).

    Returns
    -------
    VolumeViewer or itkwidgets viewer
        Displaying it (as the last expression of a cell) shows the widget, plus a
        static picture when executed headless.

    Raises
    ------
    EnvironmentProblem
        ``backend="itk"`` without itkwidgets installed.
    """
    if backend == "builtin":
        return VolumeViewer(data, window=window, size=size)
    if backend == "itk":
        try:
            import itkwidgets
        except ImportError as exc:
            raise EnvironmentProblem('itkwidgets is not installed: pip install -e ".[itk]"',
                                     where="view(backend='itk')") from exc
        volume, _, _ = _volume_and_spacing(data)
        return itkwidgets.view(volume)
    raise ParameterError(f"unknown backend {backend!r}; use 'builtin' or 'itk'", where="view(backend)")
