"""Where the course's data lives, found through the package — never through ``../``.

The tracked data (``scenarios/``, ``reference/``) sits in the repository's
``datasets/`` folder. This module finds it wherever a notebook or script runs::

    from teleradlab import datasets
    datasets.path("scenarios/two_hospitals_one_hub.yaml")
    datasets.scenario("two_hospitals_one_hub")          # the same file, by name

Search order (the first folder that exists wins):

1. ``$TELERADLAB_DATASETS`` when set (it must then exist: a typo is an error, not a
   silent fallback);
2. the ``datasets/`` folder of the source checkout the package was imported from
   (an editable install, ``pip install -e .``, which ``make`` does);
3. the copy that a regular install (``pip install .``, a wheel) puts in
   ``<prefix>/share/teleradlab/datasets`` (``[tool.setuptools.data-files]`` in
   ``pyproject.toml``).

Notebooks live only in a checkout; :func:`notebook` finds them the same way.
"""

from __future__ import annotations

import os
import site
import sys
import sysconfig
from importlib import resources
from pathlib import Path

from teleradlab.errors import EnvironmentProblem, ParameterError

#: Environment variable naming a datasets folder to use instead of the bundled one.
ENV = "TELERADLAB_DATASETS"


def _package_dir() -> Path:
    """The folder the package was imported from, as :mod:`importlib.resources` reports it."""
    pkg = resources.files("teleradlab")
    # a checkout or a regular install is a real folder; a zipped package has no checkout around it
    return Path(os.fspath(pkg)).resolve() if isinstance(pkg, os.PathLike) else Path(str(pkg))


_PACKAGE_DIR = _package_dir()
_CHECKOUT = _PACKAGE_DIR.parent
_SHARE = Path("share") / "teleradlab" / "datasets"


def _candidates() -> list[Path]:
    prefixes = [sys.prefix, sysconfig.get_paths().get("data", sys.prefix), getattr(site, "USER_BASE", None) or ""]
    return [_CHECKOUT / "datasets"] + [Path(p) / _SHARE for p in dict.fromkeys(prefixes) if p]


def root() -> Path:
    """Return the datasets folder in use.

    Returns
    -------
    Path
        An existing folder holding ``scenarios/`` and ``reference/``.

    Raises
    ------
    EnvironmentProblem
        If ``$TELERADLAB_DATASETS`` names a missing folder, or no bundled copy is
        installed (the message lists every place searched).
    """
    override = os.environ.get(ENV)
    if override:
        p = Path(override).expanduser()
        if not p.is_dir():
            raise EnvironmentProblem("no such folder", where=f"${ENV}={override}")
        return p.resolve()
    for candidate in _candidates():
        if (candidate / "scenarios").is_dir():
            return candidate
    searched = ", ".join(str(c) for c in _candidates())
    raise EnvironmentProblem(f"the course's datasets are not installed (searched {searched}); "
                             f"reinstall teleradlab or set ${ENV}")


def path(relative: str | os.PathLike[str], *, must_exist: bool = True) -> Path:
    """Return the absolute path of a file or folder inside the datasets folder.

    Parameters
    ----------
    relative : path-like
        Relative to the datasets folder, e.g. ``"scenarios/siberia_hub_spoke.yaml"``
        or ``"reference/operations_defaults.csv"``.
    must_exist : bool
        Raise when the path does not exist (default).

    Returns
    -------
    Path

    Raises
    ------
    ParameterError
        If ``relative`` is absolute or climbs out of the folder, or (with
        ``must_exist``) names nothing there; the message lists what the folder holds.

    Examples
    --------
    >>> path("scenarios/two_hospitals_one_hub.yaml").name
    'two_hospitals_one_hub.yaml'
    """
    rel = Path(relative)
    if rel.is_absolute() or ".." in rel.parts:
        raise ParameterError("must be relative to the datasets folder, without '..'", where=f"path({str(relative)!r})")
    base = root()
    target = base / rel
    if must_exist and not target.exists():
        parent = target.parent if target.parent.is_dir() else base
        present = sorted(p.name for p in parent.iterdir() if not p.name.startswith("."))
        raise ParameterError(f"not in {parent}; it holds: {', '.join(present)}", where=f"path({str(relative)!r})")
    return target


