"""Fidelity metrics with an explicit data range — and optionally inside a display window.

scikit-image defaults the PSNR data range to the dtype's (65535 for uint16): on a
12-bit image in 16-bit words that inflates PSNR by 20·log10(65535/4095) ≈ 24 dB. Here
the range always comes from the data's real scale: Bits Stored, the rescaled range
of the dataset, or the display window — because a reader sees windowed grey levels,
an error in a narrow brain window matters more than the same error in a bone window.
"""

from __future__ import annotations

from typing import Any, Literal, overload

import numpy as np

from teleradlab.errors import QualityError

#: Wang, Simoncelli & Bovik 2003 (MS-SSIM) scale weights, finest scale first.
MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


def data_range_for(dataset: Any = None, *, bits_stored: int | None = None,
                   rescaled: bool = True) -> float:
    """The value range of a dataset's pixels (or of ``bits_stored``-bit data).

    With a dataset and ``rescaled=True`` the stored range is passed through the
    Modality LUT (for CT: the HU range that Bits Stored can represent).

    Examples
    --------
    >>> data_range_for(bits_stored=12)
    4095.0
    """
    if dataset is not None:
        bits_stored = int(dataset.BitsStored)
        slope = float(getattr(dataset, "RescaleSlope", 1) or 1) if rescaled else 1.0
        return float((2 ** bits_stored - 1) * abs(slope))
    if bits_stored is None:
        raise QualityError("give a dataset or bits_stored to set the data range", where="data_range")
    return float(2 ** bits_stored - 1)


def _pair(reference: np.ndarray, test: np.ndarray, window: Any) -> tuple[np.ndarray, np.ndarray, float | None]:
    ref = np.asarray(reference, dtype=np.float64)
    tst = np.asarray(test, dtype=np.float64)
    if ref.shape != tst.shape:
        raise QualityError(f"images differ in shape: reference {ref.shape}, test {tst.shape}", where="test")
    if window is None:
        return ref, tst, None
    from teleradlab.imaging.display import WINDOW_PRESETS

    if isinstance(window, str):
        if window not in WINDOW_PRESETS:
            raise QualityError(f"unknown window {window!r}; presets: {', '.join(WINDOW_PRESETS)}", where="window")
        centre, width = WINDOW_PRESETS[window]
    else:
        centre, width = (float(v) for v in window)
    lo, hi = centre - width / 2, centre + width / 2
    return np.clip(ref, lo, hi), np.clip(tst, lo, hi), float(width)


def _range(data_range: float | None, win_range: float | None) -> float:
    if win_range is not None:
        return win_range
    if data_range is None or data_range <= 0:
        raise QualityError("data_range must be given and positive (use data_range_for(dataset))",
                           where="data_range")
    return float(data_range)


def mse(reference: np.ndarray, test: np.ndarray, *, window: Any = None) -> float:
    """Mean squared error (inside the display ``window`` when given)."""
    ref, tst, _ = _pair(reference, test, window)
    return float(np.mean((ref - tst) ** 2))


def max_abs_error(reference: np.ndarray, test: np.ndarray, *, window: Any = None) -> float:
    """Largest absolute difference (JPEG-LS near-lossless bounds it by NEAR)."""
    ref, tst, _ = _pair(reference, test, window)
    return float(np.max(np.abs(ref - tst)))


def psnr(reference: np.ndarray, test: np.ndarray, *, data_range: float | None = None, window: Any = None) -> float:
    """Peak signal-to-noise ratio in dB with an explicit data range.

    Parameters
    ----------
    reference, test : ndarray
        Same shape.
    data_range : float
        The value range (see :func:`data_range_for`); not needed with ``window``,
        whose width is the range.
    window : str or (centre, width), optional
        Compare only what a reader sees in this window (values clipped to it).

    Returns
    -------
    float
        ``inf`` for identical images.

    Examples
    --------
    >>> a = np.zeros((8, 8)); b = a.copy(); b[0, 0] = 4095
    >>> round(psnr(a, b, data_range=4095), 2)
    18.06
    """
    ref, tst, wr = _pair(reference, test, window)
    rng = _range(data_range, wr)
    err = float(np.mean((ref - tst) ** 2))
    return float("inf") if err == 0 else float(10 * np.log10(rng * rng / err))


