"""Modality-typical synthetic pixel data: anatomy-like structure, noise, lesions.

Each generator returns float images in the modality's physical units (HU for CT)
or detector units, plus the lesions it inserted (ground truth in pixel
coordinates). Structure comes from shapes and textured backgrounds; noise follows
the modality: CT's ramp-filtered noise, quantum (Poisson) noise in projection
radiography and mammography, Rician noise in MR magnitude images, and speckle in
ultrasound.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from teleradlab.errors import ParameterError
from teleradlab.imaging.phantoms import (
    ct_noise,
    ellipse,
    filtered_noise,
    power_law_noise,
    radial_frequency,
    smooth_disk,
)


@dataclass
class Lesion:
    """One inserted lesion, in pixel coordinates of the generated volume or image."""

    kind: str  # "nodule", "mass", "microcalcifications", "cyst", "hypodense"
    center: tuple[float, ...]  # (slice, row, col) for volumes, (row, col) for images
    diameter_px: float
    contrast: float  # added value in the modality's units (HU for CT)
    extra: dict = field(default_factory=dict)


def _sphere_slices(lesion: Lesion, z: int, spacing_ratio: float) -> float:
    """Radius (pixels) of a spherical lesion's cross-section at slice ``z`` (0 when missed)."""
    r = lesion.diameter_px / 2
    dz = (z - lesion.center[0]) * spacing_ratio
    return float(np.sqrt(r * r - dz * dz)) if abs(dz) < r else 0.0


# --------------------------------------------------------------------------- CT
def ct_slice(shape: tuple[int, int], t: float, rng: np.random.Generator, *, noise_hu: float = 12.0,
             texture: np.ndarray | None = None) -> np.ndarray:
    """One axial CT slice in HU; ``t`` runs from the lung apices (0) to the kidneys (1).

    ``texture`` is the anatomical texture (a unit-variance power-law field, see
    :func:`ct_texture`); by default one is drawn from ``rng``. A volume passes
    textures that vary smoothly from slice to slice, as anatomy does.
    """
    rows, cols = shape
    cy, cx = rows * 0.52, cols * 0.5
    hu = np.full(shape, -1000.0, dtype=np.float32)
    body_a, body_b = rows * (0.30 + 0.03 * np.sin(np.pi * t)), cols * (0.41 + 0.02 * t)
    body = ellipse(shape, (cy, cx), (body_a, body_b))
    muscle = ellipse(shape, (cy, cx), (body_a - rows * 0.025, body_b - cols * 0.025))
    texture = power_law_noise(shape, rng, beta=3.0) if texture is None else np.array(texture, np.float32)
    hu[body] = -100.0  # subcutaneous fat
    hu[muscle] = 45.0
    lung_scale = max(0.0, np.cos(np.clip(t, 0, 0.62) / 0.62 * np.pi / 2)) ** 0.5 if t < 0.62 else 0.0
    lungs = np.zeros(shape, dtype=bool)
    if lung_scale > 0.05:
        for side in (-1, 1):
            lungs |= ellipse(shape, (cy - rows * 0.02, cx + side * cols * 0.17),
                             (rows * 0.22 * lung_scale, cols * 0.14 * lung_scale), angle=side * 0.15)
        hu[lungs] = -850.0 + 35.0 * texture[lungs]
    if 0.15 < t < 0.55:  # heart and mediastinum
        heart = ellipse(shape, (cy + rows * 0.02, cx + cols * 0.04), (rows * 0.13, cols * 0.12), angle=0.5)
        hu[heart] = 40.0
    if t >= 0.45:  # liver on the patient's right (image left)
        liver = ellipse(shape, (cy - rows * 0.02, cx - cols * 0.14), (rows * 0.2, cols * 0.18)) & muscle & ~lungs
        hu[liver] = 60.0
        hu[ellipse(shape, (cy - rows * 0.12, cx + cols * 0.15), (rows * 0.07, cols * 0.08)) & ~lungs] = 30.0  # spleen
    if t >= 0.7:  # kidneys
        for side in (-1, 1):
            hu[ellipse(shape, (cy + rows * 0.1, cx + side * cols * 0.17), (rows * 0.07, cols * 0.045))] = 35.0
    hu[ellipse(shape, (cy + rows * 0.08, cx + cols * 0.03), (rows * 0.025, cols * 0.025))] = 180.0  # aorta (contrast)
    vert_c = (cy + rows * 0.2, cx)
    hu[ellipse(shape, vert_c, (rows * 0.05, cols * 0.045))] = 800.0
    hu[ellipse(shape, vert_c, (rows * 0.04, cols * 0.035))] = 250.0
    if t < 0.6:  # ribs around the chest wall
        for k in range(10):
            ang = np.pi * (0.15 + 0.7 * k / 9)
            for side in (-1, 1):
                ry = cy - np.cos(ang) * (body_a - rows * 0.04)
                rx = cx + side * np.sin(ang) * (body_b - cols * 0.04)
                hu[ellipse(shape, (ry, rx), (rows * 0.012, cols * 0.02), angle=ang)] = 700.0
    soft = body & ~lungs
    texture *= np.float32(10.0)
    np.add(hu, texture, out=hu, where=soft)
    noise = ct_noise(shape, rng)
    noise *= np.float32(noise_hu)
    np.add(hu, noise, out=hu, where=_fov(shape))  # no noise outside the reconstruction circle
    return hu


