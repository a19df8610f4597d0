import json
from pathlib import Path

import nbformat
import pytest

from teleradlab import exercises
from teleradlab.errors import NotebookError, ParameterError

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))


def test_right_and_wrong_answers(capsys, monkeypatch) -> None:
    monkeypatch.delenv(exercises.STRICT_ENV, raising=False)
    assert exercises.check("welcome.transfer_minutes", 400 * 0.5 * 8 / 10 / 60)
    assert capsys.readouterr().out.strip() == "Correct."
    assert not exercises.check("welcome.transfer_minutes", 160.0)
    out = capsys.readouterr().out
    assert out.startswith("Not yet. Hint:") and "2.6" not in out  # never the solution


def test_strict_mode_raises_on_wrong(monkeypatch) -> None:
    monkeypatch.setenv(exercises.STRICT_ENV, "1")
    with pytest.raises(AssertionError):
        exercises.check("welcome.transfer_minutes", 1.0)


def test_unknown_exercise() -> None:
    with pytest.raises(ParameterError, match="no exercise named"):
        exercises.check("nope", 1)


def test_no_hint_reveals_an_expected_value() -> None:
    for name in exercises.names():
        ex = exercises._REGISTRY[name]
        expected = ex.expected()
        if isinstance(expected, float):
            assert f"{expected:.2f}" not in ex.hint, name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_student_cells_raise_and_solutions_complete_them(path: Path, tmp_path: Path) -> None:
    nb = json.loads(path.read_text())
    cells = exercises.exercise_cells(nb)
    for name, cell in cells.items():
        assert name in exercises.names(), f"{path.name}: exercise {name} is not registered"
        source = "".join(cell["source"])
        assert "raise NotImplementedError" in source or f'unfilled("{name}"' in source, \
            f"{path.name}: {name} is not a student cell"
    out = exercises.solutions_copy(path, tmp_path / path.name)
    solved = exercises.exercise_cells(json.loads(out.read_text()))
    assert all("NotImplementedError" not in c["source"] for c in solved.values())


def test_missing_solution_is_an_error(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("raise NotImplementedError")
    cell.metadata.update({"tags": ["exercise"], "exercise": "welcome.transfer_minutes"})
    nb.cells = [cell]
    nbformat.write(nb, tmp_path / "x.ipynb")
    with pytest.raises(NotebookError, match="without a solution"):
        exercises.solutions_copy(tmp_path / "x.ipynb", tmp_path / "out.ipynb")


def test_unfilled_stops_a_trainee_and_fills_in_a_ci_run(capsys, monkeypatch) -> None:
    monkeypatch.setenv(exercises.STRICT_ENV, "1")
    with pytest.raises(NotImplementedError, match="Exercise 1: set answer_minutes"):
        exercises.unfilled("welcome.transfer_minutes", "Exercise 1: set answer_minutes")
    namespace: dict = {}
    exec('from teleradlab.exercises import unfilled\n'
         'unfilled("welcome.transfer_minutes", "Exercise 1: set answer_minutes", ci=True)\n'
         'from teleradlab.exercises import check\n'
         'ok = check("welcome.transfer_minutes", answer_minutes)', namespace)
    assert namespace["ok"] and namespace["answer_minutes"] == pytest.approx(400 * 0.5 * 8 / 10 / 60)
    out = capsys.readouterr().out
    assert "[ci run] Exercise 1: set answer_minutes is not filled in; running its solution from 00_welcome.py" in out
    with pytest.raises(ParameterError, match="no exercise named"):
        exercises.unfilled("nope", "x", ci=True)