def ssim_map(reference: np.ndarray, test: np.ndarray, data_range: float, *, win_size: int = 7,
             k1: float = 0.01, k2: float = 0.03) -> np.ndarray:
    """The local SSIM map of two 2-D float64 images, exactly as scikit-image computes it.

    scikit-image's ``structural_similarity`` with its defaults (a ``win_size`` uniform
    window, sample covariance, K1 0.01, K2 0.03), term for term in the same order,
    but in place in a few preallocated arrays: the same bits, without the dozen
    image-sized temporaries that make it memory-bound on a 2500x2048 radiograph.

    Parameters
    ----------
    reference, test : ndarray
        Float images of the same shape.
    data_range : float
        The value range (sets the stabilising constants C1, C2).
    win_size : int
        Side of the uniform window.
    k1, k2 : float
        The constants' factors.

    Returns
    -------
    ndarray
        SSIM at each pixel (the border of ``win_size // 2`` is not meaningful).
    """
    from scipy.ndimage import uniform_filter

    x = np.asarray(reference, np.float64)
    y = np.asarray(test, np.float64)
    n = win_size ** x.ndim
    cov = n / (n - 1)
    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
    buf = np.empty_like(x)
    ux, uy = uniform_filter(x, win_size), uniform_filter(y, win_size)
    uxx, uyy, uxy = np.empty_like(x), np.empty_like(x), np.empty_like(x)
    for a, b, out in ((x, x, uxx), (y, y, uyy), (x, y, uxy)):
        np.multiply(a, b, out=buf)
        uniform_filter(buf, win_size, output=out)
    for a, b, out in ((ux, ux, uxx), (uy, uy, uyy), (ux, uy, uxy)):  # variances and covariance
        np.multiply(a, b, out=buf)
        out -= buf
        out *= cov
    buf *= 2  # buf = ux*uy: A1 = 2 ux uy + C1
    buf += c1
    uxy *= 2  # A2 = 2 vxy + C2
    uxy += c2
    np.multiply(ux, ux, out=ux)  # B1 = ux^2 + uy^2 + C1
    np.multiply(uy, uy, out=uy)
    ux += uy
    ux += c1
    uxx += uyy  # B2 = vx + vy + C2
    uxx += c2
    ux *= uxx  # D = B1 B2
    buf *= uxy  # S = A1 A2 / D
    buf /= ux
    return buf


def _ssim_2d(ref: np.ndarray, tst: np.ndarray, rng: float, win_size: int = 7) -> tuple[float, np.ndarray]:
    if min(ref.shape) < win_size:
        raise QualityError(f"images of {ref.shape} are smaller than the {win_size}x{win_size} SSIM window",
                           where="reference")
    s = ssim_map(ref, tst, rng, win_size=win_size)
    pad = (win_size - 1) // 2
    return float(s[pad:-pad, pad:-pad].mean(dtype=np.float64)), s


@overload
def ssim(reference: np.ndarray, test: np.ndarray, *, data_range: float | None = None, window: Any = None,
         full: Literal[False] = False) -> float: ...


# full=True gives the map only for 2-D images; a stack still gives its mean value alone.
@overload
def ssim(reference: np.ndarray, test: np.ndarray, *, data_range: float | None = None, window: Any = None,
         full: bool) -> float | tuple[float, np.ndarray]: ...


