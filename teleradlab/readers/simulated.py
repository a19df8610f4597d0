"""A simulated reader: rates a store's images like a searching observer with internal noise.

Used where no human can read (CI runs of the notebooks, tests) and always labelled
as simulated. For each image it takes the maximum, over all positions, of the image
filtered by a lesion-sized difference of Gaussians (a search: the lesion position
is unknown to it), adds Gaussian internal noise, and maps the scores of
the whole worklist to the rating scale by equal-count bins — a reader who uses the
whole scale.
"""

from __future__ import annotations

import zlib

import numpy as np

from teleradlab.errors import ParameterError
from teleradlab.readers.store import StudyStore

__all__ = ["search_score", "simulate_reader"]


def search_score(image: np.ndarray, *, lesion_sigma: float = 4.0) -> float:
    """Maximum over positions of the image filtered by a lesion-sized difference of Gaussians.

    The filter (Gaussian of ``lesion_sigma`` minus one of twice that) matches the
    lesion and removes the slowly varying anatomical texture; the position of the
    maximum is where this observer "sees" the lesion.

    Parameters
    ----------
    image : ndarray, (h, w)
        The image.
    lesion_sigma : float
        The lesion's Gaussian sigma in pixels.

    Returns
    -------
    float
        The search statistic, in image units.
    """
    from scipy import ndimage

    a = np.asarray(image, float)
    f = ndimage.gaussian_filter(a, lesion_sigma, mode="wrap") - ndimage.gaussian_filter(a, 2 * lesion_sigma,
                                                                                        mode="wrap")
    return float(f.max())


def simulate_reader(store: StudyStore, reader: str, *, internal_noise: float = 0.5, levels: int = 5,
                    lesion_sigma: float = 4.0, seed: int = 0) -> int:
    """Rate every unrated reading on ``reader``'s worklist and store the ratings.

    Parameters
    ----------
    store : StudyStore
        The study.
    reader : str
        Whose worklist (use a name that says it is simulated, e.g. ``"sim-reader"``).
    internal_noise : float
        SD of the internal noise, in units of the scores' SD over the worklist.
    levels : int
        Rating scale 1..levels.
    lesion_sigma : float
        Lesion sigma the search filter assumes (pixels).
    seed : int
        Seed of the internal noise.

    Returns
    -------
    int
        Number of ratings stored.
    """
    if levels < 2:
        raise ParameterError(f"need at least 2 rating levels, got {levels}", where="levels")
    pending = store.unrated(reader)
    if not pending:
        return 0
    rng = np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(reader.encode()), len(pending)]))
    scores = np.array([search_score(store.image(rid), lesion_sigma=lesion_sigma) for rid in pending])
    scores = (scores - scores.mean()) / (scores.std() or 1.0) + internal_noise * rng.standard_normal(len(scores))
    edges = np.quantile(scores, np.linspace(0, 1, levels + 1)[1:-1])
    ratings = 1 + np.searchsorted(edges, scores)
    for rid, rating in zip(pending, ratings, strict=True):
        store.rate(reader, rid, float(rating), time_s=None)
    return len(pending)

