"""An offline volume viewer: three linked orthogonal planes, as a radiologist reads them.

:func:`view` needs no internet: each plane is a PNG rendered on the kernel side and
shown by a small click-aware widget (:class:`teleradlab.widgets.clickable.ClickImage`).

* **Physical aspect.** Pixel Spacing gives the in-plane size of a voxel and the
  slice positions (Image Position along the slice normal) its depth, so a 120 mm
  stack of 512 x 0.7 mm slices is drawn a third as tall as it is wide. All three
  planes share one scale (screen pixels per mm), rendered at the screen's
  device-pixel ratio.
* **Linked crosshair.** Each plane shows where the other two cut it, in their
  colours (axial blue, coronal green, sagittal red); a click on any plane moves the
  other two there; the sliders move one plane at a time.
* **Orientation labels** (R/L, A/P, S/I) at the edges, from Image Orientation
  (Patient); coronal and sagittal planes are drawn with superior up.
* **Window/level** by preset (exact values: the lung preset is C −600 / W 1500) or
  by typing, with the preset menu following whatever is shown.
* **Ground truth.** For a synthetic study, the lesions of ``study.truth`` can be
  outlined where each plane cuts them.
* **Readout** of the crosshair's position in mm (patient coordinates, LPS) and of
  the voxel's value (HU for CT).

Executed headless, it leaves a static three-plane picture (see
:mod:`teleradlab.widgets.static`). ``backend="itk"`` hands the volume to
itkwidgets instead, when the ``itk`` extra is installed.
"""

from __future__ import annotations

import functools
import io
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from teleradlab.errors import EnvironmentProblem, ParameterError

PLANES = ("axial", "coronal", "sagittal")
#: (vertical, horizontal) volume axes of each plane; volumes are (z, y, x).
PLANE_AXES = {"axial": (1, 2), "coronal": (0, 2), "sagittal": (0, 1)}
#: The volume axis each plane is perpendicular to (the one its slider moves).
PLANE_NORMAL = {"axial": 0, "coronal": 1, "sagittal": 2}
PLANE_COLOURS = {"axial": (77, 163, 255), "coronal": (95, 211, 95), "sagittal": (255, 107, 107)}
LESION_COLOUR = (255, 212, 0)
CUSTOM = "(custom)"
_GAP_PX = 8  # the crosshair leaves the voxel under it visible


@dataclass(frozen=True)
class Geometry:
    """Where a (z, y, x) volume sits in the patient.

    Attributes
    ----------
    spacing : (float, float, float)
        Voxel size (dz, dy, dx) in mm.
    origin : ndarray or None
        Patient position (LPS, mm) of voxel (0, 0, 0); None when unknown.
    axes : ndarray or None
        3 x 3: row k is the unit vector (LPS) along which volume index k increases;
        None when the orientation is unknown (a bare array).
    """

    spacing: tuple[float, float, float]
    origin: np.ndarray | None = None
    axes: np.ndarray | None = None

    def patient_mm(self, index: tuple[int, int, int]) -> np.ndarray:
        """Position of a voxel in mm: patient coordinates (LPS) when known, else from voxel (0, 0, 0)."""
        offsets = np.asarray(index, dtype=float) * np.asarray(self.spacing)
        if self.axes is None or self.origin is None:
            return offsets
        return self.origin + offsets @ self.axes


def direction_label(vector: np.ndarray) -> str:
    """Letters of the patient directions a vector points to, strongest first (LPS: +x L, +y P, +z S).

    Examples
    --------
    >>> direction_label(np.array([1.0, 0.0, 0.0])), direction_label(np.array([0.0, -0.8, 0.6]))
    ('L', 'AS')
    """
    letters = (("R", "L"), ("A", "P"), ("I", "S"))
    order = np.argsort(-np.abs(vector))
    return "".join(letters[k][int(vector[k] > 0)] for k in order if abs(vector[k]) >= 0.25)


