"""Anatomy generators: CT texture is continuous along z, with the statistics of a single field."""

from __future__ import annotations

import numpy as np

from teleradlab.imaging.anatomy import ct_textures


def test_ct_texture_is_continuous_along_z_with_unit_variance() -> None:
    rng = np.random.default_rng(np.random.SeedSequence(5))
    fields = list(ct_textures((128, 128), 10, 3, rng))
    assert len(fields) == 10

    def corr(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])

    assert all(abs(float(f.std()) - 1) < 0.25 for f in fields)  # blends keep unit variance
    neighbours = [corr(fields[z], fields[z + 1]) for z in range(9)]
    assert min(neighbours) > 0.4  # adjacent slices share their texture
    assert abs(corr(fields[0], fields[3 * 2])) < 0.3  # two key slices apart: independent draws
    again = list(ct_textures((128, 128), 10, 3, np.random.default_rng(np.random.SeedSequence(5))))
    assert all(np.array_equal(a, b) for a, b in zip(fields, again, strict=True))


def test_step_one_gives_independent_slices() -> None:
    rng = np.random.default_rng(np.random.SeedSequence(6))
    fields = list(ct_textures((64, 64), 4, 1, rng))
    assert len(fields) == 4 and abs(float(np.corrcoef(fields[0].ravel(), fields[1].ravel())[0, 1])) < 0.3
