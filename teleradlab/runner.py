"""Execute the curriculum headless and write an HTML index: the main job.

``teleradlab run`` builds the sample datasets, executes every notebook in
``notebooks/`` through papermill with the project's own ``teleradlab`` kernel
(started by name, so through its kernelspec's provisioner on UNIX sockets, see
:mod:`teleradlab.kernel`),
renders each executed notebook to HTML and writes ``build/index.html`` listing each
notebook's status, run time, a link and its key figure. It exits non-zero, naming
the notebooks that failed.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import os
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path

from teleradlab.errors import EnvironmentProblem, NotebookError
from teleradlab.exercises import STRICT_ENV, solutions_copy
from teleradlab.files import atomic_path, atomic_write_json, atomic_write_text
from teleradlab.progress import progress
from teleradlab.widgets.static import HEADLESS_ENV


@dataclass
class NotebookRun:
    """The outcome of executing one notebook."""

    name: str
    status: str  # "ok" or "failed"
    seconds: float
    output: str  # executed notebook, relative to the build folder
    html: str | None  # rendered HTML, relative to the build folder
    error: str | None = None
    figure_png: str | None = None  # base64 PNG of the notebook's key figure


@contextlib.contextmanager
def kernel_environment() -> Iterator[None]:
    """Make kernels started inside this block run this environment's interpreter.

    Jupyter searches ``JUPYTER_PATH`` before the user's own folders, so putting
    this interpreter's ``share/jupyter`` first guarantees that the kernelspec named
    ``teleradlab`` is the one registered inside the virtual environment, even when
    a user-level kernelspec of the same name points elsewhere. The block also marks
    the run as headless so widgets leave a static picture, and makes exercise
    checks strict, so that a wrong solution fails the run.
    """
    saved = {k: os.environ.get(k) for k in ("JUPYTER_PATH", HEADLESS_ENV, STRICT_ENV)}
    env_share = str(Path(sys.prefix) / "share" / "jupyter")
    parts = [env_share] + [p for p in (saved["JUPYTER_PATH"] or "").split(os.pathsep) if p]
    os.environ["JUPYTER_PATH"] = os.pathsep.join(parts)
    os.environ[HEADLESS_ENV] = "1"
    os.environ[STRICT_ENV] = "1"
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def find_notebooks(folder: str | os.PathLike[str] = "notebooks") -> list[Path]:
    """Return the curriculum's notebooks in ``folder``, sorted by name.

    Raises
    ------
    NotebookError
        If the folder does not exist or holds no notebook.
    """
    root = Path(folder)
    if not root.is_dir():
        raise NotebookError("no such folder", where=str(root))
    found = sorted(p for p in root.glob("*.ipynb") if not p.name.startswith("."))
    if not found:
        raise NotebookError("no notebooks found", where=str(root))
    return found


def execute_notebook(path: Path, out_dir: Path, *, parameters: dict | None = None,
                     timeout: float | None = 1800, solutions: bool = True,
                     cwd: str | os.PathLike[str] | None = None) -> NotebookRun:
    """Execute one notebook through papermill and render it to HTML.

    Parameters
    ----------
    path : Path
        The source notebook.
    out_dir : Path
        The build folder; the executed notebook goes to ``out_dir/notebooks``.
    parameters : dict, optional
        Injected after the notebook's ``parameters`` cell (for example ``{"ci": True}``).
    timeout : float, optional
        Seconds allowed per cell.
    solutions : bool
        Execute the solutions copy (exercise cells completed, see
        :func:`teleradlab.exercises.solutions_copy`) rather than the student version.
    cwd : path-like, optional
        The kernel's working folder; by default the notebook's own folder, as in
        JupyterLab. Notebooks find their data through the package, so any folder works.

    Returns
    -------
    NotebookRun
        Status, time and paths. A failure is reported, not raised; the executed
        notebook (with its error) is kept as the record of the run.

    Raises
    ------
    NotebookError
        If the kernel could not be started: the ``teleradlab`` kernelspec is missing or
        does not start it through the UNIX-socket provisioner
        (:func:`teleradlab.kernel.require_provisioned`), or papermill wrote nothing.
    """
    # imported here, not at the top: teleradlab.kernel imports jupyter_client, which the CLI need not load
    import papermill as pm

    from teleradlab.kernel import KERNEL_NAME, require_provisioned

    try:
        require_provisioned(KERNEL_NAME)  # started by name, so on UNIX sockets through its kernelspec
    except EnvironmentProblem as exc:
        raise NotebookError(f"could not start: {exc}", where=str(path)) from exc
    nb_dir = out_dir / "notebooks"
    nb_dir.mkdir(parents=True, exist_ok=True)
    target = nb_dir / path.name
    source = solutions_copy(path, out_dir / "sources" / path.name) if solutions else path
    error = None
    start = time.perf_counter()
    with atomic_path(target) as tmp:
        try:
            pm.execute_notebook(
                str(source), str(tmp), parameters=parameters or {}, kernel_name=KERNEL_NAME,
                progress_bar=False, cwd=str(Path(cwd or path.parent).resolve()), execution_timeout=timeout,
            )
        except Exception as exc:  # noqa: BLE001 - every failure becomes a status
            error = _one_line(exc)
            if not tmp.exists() or tmp.stat().st_size == 0:
                raise NotebookError(f"could not start: {error}", where=str(path)) from exc
    seconds = time.perf_counter() - start
    html_rel, figure = _render_html(target, out_dir)
    return NotebookRun(
        name=path.stem, status="failed" if error else "ok", seconds=round(seconds, 2),
        output=str(target.relative_to(out_dir)), html=html_rel, error=error, figure_png=figure,
    )


def run_notebooks(notebooks: Sequence[Path], out_dir: str | os.PathLike[str] = "build", *,
                  parameters: dict | None = None, workers: int | None = None, solutions: bool = True,
                  cwd: str | os.PathLike[str] | None = None) -> list[NotebookRun]:
    """Execute notebooks (in parallel, one kernel each) and write the index.

    Parameters
    ----------
    notebooks : sequence of Path
        Notebooks to run; see :func:`find_notebooks`.
    out_dir : path-like
        The build folder. ``index.html`` and ``index.json`` are written there.
    parameters : dict, optional
        Parameters injected into every notebook.
    workers : int, optional
        Notebooks run at once; by default the number of CPU cores (at most 4).
    solutions : bool
        Run the solutions copies (default) or the student notebooks as they are.
    cwd : path-like, optional
        The kernels' working folder (default: each notebook's own folder).

    Returns
    -------
    list of NotebookRun
        In the order given.
    """
    # One process per notebook at a time: papermill changes the working directory to
    # the notebook's folder while it runs, which threads sharing one process would race on.
    out = Path(out_dir).resolve()
    notebooks = [Path(nb).resolve() for nb in notebooks]
    workers = workers or min(4, os.cpu_count() or 1)
    runs: dict[Path, NotebookRun] = {}
    with kernel_environment(), ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(execute_notebook, nb, out, parameters=parameters, solutions=solutions, cwd=cwd): nb
                   for nb in notebooks}
        bar = progress(total=len(futures), desc="notebooks", unit="nb")
        for fut in as_completed(futures):
            nb = futures[fut]
            try:
                runs[nb] = fut.result()
            except NotebookError as exc:
                runs[nb] = NotebookRun(nb.stem, "failed", 0.0, "", None, error=str(exc))
            bar.set_postfix_str(f"{nb.stem}: {runs[nb].status}")
            bar.update(1)
        bar.close()
    ordered = [runs[nb] for nb in notebooks]
    write_index(ordered, out, parameters=parameters or {})
    return ordered


def write_index(runs: Sequence[NotebookRun], out_dir: Path, *, parameters: dict) -> Path:
    """Write ``index.html`` (and ``index.json``) summarising the runs."""
    rows = []
    for r in runs:
        link = f'<a href="{html.escape(r.html)}">{html.escape(r.name)}</a>' if r.html else html.escape(r.name)
        fig = (f'<img alt="key figure of {html.escape(r.name)}" src="data:image/png;base64,{r.figure_png}">'
               if r.figure_png else "")
        err = f'<div class="err">{html.escape(r.error)}</div>' if r.error else ""
        rows.append(
            f'<tr class="{r.status}"><td>{link}{err}</td><td class="status">{r.status}</td>'
            f"<td>{r.seconds:.1f} s</td><td>{fig}</td></tr>"
        )
    n_ok = sum(r.status == "ok" for r in runs)
    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>teleradlab build</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; }} td, th {{ padding: .4em .8em; border-bottom: 1px solid #ddd; vertical-align: top; }}
tr.ok .status {{ color: #17702d; font-weight: bold; }} tr.failed .status {{ color: #b00020; font-weight: bold; }}
.err {{ color: #b00020; font-size: .85em; max-width: 40em; }} img {{ max-height: 140px; }}
</style></head><body>
<h1>teleradlab curriculum build</h1>
<p>{n_ok} of {len(runs)} notebooks ran. Parameters: <code>{html.escape(repr(parameters))}</code>. Built {stamp}.</p>
<table><thead><tr><th>notebook</th><th>status</th><th>run time</th><th>key figure</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table></body></html>
"""
    atomic_write_json(out_dir / "index.json", {"parameters": parameters, "runs": [asdict(r) for r in runs]})
    return atomic_write_text(out_dir / "index.html", page)


