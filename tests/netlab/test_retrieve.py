"""A viewer retrieves a study from Orthanc (DICOMweb) across the emulated link, decodes it, and the model predicts it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from teleradlab.errors import EnvironmentProblem, ParameterError
from teleradlab.netlab.link import lab_namespaces
from teleradlab.netlab.retrieve import (
    RATIO,
    UNSUPPORTED,
    hits,
    make_study,
    measure_grid,
    retrieve_study,
    run_retrieval,
)


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.mark.slow  # about 40 s
def test_reduced_grid_retrieves_decodes_and_is_predicted(lab, tmp_path, monkeypatch):
    # the study and the link's folders go where tempfile says: here, so that other users of /tmp do not matter
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    results = measure_grid("reduced", verbose=False)
    assert {(r.codec, r.protocol) for r in results} == {("uncompressed", "wado-rs"), ("uncompressed", "cget"),
                                                       ("jpeg2000", "wado-rs"), ("jpeg2000", "cget"),
                                                       ("htj2k", "wado-rs")} - set(UNSUPPORTED)
    for r in results:
        assert r.errors == ()
        n = r.sizes.size
        assert r.arrived_s.size == n and r.decoded_s.size == n
        # a viewer cannot show an instance before it has arrived, nor before the round trips of the request
        assert np.all(r.decoded_s >= r.arrived_s)
        assert r.first_image_s >= 1.5 * r.link["rtt_ms_min"] / 1000
        assert r.loaded_s >= r.first_image_s + (n - 1) * 0.5 * r.decode_ms / 1000
    # compressed instances are smaller as stored than uncompressed ones
    size = {r.codec: r.sizes.mean() for r in results}
    assert size["jpeg2000"] < size["uncompressed"] / 5 and size["htj2k"] < size["uncompressed"] / 5
    h = hits(results)
    assert h["within"] >= 0.8, [r.summary() for r in results]
    assert not list(scratch.iterdir()), "temporary folders left behind"


def test_archive_that_does_not_answer_is_one_line_naming_it():
    port = _closed_port()
    with pytest.raises(EnvironmentProblem, match=f"127.0.0.1:{port}"):
        retrieve_study("127.0.0.1", port, "1.2.3", protocol="cget")
    t = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "teleradlab.cli", "netlab", "retrieve", "--archive",
                          f"127.0.0.1:{port}", "--study", "1.2.3"], capture_output=True, text=True, timeout=30)
    assert time.monotonic() - t < 10
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and f"127.0.0.1:{port}" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.parametrize("codec", ["jpeg2000-lossless", "jpeg2000"])
def test_make_study_stores_lossless_and_lossy_codecs(tmp_path, codec):
    from teleradlab.compression.registry import get_codec
    from teleradlab.imaging.study import read_dataset

    study = make_study(codec, tmp_path, n_images=2)
    assert study.name == f"{codec}-2xCT" and len(study.sizes) == 2
    raw = 512 * 512 * 2
    for f in sorted(tmp_path.glob("*.dcm")):
        assert read_dataset(f).file_meta.TransferSyntaxUID == get_codec(codec).uid
    ratio = raw / np.mean(study.sizes)
    # lossless: as it comes (a few to one on CT); lossy: near the RATIO it aims at
    assert (ratio < 5) if not get_codec(codec).lossy else (0.7 * RATIO < ratio < 1.3 * RATIO)


def test_unsupported_pair_is_one_clear_error():
    with pytest.raises(ParameterError, match="HTJ2K"):
        run_retrieval("htj2k", bandwidth_mbps=10, rtt_ms=50, protocol="cget")


@pytest.mark.slow  # about 25 s
def test_ctrl_c_mid_retrieval_cleans_up(lab, tmp_path):
    tmp = tmp_path / "tmp"  # the run's temporary folders go here (TMPDIR), apart from other users of /tmp
    tmp.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "teleradlab.cli", "netlab", "retrieve", "--codec", "uncompressed",
                             "--bandwidth", "2", "--rtt", "50", "--n-images", "30"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "TMPDIR": str(tmp)})
    prefix = f"tlab-{proc.pid}-"
    line = proc.stdout.readline()  # once the link is up and measured; then the archive starts and the viewer asks
    assert line.startswith("link "), line + proc.stderr.read()
    ours = [ns for ns in lab_namespaces() if ns.startswith(prefix)]
    assert len(ours) == 2
    assert list(tmp.iterdir()), "the run's study and link folders should exist"
    time.sleep(6.0)  # 15 MB at 2 Mbit/s: the study is crossing the link for a minute
    pids = {int(p) for ns in ours
            for p in subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout.split()}
    assert len(pids) >= 2, "Orthanc and the viewer should be running in the namespaces"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert not [ns for ns in lab_namespaces() if ns.startswith(prefix)]
    assert not [p for p in pids if Path(f"/proc/{p}").exists()
                and "Z" not in Path(f"/proc/{p}/stat").read_text().split()[2]]
    assert not list(tmp.iterdir())
