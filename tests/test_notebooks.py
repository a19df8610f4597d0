"""Execute the whole curriculum through papermill in CI mode (ci=True), as CI does.

All notebooks run once per session, two kernels at a time, through the same runner
as ``make run``; each test then checks one notebook's record. Run times are printed
in the terminal summary.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from teleradlab import runner

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
MAX_OUTPUT_LINES = 100
TIMES: dict[str, float] = {}


@pytest.fixture(scope="session")
def executed(tmp_path_factory) -> dict[str, tuple[runner.NotebookRun, Path]]:
    build = tmp_path_factory.mktemp("build")
    runs = runner.run_notebooks(NOTEBOOKS, build, parameters={"ci": True}, workers=2)
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