def _render_html(executed: Path, out_dir: Path) -> tuple[str | None, str | None]:
    """Render an executed notebook to HTML; return its relative path and key figure."""
    import nbformat
    from nbconvert import HTMLExporter

    try:
        nb = nbformat.read(executed, as_version=4)
    except Exception:  # noqa: BLE001 - an unreadable output has no HTML
        return None, None
    figure = None
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "image/png" in data:
                figure = data["image/png"].replace("\n", "")  # the last figure is the key one
    body, _ = HTMLExporter().from_notebook_node(nb)
    target = out_dir / "html" / (executed.stem + ".html")
    atomic_write_text(target, body)
    return str(target.relative_to(out_dir)), figure


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    name = getattr(exc, "ename", None) or type(exc).__name__
    value = getattr(exc, "evalue", None) or (text[-1] if text else "")
    return f"{name}: {value}"[:500]


def build_datasets(*, ci: bool) -> None:
    """Generate the sample datasets the notebooks use, when the imaging part is installed."""
    try:
        from teleradlab.imaging.datasets import build_datasets as _build
    except ImportError:
        return
    _build(ci=ci)


def main_job(*, notebooks_dir: str = "notebooks", out_dir: str = "build", ci: bool = False,
             datasets: bool = True, workers: int | None = None, notebooks: Sequence[str] = (),
             solutions: bool = True) -> int:
    """Build datasets, run the curriculum (or the ``notebooks`` given) and write the index.

    Returns
    -------
    int
        The exit code: 0 when every notebook ran, else 1.
    """
    chosen = [_notebook_file(n) for n in notebooks] if notebooks else find_notebooks(notebooks_dir)
    if datasets and not notebooks:  # the whole course; no notebook reads the samples, so a named run skips them
        build_datasets(ci=ci)
    started = time.perf_counter()
    runs = run_notebooks(chosen, out_dir, parameters={"ci": ci}, workers=workers, solutions=solutions)
    failed = [r for r in runs if r.status != "ok"]
    for r in runs:
        print(f"{r.status:>6}  {r.seconds:7.1f} s  {r.name}" + (f"  ({r.error})" if r.error else ""))
    print(f"{len(runs) - len(failed)}/{len(runs)} notebooks ok in {time.perf_counter() - started:.0f} s;"
          f" index: {Path(out_dir) / 'index.html'}")
    if failed:
        print("failed: " + ", ".join(r.name for r in failed), file=sys.stderr)
        return 1
    return 0


