"""Signal-present / signal-absent ROI ensembles for model-observer studies.

A model observer (NPW, CHO...) decides, from a region of interest, whether a known
signal is present. Its performance is measured on two stacks of ROIs that differ
only by the signal. :func:`lesion_ensemble` makes them on three kinds of
background:

``white``
    mean + iid N(0, σ²) noise; here the ideal observer is the non-prewhitening
    matched filter and d′ = ‖s‖/σ exactly (the validation case).
``correlated``
    Gaussian noise with a power-law (1/f^β) spectrum, like anatomical texture.
``lumpy``
    Rolland–Barrett lumpy background plus white noise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from teleradlab.errors import ParameterError
from teleradlab.imaging.phantoms import (
    gaussian_blob,
    lumpy_background,
    power_law_noise,
    smooth_disk,
)

BACKGROUNDS = ("white", "correlated", "lumpy")
#: Largest ensemble (both stacks, float64) :func:`lesion_ensemble` builds unless told otherwise: a
#: guard against a typo (``n: 1e8``), far above the notebooks' ensembles (hundreds of 64 x 64 ROIs, MBs).
MAX_ENSEMBLE_BYTES = 2 * 2**30


@dataclass
class LesionEnsemble:
    """Signal-present and signal-absent ROI stacks with the exact signal.

    Attributes
    ----------
    present, absent : ndarray, float64, (n, roi, roi)
        ROIs with and without the signal.
    signal : ndarray, float64, (roi, roi)
        The exact template added to every signal-present ROI.
    noise_sigma : float
        Standard deviation of the white-noise component.
    background : str
        ``white``, ``correlated`` or ``lumpy``.
    mean : float
        The background's mean level.
    params : dict
        Everything needed to regenerate it.
    """

    present: np.ndarray
    absent: np.ndarray
    signal: np.ndarray
    noise_sigma: float
    background: str
    mean: float
    params: dict = field(default_factory=dict)

    @property
    def ideal_dprime_white(self) -> float:
        """‖s‖/σ: the NPW (= ideal, for white noise) observer's d′ on a white background."""
        return float(np.linalg.norm(self.signal) / self.noise_sigma)


def make_signal(roi: int, signal: Any = None) -> np.ndarray:
    """Build the signal template: an array as given, or a dict/None describing a blob.

    ``signal`` may be an (roi, roi) array; ``None`` (a Gaussian of amplitude 5 and
    sigma roi/16 pixels); or a dict ``{"shape": "gaussian"|"disk", "amplitude": a,
    "radius_px": r}`` (for a Gaussian, ``radius_px`` is its sigma).
    """
    if isinstance(signal, np.ndarray):
        if signal.shape != (roi, roi):
            raise ParameterError(f"signal must be ({roi}, {roi}), got {signal.shape}", where="signal")
        return signal.astype(np.float64)
    spec: dict[str, Any] = {"shape": "gaussian", "amplitude": 5.0, "radius_px": roi / 16}  # values as the caller gave them
    if signal is not None:
        if not isinstance(signal, dict):
            raise ParameterError("signal must be None, an array or a dict", where="signal")
        unknown = set(signal) - set(spec)
        if unknown:
            raise ParameterError(f"unknown signal keys {sorted(unknown)}; use {sorted(spec)}", where="signal")
        spec.update(signal)
    centre = ((roi - 1) / 2, (roi - 1) / 2)
    if spec["shape"] == "gaussian":
        base = gaussian_blob((roi, roi), centre, float(spec["radius_px"]))
    elif spec["shape"] == "disk":
        base = smooth_disk((roi, roi), centre, float(spec["radius_px"]), edge=0.5)
    else:
        raise ParameterError(f"unknown signal shape {spec['shape']!r}; use 'gaussian' or 'disk'", where="signal.shape")
    return float(spec["amplitude"]) * base.astype(np.float64)


def lesion_ensemble(n: int, *, background: str = "white", roi: int = 64, signal: Any = None, seed: int = 0,
                    noise_sigma: float = 20.0, mean: float = 100.0, beta: float = 3.0,
                    texture_sigma: float = 20.0, max_bytes: float = MAX_ENSEMBLE_BYTES) -> LesionEnsemble:
    """Make ``n`` signal-present and ``n`` signal-absent ROIs.

    Parameters
    ----------
    n : int
        ROIs per class.
    background : {"white", "correlated", "lumpy"}
        The background model (see the module docstring).
    roi : int
        ROI side in pixels.
    signal : None, ndarray or dict
        The signal (see :func:`make_signal`).
    seed : int
        Seed; the same seed gives the same ensemble.
    noise_sigma : float
        Standard deviation of the white noise (all backgrounds have some).
    mean : float
        Mean background level.
    beta : float
        Power-law exponent of the correlated background.
    texture_sigma : float
        Standard deviation of the correlated texture or of the lumps' field.
    max_bytes : float
        Refuse an ensemble whose two stacks would exceed this many bytes
        (:data:`MAX_ENSEMBLE_BYTES`), before anything is generated.

    Returns
    -------
    LesionEnsemble

    Examples
    --------
    >>> e = lesion_ensemble(10, roi=32, seed=1)
    >>> e.present.shape, e.absent.shape, round(e.ideal_dprime_white, 2)
    ((10, 32, 32), (10, 32, 32), 0.89)
    """
    if background not in BACKGROUNDS:
        raise ParameterError(f"unknown background {background!r}; use one of {BACKGROUNDS}", where="background")
    if n < 1 or roi < 8:
        raise ParameterError("need n >= 1 and roi >= 8", where="n" if n < 1 else "roi")
    size = 2.0 * n * roi * roi * 8  # two float64 stacks
    if size > max_bytes:
        raise ParameterError(f"{n:,} x 2 ROIs of {roi} x {roi} pixels need {size / 2**30:,.1f} GiB, above the limit "
                             f"of {max_bytes / 2**30:,.1f} GiB; use fewer or smaller ROIs, or raise the limit "
                             "explicitly (max_bytes=...)", where="n")
    if noise_sigma <= 0:
        raise ParameterError("noise_sigma must be positive", where="noise_sigma")
    s = make_signal(roi, signal)
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), BACKGROUNDS.index(background), roi, n]))
    shape = (roi, roi)

    def one() -> np.ndarray:
        img = np.full(shape, mean, dtype=np.float64)
        if background == "correlated":
            img += texture_sigma * power_law_noise(shape, rng, beta=beta)
        elif background == "lumpy":
            img += lumpy_background(shape, rng, mean_lumps=roi * roi / 40, lump_sigma=roi / 12,
                                    lump_amplitude=texture_sigma / 2)
        return img + noise_sigma * rng.standard_normal(shape)

    absent = np.stack([one() for _ in range(n)])
    present = np.stack([one() for _ in range(n)]) + s
    return LesionEnsemble(present=present, absent=absent, signal=s, noise_sigma=float(noise_sigma),
                          background=background, mean=float(mean),
                          params=dict(n=n, background=background, roi=roi, seed=seed, noise_sigma=noise_sigma,
                                      mean=mean, beta=beta, texture_sigma=texture_sigma))
