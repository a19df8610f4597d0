"""Sweeps: determinism across executors, failures, resume after a kill, bad input, real Dask processes."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from teleradlab import sweep
from teleradlab.errors import ParameterError, SweepError
from teleradlab.experiments import experiment
from teleradlab.sweep.spec import load_spec

SPEC = {"target": "queue_check", "fixed": {"days": 3}, "space": {"grid": {"c": [1, 2], "rho": [0.5, 0.7]}},
        "replications": 2, "seed": 7}
VOLATILE = ["seconds", "host"]


def stable(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop(columns=VOLATILE).reset_index(drop=True)


@experiment("flaky_for_tests", version="1")
def flaky(*, x: float, seed: int = 0) -> dict:
    if x < 0:
        raise ValueError("negative x is not allowed")
    return {"y": x * 2 + seed % 3}


def test_local_runs_are_deterministic_whatever_the_workers(tmp_path) -> None:
    one = sweep.run(SPEC, out=tmp_path / "a", workers=1)
    two = sweep.run(SPEC, out=tmp_path / "b", workers=2)
    assert len(one) == 8 and (one.status == "ok").all()
    pd.testing.assert_frame_equal(stable(one), stable(two))
    on_disk = pd.read_parquet(tmp_path / "a" / "results.parquet")
    assert list(on_disk["point"]) == list(one["point"])
    assert (tmp_path / "a" / "results.csv").exists()
    # seeds come from the point and replication, not the order
    assert one.groupby("point").seed.nunique().eq(2).all() and one.seed.nunique() == 8


def test_failures_are_recorded_and_do_not_stop_the_sweep(tmp_path) -> None:
    spec = {"target": "flaky_for_tests", "space": {"list": [{"x": 1.0}, {"x": -1.0}, {"x": 2.0}]}}
    df = sweep.run(spec, out=tmp_path, workers=1)
    assert list(df.status) == ["ok", "failed", "ok"]
    assert "negative x is not allowed" in df.error[1] and df.error[0] == ""


@pytest.mark.slow  # 20-150 s on 2 shared cores (pytest --durations)
def test_resume_skips_done_and_reruns_failed(tmp_path) -> None:
    sweep.run(SPEC, out=tmp_path, workers=1)
    runs = sorted((tmp_path / "runs").glob("*.json"))
    runs[0].unlink()  # as if it never finished
    before = {p.name: p.stat().st_mtime_ns for p in runs[1:]}
    df = sweep.run(SPEC, out=tmp_path, workers=1, resume=True)
    assert len(df) == 8 and (df.status == "ok").all()
    assert {p.name: p.stat().st_mtime_ns for p in runs[1:]} == before  # untouched
    with pytest.raises(SweepError, match="earlier sweep"):
        sweep.run(SPEC, out=tmp_path, workers=1)


def test_killed_sweep_resumes_to_the_uninterrupted_table(tmp_path, repo_root) -> None:
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text("target: queue_check\nfixed: {days: 20}\nspace:\n  grid: {c: [1, 2, 3], rho: [0.5, 0.6, 0.7, 0.8]}\n"
                         "replications: 2\nseed: 3\n")
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "teleradlab.cli", "sweep", str(spec_file), "--out", str(out),
                             "--workers", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list((out / "runs").glob("*.json")) if (out / "runs").exists() else []) < 5:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = list((out / "runs").glob("*.json"))
    assert 5 <= len(partial) < 24, "the sweep should have been killed midway"
    (out / "runs" / ".0123abcd.x1y2z3.tmp.json").write_text('{"key": ')  # as if killed in the middle of a write
    resumed = sweep.run(spec_file, out=out, workers=2, resume=True)
    clean = sweep.run(spec_file, out=tmp_path / "clean", workers=2)
    pd.testing.assert_frame_equal(stable(resumed), stable(clean))
    assert not list(out.glob("*.tmp*")) and not list((out / "runs").glob(".*"))


@pytest.mark.parametrize("spec,match", [
    ({"target": "no_such_experiment", "space": {"list": [{"a": 1}]}}, "unknown experiment"),
    ({"target": "queue_check", "space": {"list": [{"colour": 1}]}}, "does not accept"),
    ({"target": "queue_check", "space": {"grid": {"c": [1, 2]}}, "constraints": ["c > 5"]}, "space is empty"),
    ({"target": "queue_check", "space": {"grid": {}}}, "grid must map"),
    ({"target": "queue_check", "space": {"cube": {}}}, "space must have"),
])
def test_bad_specs_fail_before_work(spec, match, tmp_path) -> None:
    with pytest.raises((SweepError, ParameterError), match=match):
        sweep.run(spec, out=tmp_path)
    assert not (tmp_path / "runs").exists()


def test_malformed_yaml(tmp_path) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text("target: queue_check\nspace: {grid: {c: [1, 2}\n")
    with pytest.raises(SweepError, match="malformed YAML") as err:
        load_spec(p)
    assert str(p) in err.value.where


def test_random_and_lhs_spaces() -> None:
    spec = load_spec({"target": "queue_check", "space": {"lhs": {"n": 10, "seed": 2, "params": {
        "rho": {"low": 0.3, "high": 0.9}, "c": {"choices": [1, 2, 3]}}}}})
    rhos = sorted(p["rho"] for p in spec.points)
    assert len(rhos) == 10 and all(0.3 + 0.06 * i <= r < 0.3 + 0.06 * (i + 1) for i, r in enumerate(rhos))
    again = load_spec({"target": "queue_check", "space": {"random": {"n": 5, "seed": 2, "params": {
        "rho": {"low": 0.3, "high": 0.9, "log": True}}}}})
    assert all(0.3 <= p["rho"] <= 0.9 for p in again.points)


def test_unreachable_scheduler_fails_fast_naming_it(tmp_path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    start = time.monotonic()
    with pytest.raises(SweepError, match=f"127.0.0.1:{port}"):
        sweep.run(SPEC, out=tmp_path, scheduler=f"tcp://127.0.0.1:{port}")
    assert time.monotonic() - start < 10


def test_plot(tmp_path) -> None:
    import matplotlib.pyplot as plt

    df = sweep.run(SPEC, out=tmp_path, workers=1)
    fig = sweep.plot(df, x="rho", y="wait_mean", hue="c")
    assert fig.axes and fig.axes[0].get_xlabel() == "rho"
    plt.close(fig)
    fig = sweep.plot(df, x="rho", y="wait_mean", hue="c", kind="heatmap")
    plt.close(fig)
    with pytest.raises(SweepError, match="no column"):
        sweep.plot(df, x="nope", y="wait_mean")


@pytest.fixture
def dask_cluster(tmp_path):
    """A real `dask scheduler` and two `dask worker` processes on 127.0.0.1."""
    dask = shutil.which("dask", path=str(Path(sys.executable).parent))
    if dask is None:
        pytest.skip("the dask command is not installed (pip install -e '.[dask]')")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    addr = f"tcp://127.0.0.1:{port}"
    env = dict(os.environ, DASK_DISTRIBUTED__WORKER__DAEMON="False")
    log = open(tmp_path / "dask.log", "w")  # noqa: SIM115
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                              stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)]
    time.sleep(1.5)
    for i in range(2):
        procs.append(subprocess.Popen([dask, "worker", addr, "--nthreads", "1", "--nworkers", "1", "--no-dashboard",
                                       "--name", f"w{i}", "--local-directory", str(tmp_path / f"w{i}")],
                                      stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True))
    from distributed import Client

    client = Client(addr, timeout="30s")
    try:
        client.wait_for_workers(2, timeout=60)
    finally:
        client.close()
    yield addr, procs
    for p in procs:
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    for p in procs:
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
    log.close()


@pytest.mark.timeout(300)
def test_dask_matches_local_and_survives_a_lost_worker(dask_cluster, tmp_path) -> None:
    addr, procs = dask_cluster
    local = sweep.run(SPEC, out=tmp_path / "local", workers=2)
    remote = sweep.run(SPEC, out=tmp_path / "dask", scheduler=addr)
    pd.testing.assert_frame_equal(stable(local), stable(remote))
    # now kill one worker while a longer sweep runs: the scheduler reschedules, nothing is lost
    longer = {**SPEC, "fixed": {"days": 40}, "space": {"grid": {"c": [1, 2, 3], "rho": [0.5, 0.6, 0.7, 0.8]}}}
    import threading

    def kill_soon() -> None:
        runs = tmp_path / "dask2" / "runs"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (not runs.exists() or len(list(runs.glob("*.json"))) < 3):
            time.sleep(0.05)
        os.killpg(procs[1].pid, signal.SIGKILL)

    killer = threading.Thread(target=kill_soon)
    killer.start()
    survived = sweep.run(longer, out=tmp_path / "dask2", scheduler=addr)
    killer.join()
    assert procs[1].poll() is not None, "the worker should have been killed"
    assert len(survived) == 24 and (survived.status == "ok").all()
    reference = sweep.run(longer, out=tmp_path / "local2", workers=2)
    pd.testing.assert_frame_equal(stable(survived), stable(reference))


@pytest.mark.timeout(300)
def test_local_cluster_option(tmp_path) -> None:
    pytest.importorskip("distributed")
    df = sweep.run({**SPEC, "space": {"list": [{"c": 1, "rho": 0.5}]}, "replications": 1}, out=tmp_path,
                   cluster="local:1")
    assert (df.status == "ok").all()
    with pytest.raises(SweepError, match="local:N"):
        sweep.run(SPEC, out=tmp_path / "x", cluster="remote:2")
