"""Shared test configuration."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.uid import ExplicitVRLittleEndian

ROOT = Path(__file__).resolve().parents[1]

os.environ.setdefault("TELERADLAB_NO_PROGRESS", "1")


def native_dataset(bits: int, signed: bool, *, frames: int = 1, seed: int = 0) -> Dataset:
    """A synthetic image using the full range of ``bits`` (signed or not), with structure and noise."""
    rng = np.random.default_rng(seed)
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    y, x = np.mgrid[0:96, 0:80]
    base = (np.sin(x / 7.0) + np.cos(y / 11.0)) / 4 + 0.5
    img = lo + (hi - lo) * np.clip(base + rng.normal(0, 0.05, (frames, 96, 80)), 0, 1)
    img[:, 0, 0], img[:, 0, 1] = lo, hi  # the extremes must survive
    alloc = 8 if bits <= 8 else 16
    data = np.round(img).astype(f"{'i' if signed else 'u'}{alloc // 8}")
    ds = Dataset()
    ds.file_meta = Dataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID, ds.SOPInstanceUID = "1.2.840.10008.5.1.4.1.1.7", pydicom.uid.generate_uid()
    ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.PhotometricInterpretation = 96, 80, 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = alloc, bits, bits - 1, int(signed)
    if frames > 1:
        ds.NumberOfFrames = frames
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.PixelData = (data if frames > 1 else data[0]).tobytes()
    return ds


@pytest.fixture(scope="session")
def native():
    """:func:`native_dataset`: a native greyscale dataset of any bit depth and sign."""
    return native_dataset


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository's root folder."""
    return ROOT


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ARG001
    """Print each notebook's run time after the test summary."""
    try:
        from tests.test_notebooks import TIMES
    except ImportError:
        import sys

        module = next((m for n, m in sys.modules.items() if n.endswith("test_notebooks")), None)
        TIMES = getattr(module, "TIMES", {})
    if TIMES:
        terminalreporter.section("notebook run times (ci=True)")
        for name, seconds in sorted(TIMES.items()):
            terminalreporter.write_line(f"{seconds:7.1f} s  {name}")
        terminalreporter.write_line(f"{sum(TIMES.values()):7.1f} s  total (kernel time, two at a time)")
