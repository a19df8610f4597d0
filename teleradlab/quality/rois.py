"""Regions of interest for model observers: cut square ROIs around given centres or a truth mask's inserts.

The low-contrast task on real phantom scans in a few lines (the LCD_CT protocol)::

    from teleradlab.imaging.metaimage import load_stack
    from teleradlab.quality import model_observer
    from teleradlab.quality.rois import extract_rois, mask_inserts

    present, _ = load_stack("signal_present.mhd")     # repeat scans with the inserts
    absent, _ = load_stack("signal_absent.mhd")       # the same positions without
    truth, _ = load_stack("ground_truth.mhd")
    inserts = mask_inserts(truth[0] > 0)              # centre and diameter of each insert
    sp = extract_rois(present, mask=truth[0] > 0)     # (inserts, scans, size, size)
    sa = extract_rois(absent, mask=truth[0] > 0)
    r = model_observer(sp[0], sa[0], kind="cho", mean_removal=True, n_channels=5,
                       channel_width=2 / 3 * inserts[0]["diameter"])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict

import numpy as np

from teleradlab.errors import QualityError

__all__ = ["extract_rois", "mask_inserts"]


class Insert(TypedDict):
    """One insert of a truth mask: centroid (row, col) and diameter, both in pixels."""

    centre: tuple[float, float]
    diameter: int


def mask_inserts(mask: np.ndarray) -> list[Insert]:
    """Connected regions of a 2-D truth mask: centroid (row, col) and diameter in pixels.

    The diameter is the larger side of the region's bounding box, as LCD_CT measures
    its inserts. Regions are ordered by label (raster order of their first pixel).

    Examples
    --------
    >>> m = np.zeros((20, 20), bool); m[4:9, 5:10] = True
    >>> mask_inserts(m)
    [{'centre': (6.0, 7.0), 'diameter': 5}]
    """
    from scipy import ndimage

    m = np.asarray(mask)
    if m.ndim != 2:
        raise QualityError(f"the mask must be 2-D, got shape {m.shape}", where="mask")
    labels, n = ndimage.label(m > 0)
    if n == 0:
        raise QualityError("the mask marks no insert", where="mask")
    out: list[Insert] = []
    for i, sl in enumerate(ndimage.find_objects(labels), start=1):
        cy, cx = ndimage.center_of_mass(labels == i)
        out.append({"centre": (float(cy), float(cx)),
                    "diameter": int(max(sl[0].stop - sl[0].start, sl[1].stop - sl[1].start))})
    return out


def extract_rois(images: np.ndarray, centres: Sequence[float] | np.ndarray | None = None, size: int | None = None,
                 *, mask: np.ndarray | None = None) -> np.ndarray:
    """Cut size×size ROIs centred on ``centres`` (or on the inserts of ``mask``) from every image.

    Parameters
    ----------
    images : ndarray
        (n, rows, cols) stack or one (rows, cols) image.
    centres : (row, col) or array of shape (k, 2), optional
        ROI centres in pixels (rounded to the nearest pixel). One pair gives
        (n, size, size); k pairs give (k, n, size, size).
    size : int, optional
        ROI side in pixels. Required with ``centres``; with ``mask`` the default is
        2·D + 1 for the largest insert diameter D (LCD_CT's crop).
    mask : ndarray, optional
        A 2-D truth mask instead of ``centres``: one ROI stack per connected region
        (see :func:`mask_inserts`), shape (k, n, size, size).

    Returns
    -------
    ndarray
        The ROIs (a copy).

    Raises
    ------
    QualityError
        Neither or both of centres and mask, a missing or non-positive size, or an
        ROI that would leave the image — naming the centre.

    Examples
    --------
    >>> img = np.arange(100.0).reshape(1, 10, 10)
    >>> extract_rois(img, (5, 5), 3)[0]
    array([[44., 45., 46.],
           [54., 55., 56.],
           [64., 65., 66.]])
    """
    stack = np.asarray(images)
    if stack.ndim == 2:
        stack = stack[None]
    if stack.ndim != 3:
        raise QualityError(f"images must be (n, rows, cols) or (rows, cols), got shape {stack.shape}", where="images")
    if (centres is None) == (mask is None):
        raise QualityError("give either centres or mask", where="centres")
    single = False
    if mask is not None:
        if np.shape(mask) != stack.shape[1:]:
            raise QualityError(f"mask shape {np.shape(mask)} differs from the images' {stack.shape[1:]}", where="mask")
        inserts = mask_inserts(mask)
        pts = np.array([ins["centre"] for ins in inserts])
        if size is None:
            size = 2 * max(int(ins["diameter"]) for ins in inserts) + 1
    else:
        assert centres is not None  # exactly one of centres and mask was checked above
        pts = np.asarray(centres, float)
        single = pts.ndim == 1
        pts = np.atleast_2d(pts)
        if pts.shape[1] != 2:
            raise QualityError(f"centres must be (row, col) pairs, got shape {np.shape(centres)}", where="centres")
    if size is None or int(size) < 1:
        raise QualityError(f"size must be a positive number of pixels, got {size!r}", where="size")
    size = int(size)
    rows, cols = stack.shape[1:]
    out = np.empty((len(pts), stack.shape[0], size, size), dtype=stack.dtype)
    for k, (r, c) in enumerate(pts):
        r0, c0 = int(round(r)) - size // 2, int(round(c)) - size // 2
        if r0 < 0 or c0 < 0 or r0 + size > rows or c0 + size > cols:
            raise QualityError(f"a {size}x{size} ROI at (row {r:g}, col {c:g}) leaves the {rows}x{cols} image",
                               where=f"centres[{k}]")
        out[k] = stack[:, r0:r0 + size, c0:c0 + size]
    return out[0] if single else out
