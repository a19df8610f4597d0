"""Task-based image quality: model observers (their scores are summarised in :mod:`~teleradlab.quality.roc`).

A model observer reads signal-present and signal-absent images and outputs a score;
how well the scores separate the classes (d′, AUC) measures how well *the task* can
be done on those images — which is what matters clinically, and what PSNR does not
measure (Eckstein et al., Opt Express 2003;11:460: NPWE and CHO predicted human
rankings of compression methods where RMSE/PSNR did not).

Observers:

``npw``  non-prewhitening matched filter: template = the signal (known exactly) or
         the mean difference of the training images. The ideal observer for white noise.
``npwe`` NPW with an eye filter E(f) = f^n·exp(−c f²) applied to template and image
         (Burgess, JOSA A 1994;11:1237; Eckstein et al., Proc SPIE 1998).
``cho``  channelized Hotelling: images projected on a few channels (Laguerre–Gauss,
         Gallas & Barrett, JOSA A 2003;20:1725, or Gabor), then the Hotelling template
         w = K⁻¹Δv̄ learned on training images (Myers & Barrett, JOSA A 1987;4:2447).

The LCD_CT protocol (FDA/DIDSR's low-contrast detectability toolkit) is reproduced by
``mean_removal=True`` (each ROI's mean subtracted), ``n_channels=5``, a channel width
of 2/3 of the insert diameter (our default when the signal is known), ``eye="lcd_ct"``
for its NPWE, and ``n_splits`` train/test splits (its "readers"), or an explicit
``split=`` of index arrays.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from teleradlab.errors import QualityError
from teleradlab.quality.roc import roc_curve

__all__ = [
    "EYE_PRESETS", "ObserverResult", "eye_filter", "eye_peak_cpp", "gabor_channels", "laguerre_gauss_channels",
    "model_observer", "paired_auc_difference", "signal_diameter", "weighted_auc",
]

#: Peak of human contrast sensitivity, cycles/degree: f = sqrt(n / 2c) with LCD_CT's eye model
#: n = 1.3, c = 0.04 deg² (Burgess 1994; Eckstein et al. 1998), i.e. about 4 cycles/degree.
PEAK_CPD = float(np.sqrt(1.3 / (2 * 0.04)))


def eye_peak_cpp(pixel_mm: float, *, viewing_distance_mm: float = 500.0, peak_cpd: float = PEAK_CPD) -> float:
    """Where the eye filter peaks in cycles/pixel for a display pixel size and viewing distance.

    One degree of visual angle covers ``viewing_distance_mm·tan(1°)`` mm, i.e. that many
    mm / ``pixel_mm`` pixels; a peak of ``peak_cpd`` cycles/degree is then
    ``peak_cpd / pixels_per_degree`` cycles/pixel.

    Parameters
    ----------
    pixel_mm : float
        Displayed size of one image pixel (mm).
    viewing_distance_mm : float
        Eye-to-screen distance (mm); 500 mm in LCD_CT and here.
    peak_cpd : float
        Peak of the contrast sensitivity, cycles/degree (≈ 4.03 for n = 1.3, c = 0.04).

    Returns
    -------
    float
        Peak frequency in cycles/pixel.

    Examples
    --------
    >>> round(eye_peak_cpp(0.2), 3), round(eye_peak_cpp(54 / 128), 3)  # teleradlab, LCD_CT
    (0.092, 0.195)
    """
    if pixel_mm <= 0 or viewing_distance_mm <= 0 or peak_cpd <= 0:
        raise QualityError("pixel_mm, viewing_distance_mm and peak_cpd must be positive", where="eye")
    pixels_per_degree = viewing_distance_mm * np.tan(np.deg2rad(1.0)) / pixel_mm
    return float(peak_cpd / pixels_per_degree)


#: Eye-filter presets: exponent ``n`` and peak in cycles/pixel. Both assume a 500 mm viewing
#: distance and a 4.03 cycles/degree peak; they differ in the displayed pixel size:
#: teleradlab 0.2 mm (a diagnostic monitor at native resolution) → 0.092 cycles/pixel;
#: LCD_CT 54/128 mm (its ``disp_dx``, the ROI magnified on screen) → 0.195 cycles/pixel.
EYE_PRESETS: dict[str, dict[str, float]] = {
    "teleradlab": {"n": 1.3, "peak_cpp": round(eye_peak_cpp(0.2), 4)},
    "lcd_ct": {"n": 1.3, "peak_cpp": round(eye_peak_cpp(54 / 128), 4)},
}


@dataclass
class ObserverResult:
    """Mean AUC and d′ over train/test splits with intervals, and one split's ROC curve.

    Attributes
    ----------
    kind : str
        The observer (``npw``, ``npwe``, ``cho``).
    auc, dprime : float
        Mean over splits of the test-set AUC (Mann–Whitney) and d′; with a known
        template (no training) over all images.
    auc_ci, dprime_ci : (float, float) or None
        Confidence intervals at ``level``; None when ``n_boot=0``.
    n_splits : int
        Train/test splits averaged (0: known template, every image is a test image).
    method : str
        How the interval was computed and what variability it covers.
    interval_covers : str
        ``"training and test"`` or ``"test only"`` (known template).
    level : float
        Confidence level.
    n_train, n_test : (int, int)
        Training and test images per class (present, absent) in each split.
    auc_splits, dprime_splits : ndarray
        Per-split values (one value for a known template).
    auc_boot, dprime_boot : ndarray
        Bootstrap replicates of the mean AUC and d′ (empty when ``n_boot=0``); two
        results with the same sizes, ``seed`` and ``boot_seed`` resampled the same
        images, so their replicates can be differenced (a paired bootstrap).
    fpr, tpr : ndarray
        Empirical ROC of the first split's test scores.
    scores_present, scores_absent : ndarray
        The first split's test scores.
    seed, boot_seed : int
        Seeds of the splits and of the bootstrap.
    """

    kind: str
    auc: float
    auc_ci: tuple[float, float] | None
    dprime: float
    dprime_ci: tuple[float, float] | None
    n_splits: int
    method: str
    interval_covers: str
    level: float
    n_train: tuple[int, int]
    n_test: tuple[int, int]
    auc_splits: np.ndarray = field(repr=False)
    dprime_splits: np.ndarray = field(repr=False)
    auc_boot: np.ndarray = field(repr=False)
    dprime_boot: np.ndarray = field(repr=False)
    fpr: np.ndarray = field(repr=False)
    tpr: np.ndarray = field(repr=False)
    scores_present: np.ndarray = field(repr=False)
    scores_absent: np.ndarray = field(repr=False)
    seed: int = 0
    boot_seed: int = 0

    def as_dict(self) -> dict[str, float]:
        """Flat metrics for tables and sweeps (NaN bounds when there is no interval)."""
        lo, hi = self.auc_ci if self.auc_ci is not None else (float("nan"), float("nan"))
        dlo, dhi = self.dprime_ci if self.dprime_ci is not None else (float("nan"), float("nan"))
        return {"dprime": self.dprime, "dprime_ci_low": dlo, "dprime_ci_high": dhi, "auc": self.auc,
                "auc_ci_low": lo, "auc_ci_high": hi, "n_splits": float(self.n_splits)}


# ------------------------------------------------------------------------------ channels and filters
def laguerre_gauss_channels(size: int, *, n_channels: int = 6, width: float | Sequence[float] | None = None
                            ) -> np.ndarray:
    """Laguerre–Gauss channels u_j(r) = √2/a · exp(−πr²/a²) · L_j(2πr²/a²), centred on the ROI.

    Parameters
    ----------
    size : int
        ROI side in pixels.
    n_channels : int
        Channels per width (orders j = 0 … n_channels−1).
    width : float or sequence of float, optional
        Gaussian width a in pixels (default size/4); a sequence stacks one set of
        ``n_channels`` per width.

    Returns
    -------
    ndarray
        (n_channels · number of widths, size, size).

    Examples
    --------
    >>> laguerre_gauss_channels(32, n_channels=5, width=[4.0, 8.0]).shape
    (10, 32, 32)
    """
    from scipy.special import eval_laguerre

    if n_channels < 1:
        raise QualityError(f"n_channels must be at least 1, got {n_channels}", where="n_channels")
    widths = [size / 4] if width is None else list(np.atleast_1d(np.asarray(width, float)))
    if not widths or min(widths) <= 0:
        raise QualityError(f"channel widths must be positive, got {width!r}", where="channel_width")
    c = (size - 1) / 2
    y, x = np.mgrid[0:size, 0:size]
    r2 = (y - c) ** 2 + (x - c) ** 2
    out = []
    for a in widths:
        g = 2 * np.pi * r2 / a ** 2
        out += [np.sqrt(2) / a * np.exp(-g / 2) * eval_laguerre(j, g) for j in range(n_channels)]
    return np.stack(out)


def gabor_channels(size: int, *, frequencies: Sequence[float] = (1 / 32, 1 / 16, 1 / 8, 1 / 4),
                   orientations: int = 4, width_factor: float = 0.6, phases: Sequence[float] = (0.0,)
                   ) -> np.ndarray:
    """Gabor channels exp(−r²/2σ²)·cos(2πf(x cosθ + y sinθ) + φ) with σ = width_factor/f, centred.

    Parameters
    ----------
    size : int
        ROI side in pixels.
    frequencies : sequence of float
        Centre frequencies (cycles/pixel). LCD_CT uses four octave bands centred on
        3/32, 3/64, 3/128 and 3/256 with a Gaussian envelope of FWHM 4 ln2/(π·bandwidth),
        which is σ·f = 6 ln2/(π √(8 ln2)) ≈ 0.562: pass those centres and
        ``width_factor=0.562`` to match it.
    orientations : int
        Orientations θ = kπ/orientations.
    width_factor : float
        σ·f (envelope width in periods).
    phases : sequence of float
        Phases φ (radians); (0,) gives even channels, (0, π/2) even and odd.

    Returns
    -------
    ndarray
        (len(frequencies)·orientations·len(phases), size, size).
    """
    if not len(frequencies) or min(frequencies) <= 0 or orientations < 1 or width_factor <= 0 or not len(phases):
        raise QualityError("gabor channels need positive frequencies and width_factor, orientations >= 1 and "
                           "at least one phase", where="channel_options")
    c = (size - 1) / 2
    y, x = np.mgrid[0:size, 0:size] - c
    out = []
    for f in frequencies:
        sigma = width_factor / f
        env = np.exp(-(x ** 2 + y ** 2) / (2 * sigma ** 2))
        for k in range(orientations):
            th = np.pi * k / orientations
            for ph in phases:
                out.append(env * np.cos(2 * np.pi * f * (x * np.cos(th) + y * np.sin(th)) + ph))
    return np.stack(out)


def eye_filter(size: int, *, n: float = 1.3, peak_cpp: float = 0.09) -> np.ndarray:
    """Contrast sensitivity E(f) = f^n exp(−c f²) on an fft2 grid, peaking at ``peak_cpp`` cycles/pixel.

    c = n / (2·peak²). Default: n = 1.3 (Burgess 1994) and a peak of about 4
    cycles/degree for 0.2 mm pixels seen from 50 cm (see :data:`EYE_PRESETS` and
    :func:`eye_peak_cpp`; LCD_CT's set-up peaks at 0.195 cycles/pixel).
    """
    if n <= 0 or not 0 < peak_cpp <= 0.5:
        raise QualityError(f"eye filter needs n > 0 and 0 < peak_cpp <= 0.5, got n={n}, peak_cpp={peak_cpp}",
                           where="eye")
    f = np.sqrt(np.fft.fftfreq(size)[:, None] ** 2 + np.fft.fftfreq(size)[None, :] ** 2)
    c = n / (2 * peak_cpp ** 2)
    return f ** n * np.exp(-c * f ** 2)


def signal_diameter(signal: np.ndarray) -> float:
    """Diameter of a signal in pixels: the larger bounding-box side of the pixels at ≥ half its peak |value|.

    For a disk insert this is its diameter (LCD_CT measures inserts the same way, on
    the truth mask); for a Gaussian blob it is about its FWHM (2.355 σ).
    """
    s = np.abs(np.asarray(signal, float))
    if s.max() <= 0:
        raise QualityError("the signal is zero everywhere", where="signal")
    rows, cols = np.nonzero(s >= 0.5 * s.max())
    return float(max(rows.max() - rows.min() + 1, cols.max() - cols.min() + 1))


def weighted_auc(present: np.ndarray, absent: np.ndarray, w_present: np.ndarray | None = None,
                 w_absent: np.ndarray | None = None) -> float:
    """Mann–Whitney AUC with frequency weights (a bootstrap sample's multiplicities); ties count ½.

    With unit weights it equals :func:`~teleradlab.quality.roc.auc_mann_whitney`.

    Examples
    --------
    >>> weighted_auc([2.0, 0.5], [1.0, 0.0], [3, 1], [1, 1])
    0.875
    """
    p, a = np.asarray(present, float), np.asarray(absent, float)
    wp = np.ones((1, p.size)) if w_present is None else np.asarray(w_present, float)[None]
    wa = np.ones((1, a.size)) if w_absent is None else np.asarray(w_absent, float)[None]
    return float(_batch_auc(p[:, None], a[:, None], wp, wa)[0])


def _batch_auc(sp: np.ndarray, sa: np.ndarray, wp: np.ndarray, wa: np.ndarray) -> np.ndarray:
    """Weighted Mann–Whitney AUC per column: scores (n, B), weights (B, n) -> (B,), ties count ½.

    All columns at once: sort the pooled scores, and give each present score the
    absent weight strictly below its tie group plus half the absent weight inside it.
    """
    n_b, n = sp.shape[1], sp.shape[0] + sa.shape[0]
    s = np.ascontiguousarray(np.concatenate([sp, sa]).T)  # (B, n): sort along the contiguous axis
    order = np.argsort(s, axis=1, kind="stable")
    srt = np.take_along_axis(s, order, 1)
    w_abs = np.take_along_axis(np.hstack([np.zeros_like(wp), wa]), order, 1)
    w_pre = np.take_along_axis(np.hstack([wp, np.zeros_like(wa)]), order, 1)
    cw = np.cumsum(w_abs, axis=1)
    new = np.ones((n_b, n + 1), bool)
    new[:, 1:-1] = srt[:, 1:] != srt[:, :-1]
    idx = np.arange(n)[None, :]
    start = np.maximum.accumulate(np.where(new[:, :-1], idx, 0), axis=1)
    end = np.minimum.accumulate(np.where(new[:, 1:], idx, n)[:, ::-1], axis=1)[:, ::-1]
    below = np.take_along_axis(cw - w_abs, start, 1)
    upto = np.take_along_axis(cw, end, 1)
    num = np.sum(w_pre * (below + 0.5 * (upto - below)), axis=1)
    den = wp.sum(1) * wa.sum(1)
    ok = (den > 0) & np.isfinite(s).all(1)
    return np.where(ok, num / np.where(ok, den, 1.0), np.nan)


def _batch_dprime(sp: np.ndarray, sa: np.ndarray, wp: np.ndarray, wa: np.ndarray) -> np.ndarray:
    """Weighted d′ = (m_p − m_a)/sqrt(½(v_p + v_a)) per column, variances with ddof 1 on frequency weights."""
    def mv(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = w.sum(1)
        with np.errstate(invalid="ignore", divide="ignore"):
            m = np.einsum("bi,ib->b", w, x) / n
            v = np.einsum("bi,ib->b", w, (x - m) ** 2) / (n - 1)
        return m, v

    (mp, vp), (ma, va) = mv(sp, wp), mv(sa, wa)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (mp - ma) / np.sqrt(0.5 * (vp + va))


# ------------------------------------------------------------------------------ templates
class _Hotelling:
    """Channel outputs and the Hotelling template w = K⁻¹Δv̄, trained with frequency weights (batched)."""

    def __init__(self, vp: np.ndarray, va: np.ndarray, shrinkage: float) -> None:
        self.vp, self.va, self.shrinkage = vp, va, shrinkage

    @staticmethod
    def _moments(v: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Weighted means (B, c) and covariances (B, c, c), ddof 1 on the frequency weights."""
        n = w.sum(1)
        if w.shape[0] == 1 and np.all(w == 1):  # the plain estimate: two-pass formula
            return v.mean(0)[None], np.atleast_2d(np.cov(v, rowvar=False))[None]
        c = v.shape[1]
        shift = v.mean(0)  # covariances are shift-invariant; centring keeps the one-pass formula accurate
        x = v - shift
        with np.errstate(invalid="ignore", divide="ignore"):
            m = (w @ x) / n[:, None]
            second = (w @ np.einsum("ic,id->icd", x, x).reshape(len(x), c * c)).reshape(-1, c, c)
            cov = (second - n[:, None, None] * m[:, :, None] * m[:, None, :]) / np.maximum(n - 1, 1)[:, None, None]
        return m + shift, cov

    def scores(self, split: tuple[np.ndarray, ...], wtp: np.ndarray, wta: np.ndarray) -> tuple[np.ndarray, ...]:
        tp, ep, ta, ea = split
        mp, kp = self._moments(self.vp[tp], wtp)
        ma, ka = self._moments(self.va[ta], wta)
        k = 0.5 * (kp + ka)
        if self.shrinkage:
            c = k.shape[-1]
            k = (1 - self.shrinkage) * k + self.shrinkage * (np.trace(k, axis1=1, axis2=2) / c)[:, None, None] * np.eye(c)
        w = np.einsum("bcd,bd->bc", np.linalg.pinv(np.nan_to_num(k), hermitian=True), np.nan_to_num(mp - ma))
        return self.vp[ep] @ w.T, self.va[ea] @ w.T


class _MeanDifference:
    """NPW/NPWE with a learned template: the weighted mean difference of the training features (batched).

    Scores are formed either through the template (cost ∝ pixels) or through the
    test-by-training Gram matrix (cost ∝ training images), whichever is cheaper.
    """

    def __init__(self, fp: np.ndarray, fa: np.ndarray) -> None:
        self.fp, self.fa = fp, fa

    def scores(self, split: tuple[np.ndarray, ...], wtp: np.ndarray, wta: np.ndarray) -> tuple[np.ndarray, ...]:
        tp, ep, ta, ea = split
        with np.errstate(invalid="ignore", divide="ignore"):  # a replicate without training images: NaN scores
            cp = wtp / wtp.sum(1, keepdims=True)
            ca = wta / wta.sum(1, keepdims=True)
        n_b, n_px = wtp.shape[0], self.fp.shape[1]
        n_e, n_t = len(ep) + len(ea), len(tp) + len(ta)
        test = np.concatenate([self.fp[ep], self.fa[ea]])
        if n_b * n_t * n_px + n_e * n_px * n_b <= n_e * n_t * n_px + n_e * n_t * n_b:
            t = cp @ self.fp[tp] - ca @ self.fa[ta]  # (B, pixels)
            s = test @ t.T
        else:
            s = (test @ self.fp[tp].T) @ cp.T - (test @ self.fa[ta].T) @ ca.T
        return s[: len(ep)], s[len(ep):]


# ------------------------------------------------------------------------------ the observer
def _check_split(split: Any, n_p: int, n_a: int) -> tuple[np.ndarray, ...]:
    if not isinstance(split, Sequence) or len(split) != 4:
        raise QualityError("split must be (train_present, test_present, train_absent, test_absent) index arrays",
                           where="split")
    names = ("train_present", "test_present", "train_absent", "test_absent")
    out = []
    for name, idx, n in zip(names, split, (n_p, n_p, n_a, n_a), strict=True):
        arr = np.asarray(idx)
        if arr.ndim != 1 or arr.size < 2 or not np.issubdtype(arr.dtype, np.integer):
            raise QualityError(f"{name} must be a 1-D array of at least 2 integer indices", where=f"split.{name}")
        if arr.min() < 0 or arr.max() >= n:
            raise QualityError(f"{name} indices must lie in 0..{n - 1}", where=f"split.{name}")
        if np.unique(arr).size != arr.size:
            raise QualityError(f"{name} repeats an index", where=f"split.{name}")
        out.append(arr)
    for cls, (tr, te) in {"present": (out[0], out[1]), "absent": (out[2], out[3])}.items():
        if np.intersect1d(tr, te).size:
            raise QualityError(f"train_{cls} and test_{cls} share images (resubstitution biases d′ upward: "
                               "Chan et al., Med Phys 1999;26:2654)", where=f"split.test_{cls}")
    return tuple(out)


def _resolve_eye(eye: str | Mapping[str, float]) -> dict[str, float]:
    if isinstance(eye, str):
        if eye not in EYE_PRESETS:
            raise QualityError(f"unknown eye preset {eye!r}; use {sorted(EYE_PRESETS)} or a dict(n=, peak_cpp=)",
                               where="eye")
        return dict(EYE_PRESETS[eye])
    if isinstance(eye, Mapping):
        unknown = set(eye) - {"n", "peak_cpp"}
        if unknown:
            raise QualityError(f"eye accepts keys n and peak_cpp, not {sorted(unknown)}", where="eye")
        return {**EYE_PRESETS["teleradlab"], **{k: float(v) for k, v in eye.items()}}
    raise QualityError("eye must be a preset name or a dict(n=, peak_cpp=)", where="eye")


def _warn_if_degenerate(ci: tuple[float, float] | None, auc: float, n_test: tuple[int, int]) -> None:
    """An interval of zero width is no statement of certainty: every replicate gave the same AUC."""
    if ci is not None and ci[1] - ci[0] == 0:
        warnings.warn(f"the AUC interval has zero width: every bootstrap replicate gave AUC {auc:.3f} "
                      f"with {n_test[0]}+{n_test[1]} test images; the task is too easy or too hard to show the "
                      "uncertainty at this size — use more images or a harder/easier task",
                      UserWarning, stacklevel=3)


def _interval(estimate: float, boots: np.ndarray, level: float, lo: float, hi: float) -> tuple[float, float]:
    alpha = (1 - level) / 2
    shift = np.nanmean(boots)
    q = np.nanquantile(boots, [alpha, 1 - alpha]) - shift + estimate
    return float(np.clip(q[0], lo, hi)), float(np.clip(q[1], lo, hi))


def model_observer(present: np.ndarray, absent: np.ndarray, *, kind: str = "npw", channels: str = "lg",
                   signal: np.ndarray | None = None, seed: int = 0, n_boot: int = 1000, boot_seed: int | None = None,
                   n_splits: int = 10, train_fraction: float = 0.5,
                   split: Sequence[np.ndarray] | None = None, mean_removal: bool = False,
                   n_channels: int | None = None, channel_width: float | Sequence[float] | None = None,
                   channel_options: Mapping[str, Any] | None = None, eye: str | Mapping[str, float] = "teleradlab",
                   shrinkage: float = 0.0, level: float = 0.95) -> ObserverResult:
    """Run a model observer on signal-present and signal-absent stacks.

    Parameters
    ----------
    present, absent : ndarray, (n, h, w)
        The two classes (from :func:`teleradlab.imaging.lesion_ensemble`,
        :func:`teleradlab.quality.rois.extract_rois`, possibly compressed).
    kind : {"npw", "npwe", "cho"}
        The observer.
    channels : {"lg", "gabor"}
        CHO channels: Laguerre–Gauss (``n_channels`` per width, ``channel_width``)
        or Gabor (``channel_options`` go to :func:`gabor_channels`).
    signal : ndarray, optional
        The known signal (h, w). NPW/NPWE use it as the template (then no image is
        spent on training). The CHO uses it only to size its LG channels when
        ``channel_width`` is not given; otherwise a warning says it is ignored.
    seed : int
        Seeds the random train/test splits.
    n_boot : int
        Bootstrap replicates for the intervals; 0 gives no interval.
    boot_seed : int, optional
        Seeds the bootstrap (default: ``seed``). Two calls on equally many images with
        the same ``seed`` and ``boot_seed`` resample the same image indices.
    n_splits : int
        Random train/test splits ("readers" in LCD_CT) to average over (trained
        observers only).
    train_fraction : float
        Share of each class used for training in a random split (LCD_CT ``pct_split``).
    split : (train_present, test_present, train_absent, test_absent), optional
        One explicit split of integer index arrays; replaces the random splits.
    mean_removal : bool
        Subtract each ROI's own mean first (LCD_CT does; removes slow background
        drift between ROIs).
    n_channels : int, optional
        LG channels per width (default 6; LCD_CT uses 5).
    channel_width : float or sequence of float, optional
        LG width(s) a in pixels. Default: 2/3 of :func:`signal_diameter` when
        ``signal`` is given (LCD_CT's rule), else ROI size / 4.
    channel_options : mapping, optional
        Gabor parameters: ``frequencies``, ``orientations``, ``width_factor``, ``phases``.
    eye : str or mapping
        NPWE eye filter: ``"teleradlab"`` (peak 0.092 cycles/pixel: 0.2 mm display
        pixels at 50 cm), ``"lcd_ct"`` (0.195 cycles/pixel: LCD_CT's 54/128 mm display
        pixels at 50 cm), or ``{"n": ..., "peak_cpp": ...}`` (see :func:`eye_peak_cpp`).
    shrinkage : float
        CHO covariance shrinkage λ in [0, 1): K ← (1−λ)K + λ·tr(K)/c·I. With λ = 0 the
        pseudo-inverse is used, which is the inverse whenever K is regular.
    level : float
        Confidence level of the intervals.

    Returns
    -------
    ObserverResult
        Mean AUC and d′ over the splits, intervals, per-split values, the first
        split's ROC.

    Raises
    ------
    QualityError
        Shapes that differ or are not (n, h, w), too few images, unknown kind or
        channels, a bad split.

    Warns
    -----
    UserWarning
        When 2n−2 training images per split are fewer than the CHO channels (the
        pooled covariance is singular and is pseudo-inverted), and when ``signal`` is
        given to an observer that ignores it.

    Notes
    -----
    **Interval method.** The estimate is the mean over K splits of the hold-out AUC.
    It estimates the AUC of the observer *as trained on that many images* — below the
    AUC of the infinitely trained observer, since hold-out estimates are biased low
    and resubstitution high (Chan et al., Med Phys 1999;26:2654; Fukunaga & Hayes,
    IEEE PAMI 1989;11:873). Its uncertainty has a test-sample and a training-sample
    part (Yousef, Wagner & Loew, Pattern Recogn Lett 2005;26:2600). The interval is a
    bootstrap of the whole procedure: each replicate draws every class's images with
    replacement (the multiplicities become frequency weights), retrains every split's
    template on the weighted training images and recomputes the weighted test AUC on
    the same K splits, so images never cross from training to testing; the replicates'
    mean AUC varies with both the training and the test images. The percentile
    interval of the replicates is re-centred on the estimate (it is shifted by the
    bootstrap bias estimate, Efron & Tibshirani, An Introduction to the Bootstrap,
    1993, ch. 10), because training on a resample — about 63% distinct images —
    lowers the replicates' AUC. Coverage was checked by Monte Carlo
    (``benchmarks/bench_observer_coverage.py``). With a known template no image is
    used for training: the interval is the percentile bootstrap over images and
    covers test-sample variability only (``interval_covers="test only"``).

    Examples
    --------
    >>> from teleradlab.imaging import lesion_ensemble
    >>> e = lesion_ensemble(60, roi=32, seed=1)
    >>> r = model_observer(e.present, e.absent, kind="cho", n_splits=5, n_boot=100)
    >>> r.n_splits, r.n_train, r.interval_covers
    (5, (30, 30), 'training and test')
    """
    p, a = np.asarray(present, float), np.asarray(absent, float)
    if p.ndim != 3 or a.ndim != 3 or p.shape[1:] != a.shape[1:]:
        raise QualityError(f"present and absent must be (n, h, w) stacks of the same image size, "
                           f"got {p.shape} and {a.shape}", where="present/absent")
    if min(p.shape[0], a.shape[0]) < 4:
        raise QualityError("need at least 4 images per class", where="present/absent")
    if kind not in ("npw", "npwe", "cho"):
        raise QualityError(f"unknown observer {kind!r}; use 'npw', 'npwe' or 'cho'", where="kind")
    if channels not in ("lg", "gabor"):
        raise QualityError(f"unknown channels {channels!r}; use 'lg' or 'gabor'", where="channels")
    if signal is not None and np.shape(signal) != p.shape[1:]:
        raise QualityError(f"signal must be {p.shape[1:]}, got {np.shape(signal)}", where="signal")
    if n_boot < 0 or int(n_boot) != n_boot:
        raise QualityError(f"n_boot must be a non-negative integer, got {n_boot!r}", where="n_boot")
    if not 0 < level < 1:
        raise QualityError(f"level must be between 0 and 1, got {level}", where="level")
    if not 0 <= shrinkage < 1:
        raise QualityError(f"shrinkage must be in [0, 1), got {shrinkage}", where="shrinkage")
    if kind == "npwe" and p.shape[1] != p.shape[2]:
        raise QualityError("npwe needs square images", where="present")
    n_p, n_a = p.shape[0], a.shape[0]
    boot_seed = seed if boot_seed is None else boot_seed
    if mean_removal:
        p = p - p.mean(axis=(1, 2), keepdims=True)
        a = a - a.mean(axis=(1, 2), keepdims=True)
    flat_p, flat_a = p.reshape(n_p, -1), a.reshape(n_a, -1)

    known = kind in ("npw", "npwe") and signal is not None
    if kind == "cho":
        if channels == "lg":
            if channel_options:
                raise QualityError("channel_options are for Gabor channels; LG takes n_channels and channel_width",
                                   where="channel_options")
            width = channel_width
            if width is None and signal is not None:
                width = 2 / 3 * signal_diameter(signal)
            elif signal is not None:
                warnings.warn("signal is ignored: the CHO learns its template and channel_width is given",
                              UserWarning, stacklevel=2)
            u = laguerre_gauss_channels(p.shape[1], n_channels=6 if n_channels is None else int(n_channels),
                                        width=width)
        else:
            if n_channels is not None or channel_width is not None:
                raise QualityError("n_channels and channel_width are LG parameters; give Gabor ones in "
                                   "channel_options", where="channels")
            if signal is not None:
                warnings.warn("signal is ignored by the Gabor CHO", UserWarning, stacklevel=2)
            opts = dict(channel_options or {})
            bad = set(opts) - {"frequencies", "orientations", "width_factor", "phases"}
            if bad:
                raise QualityError(f"unknown Gabor options {sorted(bad)}", where="channel_options")
            u = gabor_channels(p.shape[1], **opts)
        u = u.reshape(u.shape[0], -1)
        model: Any = _Hotelling(flat_p @ u.T, flat_a @ u.T, shrinkage)
    else:
        for name, value in (("n_channels", n_channels), ("channel_width", channel_width),
                            ("channel_options", channel_options)):
            if value is not None:
                warnings.warn(f"{name} is ignored by the {kind} observer (it has no channels)", UserWarning,
                              stacklevel=2)
        filt = None
        if kind == "npwe":
            ef = _resolve_eye(eye)
            filt = eye_filter(p.shape[1], n=ef["n"], peak_cpp=ef["peak_cpp"])

        def filtered(x: np.ndarray) -> np.ndarray:
            if filt is None:
                return x.reshape(len(x), -1)
            return np.real(np.fft.ifft2(np.fft.fft2(x) * filt)).reshape(len(x), -1)

        if known:
            t = filtered(np.asarray(signal, float)[None])[0]
            sp_all, sa_all = filtered(p) @ t, filtered(a) @ t
        else:
            model = _MeanDifference(filtered(p), filtered(a))

    if known:
        if split is not None:
            raise QualityError("a known template needs no training split; omit split or signal", where="split")
        return _known_template_result(kind, sp_all, sa_all, n_boot=n_boot, boot_seed=boot_seed, level=level,
                                      seed=seed)

    if split is not None:
        splits = [_check_split(split, n_p, n_a)]
    else:
        if n_splits < 1:
            raise QualityError(f"n_splits must be at least 1, got {n_splits}", where="n_splits")
        if not 0 < train_fraction < 1:
            raise QualityError(f"train_fraction must be between 0 and 1, got {train_fraction}", where="train_fraction")
        k_p, k_a = int(round(train_fraction * n_p)), int(round(train_fraction * n_a))
        if min(k_p, k_a) < 2 or min(n_p - k_p, n_a - k_a) < 2:
            raise QualityError("train_fraction leaves fewer than 2 training or test images in a class",
                               where="train_fraction")
        rng = np.random.default_rng(seed)
        splits = []
        for _ in range(int(n_splits)):
            ip, ia = rng.permutation(n_p), rng.permutation(n_a)
            splits.append((ip[:k_p], ip[k_p:], ia[:k_a], ia[k_a:]))
    n_tr = (len(splits[0][0]), len(splits[0][2]))
    n_te = (len(splits[0][1]), len(splits[0][3]))
    if kind == "cho":
        n_ch = model.vp.shape[1]
        if n_tr[0] + n_tr[1] - 2 < n_ch:
            warnings.warn(f"{n_tr[0]}+{n_tr[1]} training images give a pooled covariance of rank at most "
                          f"{n_tr[0] + n_tr[1] - 2} for {n_ch} channels: it is singular and pseudo-inverted; "
                          "use more images or fewer channels", UserWarning, stacklevel=2)

    mp, ma = _multiplicities(n_p, n_a, n_boot, boot_seed)
    auc_k, dp_k, boot_auc_k, boot_dp_k = [], [], [], []
    first: tuple[np.ndarray, np.ndarray] | None = None  # the first split's scores, for the ROC curve
    for sp_ in splits:
        tp, ep, ta, ea = sp_
        one = np.ones((1, 1))
        sp, sa = model.scores(sp_, one.repeat(len(tp), 1), one.repeat(len(ta), 1))
        wep, wea = one.repeat(len(ep), 1), one.repeat(len(ea), 1)
        auc_k.append(_batch_auc(sp, sa, wep, wea)[0])
        dp_k.append(_batch_dprime(sp, sa, wep, wea)[0])
        first = first or (sp[:, 0], sa[:, 0])
        if n_boot:
            bsp, bsa = model.scores(sp_, mp[:, tp], ma[:, ta])
            boot_auc_k.append(_batch_auc(bsp, bsa, mp[:, ep], ma[:, ea]))
            boot_dp_k.append(_batch_dprime(bsp, bsa, mp[:, ep], ma[:, ea]))
    auc, dprime = float(np.mean(auc_k)), float(np.mean(dp_k))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a replicate that lost a class in every split: NaN
        boot_auc = np.nanmean(boot_auc_k, axis=0) if n_boot else np.empty(0)
        boot_dp = np.nanmean(boot_dp_k, axis=0) if n_boot else np.empty(0)
    aucs, dps = auc_k, dp_k
    assert first is not None  # splits is not empty (splits[0] was read above)
    sp, sa = first
    fpr, tpr = roc_curve(sp, sa)
    auc_ci = _interval(auc, boot_auc, level, 0.0, 1.0) if n_boot else None
    _warn_if_degenerate(auc_ci, auc, n_te)
    method = (f"mean of {len(splits)} hold-out split(s) ({n_tr[0]}+{n_tr[1]} training, {n_te[0]}+{n_te[1]} test "
              f"images); {n_boot} bootstrap replicates of the images, every split retrained on each; percentile "
              "interval re-centred on the estimate")
    return ObserverResult(
        kind=kind, auc=auc, auc_ci=auc_ci,
        dprime=dprime, dprime_ci=_interval(dprime, boot_dp, level, -np.inf, np.inf) if n_boot else None,
        n_splits=len(splits), method=method, interval_covers="training and test", level=level, n_train=n_tr,
        n_test=n_te, auc_splits=np.array(aucs), dprime_splits=np.array(dps), auc_boot=boot_auc,
        dprime_boot=boot_dp, fpr=fpr, tpr=tpr, scores_present=sp, scores_absent=sa, seed=seed, boot_seed=boot_seed)


def paired_auc_difference(result: ObserverResult, reference: ObserverResult, *, level: float | None = None
                          ) -> tuple[float, tuple[float, float] | None, np.ndarray]:
    """ΔAUC = result − reference on the same images (e.g. compressed vs not), with a paired interval.

    Both results must come from :func:`model_observer` on equally many images with the
    same ``seed``, ``boot_seed``, ``n_boot`` and splits: their bootstrap replicates then
    resampled the same image indices and retrained on the same splits, so the
    replicate differences carry the correlation between the two readings — the
    interval of a paired difference, much narrower than one built from two
    independent intervals. The interval is the same re-centred percentile interval as
    :func:`model_observer`'s.

    Parameters
    ----------
    result, reference : ObserverResult
        The two readings.
    level : float, optional
        Confidence level (default: the results').

    Returns
    -------
    (float, (float, float) or None, ndarray)
        ΔAUC, its interval (None when ``n_boot=0``) and the replicate differences.

    Raises
    ------
    QualityError
        Results that are not paired.
    """
    fields = ("kind", "n_splits", "n_train", "n_test", "seed", "boot_seed")
    for f in fields:
        if getattr(result, f) != getattr(reference, f):
            raise QualityError(f"results are not paired: {f} differs ({getattr(result, f)!r} vs "
                               f"{getattr(reference, f)!r})", where=f)
    if result.auc_boot.size != reference.auc_boot.size:
        raise QualityError("results are not paired: n_boot differs", where="n_boot")
    delta = result.auc - reference.auc
    boots = result.auc_boot - reference.auc_boot
    if not boots.size:
        return delta, None, boots
    return delta, _interval(delta, boots, level or result.level, -1.0, 1.0), boots


def _multiplicities(n_p: int, n_a: int, n_boot: int, boot_seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Bootstrap multiplicities (n_boot, n) of each class's images; a fixed function of the seed and sizes."""
    rng = np.random.default_rng(boot_seed)
    mp, ma = np.empty((n_boot, n_p)), np.empty((n_boot, n_a))
    for b in range(n_boot):
        mp[b] = np.bincount(rng.integers(0, n_p, n_p), minlength=n_p)
        ma[b] = np.bincount(rng.integers(0, n_a, n_a), minlength=n_a)
    return mp, ma


def _known_template_result(kind: str, sp: np.ndarray, sa: np.ndarray, *, n_boot: int, boot_seed: int, level: float,
                           seed: int) -> ObserverResult:
    n_p, n_a = sp.size, sa.size
    ones_p, ones_a = np.ones((1, n_p)), np.ones((1, n_a))
    auc = float(_batch_auc(sp[:, None], sa[:, None], ones_p, ones_a)[0])
    dprime = float(_batch_dprime(sp[:, None], sa[:, None], ones_p, ones_a)[0])
    mp, ma = _multiplicities(n_p, n_a, n_boot, boot_seed)
    boot_auc = _batch_auc(np.repeat(sp[:, None], n_boot, 1), np.repeat(sa[:, None], n_boot, 1), mp, ma)
    boot_dp = _batch_dprime(np.repeat(sp[:, None], n_boot, 1), np.repeat(sa[:, None], n_boot, 1), mp, ma)
    fpr, tpr = roc_curve(sp, sa)
    alpha = (1 - level) / 2

    def pct(x: np.ndarray) -> tuple[float, float]:
        lo, hi = np.nanquantile(x, [alpha, 1 - alpha])
        return float(lo), float(hi)

    _warn_if_degenerate(pct(boot_auc) if n_boot else None, auc, (n_p, n_a))

    return ObserverResult(
        kind=kind, auc=auc, auc_ci=pct(boot_auc) if n_boot else None, dprime=dprime,
        dprime_ci=pct(boot_dp) if n_boot else None, n_splits=0,
        method=f"known template: all {n_p}+{n_a} images are test images; percentile bootstrap ({n_boot} replicates) "
               "over images — test-sample variability only, there is no training",
        interval_covers="test only", level=level, n_train=(0, 0), n_test=(n_p, n_a), auc_splits=np.array([auc]),
        dprime_splits=np.array([dprime]), auc_boot=boot_auc, dprime_boot=boot_dp, fpr=fpr, tpr=tpr,
        scores_present=sp, scores_absent=sa, seed=seed, boot_seed=boot_seed)