def ct_textures(shape: tuple[int, int], n: int, step: int, rng: np.random.Generator):
    """Anatomical texture for ``n`` slices, continuous along z: yields one field per slice.

    Independent power-law fields are drawn every ``step`` slices and blended linearly
    in between (normalised to unit variance), so that neighbouring slices share their
    texture as neighbouring slices of a real body do, and only one field in ``step``
    costs an FFT.
    """
    seed_seq = rng.bit_generator.seed_seq
    if not isinstance(seed_seq, np.random.SeedSequence):
        raise ParameterError("rng must come from a SeedSequence (np.random.default_rng(seed)) so that the texture "
                             "fields can be spawned from it", where="rng")
    seeds = seed_seq.spawn((n - 1) // step + 2)
    drawn: dict[int, np.ndarray] = {}

    def key(j: int) -> np.ndarray:
        if j not in drawn:
            for old in [k for k in drawn if k < j - 1]:
                del drawn[old]
            drawn[j] = power_law_noise(shape, np.random.default_rng(seeds[j]), beta=3.0)
        return drawn[j]

    for z in range(n):
        j, w = divmod(z, step)
        if w == 0:
            yield key(j)
        else:
            f = w / step
            yield (key(j) * np.float32(1 - f) + key(j + 1) * np.float32(f)) / np.float32(np.hypot(1 - f, f))


_FOV: dict[tuple[int, int], np.ndarray] = {}


def _fov(shape: tuple[int, int]) -> np.ndarray:
    if shape not in _FOV:
        _FOV[shape] = ellipse(shape, (shape[0] / 2, shape[1] / 2), (shape[0] * 0.5, shape[1] * 0.5))
    return _FOV[shape]


def ct_lesion_sites(shape: tuple[int, int], n_slices: int) -> dict[str, list[tuple[float, float, float]]]:
    """Candidate lesion centres (slice, row, col): lung nodules, liver lesions.

    Slice 0 is the most inferior (see :func:`ct_slice`'s ``t``, which runs the other way).
    """
    rows, cols = shape
    cy, cx = rows * 0.52, cols * 0.5
    lung_z = [(n_slices - 1) * (1 - f) for f in (0.15, 0.25, 0.35)]
    liver_z = [(n_slices - 1) * (1 - f) for f in (0.6, 0.7, 0.8)]
    return {
        "nodule": [(z, cy - rows * 0.05 + dy, cx + side * cols * 0.17)
                   for z in lung_z for side in (-1, 1) for dy in (-rows * 0.06, rows * 0.04)],
        "hypodense": [(z, cy - rows * 0.02 + dy, cx - cols * 0.15) for z in liver_z for dy in (-rows * 0.05, rows * 0.05)],
    }


# ------------------------------------------------------------------ CR/DX chest
def chest_radiograph(shape: tuple[int, int], rng: np.random.Generator, *, quanta: float = 3000.0) -> np.ndarray:
    """A PA chest radiograph as log-detected exposure (higher = more attenuation).

    Attenuation line integrals of body, lungs, mediastinum, heart, spine, ribs and
    clavicles; the detector counts quanta ~ Poisson(N0 exp(-A)); the processed
    image is log(N0/N), so quantum noise is larger where attenuation is high.
    """
    rows, cols = shape
    r, c = np.ogrid[:rows, :cols]
    cy, cx = rows * 0.5, cols * 0.5
    rr = ((r - cy) / (rows * 0.48)) ** 2 + ((c - cx) / (cols * 0.42)) ** 2
    att = np.where(rr < 1, 2.2 * np.sqrt(np.clip(1 - rr, 0, 1)), 0.0).astype(np.float32)
    texture = power_law_noise(shape, rng, beta=3.0)
    lungs = np.zeros(shape, dtype=np.float32)
    for side in (-1, 1):
        m = ellipse(shape, (rows * 0.42, cx + side * cols * 0.19), (rows * 0.3, cols * 0.15), angle=side * 0.1)
        lungs += m
    att -= 1.1 * lungs * (1 + 0.05 * texture)
    att += 0.9 * ellipse(shape, (rows * 0.45, cx), (rows * 0.3, cols * 0.07))  # mediastinum
    att += 0.8 * ellipse(shape, (rows * 0.55, cx + cols * 0.06), (rows * 0.14, cols * 0.15))  # heart
    att += 0.6 * ((np.abs(c - cx) < cols * 0.035) & (r > rows * 0.08)).astype(np.float32)  # spine
    for k in range(10):  # ribs: elliptical arcs
        ry = rows * (0.18 + 0.065 * k)
        arc = np.abs(((r - ry) / (rows * 0.1)) ** 2 + ((c - cx) / (cols * 0.33)) ** 2 - 1.0) < 0.08
        att += 0.35 * (arc & (lungs > 0))
    for side in (-1, 1):  # clavicles
        att += 0.5 * ellipse(shape, (rows * 0.14, cx + side * cols * 0.17), (rows * 0.012, cols * 0.15), angle=side * 0.2)
    att = np.clip(att, 0, None)
    mean_counts = quanta * np.exp(-att)
    counts = mean_counts + np.sqrt(mean_counts) * rng.standard_normal(shape, dtype=np.float32)
    return np.log(quanta / np.clip(counts, 1.0, None)).astype(np.float32)


def chest_lesion_sites(shape: tuple[int, int]) -> list[tuple[float, float]]:
    """Candidate nodule centres (row, col) within the lung fields."""
    rows, cols = shape
    return [(rows * fy, cols * (0.5 + side * fx)) for fy in (0.3, 0.42, 0.55) for fx in (0.16, 0.22) for side in (-1, 1)]


# ----------------------------------------------------------------- mammography
def mammogram(shape: tuple[int, int], rng: np.random.Generator, *, density: float = 0.3,
              quanta: float = 5000.0) -> tuple[np.ndarray, np.ndarray]:
    """A cranio-caudal mammogram (for presentation) and the breast mask.

    Breast outline attached to the chest wall (image left); fibroglandular tissue
    is a 1/f^3 power-law field thresholded at the density quantile (Burgess'
    power-law model of breast texture), denser near the chest wall; quantum noise.
    """
    rows, cols = shape
    r, c = np.ogrid[:rows, :cols]
    rr = ((r - rows * 0.5) / (rows * 0.44)) ** 2 + (c / (cols * 0.78)) ** 2
    breast = rr < 1
    thickness = np.where(breast, np.sqrt(np.clip(1 - rr, 0, 1)) ** 0.35, 0).astype(np.float32)
    field_ = power_law_noise(shape, rng, beta=3.0)
    depth = np.clip(1.2 - c / (cols * 0.8), 0, 1.2).astype(np.float32)
    gland_field = field_ + 1.2 * depth
    thr = np.quantile(gland_field[breast], 1 - density) if breast.any() else 0.0
    glandular = 1 / (1 + np.exp(-(gland_field - thr) * 4)).astype(np.float32)
    signal = thickness * (0.35 + 0.45 * glandular)
    counts = quanta * signal
    noisy = counts + np.sqrt(np.clip(counts, 0, None)) * rng.standard_normal(shape, dtype=np.float32)
    return np.where(breast, noisy / quanta, 0.0).astype(np.float32), breast


def mammo_lesion_sites(shape: tuple[int, int]) -> list[tuple[float, float]]:
    """Candidate lesion centres (row, col) inside the breast."""
    rows, cols = shape
    return [(rows * fy, cols * fx) for fy in (0.35, 0.5, 0.65) for fx in (0.25, 0.45)]


def microcalcification_cluster(shape: tuple[int, int], center: tuple[float, float], rng: np.random.Generator,
                               *, n: int, spread_px: float, speck_px: float) -> tuple[np.ndarray, list]:
    """A cluster of ``n`` small bright specks within ``spread_px`` of ``center``; unit peak each."""
    img = np.zeros(shape, dtype=np.float32)
    specks = []
    half = int(np.ceil(spread_px + 4 * speck_px)) + 1
    y0, x0 = int(center[0]), int(center[1])
    sl = (slice(max(y0 - half, 0), min(y0 + half, shape[0])), slice(max(x0 - half, 0), min(x0 + half, shape[1])))
    sub = (sl[0].stop - sl[0].start, sl[1].stop - sl[1].start)
    for _ in range(n):
        ang, rad = rng.uniform(0, 2 * np.pi), spread_px * np.sqrt(rng.uniform())
        py, px = center[0] + rad * np.sin(ang), center[1] + rad * np.cos(ang)
        specks.append((float(py), float(px)))
        img[sl] = np.maximum(img[sl], smooth_disk(sub, (py - sl[0].start, px - sl[1].start), speck_px, 0.5))
    return img, specks


# -------------------------------------------------------------------------- MR
def mr_brain_slice(shape: tuple[int, int], t: float, rng: np.random.Generator, *, sigma: float = 25.0) -> np.ndarray:
    """A T1-weighted axial brain slice with Rician noise (magnitude of complex Gaussian noise).

    ``t`` runs from the skull base (0) to the vertex (1).
    """
    rows, cols = shape
    cy, cx = rows / 2, cols / 2
    scale = float(np.sqrt(max(1 - (2 * t - 1) ** 2 * 0.85, 0.1)))
    a, b = rows * 0.4 * scale, cols * 0.33 * scale
    img = np.zeros(shape, dtype=np.float32)
    img[ellipse(shape, (cy, cx), (a, b))] = 900.0  # scalp fat (bright on T1)
    img[ellipse(shape, (cy, cx), (a - rows * 0.025, b - cols * 0.025))] = 80.0  # skull (dark)
    brain = ellipse(shape, (cy, cx), (a - rows * 0.05, b - cols * 0.05))
    texture = power_law_noise(shape, rng, beta=2.5)
    img[brain] = 600.0  # grey matter
    wm = ellipse(shape, (cy, cx), (a - rows * 0.1, b - cols * 0.1)) & (texture > -0.6)
    img[wm] = 820.0  # white matter
    if 0.3 < t < 0.75:  # lateral ventricles
        for side in (-1, 1):
            img[ellipse(shape, (cy, cx + side * cols * 0.05), (rows * 0.12 * scale, cols * 0.03), angle=side * 0.25)] = 150.0
    img[brain] += 15.0 * texture[brain]
    re = img + sigma * rng.standard_normal(shape, dtype=np.float32)
    im = sigma * rng.standard_normal(shape, dtype=np.float32)
    return np.sqrt(re * re + im * im)


# -------------------------------------------------------------------------- US
def ultrasound_frame(shape: tuple[int, int], rng: np.random.Generator, *, speckle_px: float = 2.0,
                     structures: list[tuple[tuple[float, float], float, float]] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A B-mode sector image (0–255 float) with fully developed speckle, and the sector mask.

    Echogenicity (tissue, a vessel, the given structures as (centre, radius, level))
    times Rayleigh speckle — the magnitude of low-pass filtered complex Gaussian
    noise — with depth attenuation and time-gain compensation, then log-compressed.
    """
    rows, cols = shape
    r, c = np.ogrid[:rows, :cols]
    apex = (-rows * 0.05, cols / 2)
    dist = np.sqrt((r - apex[0]) ** 2 + (c - apex[1]) ** 2)
    ang = np.arctan2(c - apex[1], r - apex[0])
    sector = (np.abs(ang) < np.deg2rad(37)) & (dist < rows * 0.98) & (dist > rows * 0.08)
    echo = np.full(shape, 0.5, dtype=np.float32)
    echo += 0.15 * power_law_noise(shape, rng, beta=3.0)
    echo[ellipse(shape, (rows * 0.35, cols * 0.3), (rows * 0.05, cols * 0.12), angle=0.3)] = 0.03  # vessel
    echo[np.abs(dist - rows * 0.22) < 3] = 1.4  # capsule
    for center, radius, level in structures or []:
        echo[ellipse(shape, center, (radius, radius))] = level
    f = radial_frequency(shape)
    lp = np.exp(-(np.pi * f * speckle_px) ** 2).astype(np.float32)
    re = filtered_noise(shape, lp, rng)
    im = filtered_noise(shape, lp, rng)
    speckle = np.sqrt(re * re + im * im) / np.sqrt(2)
    depth_gain = np.exp(-0.8 * dist / rows) * np.exp(0.75 * dist / rows)  # attenuation, partly compensated
    env = np.clip(echo, 0.005, None) * speckle * depth_gain
    img = 255 * np.clip((20 * np.log10(env + 1e-3) + 45) / 50, 0, 1)
    return np.where(sector, img, 0).astype(np.float32), sector
