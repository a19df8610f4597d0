"""``teleradlab doctor``: is this machine ready for teleradlab?

Reports Python and package versions, which image codecs are usable, whether the
project's Jupyter kernel is registered (and points at this interpreter), and which
optional extras are present. Each missing requirement is one line saying what to do.

The default check is quick (well under a second once the codecs are loaded): a
required package counts as present when its distribution is installed and its module
is found on disk, without importing it — importing JupyterLab alone takes seconds
(its server's JSON-schema validators compile a grammar on import). Modules the
running process has already imported count as imported. ``deep=True``
(``teleradlab doctor --deep``) imports every package, which also catches an
installed package that fails on import; the report says which of the two was done.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata as md
import importlib.util
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from teleradlab.nbtools import KERNEL_NAME

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

MIN_PYTHON = (3, 11)


@dataclass
class Report:
    """What doctor found: ``info`` lines to show, ``problems`` to fix.

    ``deep`` records whether every package was imported (True) or located on disk
    without importing the ones not yet loaded (False); ``seconds`` is how long the
    checks took.
    """

    info: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    deep: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when nothing required is missing."""
        return not self.problems


def module_status(module: str, *, deep: bool = False) -> str | None:
    """Whether ``module`` can be used here: None when it can, else why not (an exception's class name).

    Parameters
    ----------
    module : str
        A top-level import name, e.g. ``"pydicom"``.
    deep : bool
        Import it (catching a package that is installed but fails on import). By
        default a module not yet imported is only located on disk (no code runs).

    Returns
    -------
    str or None

    Examples
    --------
    >>> module_status("json") is None, module_status("no_such_module_xyz")
    (True, 'ModuleNotFoundError')
    """
    if module in sys.modules and sys.modules[module] is not None:
        return None
    if deep:
        try:
            importlib.import_module(module)
        except Exception as exc:  # noqa: BLE001 - any failure to import is the finding
            return exc.__class__.__name__
        return None
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError) as exc:
        return exc.__class__.__name__
    if spec is None or (spec.origin is None and not spec.submodule_search_locations):
        return "ModuleNotFoundError"
    return None


def kernel_spec_path(name: str | None = None) -> Path | None:
    """Return the folder of the kernelspec ``name`` (default ``teleradlab``) that Jupyter would use, or None."""
    name = name or KERNEL_NAME
    try:
        from jupyter_client.kernelspec import KernelSpecManager
    except ImportError:
        return None
    # find_kernel_specs, unlike get_kernel_spec, also lists a spec whose provisioner is
    # missing (check_kernel says so rather than calling the kernel unregistered)
    found = KernelSpecManager().find_kernel_specs().get(name.lower())
    return Path(found) if found else None


def check_kernel(report: Report) -> None:
    """Check that the ``teleradlab`` kernel exists, runs this interpreter and can start its provisioner."""
    name = KERNEL_NAME
    path = kernel_spec_path(name)
    if path is None:
        report.problems.append(
            f"Jupyter kernel '{name}' is not registered: run "
            f"`{sys.executable} -m teleradlab.kernel install` (or `make install`)"
        )
        return
    spec = json.loads((path / "kernel.json").read_text())
    argv = spec["argv"]
    if Path(argv[0]).absolute().parent != Path(sys.executable).absolute().parent:
        report.problems.append(
            f"Jupyter kernel '{name}' at {path} runs {argv[0]}, not this interpreter "
            f"({sys.executable}): re-register it with `make install`"
        )
        return
    provisioner = spec.get("metadata", {}).get("kernel_provisioner", {}).get("provisioner_name")
    if provisioner:
        known = {ep.name for ep in md.entry_points(group="jupyter_client.kernel_provisioners")}
        if provisioner not in known:
            report.problems.append(
                f"Jupyter kernel '{name}' at {path} asks for the kernel provisioner '{provisioner}', which is "
                f"not installed: reinstall teleradlab (`make install`)"
            )
            return
    report.info.append(f"kernel {name}: {path}" + (
        f" (provisioner {provisioner})" if provisioner else
        " (on TCP, so kernels warn 'running over TCP without encryption': `python -m teleradlab.kernel install` "
        "re-registers it on UNIX sockets)"))


def check_codecs(report: Report) -> None:
    """List the DICOM compression codecs usable here."""
    try:
        from teleradlab.compression import codecs
    except ImportError:
        report.info.append("codecs: teleradlab.compression not available in this installation")
        return
    usable: list[str] = []
    missing: list[str] = []
    for codec in codecs(available_only=False):
        (usable if codec.is_available() else missing).append(codec.name)
    report.info.append("codecs usable: " + (", ".join(usable) or "none"))
    if missing:
        report.info.append("codecs unavailable: " + ", ".join(missing))


def diagnose(*, deep: bool = False) -> Report:
    """Run every check and return the :class:`Report`.

    Parameters
    ----------
    deep : bool
        Import every required and optional package instead of locating the ones not
        yet imported on disk. Slower (seconds: JupyterLab's import dominates); also
        catches packages that are installed but fail on import.

    Returns
    -------
    Report
        Its first ``info`` line after Python's says which kind of check ran.

    Examples
    --------
    >>> report = diagnose()
    >>> report.deep, any(line.startswith("checks:") for line in report.info)
    (False, True)
    """
    start = time.perf_counter()
    report = Report(deep=deep)
    py = sys.version_info
    report.info.append(f"python {py.major}.{py.minor}.{py.micro} at {sys.executable}")
    if (py.major, py.minor) < MIN_PYTHON:
        report.problems.append(
            f"Python {py.major}.{py.minor} is too old: teleradlab needs {'.'.join(map(str, MIN_PYTHON))} or newer"
        )
    loaded = sum(module in sys.modules for _, module in REQUIRED)
    report.info.append(
        "checks: deep (every package imported)" if deep else
        f"checks: quick ({loaded} of {len(REQUIRED)} required packages already imported, the others located "
        "on disk without importing them; `teleradlab doctor --deep` imports each)"
    )
    for dist, module in REQUIRED:
        why = module_status(module, deep=deep)
        if why is None:
            try:
                report.info.append(f"{dist} {md.version(dist)}")
                continue
            except md.PackageNotFoundError:
                why = "PackageNotFoundError"
        report.problems.append(f"{dist} is missing or broken ({why}): run `make install`")
    check_codecs(report)
    check_kernel(report)
    for label, module, how in OPTIONAL:
        present = module_status(module, deep=deep) is None
        report.info.append(f"optional {label}: " + ("present" if present else f"absent ({how})"))
    report.seconds = time.perf_counter() - start
    return report


def _run(args: argparse.Namespace | None) -> int:
    from teleradlab import __version__

    report = diagnose(deep=bool(getattr(args, "deep", False)))
    print(f"teleradlab {__version__}")
    for line in report.info:
        print(f"  {line}")
    for line in report.problems:
        print(f"MISSING: {line}", file=sys.stderr)
    if report.ok:
        print(f"all requirements met ({report.seconds:.1f} s)")
    return 0 if report.ok else 1


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``doctor`` subcommand."""
    p = subparsers.add_parser("doctor", help="check that this machine has what teleradlab needs")
    p.add_argument("--deep", action="store_true",
                   help="import every package (seconds; also catches packages that fail on import)")
    p.set_defaults(func=_run)
