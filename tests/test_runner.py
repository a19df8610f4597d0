"""The main job's notebook runner, and the guarantee that notebooks use the project's kernel."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest

from teleradlab import runner


def _notebook(path: Path, code: str) -> Path:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("ci = False")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(code)]
    nb.metadata["kernelspec"] = {"name": "teleradlab", "display_name": "Python (teleradlab)", "language": "python"}
    nbformat.write(nb, path)
    return path


def _hijacker(root: Path, name: str) -> None:
    """A user-level kernelspec of the given name that runs some other interpreter."""
    spec = root / "kernels" / name
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": ["/usr/bin/env", "python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "hijacker", "language": "python"}))


@pytest.mark.timeout(300)
def test_kernel_is_the_projects_even_with_user_kernelspecs(tmp_path, monkeypatch) -> None:
    home = tmp_path / "home"
    user_data = home / ".local" / "share" / "jupyter"
    for name in ("python3", "teleradlab"):
        _hijacker(user_data, name)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(user_data))
    src = _notebook(tmp_path / "where.ipynb",
                    "import sys, json\nprint(json.dumps([sys.executable, sys.prefix, ci]))")
    with runner.kernel_environment():
        run = runner.execute_notebook(src, tmp_path / "build", parameters={"ci": True})
    assert run.status == "ok", run.error
    out = nbformat.read(tmp_path / "build" / run.output, as_version=4)
    executable, prefix, ci = json.loads(out.cells[-1].outputs[0]["text"])
    assert prefix == sys.prefix
    assert Path(executable).parent == Path(sys.executable).parent
    assert ci is True


@pytest.mark.timeout(300)
def test_run_reports_failures_and_writes_index(tmp_path, capsys) -> None:
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    _notebook(nbs / "01_good.ipynb", ""
              "import matplotlib.pyplot as plt\nplt.plot([1, 2]); plt.show()\nprint('fine')")
    _notebook(nbs / "02_bad.ipynb", "raise ValueError('deliberate failure')")
    rc = runner.main_job(notebooks_dir=str(nbs), out_dir=str(tmp_path / "build"), ci=True, datasets=False)
    captured = capsys.readouterr()
    assert rc == 1
    assert "failed: 02_bad" in captured.err
    index = (tmp_path / "build" / "index.html").read_text()
    assert "01_good" in index and "02_bad" in index
    assert "deliberate failure" in index
    assert "data:image/png;base64," in index  # the good notebook's key figure
    summary = json.loads((tmp_path / "build" / "index.json").read_text())
    assert [r["status"] for r in summary["runs"]] == ["ok", "failed"]
    assert (tmp_path / "build" / "html" / "01_good.html").exists()
    assert (tmp_path / "build" / "notebooks" / "02_bad.ipynb").exists()  # failed runs are kept


@pytest.mark.slow  # 20-150 s on 2 shared cores (pytest --durations)
@pytest.mark.timeout(300)
def test_parallel_runs_with_relative_paths_each_in_its_notebook_folder(tmp_path, monkeypatch) -> None:
    """papermill changes the working directory while a notebook runs: parallel runs must not race on it."""
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    for k in range(6):  # short and long runs overlapping in every order
        _notebook(nbs / f"{k:02d}_cwd.ipynb", f"import os, time\ntime.sleep({0.1 if k % 2 else 2.0})\nprint(os.getcwd())")
    monkeypatch.chdir(tmp_path)
    rc = runner.main_job(notebooks_dir="nbs", out_dir="build", ci=True, datasets=False, workers=2)
    assert rc == 0
    assert Path.cwd() == tmp_path  # the caller's working directory is untouched
    assert not (nbs / "build").exists()  # nothing written relative to a notebook's folder
    for k in range(6):
        out = nbformat.read(tmp_path / "build" / "notebooks" / f"{k:02d}_cwd.ipynb", as_version=4)
        assert out.cells[-1].outputs[0]["text"].strip() == str(nbs)


def test_missing_folder_is_a_clear_error(tmp_path) -> None:
    from teleradlab.errors import NotebookError

    with pytest.raises(NotebookError, match="no notebooks found"):
        runner.find_notebooks(tmp_path)


@pytest.mark.slow  # 20-150 s on 2 shared cores (pytest --durations)
@pytest.mark.timeout(300)
def test_headless_kernels_use_ipc_and_print_no_tcp_warning(tmp_path) -> None:
    """ipykernel warns "running over TCP without encryption" on stderr for TCP kernels; ours use UNIX sockets."""
    import subprocess
    import textwrap

    src = _notebook(tmp_path / "01_x.ipynb", "import json\nfrom ipykernel.connect import get_connection_info\n"
                    "info = json.loads(get_connection_info())\nprint(json.dumps([info['transport'], info['ip']]))")
    script = textwrap.dedent(f"""
        from pathlib import Path
        from teleradlab import runner
        with runner.kernel_environment():
            r = runner.execute_notebook(Path({str(src)!r}), Path({str(tmp_path / 'build')!r}), cwd={str(tmp_path)!r})
        print(r.status, r.error)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=240)
    assert done.stdout.split()[:1] == ["ok"], done.stdout + done.stderr
    assert "without encryption" not in done.stderr
    out = nbformat.read(tmp_path / "build" / "notebooks" / "01_x.ipynb", as_version=4)
    transport, ip = json.loads(out.cells[-1].outputs[0]["text"])  # as the kernel itself was told
    assert transport == "ipc" and len(ip) < 90  # UNIX socket paths are limited to ~107 bytes
    assert not Path(ip).parent.exists()  # the sockets' folder went with the kernel


