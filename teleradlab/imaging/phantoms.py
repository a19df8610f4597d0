"""Building blocks of synthetic anatomy: shapes, textured backgrounds, noise.

Everything is vectorised numpy on whole images (no per-pixel Python loops) and
draws its randomness from a :class:`numpy.random.Generator` passed in, so the same
seed gives byte-identical images.
"""

from __future__ import annotations

import numpy as np

_FREQ_CACHE: dict[tuple[int, int], np.ndarray] = {}


def radial_frequency(shape: tuple[int, int]) -> np.ndarray:
    """Radial spatial frequency (cycles/pixel) on the ``rfft2`` grid of ``shape``."""
    key = (int(shape[0]), int(shape[1]))
    if key not in _FREQ_CACHE:
        fy = np.fft.fftfreq(key[0])[:, None]
        fx = np.fft.rfftfreq(key[1])[None, :]
        _FREQ_CACHE[key] = np.sqrt(fy * fy + fx * fx).astype(np.float32)
    return _FREQ_CACHE[key]


_TRANSFER_CACHE: dict[tuple, tuple[np.ndarray, float]] = {}


def _normalised(key: tuple, shape: tuple[int, int], build) -> tuple[np.ndarray, float]:
    """A cached transfer function and the standard deviation it gives unit white noise."""
    if key not in _TRANSFER_CACHE:
        h = np.asarray(build(), dtype=np.float32)
        weight = np.full(h.shape[1], 2.0)
        weight[0] = 1.0
        if shape[1] % 2 == 0:
            weight[-1] = 1.0
        power = float((h.astype(np.float64) ** 2 * weight[None, :]).sum()) / (shape[0] * shape[1])
        _TRANSFER_CACHE[key] = (h, float(np.sqrt(power)) or 1.0)
    return _TRANSFER_CACHE[key]


def filtered_noise(shape: tuple[int, int], transfer: np.ndarray, rng: np.random.Generator,
                   *, sd: float | None = None) -> np.ndarray:
    """White Gaussian noise shaped by a transfer function on the rfft2 grid.

    Returns a field of unit variance: divided by ``sd`` when given (the expected
    standard deviation, see :func:`_normalised`), else by the field's own.
    """
    from scipy import fft

    white = rng.standard_normal(shape, dtype=np.float32)
    spectrum = fft.rfft2(white, overwrite_x=True)
    spectrum *= transfer  # in place: no image-sized temporaries
    field = fft.irfft2(spectrum, s=shape, overwrite_x=True)
    norm = sd if sd is not None else float(field.std())
    if norm > 0:
        field /= np.float32(norm)
    return field


def power_law_noise(shape: tuple[int, int], rng: np.random.Generator, *, beta: float = 3.0) -> np.ndarray:
    """Gaussian random field with power spectrum ~ 1/f^beta (anatomical texture), unit variance.

    beta ≈ 3 reproduces the power-law spectrum of breast and lung parenchyma
    (Burgess et al., Med Phys 2001;28:419).
    """
    def build() -> np.ndarray:
        f = radial_frequency(shape)
        return np.where(f > 0, np.maximum(f, 1.0 / max(shape)) ** (-beta / 2), 0.0)

    h, sd = _normalised(("power", shape, beta), shape, build)
    return filtered_noise(shape, h, rng, sd=sd)


def ct_noise(shape: tuple[int, int], rng: np.random.Generator, *, peak: float = 0.12) -> np.ndarray:
    """CT-like noise: a ramp-filtered (filtered back-projection) spectrum, unit variance.

    The noise power spectrum of FBP CT rises linearly from zero at DC and rolls
    off at high frequency (the reconstruction kernel); ``peak`` is where it peaks,
    in cycles/pixel.
    """
    def build() -> np.ndarray:
        f = radial_frequency(shape)
        return np.sqrt(f * np.exp(-f / peak))

    h, sd = _normalised(("ct", shape, peak), shape, build)
    return filtered_noise(shape, h, rng, sd=sd)


