"""Committed notebooks carry no outputs and declare a `parameters` cell with ci = False."""

from pathlib import Path

import pytest

from teleradlab import nbtools

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))

pytestmark = pytest.mark.skipif(not NOTEBOOKS, reason="no notebooks")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_clean(path) -> None:
    assert nbtools.check(path) == []


def test_check_finds_dirty_notebooks(tmp_path) -> None:
    import nbformat

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x = 1", execution_count=3)
    cell.outputs = [nbformat.v4.new_output("stream", text="1")]
    nb.cells = [cell]
    path = tmp_path / "dirty.ipynb"
    nbformat.write(nb, path)
    problems = nbtools.check(path)
    assert any("has outputs" in p for p in problems)
    assert any("execution count" in p for p in problems)
    assert any("no cell tagged 'parameters'" in p for p in problems)
    assert any("kernelspec" in p for p in problems)
    assert nbtools.strip(path)
    assert not any("outputs" in p or "execution count" in p for p in nbtools.check(path))