def _study_geometry(series: Any) -> Geometry:
    ds = series.instances[0]
    row, col = (float(v) for v in getattr(ds, "PixelSpacing", (1.0, 1.0)))  # row spacing (dy), column spacing (dx)
    fallback_dz = float(getattr(ds, "SpacingBetweenSlices", 0) or getattr(ds, "SliceThickness", 0) or row)
    iop = getattr(ds, "ImageOrientationPatient", None)
    if iop is None or len(iop) != 6:
        return Geometry((fallback_dz, row, col))
    row_dir, col_dir = np.array(iop[:3], dtype=float), np.array(iop[3:], dtype=float)
    normal = np.cross(row_dir, col_dir)
    positions = [np.array(d.ImagePositionPatient, dtype=float) for d in series.instances
                 if getattr(d, "ImagePositionPatient", None) is not None]
    dz, slice_dir = fallback_dz, normal
    if len(positions) == len(series.instances) and len(positions) > 1:
        along = np.array([p @ normal for p in positions])
        steps = np.diff(along)
        if np.all(steps != 0):
            dz = float(np.median(np.abs(steps)))
            slice_dir = normal * float(np.sign(np.median(steps)))
    origin = positions[0] if positions else None
    return Geometry((dz, row, col), origin, np.vstack([slice_dir, col_dir, row_dir]))


def _volume_and_geometry(data: Any, spacing: tuple[float, float, float] | None
                         ) -> tuple[np.ndarray, Geometry, str | None, str, dict | None]:
    """(volume, geometry, photometric, modality, truth) of a Study or array."""
    photometric, modality, truth = None, "", None
    if hasattr(data, "pixels") and hasattr(data, "get_series"):
        series = data.get_series()
        volume = np.asarray(data.pixels())
        ds = series.instances[0]
        photometric = str(getattr(ds, "PhotometricInterpretation", "")) or None
        modality = str(getattr(ds, "Modality", ""))
        truth = getattr(data, "truth", None)
        geometry = _study_geometry(series)
        if int(getattr(ds, "NumberOfFrames", 1) or 1) > 1:  # frames in time, not space
            geometry = Geometry((geometry.spacing[1], *geometry.spacing[1:]))
        spacing_mm: tuple[float, ...] = geometry.spacing
    else:
        volume = np.asarray(data)
        spacing_mm = tuple(float(s) for s in spacing) if spacing else (1.0, 1.0, 1.0)
        geometry = None  # built from spacing_mm once it is checked
    colour = volume.ndim >= 3 and volume.shape[-1] in (3, 4) and photometric not in (None, "MONOCHROME1",
                                                                                     "MONOCHROME2")
    if volume.ndim == 2 or (colour and volume.ndim == 3):
        volume = volume[np.newaxis]
    if volume.ndim != (4 if colour else 3):
        raise ParameterError(f"expected a 2-D image or a 3-D (z, y, x) volume, got shape {volume.shape}",
                             where="view(volume)")
    if len(spacing_mm) != 3 or not all(s > 0 and math.isfinite(s) for s in spacing_mm):
        raise ParameterError(f"voxel spacing must be three positive sizes in mm, got {spacing_mm}",
                             where="view(spacing)")
    if geometry is None:
        geometry = Geometry((spacing_mm[0], spacing_mm[1], spacing_mm[2]))
    return volume, geometry, photometric, modality, truth


