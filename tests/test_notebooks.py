"""Execute the whole curriculum through papermill in CI mode (ci=True), as CI does — from anywhere.

All notebooks run once per session, two kernels at a time, through the same runner
as ``make run``, with an unrelated temporary folder as the kernels' working folder
(so a notebook that reaches its data through ``../`` fails); each test then checks
one notebook's record. Two student notebooks also run from the repository root
exactly as the README prints the command (``papermill notebooks/00_welcome.ipynb
out.ipynb -p ci True -k teleradlab``), unfilled exercises and all. Run times are
printed in the terminal summary.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from teleradlab import datasets, runner

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
#: Student versions run from the repository root by the README's command: the welcome
#: notebook it names, and one that loads a scenario and has an exercise.
FROM_ROOT = ["00_welcome", "04_network_builder"]
MAX_OUTPUT_LINES = 100
TIMES: dict[str, float] = {}


@pytest.fixture(scope="session")
def results_folder(tmp_path_factory) -> Path:
    """Notebook results go to a temporary folder, not the checkout's results/."""
    folder = tmp_path_factory.mktemp("results")
    saved = os.environ.get(datasets.RESULTS_ENV)
    os.environ[datasets.RESULTS_ENV] = str(folder)
    yield folder
    if saved is None:
        os.environ.pop(datasets.RESULTS_ENV, None)
    else:
        os.environ[datasets.RESULTS_ENV] = saved


@pytest.fixture(scope="session")
def executed(tmp_path_factory, results_folder) -> dict[str, tuple[runner.NotebookRun, Path]]:
    build = tmp_path_factory.mktemp("build")
    elsewhere = tmp_path_factory.mktemp("elsewhere")  # an unrelated working folder, no datasets/ near it
    runs = runner.run_notebooks(NOTEBOOKS, build, parameters={"ci": True}, workers=2, cwd=elsewhere)
    for r in runs:
        TIMES[r.name] = r.seconds
    return {r.name: (r, build) for r in runs}


def _text_lines(nb) -> tuple[int, list[str]]:
    lines, warnings = 0, []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                text = out.get("text", "")
                lines += text.count("\n")
                if out.get("name") == "stderr" or "Warning" in text:
                    warnings.append(text.strip()[:300])
            elif out.get("output_type") in ("display_data", "execute_result"):
                text = out.get("data", {}).get("text/plain", "")
                lines += max(1, text.count("\n") + 1) if "image/png" not in out.get("data", {}) else 1
    return lines, warnings


@pytest.mark.timeout(900)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_in_ci_mode(path: Path, executed) -> None:
    run, build = executed[path.stem]
    assert run.status == "ok", f"{path.name} failed: {run.error}"
    nb = nbformat.read(build / run.output, as_version=4)
    lines, warnings = _text_lines(nb)
    assert not warnings, f"{path.name} printed warnings: {warnings}"
    assert lines <= MAX_OUTPUT_LINES, f"{path.name} printed {lines} lines of output"


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize("name", FROM_ROOT)
def test_readme_papermill_command_from_the_repository_root(name: str, tmp_path, results_folder) -> None:
    """The student notebook, unfilled exercises included, runs from the root as the README prints it."""
    papermill = Path(sys.executable).with_name("papermill")
    out = tmp_path / "out.ipynb"
    env = dict(os.environ, JUPYTER_PATH=str(Path(sys.prefix) / "share" / "jupyter"))
    env.pop("TELERADLAB_STRICT_EXERCISES", None)  # as a trainee runs it
    done = subprocess.run([str(papermill), f"notebooks/{name}.ipynb", str(out), "-p", "ci", "True",
                           "-k", "teleradlab"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=800)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "without encryption" not in done.stderr  # the kernelspec's provisioner: UNIX sockets, not TCP
    nb = nbformat.read(out, as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "[ci run] Exercise 1" in text and "Correct." in text  # the exercise fell back, visibly
