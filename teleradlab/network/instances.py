"""What crosses a link: a study's instances and the size of each one as actually compressed.

A scenario asks for a compression ratio ("CT: jpeg2000 at 10:1"). The codec's rate
control meets such a request within a tolerance for some codecs and not at all for
others (JPEG-LS near-lossless has only whole NEAR steps; baseline JPEG runs out of
quality steps at high ratios; :func:`teleradlab.compression.compress` then gives the
nearest reachable ratio with ``on_miss="nearest"``), and the bytes that cross the link are
the achieved ones. :func:`achieved_ratio` therefore compresses a synthetic image of the modality
(:func:`teleradlab.imaging.synthesize_study`, fixed seed) with
:func:`teleradlab.compression.compress` at the requested ratio and reports the
ratio that came out; :func:`instance_bytes` is the one place that turns a modality's
raw instance size into the size sent, and says where its ratio came from.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass

from teleradlab.errors import TeleradlabError
from teleradlab.network import defaults as D

#: Image size (rows, cols) compressed to measure a modality's achieved ratio: CT, MR and US at
#: their usual matrix; projection images at half their rows and columns (the full 2500x2048
#: radiograph takes ~5 s to synthesize and compress, too long for every scenario load).
PROBE_SHAPES: dict[str, tuple[int, int]] = {"CT": (512, 512), "MR": (256, 256), "US": (480, 640),
                                            "CR": (1250, 1024), "DX": (1250, 1024), "MG": (1147, 957)}
#: The synthetic image's seed: the same probe image for every scenario.
PROBE_SEED = 0


@dataclass(frozen=True)
class SentRatio:
    """The compression ratio a modality's instances are sent at, and where it came from.

    Attributes
    ----------
    syntax : str
        The transfer syntax (``"none"``: uncompressed).
    requested : float
        The ratio the scenario asked for (or the documented lossless default).
    achieved : float
        The ratio the bytes sent are computed with.
    source : str
        How ``achieved`` was obtained: the rate control on a probe image, the
        documented lossless ratio, or an explicit fallback to the requested ratio
        with the reason.
    """

    syntax: str
    requested: float
    achieved: float
    source: str


@functools.lru_cache(maxsize=256)
def achieved_ratio(modality: str, syntax: str, ratio: float) -> SentRatio:
    """The ratio ``syntax`` achieves when asked for ``ratio`` on a synthetic ``modality`` image.

    Parameters
    ----------
    modality : str
        ``CT``, ``MR``, ``US``, ``CR``, ``DX`` or ``MG`` are probed; other modalities
        fall back to the requested ratio, and the result says so.
    syntax : str
        A transfer syntax of :mod:`teleradlab.compression`; ``"none"`` is uncompressed.
    ratio : float
        The requested ratio (>= 1).

    Returns
    -------
    SentRatio

    Examples
    --------
    >>> r = achieved_ratio("CT", "jpeg2000", 10.0)
    >>> abs(r.achieved / 10 - 1) < 0.05, r.source.startswith("rate control")
    (True, True)
    """
    from teleradlab.compression import compress, get_codec

    if syntax == "none" or ratio == 1:
        return SentRatio(syntax, float(ratio), 1.0, "uncompressed")
    try:
        codec = get_codec(syntax)
    except TeleradlabError as exc:
        return SentRatio(syntax, float(ratio), float(ratio), f"requested ratio (fallback: {exc.message})")
    if not codec.lossy:
        how = "documented lossless ratio" if ratio == D.LOSSLESS_RATIO else "lossless ratio as given"
        return SentRatio(syntax, float(ratio), float(ratio), f"{how} (lossless: no rate control)")
    shape = PROBE_SHAPES.get(modality)
    if shape is None:
        return SentRatio(syntax, float(ratio), float(ratio),
                         f"requested ratio (fallback: no synthetic {modality} image to probe; "
                         f"probed modalities: {', '.join(PROBE_SHAPES)})")
    from teleradlab.compression.compress import RatioMissWarning
    from teleradlab.imaging import synthesize_study

    ds = synthesize_study(modality, seed=PROBE_SEED, shape=shape, n_images=1, lesions=0).datasets[0]
    try:
        with warnings.catch_warnings(record=True) as caught:  # an unreachable ratio: the nearest, said below
            warnings.simplefilter("always", RatioMissWarning)
            res = compress(ds, syntax, ratio=float(ratio), on_miss="nearest")
    except TeleradlabError as exc:
        return SentRatio(syntax, float(ratio), float(ratio), f"requested ratio (fallback: {exc.message})")
    missed = [str(w.message) for w in caught if issubclass(w.category, RatioMissWarning)]
    return SentRatio(syntax, float(ratio), float(res.ratio),
                     f"rate control: {res.syntax} on a synthetic {modality} {shape[0]}x{shape[1]} image "
                     f"(seed {PROBE_SEED}) reached {res.ratio:.3f}:1"
                     + (f"; the requested ratio is out of reach, this is the nearest ({missed[0]})" if missed else ""))


def instance_bytes(modality: str, bytes_per_image: float, compression: tuple[str, float] | None
                   ) -> tuple[float, SentRatio]:
    """The size of one instance as sent, and the ratio behind it.

    Parameters
    ----------
    modality : str
        The instance's modality.
    bytes_per_image : float
        Its uncompressed size (pixel data at Bits Allocated).
    compression : (syntax, ratio) or None
        The scenario's compression for the modality (:attr:`Scenario.compression`);
        None sends it uncompressed.

    Returns
    -------
    (float, SentRatio)
        Bytes of one instance as sent, and the ratio used.
    """
    syntax, ratio = compression if compression is not None else ("none", 1.0)
    sent = achieved_ratio(modality, syntax, float(ratio))
    return bytes_per_image / sent.achieved, sent
