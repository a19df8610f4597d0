"""Self-checks for trainees: right or wrong, with a hint, never the solution.

Each exercise in the curriculum has a name, a way to compute its expected answer
(from teleradlab itself wherever a computation belongs), a tolerance and a hint. A
trainee calls :func:`check` with their answer::

    check("welcome.transfer_minutes", my_minutes)

In the committed (student) notebooks, the cells a trainee must fill are tagged
``exercise`` with the metadata ``exercise: <name>`` and call :func:`unfilled`, which
raises ``NotImplementedError`` — so JupyterLab's "Run all" stops at the first
exercise not yet filled in. In a headless run with ``ci=True`` (the README's
papermill example) :func:`unfilled` instead runs the exercise's solution, printing a
note that it did. The solutions live beside the notebooks in
``notebooks/solutions/<notebook>.py``; :func:`solutions_copy` writes a copy of a
notebook with those cells completed, which is what ``make run`` and CI execute
(``teleradlab run NOTEBOOK --solutions`` for one notebook).
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from teleradlab.errors import NotebookError, ParameterError
from teleradlab.files import atomic_write_text

#: When set (teleradlab's runner sets it for solutions runs), a wrong answer raises.
STRICT_ENV = "TELERADLAB_STRICT_EXERCISES"


@dataclass(frozen=True)
class Exercise:
    """One self-checked exercise.

    Attributes
    ----------
    name : str
        ``<notebook topic>.<short name>``.
    expected : callable
        Returns the expected answer (computed, not stored).
    hint : str
        Shown when the answer is wrong; it must not give the answer away.
    rel_tol, abs_tol : float
        Tolerances for numeric answers.
    """

    name: str
    expected: Callable[[], Any]
    hint: str
    rel_tol: float = 0.01
    abs_tol: float = 0.0


_REGISTRY: dict[str, Exercise] = {}


def register(exercise: Exercise) -> Exercise:
    """Add an exercise to the registry (names are unique)."""
    if exercise.name in _REGISTRY:
        raise ParameterError(f"exercise {exercise.name!r} is registered twice", where="exercises")
    _REGISTRY[exercise.name] = exercise
    return exercise


def names() -> list[str]:
    """Return the names of all registered exercises."""
    return sorted(_REGISTRY)


def _transfer_minutes() -> float:
    images, mb_per_image, mbps = 400, 0.5, 10.0
    return images * mb_per_image * 8 / mbps / 60


register(Exercise(
    "welcome.transfer_minutes", _transfer_minutes,
    "Megabytes to megabits is x8; divide by the bandwidth in Mbit/s for seconds; then seconds to minutes.",
))


def _matches(answer: Any, expected: Any, ex: Exercise) -> bool:
    if isinstance(expected, bool) or isinstance(answer, bool):
        return answer is expected or answer == expected
    if isinstance(expected, int | float) and isinstance(answer, int | float):
        return math.isclose(float(answer), float(expected), rel_tol=ex.rel_tol, abs_tol=ex.abs_tol)
    if isinstance(expected, str) and isinstance(answer, str):
        return answer.strip().lower() == expected.strip().lower()
    if isinstance(expected, list | tuple | set | frozenset):
        try:
            return len(answer) == len(expected) and all(
                _matches(a, e, ex) for a, e in zip(sorted(answer), sorted(expected), strict=True))
        except TypeError:
            return False
    return answer == expected


def check(name: str, answer: Any) -> bool:
    """Tell a trainee whether ``answer`` to exercise ``name`` is right.

    Parameters
    ----------
    name : str
        The exercise's name, as given in the notebook.
    answer : object
        The trainee's answer.

    Returns
    -------
    bool
        True when right. Prints one line of feedback: a confirmation, or the hint.
        The expected answer is never shown.

    Raises
    ------
    ParameterError
        If no exercise has that name.
    AssertionError
        If the answer is wrong and the environment variable
        ``TELERADLAB_STRICT_EXERCISES`` is set (solutions runs in CI).

    Examples
    --------
    >>> check("welcome.transfer_minutes", 1.0)
    Not yet. Hint: Megabytes to megabits is x8; divide by the bandwidth in Mbit/s for seconds; then seconds to minutes.
    False
    """
    if name not in _REGISTRY:
        raise ParameterError(f"no exercise named {name!r}; known: {', '.join(names())}", where="check")
    ex = _REGISTRY[name]
    ok = answer is not None and answer is not Ellipsis and _matches(answer, ex.expected(), ex)
    print("Correct." if ok else f"Not yet. Hint: {ex.hint}")
    if not ok and os.environ.get(STRICT_ENV):
        raise AssertionError(f"exercise {name}: the solution does not pass its check")
    return ok


def unfilled(name: str, task: str, *, ci: bool = False) -> None:
    """Stand in for a trainee's answer to exercise ``name`` until they write it.

    Parameters
    ----------
    name : str
        The exercise's registered name.
    task : str
        What the trainee must do, e.g. ``"Exercise 1: set answer_minutes"``.
    ci : bool
        The notebook's ``ci`` parameter. When true (a headless run such as
        ``papermill ... -p ci True``), the exercise's solution from
        ``notebooks/solutions/`` runs in the caller's namespace instead, with a
        printed note saying so, and the notebook carries on.

    Raises
    ------
    NotImplementedError
        When ``ci`` is false: the exercise is not done yet (this is where
        "Run all" stops).
    ParameterError
        If no exercise has that name.
    NotebookError
        In ``ci`` mode, if no solutions file holds the exercise.
    """
    import sys

    if name not in _REGISTRY:
        raise ParameterError(f"no exercise named {name!r}; known: {', '.join(names())}", where="unfilled")
    if not ci:
        raise NotImplementedError(f"{task} — replace this cell's code with yours, then run it and the check below")
    source, code = _solution_of(name)
    print(f"[ci run] {task} is not filled in; running its solution from {source.name} instead.")
    caller = sys._getframe(1).f_globals
    exec(compile(code, f"<solution {name}>", "exec"), caller)  # the project's own solutions file, never user input


def _solution_of(name: str) -> tuple[Path, str]:
    from teleradlab.datasets import notebooks_dir

    folder = notebooks_dir() / "solutions"
    for f in sorted(folder.glob("*.py")):
        solutions = load_solutions(f)
        if name in solutions:
            return f, solutions[name]
    raise NotebookError(f"no solution for exercise {name!r}", where=str(folder))


_SOLUTION_HEADER = re.compile(r"^# %% exercise:\s*(\S+)\s*$", re.MULTILINE)


def load_solutions(path: str | Path) -> dict[str, str]:
    """Read a solutions file: sections headed ``# %% exercise: <name>``.

    Returns
    -------
    dict
        Exercise name → the code that completes its cell.
    """
    text = Path(path).read_text(encoding="utf-8")
    parts = _SOLUTION_HEADER.split(text)
    return {parts[i]: parts[i + 1].strip("\n") + "\n" for i in range(1, len(parts), 2)}


def exercise_cells(nb: dict) -> dict[str, dict]:
    """Return the exercise cells of a notebook by exercise name."""
    cells = {}
    for cell in nb.get("cells", []):
        meta = cell.get("metadata", {})
        if cell.get("cell_type") == "code" and "exercise" in meta.get("tags", []):
            name = meta.get("exercise")
            if not name:
                raise NotebookError("an exercise cell lacks its 'exercise' name in metadata")
            cells[name] = cell
    return cells


def solutions_path(notebook: str | Path) -> Path:
    """Where the solutions of ``notebook`` live: ``solutions/<stem>.py`` beside it."""
    notebook = Path(notebook)
    return notebook.parent / "solutions" / f"{notebook.stem}.py"


def solutions_copy(notebook: str | Path, out: str | Path) -> Path:
    """Write a copy of ``notebook`` whose exercise cells hold their solutions.

    Parameters
    ----------
    notebook : path-like
        A student notebook.
    out : path-like
        Where to write the completed copy.

    Returns
    -------
    Path
        ``out``. A notebook without exercises is copied unchanged.

    Raises
    ------
    NotebookError
        If an exercise cell has no solution, or a solution no cell.
    """
    notebook = Path(notebook)
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    cells = exercise_cells(nb)
    sol_file = solutions_path(notebook)
    solutions = load_solutions(sol_file) if sol_file.exists() else {}
    missing = sorted(set(cells) - set(solutions))
    extra = sorted(set(solutions) - set(cells))
    if missing:
        raise NotebookError(f"exercise cells without a solution: {', '.join(missing)}", where=str(sol_file))
    if extra:
        raise NotebookError(f"solutions without an exercise cell: {', '.join(extra)}", where=str(sol_file))
    for name, cell in cells.items():
        cell["source"] = solutions[name]
    return atomic_write_text(out, json.dumps(nb, indent=1, ensure_ascii=False) + "\n")


def _hu_of_stored() -> float:
    from pydicom import Dataset

    from teleradlab.imaging.display import apply_modality_lut

    ds = Dataset()
    ds.RescaleSlope, ds.RescaleIntercept = 1, -1024
    return float(apply_modality_lut(np.array([1064]), ds)[0])


def _lung_window_lowest_hu() -> float:
    from teleradlab.imaging.display import WINDOW_PRESETS

    centre, width = WINDOW_PRESETS["lung"]
    return centre - width / 2


register(Exercise(
    "dicom.hu_of_stored", _hu_of_stored,
    "The Modality LUT is linear: HU = stored value x Rescale Slope + Rescale Intercept.", abs_tol=0.5,
))
register(Exercise(
    "dicom.lung_window_lowest_hu", _lung_window_lowest_hu,
    "A window spans width/2 on either side of its centre; look the lung preset up in WINDOW_PRESETS.", abs_tol=1,
))


def _rural_transfer_minutes() -> float:
    from teleradlab.network import load_scenario

    link = load_scenario("two_hospitals_one_hub").link("rural-clinic", "hub")
    assert link is not None  # the packaged scenario links the rural clinic to the hub
    return link.transfer_minutes(2 * 10_485_760 / 20, images=2)


def _mmc_wait_three() -> float:
    from teleradlab.network import theory

    return theory.mmc_wait(3, 0.25, 0.1)


register(Exercise(
    "network.rural_transfer_minutes", _rural_transfer_minutes,
    "Bytes sent are the raw bytes divided by the compression ratio; give Link.transfer_minutes the number of "
    "instances too (images=2): each costs a round trip.",
    rel_tol=0.001,
))
register(Exercise(
    "latency.mmc_wait", _mmc_wait_three,
    "teleradlab.network.theory has the Erlang C formulas; rates are per minute (mean reading 10 min means mu = 0.1).",
))


def _psnr_trap_db() -> float:
    return float(20 * np.log10(65535 / 4095))


def _car_ct_chest_ratio() -> float:
    from teleradlab.quality import guidelines

    t = guidelines.check("CT", "chest", 2)
    return float(t.set_index("guideline").loc["CAR", "max_ratio"])


def _auc_of_dprime() -> float:
    from teleradlab.quality import auc_from_dprime

    return auc_from_dprime(1.5)


register(Exercise(
    "compression.psnr_trap_db", _psnr_trap_db,
    "PSNR = 10 log10(range^2 / MSE): with the same MSE, how much does changing the range from 2^12-1 to 2^16-1 add?",
    rel_tol=0.01,
))
register(Exercise(
    "compression.car_ct_chest", _car_ct_chest_ratio,
    "Look the CAR 2008 row for CT chest up with teleradlab.quality.guidelines.check.", abs_tol=0.01,
))
register(Exercise(
    "quality.auc_of_dprime", _auc_of_dprime,
    "For equal-variance Gaussian scores AUC = Phi(d'/sqrt(2)); scipy.stats.norm.cdf is Phi.", abs_tol=0.002,
))