def test_a_kernelspec_without_the_provisioner_is_refused_before_starting(tmp_path, monkeypatch) -> None:
    """A kernelspec registered before the provisioner existed would run the kernel over TCP: say how to fix it."""
    from teleradlab.errors import NotebookError

    stale = tmp_path / "share" / "jupyter"
    spec = stale / "kernels" / "teleradlab"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python (teleradlab)", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(stale))  # found before the environment's own kernelspec
    src = _notebook(tmp_path / "01_x.ipynb", "print('ran')")
    with pytest.raises(NotebookError, match="could not start: .*on TCP.*teleradlab.kernel install"):
        runner.execute_notebook(src, tmp_path / "build")
    assert not (tmp_path / "build" / "notebooks" / "01_x.ipynb").exists()


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_run_one_notebook_with_its_solutions_from_the_cli(tmp_path, monkeypatch, capsys) -> None:
    """`teleradlab run NOTEBOOK --solutions` fills the exercise cells; `--student --ci` uses unfilled()'s fallback."""
    from teleradlab.cli import main

    nbs = tmp_path / "nbs"
    (nbs / "solutions").mkdir(parents=True)
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("ci = False")
    params.metadata["tags"] = ["parameters"]
    ex = nbformat.v4.new_code_cell('raise NotImplementedError("Exercise 1: set answer_minutes")')
    ex.metadata.update({"tags": ["exercise"], "exercise": "welcome.transfer_minutes"})
    nb.cells = [params, ex, nbformat.v4.new_code_cell(
        "from teleradlab.exercises import check\nassert check('welcome.transfer_minutes', answer_minutes)")]
    nb.metadata["kernelspec"] = {"name": "teleradlab", "display_name": "Python (teleradlab)", "language": "python"}
    nbformat.write(nb, nbs / "00_one.ipynb")
    (nbs / "solutions" / "00_one.py").write_text("# %% exercise: welcome.transfer_minutes\nanswer_minutes = 400 * 0.5 * 8 / 10 / 60\n")
    monkeypatch.chdir(tmp_path)
    assert main(["run", "nbs/00_one.ipynb", "--solutions", "--ci", "--no-datasets", "--out", "b1"]) == 0
    assert main(["run", "nbs/00_one.ipynb", "--student", "--ci", "--no-datasets", "--out", "b2"]) == 1
    assert "NotImplementedError" in capsys.readouterr().out
    assert main(["run", "nbs/nope.ipynb", "--no-datasets"]) != 0
    assert "not a notebook file" in capsys.readouterr().err