def ellipse(shape: tuple[int, int], center: tuple[float, float], axes: tuple[float, float],
            angle: float = 0.0) -> np.ndarray:
    """Boolean mask of an ellipse; center (row, col) and semi-axes (rows, cols) in pixels.

    Only the ellipse's bounding box is evaluated, so small shapes are cheap.
    """
    mask = np.zeros(shape, dtype=bool)
    reach = max(axes[0], axes[1]) if angle else None
    ry, rx = (reach, reach) if reach is not None else (axes[0], axes[1])
    y0, y1 = max(int(np.floor(center[0] - ry)), 0), min(int(np.ceil(center[0] + ry)) + 1, shape[0])
    x0, x1 = max(int(np.floor(center[1] - rx)), 0), min(int(np.ceil(center[1] + rx)) + 1, shape[1])
    if y0 >= y1 or x0 >= x1 or axes[0] <= 0 or axes[1] <= 0:
        return mask
    y = (np.arange(y0, y1, dtype=np.float32) - np.float32(center[0]))[:, None]
    x = (np.arange(x0, x1, dtype=np.float32) - np.float32(center[1]))[None, :]
    if angle:
        c, s = np.float32(np.cos(angle)), np.float32(np.sin(angle))
        y, x = c * y - s * x, s * y + c * x
    mask[y0:y1, x0:x1] = (y / np.float32(axes[0])) ** 2 + (x / np.float32(axes[1])) ** 2 <= 1.0
    return mask


def gaussian_blob(shape: tuple[int, int], center: tuple[float, float], sigma: float) -> np.ndarray:
    """A unit-peak isotropic Gaussian (row, col centre, sigma in pixels)."""
    rows, cols = np.ogrid[: shape[0], : shape[1]]
    return np.exp(-((rows - center[0]) ** 2 + (cols - center[1]) ** 2) / (2 * sigma * sigma)).astype(np.float32)


def smooth_disk(shape: tuple[int, int], center: tuple[float, float], radius: float, edge: float = 1.0) -> np.ndarray:
    """A disk of value 1 with a smooth (logistic) edge of width ``edge`` pixels."""
    from scipy.special import expit

    rows, cols = np.ogrid[: shape[0], : shape[1]]
    r = np.sqrt((rows - center[0]) ** 2 + (cols - center[1]) ** 2)
    return expit((radius - r) / max(edge, 1e-3)).astype(np.float32)


def lumpy_background(shape: tuple[int, int], rng: np.random.Generator, *, mean_lumps: float = 100.0,
                     lump_sigma: float = 5.0, lump_amplitude: float = 1.0) -> np.ndarray:
    """Rolland–Barrett lumpy background: a Poisson number of Gaussian lumps at uniform positions.

    Reference: Rolland JP, Barrett HH. Effect of random background inhomogeneity on
    observer detection performance. J Opt Soc Am A 1992;9:649.
    """
    n = int(rng.poisson(mean_lumps))
    img = np.zeros(shape, dtype=np.float64)
    if n == 0:
        return img.astype(np.float32)
    pos = rng.uniform(0, 1, size=(n, 2)) * np.asarray(shape)
    # Place unit impulses (bilinear) and convolve once with the lump kernel in Fourier space.
    iy, ix = np.floor(pos).astype(int).T
    fy, fx = (pos - np.floor(pos)).T
    for dy, dx, w in ((0, 0, (1 - fy) * (1 - fx)), (1, 0, fy * (1 - fx)), (0, 1, (1 - fy) * fx), (1, 1, fy * fx)):
        np.add.at(img, ((iy + dy) % shape[0], (ix + dx) % shape[1]), w)
    f = radial_frequency(shape)
    kernel = np.exp(-2 * (np.pi * f * lump_sigma) ** 2)  # FT of a unit-peak Gaussian, up to 2πσ²
    out = np.fft.irfft2(np.fft.rfft2(img) * kernel, s=shape)
    return (out * lump_amplitude).astype(np.float32)
