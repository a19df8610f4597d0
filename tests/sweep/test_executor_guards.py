"""Sweep executors: pool workers die with the sweep, a non-Dask service on the scheduler port is named."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from teleradlab.errors import SweepError
from teleradlab.sweep.run import _dask_client, _probe


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")  # a zombie has exited; only its parent's reaping is pending


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_pool_workers_die_when_the_sweep_is_killed(tmp_path) -> None:
    pids = tmp_path / "pids"
    script = textwrap.dedent(f"""
        import os, time
        from teleradlab.sweep.run import _executor

        def work(_):
            with open({str(pids)!r}, "a") as fh:
                fh.write(f"{{os.getpid()}}\\n")
            time.sleep(120)

        if __name__ == "__main__":
            pool = _executor(2, None, None)
            for i in range(2):
                pool.submit(work, i)
            time.sleep(120)
    """)
    (tmp_path / "sweeper.py").write_text(script)
    proc = subprocess.Popen([sys.executable, str(tmp_path / "sweeper.py")], cwd=tmp_path)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (not pids.exists() or len(pids.read_text().split()) < 2):
            time.sleep(0.2)
        workers = [int(p) for p in pids.read_text().split()]
        assert len(workers) == 2 and all(_alive(p) for p in workers)
        proc.send_signal(signal.SIGKILL)  # no cleanup handler can run
        proc.wait(timeout=10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(p) for p in workers):
            time.sleep(0.1)
        assert not any(_alive(p) for p in workers), "pool workers outlived the killed sweep"
    finally:
        proc.kill()
        for p in (int(x) for x in (pids.read_text().split() if pids.exists() else [])):
            if _alive(p):
                os.kill(p, signal.SIGKILL)


def _descendants(pid: int) -> set[int]:
    """Every live process below ``pid``, from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = set(), [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            if c not in out:
                out.add(c)
                todo.append(c)
    return out


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_cluster_workers_die_when_the_sweep_is_killed(tmp_path) -> None:
    """--cluster local:N: SIGKILL of the sweep leaves no worker process, and our guard is armed in each worker."""
    pytest.importorskip("distributed")
    pids, guards = tmp_path / "pids", tmp_path / "guards"
    script = textwrap.dedent(f"""
        import os, threading, time
        from teleradlab.sweep.run import _executor

        def work(_):
            with open({str(pids)!r}, "a") as fh:
                fh.write(f"{{os.getpid()}}\\n")
            time.sleep(120)

        def guarded():
            return any(t.name == "teleradlab-parent-watchdog" for t in threading.enumerate())

        if __name__ == "__main__":
            client = _executor(None, None, "local:2")
            with open({str(guards)!r}, "w") as fh:
                fh.write(" ".join(str(v) for v in client.run(guarded).values()))
            futures = [client.submit(work, i, pure=False) for i in range(2)]
            time.sleep(120)
    """)
    (tmp_path / "sweeper.py").write_text(script)
    proc = subprocess.Popen([sys.executable, str(tmp_path / "sweeper.py")], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    below: set[int] = set()
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and (not pids.exists() or len(pids.read_text().split()) < 2):
            assert proc.poll() is None, "the sweep ended before its workers ran"
            time.sleep(0.2)
        workers = {int(p) for p in pids.read_text().split()}
        assert guards.read_text().split() == ["True", "True"]  # DieWithParent ran in both workers
        below = _descendants(proc.pid)
        assert len(workers) == 2 and workers <= below and all(_alive(p) for p in workers)
        proc.send_signal(signal.SIGKILL)  # no cleanup handler can run
        proc.wait(timeout=10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(p) for p in below):
            time.sleep(0.1)
        assert not [p for p in below if _alive(p)], "processes of the killed sweep outlived it"
    finally:
        proc.kill()
        for p in below:
            if _alive(p):
                os.kill(p, signal.SIGKILL)


def _fake_service(banner: bytes) -> tuple[socket.socket, int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            try:
                conn.sendall(banner)
                time.sleep(0.2)
            except OSError:
                pass
            finally:
                conn.close()

    threading.Thread(target=serve, daemon=True).start()
    return server, server.getsockname()[1]


@pytest.mark.parametrize("banner", [b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n" + b"x" * 64,
                                    b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"])
def test_non_dask_service_on_the_scheduler_port_is_one_error(banner) -> None:
    pytest.importorskip("distributed")
    server, port = _fake_service(banner)
    try:
        start = time.monotonic()
        with pytest.raises(SweepError) as err:
            _dask_client(f"tcp://127.0.0.1:{port}", None)
        assert time.monotonic() - start < 20
        assert f"127.0.0.1:{port}" in str(err.value) and err.value.where == "scheduler"
    finally:
        server.close()


def test_probe_refuses_bad_addresses_and_closed_ports() -> None:
    with pytest.raises(SweepError, match="not a scheduler address"):
        _probe("notaurl")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    start = time.monotonic()
    with pytest.raises(SweepError, match=f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}"):
        _probe(f"tcp://127.0.0.1:{port}")
    assert time.monotonic() - start < 5


@pytest.mark.parametrize(("kwargs", "where"), [({"workers": 10**9}, "workers"), ({"cluster": "local:100000"}, "cluster")])
def test_absurd_local_worker_counts_fail_before_any_process_starts(tmp_path, kwargs, where) -> None:
    """A process pool forks all its workers at once: ``--workers 1e9`` once was a fork bomb."""
    from teleradlab.sweep.run import run

    spec = {"target": "queue_check", "fixed": {"days": 0.5}, "space": {"list": [{"c": 1}]}}
    start = time.monotonic()
    with pytest.raises(SweepError, match=rf"^{where}: .* local worker processes, above the limit of 256"):
        run(spec, out=tmp_path / "out", **kwargs)
    assert time.monotonic() - start < 5
