"""Notebook targets: parameters checked against the parameters cell; record() values come back."""

from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest

from teleradlab import sweep
from teleradlab.errors import ParameterError
from teleradlab.sweep.record import record, recorded


def make_notebook(path) -> None:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("ci = False\nrho = 0.5\nlabel = 'x'\nseed = 0")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(
        "import teleradlab\nteleradlab.record('double_rho', rho * 2)\nteleradlab.record('label', label)\n"
        "teleradlab.record('seed_seen', seed)")]
    nb.metadata["kernelspec"] = {"name": "teleradlab", "display_name": "Python (teleradlab)", "language": "python"}
    nbformat.write(nb, path)


@pytest.mark.timeout(300)
def test_notebook_sweep_records_and_keeps_executed_notebooks(tmp_path) -> None:
    nb = tmp_path / "exp.ipynb"
    make_notebook(nb)
    df = sweep.run({"target": str(nb), "space": {"grid": {"rho": [0.25, 0.5]}}, "fixed": {"label": "hi"}},
                   out=tmp_path / "out", workers=2)
    assert list(df.status) == ["ok", "ok"], df.error.tolist()
    assert list(df.double_rho) == [0.5, 1.0] and list(df.label) == ["hi", "hi"]
    assert list(df.seed_seen) == list(df.seed)
    kept = sorted((tmp_path / "out" / "notebooks").glob("*.ipynb"))
    assert len(kept) == 2 and all((p.with_suffix(".record.json")).exists() for p in kept)


def test_unknown_and_mistyped_parameters_refused_before_running(tmp_path) -> None:
    nb = tmp_path / "exp.ipynb"
    make_notebook(nb)
    with pytest.raises(ParameterError, match="has no parameter 'colour'"):
        sweep.run({"target": str(nb), "space": {"list": [{"colour": 1}]}}, out=tmp_path / "a")
    with pytest.raises(ParameterError, match="notebook's default is float"):
        sweep.run({"target": str(nb), "space": {"list": [{"rho": "high"}]}}, out=tmp_path / "b")
    assert not (tmp_path / "a" / "runs").exists() and not (tmp_path / "b" / "runs").exists()


def test_record_outside_a_sweep_and_bad_values() -> None:
    record("answer", 42)
    assert recorded()["answer"] == 42
    with pytest.raises(ParameterError):
        record("bad", [1, 2])


def test_cli_sweep(tmp_path) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text("target: queue_check\nfixed: {days: 2}\nspace: {list: [{c: 1, rho: 0.5}, {c: 2, rho: 0.6}]}\n")
    r = subprocess.run([sys.executable, "-m", "teleradlab.cli", "sweep", str(spec), "--out", str(tmp_path / "o"),
                        "--workers", "1"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "2 runs, 0 failed" in r.stdout
    bad = subprocess.run([sys.executable, "-m", "teleradlab.cli", "sweep", str(spec), "--out", str(tmp_path / "o2"),
                          "--scheduler", "tcp://127.0.0.1:1"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "127.0.0.1:1" in bad.stderr