def checkout_file(*parts: str) -> Path | None:
    """Return a file of the source checkout's ``datasets/`` folder, if the package runs from a checkout.

    For data that also ships inside the package (``teleradlab/data/``): the
    checkout's copy is the one a contributor edits, so it wins when present.

    Parameters
    ----------
    *parts : str
        Path components below ``datasets/``, e.g. ``"reference", "compression_guidelines.csv"``.

    Returns
    -------
    Path or None
        The file, or ``None`` when there is no checkout or it has no such file.
    """
    target = _CHECKOUT.joinpath("datasets", *parts)
    return target if target.is_file() else None


def scenario_names() -> list[str]:
    """Return the names of the bundled network scenarios (file stems in ``scenarios/``)."""
    return sorted(p.stem for p in (root() / "scenarios").glob("*.yaml"))


def scenario(name: str) -> Path:
    """Return the file of a bundled scenario given its name (``.yaml`` optional).

    Raises
    ------
    ParameterError
        If no bundled scenario has that name; the message lists those that exist.

    Examples
    --------
    >>> scenario("siberia_hub_spoke").name
    'siberia_hub_spoke.yaml'
    """
    stem = name[:-5] if name.endswith(".yaml") else name
    target = root() / "scenarios" / f"{stem}.yaml"
    if "/" in stem or os.sep in stem or not target.is_file():
        raise ParameterError(f"no bundled scenario of that name; known: {', '.join(scenario_names())}",
                             where=f"scenario({name!r})")
    return target


def notebooks_dir() -> Path:
    """Return the course's ``notebooks/`` folder.

    The notebooks are not installed with the package; they are found in the
    checkout the package was imported from, else in ``notebooks/`` under the
    current folder or one of its parents.

    Raises
    ------
    EnvironmentProblem
        If none of those places holds the course.
    """
    places = [_CHECKOUT / "notebooks"] + [d / "notebooks" for d in (Path.cwd(), *Path.cwd().parents)]
    for folder in places:
        if (folder / "solutions").is_dir() and any(folder.glob("00_*.ipynb")):
            return folder
    raise EnvironmentProblem(f"no teleradlab course checkout found (looked in {places[0]} and ./notebooks upwards)")


def notebook(name: str) -> Path:
    """Return the path of a course notebook, e.g. ``notebook("00_welcome.ipynb")``.

    Raises
    ------
    EnvironmentProblem
        If the course is not found (see :func:`notebooks_dir`) or has no such notebook.
    """
    target = notebooks_dir() / name
    if not target.is_file():
        known = ", ".join(sorted(p.name for p in notebooks_dir().glob("*.ipynb")))
        raise EnvironmentProblem(f"no notebook {name!r}; the course has: {known}")
    return target


#: Environment variable naming a folder for notebook results instead of ``<checkout>/results``.
RESULTS_ENV = "TELERADLAB_RESULTS"


def results_dir(notebook: str, *, fresh: bool = False) -> Path:
    """Return (and create) the folder where a notebook writes its results.

    ``results/<notebook>/`` at the root of the checkout (git-ignored), so a trainee
    finds the files after the notebook has run; without a checkout,
    ``./results/<notebook>``; ``$TELERADLAB_RESULTS/<notebook>`` when that is set
    (the tests set it to a temporary folder).

    Parameters
    ----------
    notebook : str
        The notebook's name without extension, e.g. ``"07_parameter_sweeps"``.
    fresh : bool
        Empty the folder first, so a re-run does not meet its earlier results.

    Returns
    -------
    Path
        The folder, absolute.

    Raises
    ------
    ParameterError
        If ``notebook`` is not a plain name.
    """
    import shutil

    if not notebook or "/" in notebook or os.sep in notebook or notebook.startswith("."):
        raise ParameterError("must be a plain notebook name such as '07_parameter_sweeps'", where="results_dir")
    override = os.environ.get(RESULTS_ENV)
    if override:
        base = Path(override).expanduser()
    elif (_CHECKOUT / "notebooks").is_dir() and (_CHECKOUT / "datasets").is_dir():
        base = _CHECKOUT / "results"
    else:
        base = Path.cwd() / "results"
    folder = (base / notebook).resolve()
    if fresh:
        shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
