"""A viewer retrieves a study from Orthanc (DICOMweb) across the emulated link, decodes it, and the model predicts it."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from teleradlab.errors import EnvironmentProblem
from teleradlab.netlab.retrieve import UNSUPPORTED, hits, measure_grid, retrieve_study


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.mark.slow  # about 40 s
def test_reduced_grid_retrieves_decodes_and_is_predicted(lab):
    before = set(Path("/tmp").glob("tlab-*"))
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
    assert set(Path("/tmp").glob("tlab-*")) <= before, "temporary folders left behind"


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
