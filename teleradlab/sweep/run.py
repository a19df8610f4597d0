"""Running a sweep: executors, the results table, resume and atomic writes.

Each run (point × replication) gets a seed derived from the spec's seed, its
parameters and its replication, and a key that also includes the target's version.
Every finished run is written at once as ``runs/<key>.json`` (atomically), so a sweep
killed at any moment loses no completed run; ``results.parquet`` and
``results.csv`` are rebuilt from those files, sorted by point and replication, so the
table is identical whichever executor ran it.
"""

from __future__ import annotations

import json
import os
import re
import socket
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

import pandas as pd

from teleradlab.errors import SweepError
from teleradlab.files import atomic_write_json, atomic_write_table, remove_stale_temporaries
from teleradlab.progress import progress
from teleradlab.sweep.lifetime import die_with_parent
from teleradlab.sweep.spec import SweepSpec, load_spec, run_key, run_seed

META_COLUMNS = ("point", "replication", "seed", "key", "status", "error", "seconds", "host")


def target_version(spec: SweepSpec) -> str:
    """The target's version: the experiment's declared version, or a hash of the notebook's content."""
    if spec.is_notebook:
        import hashlib

        return "nb:" + hashlib.sha256(Path(spec.target).read_bytes()).hexdigest()[:16]
    from teleradlab.experiments import get_experiment

    exp = get_experiment(spec.target)
    return f"{exp.name}:{exp.version}"


def execute(task: dict[str, Any]) -> dict[str, Any]:
    """Run one point (in whatever process or worker); never raises: failures are recorded."""
    start = time.perf_counter()
    record = {"point": task["point"], "replication": task["replication"], "seed": task["seed"], "key": task["key"],
              "params": task["params"], "host": socket.gethostname()}
    try:
        if task["target"].endswith(".ipynb"):
            from teleradlab.sweep.notebooks import run_notebook

            metrics = run_notebook(task["target"], {**task["params"], "seed": task["seed"]},
                                   Path(task["out"]) / "notebooks", task["key"])
        else:
            from teleradlab.experiments import get_experiment

            metrics = get_experiment(task["target"])(**{**task["params"], "seed": task["seed"]})
        record.update(status="ok", error="", metrics=metrics)
    except Exception as exc:  # noqa: BLE001 - a failure is a result
        last = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        where = f" ({Path(last.filename).name}:{last.lineno})" if last else ""
        record.update(status="failed", error=f"{type(exc).__name__}: {exc}{where}"[:1000], metrics={})
    record["seconds"] = round(time.perf_counter() - start, 4)
    return record


def tasks_for(spec: SweepSpec, out: Path) -> list[dict[str, Any]]:
    """Every run of the spec as a task dict."""
    version = target_version(spec)
    tasks = []
    for point, rep, params in spec.runs():
        seed = run_seed(spec.seed, params, rep)
        tasks.append({"target": spec.target, "point": point, "replication": rep, "seed": seed,
                      "key": run_key(version, params, rep, seed), "params": params, "out": str(out)})
    return tasks


def load_runs(out: Path) -> dict[str, dict]:
    """Completed run records by key (unreadable files are ignored: they will be rerun)."""
    runs = {}
    for f in (out / "runs").glob("*.json"):
        try:
            rec = json.loads(f.read_text())
            runs[rec["key"]] = rec
        except (ValueError, KeyError, OSError):
            continue
    return runs


def table(records: list[dict]) -> pd.DataFrame:
    """The tidy results table: parameters, replication, metrics, status, error, time, host."""
    rows = []
    for r in sorted(records, key=lambda r: (r["point"], r["replication"])):
        rows.append({**{m: r.get(m) for m in META_COLUMNS}, **r["params"], **r.get("metrics", {})})
    return pd.DataFrame(rows)


def write_table(df: pd.DataFrame, out: Path) -> None:
    """Write results.parquet and results.csv atomically."""
    atomic_write_table(df, out, "results")


def _check_local_workers(n: int, where: str) -> None:
    from teleradlab.limits import MAX_LOCAL_WORKERS

    if n > MAX_LOCAL_WORKERS:
        raise SweepError(f"{n:,} local worker processes, above the limit of {MAX_LOCAL_WORKERS} (this machine has "
                         f"{os.cpu_count()} cores); for more, run a Dask cluster and pass --scheduler", where=where)


def _executor(workers: int | None, scheduler: str | None, cluster: str | None):
    if scheduler and cluster:
        raise SweepError("give either --scheduler or --cluster, not both", where="executor")
    if scheduler or cluster:
        return _dask_client(scheduler, cluster)
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise SweepError(f"workers must be an integer of at least 1, got {workers!r}", where="workers")
    _check_local_workers(workers or 1, "workers")
    return ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1, initializer=die_with_parent,
                               initargs=(os.getpid(),))