def ssim(reference: np.ndarray, test: np.ndarray, *, data_range: float | None = None, window: Any = None,
         full: bool = False) -> float | tuple[float, np.ndarray]:
    """Structural similarity (Wang et al. 2004) with an explicit data range.

    The same value as ``skimage.metrics.structural_similarity`` with its defaults
    (tested bit for bit), computed with less memory (see :func:`ssim_map`). For
    stacks (n, h, w) the mean over images is returned. ``full=True`` also returns
    the SSIM map (2-D images).

    Examples
    --------
    >>> a = np.tile(np.arange(16.0), (16, 1)); b = a.copy(); b[8, 8] += 4
    >>> round(ssim(a, b, data_range=15), 4)
    0.9815
    """
    ref, tst, wr = _pair(reference, test, window)
    rng = _range(data_range, wr)
    if ref.ndim == 3:
        return float(np.mean([_ssim_2d(r, t, rng)[0] for r, t in zip(ref, tst, strict=True)]))
    value, smap = _ssim_2d(ref, tst, rng)
    return (value, smap) if full else value


def ms_ssim(reference: np.ndarray, test: np.ndarray, *, data_range: float | None = None, window: Any = None,
            weights: tuple[float, ...] = MS_SSIM_WEIGHTS) -> float:
    """Multi-scale SSIM (Wang, Simoncelli & Bovik 2003).

    At each of M scales the contrast-structure term of SSIM is computed; at the
    coarsest scale the full SSIM (with luminance); between scales the images are
    low-pass filtered and downsampled by 2. The result is Π_j cs_j^{w_j} · l_M^{w_M}.
    Scales that would make the image smaller than 7 pixels are dropped and the
    weights renormalised.

    References
    ----------
    Wang Z, Simoncelli EP, Bovik AC. Multiscale structural similarity for image
    quality assessment. Proc. 37th Asilomar Conference, 2003:1398–1402.
    """
    from scipy.ndimage import uniform_filter

    ref, tst, wr = _pair(reference, test, window)
    if ref.ndim != 2:
        raise QualityError("ms_ssim takes 2-D images", where="reference")
    rng = _range(data_range, wr)
    scales = 1
    while scales < len(weights) and min(ref.shape) // (2 ** scales) >= 7:
        scales += 1
    w = np.asarray(weights[:scales], float)
    w = w / w.sum()
    c1, c2 = (0.01 * rng) ** 2, (0.03 * rng) ** 2
    result = 1.0
    for j in range(scales):
        mu_x, mu_y = uniform_filter(ref, 7), uniform_filter(tst, 7)
        sxx = uniform_filter(ref * ref, 7) - mu_x ** 2
        syy = uniform_filter(tst * tst, 7) - mu_y ** 2
        sxy = uniform_filter(ref * tst, 7) - mu_x * mu_y
        cs = float(np.mean((2 * sxy + c2) / (sxx + syy + c2)))
        if j == scales - 1:
            lum = float(np.mean((2 * mu_x * mu_y + c1) / (mu_x ** 2 + mu_y ** 2 + c1)))
            result *= max(lum * cs, 0.0) ** w[j]
        else:
            result *= max(cs, 0.0) ** w[j]
            ref = uniform_filter(ref, 2)[::2, ::2]
            tst = uniform_filter(tst, 2)[::2, ::2]
    return float(result)


def difference_map(reference: np.ndarray, test: np.ndarray, *, window: Any = None) -> np.ndarray:
    """test − reference (inside the window when given), float64."""
    ref, tst, _ = _pair(reference, test, window)
    return tst - ref


def all_metrics(reference: np.ndarray, test: np.ndarray, *, data_range: float, window: Any = None) -> dict[str, float]:
    """MSE, PSNR, maximum absolute error, SSIM and MS-SSIM in one dict."""
    out = {"mse": mse(reference, test, window=window),
           "psnr_db": psnr(reference, test, data_range=data_range, window=window),
           "max_abs_error": max_abs_error(reference, test, window=window),
           "ssim": ssim(reference, test, data_range=data_range, window=window)}
    if np.ndim(reference) == 2:
        out["ms_ssim"] = ms_ssim(reference, test, data_range=data_range, window=window)
    return out