class VolumeViewer:
    """Three linked orthogonal planes of a volume, with crosshair, labels and window/level.

    Parameters
    ----------
    data : ndarray or Study
        A (z, y, x) volume (or a 2-D image), or a :class:`teleradlab.imaging.Study`
        whose first series' pixels (Modality LUT applied) and geometry are used.
    window : tuple or str, optional
        Initial (centre, width) or a preset name such as ``"lung"``; by default the
        volume's 1st–99th percentile range.
    size : int
        Largest side, in screen (CSS) pixels, of the largest plane.
    spacing : tuple, optional
        (dz, dy, dx) in mm for a bare array (a Study brings its own).
    lesions : bool
        Outline the ground-truth lesions of a synthetic study from the start.
    """

    def __init__(self, data: Any, *, window: tuple[float, float] | str | None = None, size: int = 320,
                 spacing: tuple[float, float, float] | None = None, lesions: bool = False) -> None:
        import ipywidgets as w

        from teleradlab.imaging import WINDOW_PRESETS
        from teleradlab.widgets.clickable import ClickImage

        self.volume, self.geometry, self.photometric, self.modality, truth = _volume_and_geometry(data, spacing)
        self.lesions = list((truth or {}).get("lesions", []))
        self.size = int(size)
        self.dpr = 1.0
        self.position = [s // 2 for s in self.volume.shape[:3]]
        self._syncing = False
        centre, width = self._initial_window(window)
        self._window = (centre, width)

        self.images = {p: ClickImage(css_class=f"teleradlab-viewer-plane teleradlab-viewer-{p}",
                                     alt=f"{p} plane") for p in PLANES}
        for p in PLANES:
            self.images[p].on_click(functools.partial(self.click, p))
            self.images[p].observe(self._on_dpr, names="dpr")
        shape = self.volume.shape
        self.sliders = {
            p: w.IntSlider(value=self.position[PLANE_NORMAL[p]], min=0, max=shape[PLANE_NORMAL[p]] - 1,
                           description=p, continuous_update=True, layout=w.Layout(width="300px"))
            for p in PLANES
        }
        for p in PLANES:
            self.sliders[p].add_class(f"teleradlab-slider-{p}")
            self.sliders[p].observe(lambda change, p=p: self._on_slider(p, change["new"]), names="value")
        # Whole-HU sliders over integer bounds: the value lands exactly where it is set
        # (a slider whose minimum is not a multiple of its step rounds 1500 to 1502).
        vmin, vmax = float(np.nanmin(self.volume)), float(np.nanmax(self.volume))
        span = max(vmax - vmin, 1.0)
        lo_c = math.floor(min(vmin - span, *(c for c, _ in WINDOW_PRESETS.values()), centre))
        hi_c = math.ceil(max(vmax + span, *(c for c, _ in WINDOW_PRESETS.values()), centre))
        hi_w = math.ceil(max(2 * span, *(wd for _, wd in WINDOW_PRESETS.values()), width))
        self.centre = w.FloatSlider(value=round(centre), min=lo_c, max=hi_c, step=1, description="level",
                                    continuous_update=True, readout=False)
        self.width = w.FloatSlider(value=round(width), min=1, max=hi_w, step=1, description="window",
                                   continuous_update=True, readout=False)
        self.centre_text = w.FloatText(value=centre, description="", layout=w.Layout(width="80px"))
        self.width_text = w.BoundedFloatText(value=width, min=1e-3, max=1e9, description="",
                                             layout=w.Layout(width="80px"))
        self.preset = w.Dropdown(options=[CUSTOM, *WINDOW_PRESETS], value=CUSTOM, description="preset",
                                 layout=w.Layout(width="220px"))
        self.preset.add_class("teleradlab-preset")
        self.centre.observe(lambda c: self._on_control(centre=c["new"]), names="value")
        self.width.observe(lambda c: self._on_control(width=c["new"]), names="value")
        self.centre_text.observe(lambda c: self._on_control(centre=c["new"]), names="value")
        self.width_text.observe(lambda c: self._on_control(width=c["new"]), names="value")
        self.preset.observe(self._on_preset, names="value")
        self.show_lesions = w.Checkbox(value=bool(lesions and self.lesions), description="ground-truth lesions",
                                       disabled=not self.lesions, indent=False)
        self.show_lesions.observe(lambda _: self.redraw(), names="value")
        self.readout = w.HTML()
        self.readout.add_class("teleradlab-readout")
        titles = [w.HTML(f'<b style="color:rgb{PLANE_COLOURS[p]}">{p}</b>') for p in PLANES]
        self.widget = w.VBox([
            w.HBox([w.VBox([t, self.images[p]], layout=w.Layout(margin="0 8px 0 0"))
                    for t, p in zip(titles, PLANES, strict=True)],
                   layout=w.Layout(align_items="flex-start")),
            w.HBox([self.sliders[p] for p in PLANES]),
            w.HBox([self.preset, self.centre, self.centre_text, self.width, self.width_text]),
            w.HBox([self.show_lesions]),
            self.readout,
        ])
        self._sync_controls()
        self.redraw()

    # -- state -----------------------------------------------------------------
    def _initial_window(self, window: Any) -> tuple[float, float]:
        from teleradlab.imaging import WINDOW_PRESETS

        if isinstance(window, str):
            if window not in WINDOW_PRESETS:
                raise ParameterError(f"unknown window preset {window!r}; known: {', '.join(WINDOW_PRESETS)}",
                                     where="view(window)")
            centre, width = WINDOW_PRESETS[window]
            return float(centre), float(width)
        if window is not None:
            centre, width = (float(v) for v in window)
            if not width > 0:
                raise ParameterError(f"window width must be positive, got {width}", where="view(window)")
            return centre, width
        lo, hi = (float(v) for v in np.nanpercentile(self.volume, [1, 99]))
        return (lo + hi) / 2, max(hi - lo, 1.0)

    @property
    def window(self) -> tuple[float, float]:
        """The current (centre, width), exactly as set."""
        return self._window

    def set_window(self, centre: float, width: float) -> None:
        """Set window level and width (exact values) and redraw; the preset menu follows."""
        if not width > 0:
            raise ParameterError(f"window width must be positive, got {width}", where="set_window")
        self._window = (float(centre), float(width))
        self._sync_controls()
        self.redraw()

    def _sync_controls(self) -> None:
        from teleradlab.imaging import WINDOW_PRESETS

        centre, width = self._window
        match = next((name for name, cw in WINDOW_PRESETS.items() if tuple(map(float, cw)) == self._window), CUSTOM)
        self._syncing = True
        try:
            self.centre.value = min(max(round(centre), self.centre.min), self.centre.max)
            self.width.value = min(max(round(width), self.width.min), self.width.max)
            self.centre_text.value, self.width_text.value = centre, width
            self.preset.value = match
        finally:
            self._syncing = False

    def _on_control(self, *, centre: float | None = None, width: float | None = None) -> None:
        if self._syncing:
            return
        c, wd = self._window
        self.set_window(c if centre is None else centre, wd if width is None else width)

    def _on_preset(self, change: dict) -> None:
        from teleradlab.imaging import WINDOW_PRESETS

        if not self._syncing and change["new"] in WINDOW_PRESETS:
            self.set_window(*WINDOW_PRESETS[change["new"]])

    def set_position(self, z: int, y: int, x: int) -> None:
        """Move the crosshair to voxel (z, y, x) (clipped to the volume) and redraw."""
        self.position = [int(np.clip(v, 0, n - 1)) for v, n in zip((z, y, x), self.volume.shape[:3], strict=True)]
        self._syncing = True
        try:
            for p in PLANES:
                self.sliders[p].value = self.position[PLANE_NORMAL[p]]
        finally:
            self._syncing = False
        self.redraw()

    def set_slice(self, axis: int, index: int) -> None:
        """Move plane ``axis`` (0 axial, 1 coronal, 2 sagittal) to ``index`` and redraw."""
        pos = list(self.position)
        pos[axis] = index
        self.set_position(*pos)

    def _on_slider(self, plane: str, value: int) -> None:
        if not self._syncing:
            self.set_slice(PLANE_NORMAL[plane], value)

    def _on_dpr(self, change: dict) -> None:
        dpr = min(max(float(change["new"] or 1.0), 1.0), 3.0)
        if dpr != self.dpr:
            self.dpr = dpr
            self.redraw()

    def click(self, plane: str, fx: float, fy: float) -> None:
        """Move the crosshair to the voxel under a click at fractions (fx, fy) of a plane's picture."""
        v_axis, h_axis = PLANE_AXES[plane]
        n = self.volume.shape
        pos = list(self.position)
        pos[h_axis] = min(int(fx * n[h_axis]), n[h_axis] - 1)
        iv = min(int(fy * n[v_axis]), n[v_axis] - 1)
        pos[v_axis] = n[v_axis] - 1 - iv if self._flipped(plane) else iv
        self.set_position(*pos)

    # -- geometry of the pictures ---------------------------------------------
    def _flipped(self, plane: str) -> bool:
        """Whether a plane's rows run against its volume axis (superior drawn up)."""
        v_axis, _ = PLANE_AXES[plane]
        return self.geometry.axes is not None and v_axis == 0 and self.geometry.axes[0][2] > 0

    def extent_mm(self, plane: str) -> tuple[float, float]:
        """Physical (height, width) of a plane in mm."""
        v_axis, h_axis = PLANE_AXES[plane]
        sp, n = self.geometry.spacing, self.volume.shape
        return n[v_axis] * sp[v_axis], n[h_axis] * sp[h_axis]

    def css_size(self, plane: str) -> tuple[float, float]:
        """(height, width) in screen pixels: one scale, in pixels per mm, for all three planes.

        Not rounded, so the shape shown is the physical one however thin the stack;
        the PNG itself has ``round(size x dpr)`` pixels.
        """
        scale = self.size / max(max(self.extent_mm(p)) for p in PLANES)
        h, wd = self.extent_mm(plane)
        return h * scale, wd * scale

    def labels(self, plane: str) -> dict[str, str]:
        """Orientation letters at the picture's edges (empty when the orientation is unknown)."""
        axes = self.geometry.axes
        if axes is None:
            return {}
        v_axis, h_axis = PLANE_AXES[plane]
        down = -axes[v_axis] if self._flipped(plane) else axes[v_axis]
        right = axes[h_axis]
        return {"left": direction_label(-right), "right": direction_label(right),
                "top": direction_label(-down), "bottom": direction_label(down)}

    def _plane_values(self, plane: str) -> np.ndarray:
        z, y, x = self.position
        img = {"axial": lambda: self.volume[z], "coronal": lambda: self.volume[:, y],
               "sagittal": lambda: self.volume[:, :, x]}[plane]()
        return img[::-1] if self._flipped(plane) else img

    # -- rendering -------------------------------------------------------------
    def plane(self, name: str) -> np.ndarray:
        """The 8-bit display image of one plane at its physical aspect (no overlays)."""
        from PIL import Image

        from teleradlab.imaging import to_display

        if name not in PLANES:
            raise ParameterError(f"unknown plane {name!r}; use one of {PLANES}", where="plane")
        u8 = to_display(self._plane_values(name), window=self.window, photometric=self.photometric)
        h, wd = self.css_size(name)
        target = (max(1, round(wd * self.dpr)), max(1, round(h * self.dpr)))
        return np.asarray(Image.fromarray(u8).resize(target, Image.Resampling.BILINEAR))

    def render(self, name: str) -> np.ndarray:
        """One plane as RGB with the crosshair, the orientation labels and (if on) the lesion outlines."""
        from PIL import Image, ImageDraw

        base = self.plane(name)
        img = Image.fromarray(base).convert("RGB")
        draw = ImageDraw.Draw(img)
        W, H = img.size
        v_axis, h_axis = PLANE_AXES[name]
        n = self.volume.shape
        flipped = self._flipped(name)

        def to_px(iv: float, ih: float) -> tuple[float, float]:
            row = (n[v_axis] - 1 - iv) if flipped else iv
            return (ih + 0.5) / n[h_axis] * W, (row + 0.5) / n[v_axis] * H

        cx, cy = to_px(self.position[v_axis], self.position[h_axis])
        gap, lw = _GAP_PX * self.dpr, max(1, round(self.dpr))
        colour_of_axis = {PLANE_NORMAL[p]: PLANE_COLOURS[p] for p in PLANES}
        for x0, x1 in ((0, cx - gap), (cx + gap, W)):
            draw.line([(x0, cy), (x1, cy)], fill=colour_of_axis[v_axis], width=lw)
        for y0, y1 in ((0, cy - gap), (cy + gap, H)):
            draw.line([(cx, y0), (cx, y1)], fill=colour_of_axis[h_axis], width=lw)
        if self.show_lesions.value:
            self._draw_lesions(draw, name, to_px, W)
        self._draw_labels(draw, name, W, H)
        return np.asarray(img)

    def _draw_lesions(self, draw: Any, name: str, to_px: Any, W: int) -> None:
        sp = self.geometry.spacing
        normal = PLANE_NORMAL[name]
        v_axis, h_axis = PLANE_AXES[name]
        px_per_mm = W / (self.volume.shape[h_axis] * sp[h_axis])
        for lesion in self.lesions:
            c = [float(v) for v in lesion["center_px"]]
            r = float(lesion["diameter_mm"]) / 2
            d = abs(self.position[normal] - c[normal]) * sp[normal]
            if d >= r:
                continue
            rad = math.sqrt(r * r - d * d) * px_per_mm
            x, y = to_px(c[v_axis], c[h_axis])
            draw.ellipse([x - rad, y - rad, x + rad, y + rad], outline=LESION_COLOUR, width=max(1, round(self.dpr)))

    def _draw_labels(self, draw: Any, name: str, W: int, H: int) -> None:
        from PIL import ImageFont

        labels = self.labels(name)
        if not labels:
            return
        # at most a quarter of the picture's height, so thin stacks keep their labels apart
        points = max(6, min(round(11 * self.dpr), round(H / 4)))
        try:
            font = ImageFont.load_default(size=points)
        except TypeError:  # Pillow without FreeType: the fixed bitmap font
            font = ImageFont.load_default()
        pad = 3 * self.dpr
        anchors = {"left": ((pad, H / 2), "lm"), "right": ((W - pad, H / 2), "rm"),
                   "top": ((W / 2, pad), "mt"), "bottom": ((W / 2, H - pad), "mb")}
        for edge, text in labels.items():
            xy, anchor = anchors[edge]
            draw.text(xy, text, fill=(255, 255, 255), font=font, anchor=anchor,
                      stroke_width=max(1, round(self.dpr)), stroke_fill=(0, 0, 0))

    def readout_text(self) -> str:
        """The crosshair's position (mm) and value, and the window, as plain text."""
        z, y, x = self.position
        value = self.volume[z, y, x]
        mm = self.geometry.patient_mm((z, y, x))
        where = ("patient (x, y, z) = ({:.1f}, {:.1f}, {:.1f}) mm LPS".format(*mm)
                 if self.geometry.axes is not None else "({:.1f}, {:.1f}, {:.1f}) mm (z, y, x) from the first voxel"
                 .format(*mm))
        val = (f"{float(value):.0f} HU" if self.modality == "CT" else
               f"value {np.array2string(np.asarray(value), precision=1)}")
        c, wd = self.window
        return f"{where} · voxel (z, y, x) = ({z}, {y}, {x}) · {val} · window W {wd:g} / L {c:g}"

    def redraw(self) -> None:
        """Re-render every plane and the readout."""
        from PIL import Image

        for p in PLANES:
            buf = io.BytesIO()
            Image.fromarray(self.render(p)).save(buf, format="PNG", compress_level=1)
            h, wd = self.css_size(p)
            with self.images[p].hold_sync():
                self.images[p].width, self.images[p].height = wd, h
                self.images[p].value = buf.getvalue()
        self.readout.value = f"<code>{self.readout_text()}</code>"

    def snapshot(self) -> Any:
        """A matplotlib figure of the three planes in their current state, axes in mm."""
        import matplotlib.pyplot as plt

        sizes = {p: self.extent_mm(p) for p in PLANES}
        fig, axes = plt.subplots(1, 3, figsize=(11, 4.2), gridspec_kw={"width_ratios": [sizes[p][1] for p in PLANES]})
        for ax, p in zip(axes, PLANES, strict=True):
            h, wd = sizes[p]
            ax.imshow(self.render(p), extent=(0, wd, h, 0), interpolation="nearest")
            ax.set_title(f"{p} (slice {self.position[PLANE_NORMAL[p]]})", fontsize=9,
                         color=tuple(c / 255 for c in PLANE_COLOURS[p]))
            ax.set_xlabel("mm", fontsize=8)
            ax.tick_params(labelsize=7)
        axes[0].set_ylabel("mm", fontsize=8)
        fig.suptitle(self.readout_text(), fontsize=8)
        fig.tight_layout()
        return fig

    def _ipython_display_(self) -> None:
        from teleradlab.widgets.static import show

        show(self.widget, self.snapshot)


def view(data: Any, *, window: tuple[float, float] | str | None = None, backend: str = "builtin",
         size: int = 320, spacing: tuple[float, float, float] | None = None, lesions: bool = False) -> Any:
    """View a volume or study in three linked orthogonal planes, offline.

    Parameters
    ----------
    data : ndarray or Study
        A (z, y, x) volume, a 2-D image, or a :class:`teleradlab.imaging.Study`.
    window : tuple or str, optional
        Initial (centre, width) or a preset name (``"lung"``, ``"brain"``...); the
        preset menu opens on that preset.
    backend : {"builtin", "itk"}
        ``"builtin"`` (default) renders on the kernel side and works offline;
        ``"itk"`` uses itkwidgets (``pip install -e ".[itk]"``; see the README's caveat).
    size : int
        Largest side of the largest plane in screen pixels (builtin backend).
    spacing : tuple, optional
        (dz, dy, dx) voxel size in mm for a bare array.
    lesions : bool
        Outline a synthetic study's ground-truth lesions from the start.

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
        return VolumeViewer(data, window=window, size=size, spacing=spacing, lesions=lesions)
    if backend == "itk":
        try:
            import itkwidgets
        except ImportError as exc:
            raise EnvironmentProblem('itkwidgets is not installed: pip install -e ".[itk]"',
                                     where="view(backend='itk')") from exc
        volume, _, _, _, _ = _volume_and_geometry(data, spacing)
        return itkwidgets.view(volume)
    raise ParameterError(f"unknown backend {backend!r}; use 'builtin' or 'itk'", where="view(backend)")
