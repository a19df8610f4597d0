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


def test_normalise_adds_what_jupyterlab_would_add_on_opening(tmp_path) -> None:
    """JupyterLab writes the kernel's language_info on connecting; a notebook without it opens "modified"."""
    import json

    import nbformat
    from ipykernel.ipkernel import IPythonKernel

    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("ci = False")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_markdown_cell("text")]
    nb.metadata = {"kernelspec": {"name": "teleradlab", "display_name": "x", "language": "python"}}
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, path)
    raw = json.loads(path.read_text())
    del raw["cells"][1]["id"]  # as an old notebook might lack it
    raw["nbformat_minor"] = 4
    path.write_text(json.dumps(raw))
    problems = nbtools.check(path)
    assert any("no language_info" in p for p in problems)
    assert any("cells without an id" in p for p in problems) and any("4.5" in p for p in problems)
    sources = [c["source"] for c in raw["cells"]]
    assert nbtools.normalise(path)
    assert nbtools.check(path) == []
    after = json.loads(path.read_text())
    assert after["metadata"]["language_info"] == IPythonKernel.language_info  # what the kernel reports
    assert [c["source"] for c in after["cells"]] == sources  # nothing but metadata changed
    assert not nbtools.normalise(path)  # idempotent
