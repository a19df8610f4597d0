"""``teleradlab doctor``: is this machine ready for teleradlab?

Reports Python and package versions, which image codecs are usable, whether the
project's Jupyter kernel is registered (and points at this interpreter), and which
optional extras are present. Each missing requirement is one line saying what to do.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata as md
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

#: (distribution name, import name) of every runtime requirement.
REQUIRED: tuple[tuple[str, str], ...] = (
    ("jupyterlab", "jupyterlab"),
    ("ipywidgets", "ipywidgets"),
    ("ipykernel", "ipykernel"),
    ("pydicom", "pydicom"),
    ("numpy", "numpy"),
    ("scipy", "scipy"),
    ("scikit-image", "skimage"),
    ("papermill", "papermill"),
    ("nbconvert", "nbconvert"),
    ("matplotlib", "matplotlib"),
    ("pandas", "pandas"),
    ("pyarrow", "pyarrow"),
    ("pyyaml", "yaml"),
    ("tqdm", "tqdm"),
    ("imagecodecs", "imagecodecs"),
    ("pylibjpeg", "pylibjpeg"),
    ("pylibjpeg-openjpeg", "openjpeg"),
    ("pylibjpeg-libjpeg", "libjpeg"),
    ("pyjpegls", "jpeg_ls"),
    ("numba", "numba"),
)

#: Optional extras: (label, import name, how to get it).
OPTIONAL: tuple[tuple[str, str, str], ...] = (
    ("dask (distributed sweeps)", "distributed", 'pip install -e ".[dask]"'),
    ("itkwidgets (3-D viewer backend)", "itkwidgets", 'pip install -e ".[itk]"'),
)

KERNEL_NAME = "teleradlab"
MIN_PYTHON = (3, 11)


@dataclass
class Report:
    """What doctor found: ``info`` lines to show, ``problems`` to fix."""

    info: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing required is missing."""
        return not self.problems


def kernel_spec_path(name: str | None = None) -> Path | None:
    """Return the folder of the kernelspec ``name`` (default ``teleradlab``) that Jupyter would use, or None."""
    name = name or KERNEL_NAME
    try:
        from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    except ImportError:
        return None
    try:
        return Path(KernelSpecManager().get_kernel_spec(name).resource_dir)
    except NoSuchKernel:
        return None


def check_kernel(report: Report) -> None:
    """Check that the ``teleradlab`` kernel exists and runs this interpreter."""
    name = KERNEL_NAME
    path = kernel_spec_path(name)
    if path is None:
        report.problems.append(
            f"Jupyter kernel '{name}' is not registered: run "
            f"`{sys.executable} -m ipykernel install --sys-prefix --name {name}` (or `make install`)"
        )
        return
    argv = json.loads((path / "kernel.json").read_text())["argv"]
    if Path(argv[0]).absolute().parent != Path(sys.executable).absolute().parent:
        report.problems.append(
            f"Jupyter kernel '{name}' at {path} runs {argv[0]}, not this interpreter "
            f"({sys.executable}): re-register it with `make install`"
        )
    else:
        report.info.append(f"kernel {name}: {path}")


def check_codecs(report: Report) -> None:
    """List the DICOM compression codecs usable here."""
    try:
        from teleradlab.compression import codecs
    except ImportError:
        report.info.append("codecs: teleradlab.compression not available in this installation")
        return
    usable, missing = [], []
    for codec in codecs(available_only=False):
        (usable if codec.is_available() else missing).append(codec.name)
    report.info.append("codecs usable: " + (", ".join(usable) or "none"))
    if missing:
        report.info.append("codecs unavailable: " + ", ".join(missing))


def diagnose() -> Report:
    """Run every check and return the :class:`Report`."""
    report = Report()
    py = sys.version_info
    report.info.append(f"python {py.major}.{py.minor}.{py.micro} at {sys.executable}")
    if (py.major, py.minor) < MIN_PYTHON:
        report.problems.append(
            f"Python {py.major}.{py.minor} is too old: teleradlab needs {'.'.join(map(str, MIN_PYTHON))} or newer"
        )
    for dist, module in REQUIRED:
        try:
            importlib.import_module(module)
            report.info.append(f"{dist} {md.version(dist)}")
        except Exception as exc:  # noqa: BLE001 - any failure to import is the finding
            report.problems.append(f"{dist} is missing or broken ({exc.__class__.__name__}): run `make install`")
    check_codecs(report)
    check_kernel(report)
    for label, module, how in OPTIONAL:
        try:
            importlib.import_module(module)
            report.info.append(f"optional {label}: present")
        except Exception:  # noqa: BLE001
            report.info.append(f"optional {label}: absent ({how})")
    return report


def _run(args: argparse.Namespace) -> int:
    from teleradlab import __version__

    report = diagnose()
    print(f"teleradlab {__version__}")
    for line in report.info:
        print(f"  {line}")
    for line in report.problems:
        print(f"MISSING: {line}", file=sys.stderr)
    if report.ok:
        print("all requirements met")
    return 0 if report.ok else 1


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``doctor`` subcommand."""
    p = subparsers.add_parser("doctor", help="check that this machine has what teleradlab needs")
    p.set_defaults(func=_run)