def _notebook_file(name: str) -> Path:
    p = Path(name)
    if p.suffix != ".ipynb" or not p.is_file():
        raise NotebookError("not a notebook file (give paths such as notebooks/08_case_study_sparse_region.ipynb)",
                            where=name)
    return p


def _run(args: argparse.Namespace) -> int:
    return main_job(notebooks_dir=args.notebooks, out_dir=args.out, ci=args.ci,
                    datasets=not args.no_datasets, workers=args.workers, notebooks=args.notebook,
                    solutions=args.solutions)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``run`` subcommand (the main job)."""
    from teleradlab.cli import output_folder, positive_int

    p = subparsers.add_parser("run", help="build datasets, execute every notebook headless, write build/index.html")
    p.add_argument("notebook", nargs="*", help="run only these notebook files (default: every notebook)")
    sol = p.add_mutually_exclusive_group()
    sol.add_argument("--solutions", dest="solutions", action="store_true", default=True,
                     help="fill the exercise cells with their solutions first (the default)")
    sol.add_argument("--student", dest="solutions", action="store_false",
                     help="run the notebooks as committed: unfilled exercises stop the run, unless --ci")
    p.add_argument("--notebooks", default="notebooks", help="folder of notebooks (default: notebooks)")
    p.add_argument("--out", default="build", type=output_folder, help="build folder (default: build)")
    p.add_argument("--ci", action="store_true", help="run in CI mode (smaller sizes)")
    p.add_argument("--no-datasets", action="store_true",
                   help="do not build the sample datasets first (a run of named notebooks never does)")
    p.add_argument("--workers", type=positive_int, default=None, help="notebooks executed at once")
    p.set_defaults(func=_run)
