"""Ctrl-C in the middle of a transfer leaves no namespace, process or temporary file behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from teleradlab.netlab.link import lab_namespaces


def _tmp_entries() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).iterdir() if p.name.startswith("tlab-")}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]


@pytest.mark.slow  # about 30 s
def test_ctrl_c_mid_transfer_cleans_up(lab):
    tmp_before = _tmp_entries()
    proc = subprocess.Popen([sys.executable, "-m", "teleradlab.cli", "netlab", "run", "30x0.5MB",
                             "--bandwidth", "2", "--rtt", "50"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    prefix = f"tlab-{proc.pid}-"
    line = proc.stdout.readline()  # printed once the link is up and measured, just before the transfer
    assert line.startswith("link "), line + proc.stderr.read()
    ours = [ns for ns in lab_namespaces() if ns.startswith(prefix)]
    assert len(ours) == 2
    time.sleep(2.0)  # the study (15 MB at 2 Mbit/s, a minute) is now crossing the link
    pids = {int(p) for ns in ours
            for p in subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout.split()}
    assert pids, "storescp and storescu should be running in the namespaces"
    assert any(f.name.startswith(prefix) for f in Path(tempfile.gettempdir()).iterdir())
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert not [ns for ns in lab_namespaces() if ns.startswith(prefix)]
    assert not [p for p in pids if _alive(p)]
    # only this run's own folders: other processes on the machine may be using the lab too
    assert not {e for e in _tmp_entries() - tmp_before if e.startswith(prefix)}