def _dask_client(scheduler: str | None, cluster: str | None):
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise SweepError('dask is not installed: pip install -e ".[dask]"', where="executor") from exc
    if cluster:
        if not cluster.startswith("local:") or not cluster[6:].isdigit() or int(cluster[6:]) < 1:
            raise SweepError(f"--cluster takes local:N, got {cluster!r}", where="cluster")
        _check_local_workers(int(cluster[6:]), "cluster")
        lc = LocalCluster(n_workers=int(cluster[6:]), threads_per_worker=1, processes=True, dashboard_address=None)
        from teleradlab.sweep.dask_workers import DieWithParent

        client = Client(lc)
        try:  # the workers are this process's children: tie their lifetime to it, as the pool's are
            client.register_plugin(DieWithParent(os.getpid()), name="teleradlab-die-with-parent")
        except BaseException:
            client.close()
            lc.close()
            raise
        return client
    if scheduler is None:
        raise SweepError("give --scheduler tcp://HOST:PORT or --cluster local:N", where="executor")
    _probe(scheduler)
    try:
        return Client(scheduler, timeout="8s")
    except (OSError, TimeoutError) as exc:
        raise SweepError(f"cannot reach the Dask scheduler at {scheduler} ({type(exc).__name__})",
                         where="scheduler") from None
    except (MemoryError, ValueError, TypeError, EOFError) as exc:
        # Dask reads a frame length from whatever answers: from an SSH or HTTP server that is
        # garbage (exabytes), and it fails allocating it
        raise SweepError(f"the service at {scheduler} does not speak Dask's protocol ({type(exc).__name__}); "
                         "is this the scheduler's address and port (default 8786)?", where="scheduler") from None


def _probe(scheduler: str, timeout: float = 3.0) -> None:
    """Fail fast unless ``tcp://HOST:PORT`` is well formed and something accepts a connection there."""
    m = re.fullmatch(r"(?:tcp|tls)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})", scheduler.strip())
    if not m or not 1 <= int(m.group(2)) <= 65535:
        raise SweepError(f"{scheduler!r} is not a scheduler address like tcp://HOST:8786", where="scheduler")
    host, port = m.group(1).strip("[]"), int(m.group(2))
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        raise SweepError(f"cannot reach the Dask scheduler at {scheduler} ({type(exc).__name__}: "
                         f"{exc.strerror or exc})", where="scheduler") from None


def run(spec: SweepSpec | dict | str, *, out: str | os.PathLike[str] | None = None, workers: int | None = None,
        scheduler: str | None = None, cluster: str | None = None, resume: bool = False,
        show_progress: bool | None = None) -> pd.DataFrame:
    """Run a sweep and return its results table.

    Parameters
    ----------
    spec : SweepSpec, dict or path
        The sweep (see :mod:`teleradlab.sweep.spec`); validated before anything runs.
    out : path-like
        Output folder (default: the spec's ``out``).
    workers : int, optional
        Local processes (default: all cores).
    scheduler : str, optional
        ``tcp://HOST:8786`` of a running Dask scheduler.
    cluster : str, optional
        ``local:N`` starts a Dask LocalCluster of N worker processes.
    resume : bool
        Skip runs already completed in ``out`` (same key); rerun failed ones.

    Returns
    -------
    pandas.DataFrame
        One row per run, sorted by point and replication.
    """
    sp = spec if isinstance(spec, SweepSpec) else load_spec(spec)
    folder = Path(out or sp.out or "")
    if not str(folder) or str(folder) == ".":
        raise SweepError("no output folder: pass out= or --out", where="out")
    folder.mkdir(parents=True, exist_ok=True)
    tasks = tasks_for(sp, folder.resolve())
    if resume:  # a killed sweep may have died in the middle of a write
        for where in (folder, folder / "runs"):
            remove_stale_temporaries(where)
    done = load_runs(folder) if resume else {}
    if not resume and (folder / "runs").exists() and any((folder / "runs").iterdir()):
        raise SweepError("the output folder holds an earlier sweep: pass --resume, or choose another folder",
                         where=str(folder))
    todo = [t for t in tasks if done.get(t["key"], {}).get("status") != "ok"]
    keys = {t["key"] for t in tasks}
    records = {k: v for k, v in done.items() if k in keys and v.get("status") == "ok"}
    atomic_write_json(folder / "spec.json", {"target": sp.target, "version": target_version(sp), "fixed": sp.fixed,
                                             "points": sp.points, "replications": sp.replications, "seed": sp.seed})
    if todo:
        executor = _executor(workers, scheduler, cluster)
        bar = progress(total=len(todo), desc=f"sweep {sp.target}", unit="run",
                       disable=True if show_progress is False else None)
        try:
            for rec in _results(executor, todo):
                atomic_write_json(folder / "runs" / f"{rec['key']}.json", rec)
                records[rec["key"]] = rec
                bar.update(1)
        finally:
            bar.close()
            _shutdown(executor)
    df = table(list(records.values()))
    write_table(df, folder)
    return df


def _results(executor: Any, todo: list[dict]):
    """Yield run records as they finish, from a process pool or a Dask client."""
    if isinstance(executor, ProcessPoolExecutor):
        futures: set[Future] = {executor.submit(execute, t) for t in todo}
        while futures:
            finished, futures = wait(futures, return_when=FIRST_COMPLETED)
            for f in finished:
                yield f.result()
        return
    from distributed import as_completed

    # pure=False: two runs are never merged; a task lost with a worker is rescheduled by the scheduler
    for f in as_completed(executor.map(execute, todo, pure=False)):
        yield f.result()


def _shutdown(executor: Any) -> None:
    if isinstance(executor, ProcessPoolExecutor):
        executor.shutdown(wait=True, cancel_futures=True)
    else:
        cluster = getattr(executor, "cluster", None)
        executor.close()
        if cluster is not None:
            cluster.close()
