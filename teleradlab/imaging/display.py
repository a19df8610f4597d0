"""What a reader sees: Modality LUT (stored values to HU) and VOI windowing.

A CT pixel is stored as an integer; the Modality LUT (Rescale Slope and Intercept)
turns it into Hounsfield units. A display shows 256 grey levels, so a *window*
(centre and width) picks the range of values that spreads across them: a lung
window shows air-filled tissue, a brain window a few tens of HU of grey matter.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from pydicom.multival import MultiValue

from teleradlab.errors import DicomError, ParameterError, one_line

#: Named VOI windows, (centre, width) in HU — the usual radiology presets.
WINDOW_PRESETS: dict[str, tuple[float, float]] = {
    "brain": (40.0, 80.0),
    "subdural": (75.0, 215.0),
    "stroke": (40.0, 40.0),
    "lung": (-600.0, 1500.0),
    "mediastinum": (50.0, 350.0),
    "abdomen": (40.0, 400.0),
    "liver": (60.0, 160.0),
    "bone": (400.0, 1800.0),
}


def apply_modality_lut(array: np.ndarray, dataset: Any) -> np.ndarray:
    """Apply Rescale Slope/Intercept (the linear Modality LUT) of ``dataset``.

    Parameters
    ----------
    array : ndarray
        Stored pixel values.
    dataset : pydicom.Dataset
        The dataset they come from.

    Returns
    -------
    ndarray
        ``array * slope + intercept`` as float32 when a rescale is present (CT in HU),
        else ``array`` unchanged.

    Examples
    --------
    >>> from pydicom import Dataset
    >>> ds = Dataset(); ds.RescaleSlope = 1; ds.RescaleIntercept = -1024
    >>> apply_modality_lut(np.array([0, 1024]), ds).tolist()
    [-1024.0, 0.0]
    """
    slope = getattr(dataset, "RescaleSlope", None)
    intercept = getattr(dataset, "RescaleIntercept", None)
    if slope is None and intercept is None:
        return array
    slope = float(slope if slope is not None else 1.0)
    intercept = float(intercept if intercept is not None else 0.0)
    return array.astype(np.float32) * np.float32(slope) + np.float32(intercept)


def _where(dataset: Any) -> str:
    return str(getattr(dataset, "filename", None) or getattr(dataset, "SOPInstanceUID", None) or "to_display")


def _window_from(window: Any, dataset: Any, array: np.ndarray) -> tuple[float, float]:
    if window is None and dataset is not None and "WindowCenter" in dataset and "WindowWidth" in dataset:
        wc, ww = dataset.WindowCenter, dataset.WindowWidth
        try:  # the first window of a multi-valued pair (a MultiValue or list of one counts too)
            wc = float(wc[0] if isinstance(wc, list | tuple | MultiValue) else wc)
            ww = float(ww[0] if isinstance(ww, list | tuple | MultiValue) else ww)
        except (TypeError, ValueError, IndexError) as exc:
            raise DicomError(f"Window Center/Width {dataset.WindowCenter!r}/{dataset.WindowWidth!r} are not numbers "
                             f"({exc}); pass window=(centre, width) or a preset", where=_where(dataset)) from None
        if not (math.isfinite(wc) and math.isfinite(ww) and ww >= 1):
            raise DicomError(f"Window Center/Width {wc:g}/{ww:g} are not a valid window (PS3.3 C.11.2.1.2: width "
                             ">= 1); pass window=(centre, width) or a preset", where=_where(dataset))
        return wc, ww
    if window is None:
        lo, hi = (float(v) for v in np.percentile(array, [0.5, 99.5]))
        return (lo + hi) / 2, max(hi - lo, 1.0)
    if isinstance(window, str):
        key = window.lower().replace("ct ", "").replace("-", "").strip()
        if key not in WINDOW_PRESETS:
            raise ParameterError(f"unknown window preset {window!r}; known: {', '.join(WINDOW_PRESETS)}",
                                 where="window")
        return WINDOW_PRESETS[key]
    try:
        centre, width = (float(v) for v in window)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"window must be a preset name or (centre, width), got {window!r}",
                             where="window") from exc
    if width <= 0:
        raise ParameterError(f"window width must be positive, got {width}", where="window")
    return centre, width


def window_image(array: np.ndarray, centre: float, width: float) -> np.ndarray:
    """Map values to 0–255 with a linear VOI window (DICOM PS3.3 C.11.2.1.2.1)."""
    a = np.asarray(array, dtype=np.float32)
    lo = centre - 0.5 - (width - 1) / 2
    out = (a - lo) / max(width - 1, 1e-6) * 255.0
    return np.clip(out, 0, 255).round().astype(np.uint8)


def to_display(array: np.ndarray, window: Any = None, *, dataset: Any = None,
               photometric: str | None = None) -> np.ndarray:
    """Turn pixel values into an 8-bit picture as a reader would see it.

    Parameters
    ----------
    array : ndarray
        Values after the Modality LUT: (rows, cols), (frames, rows, cols), or colour
        with samples last (..., 3).
    window : None, (centre, width) or str
        ``None`` uses the dataset's Window Center/Width, else the 0.5–99.5 percentile
        range; a tuple gives explicit numbers; a string names a preset in
        :data:`WINDOW_PRESETS` (brain, subdural, stroke, lung, mediastinum, abdomen,
        liver, bone).
    dataset : pydicom.Dataset, optional
        Supplies the window and the photometric interpretation.
    photometric : str, optional
        Overrides the dataset's Photometric Interpretation. ``MONOCHROME1`` is
        inverted (low values bright); ``RGB`` and ``PALETTE COLOR`` images are
        returned as 8-bit colour without windowing.

    Returns
    -------
    ndarray of uint8
        The same spatial shape (colour images keep their last axis of 3).

    Examples
    --------
    >>> to_display(np.array([[-1000, 40, 1000]]), "brain").tolist()
    [[0, 129, 255]]
    """
    arr = np.asarray(array)
    pi = (photometric or (str(getattr(dataset, "PhotometricInterpretation", "")) if dataset is not None else "")
          or "MONOCHROME2").upper()
    if pi == "PALETTE COLOR":
        if dataset is None:
            raise DicomError("a PALETTE COLOR image needs its dataset for the lookup tables", where="to_display")
        from pydicom.pixels import apply_color_lut

        try:
            arr = apply_color_lut(arr, dataset)
        except Exception as exc:  # noqa: BLE001 - pydicom raises many types on a malformed lookup table
            raise DicomError(f"cannot apply the palette lookup table ({type(exc).__name__}: {one_line(exc)})",
                             where=_where(dataset)) from None
        pi = "RGB"
    if pi in ("RGB", "YBR_FULL", "YBR_FULL_422") or (arr.ndim >= 3 and arr.shape[-1] == 3 and pi != "MONOCHROME2"):
        if pi.startswith("YBR"):
            from pydicom.pixels import convert_color_space

            try:
                arr = convert_color_space(arr, pi, "RGB")
            except NotImplementedError:
                raise DicomError(f"cannot show {pi} colour (defined only for compressed pixel data; decode to RGB "
                                 "first)", where=_where(dataset)) from None
        top = float(arr.max()) if arr.size else 255.0
        scale = 255.0 / top if top > 255 else 1.0
        return np.clip(arr * scale, 0, 255).astype(np.uint8)
    if pi not in ("MONOCHROME1", "MONOCHROME2"):
        raise DicomError(f"unsupported photometric interpretation {pi!r}", where="to_display")
    centre, width = _window_from(window, dataset, arr)
    out = window_image(arr, centre, width)
    return 255 - out if pi == "MONOCHROME1" else out
