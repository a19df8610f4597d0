"""Real DICOM software across the emulated link: every sender/receiver pair delivers the whole study."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from teleradlab.netlab.run import run_transfer
from teleradlab.netlab.studies import folder_study, synthetic_study


@pytest.fixture(scope="module")
def small_study(tmp_path_factory):
    return synthetic_study("12x50kB", tmp_path_factory.mktemp("study"))


@pytest.mark.parametrize(("sender", "receiver", "kwargs"), [
    ("storescu", "storescp", {}),
    ("pynetdicom", "pynetdicom", {"nodelay": True, "associations": 3}),
    ("storescu", "orthanc", {"nodelay": True}),
    ("stow", "orthanc", {"batch": 5}),
    ("bundle", "orthanc", {}),
])
def test_sender_receiver_pairs(lab, small_study, sender, receiver, kwargs):
    n = len(small_study.files)
    res = run_transfer(small_study, bandwidth_mbps=100, rtt_ms=20, sender=sender, receiver=receiver,
                       verbose=False, **kwargs)
    assert res.errors == ()
    assert res.received == n
    assert res.done_s.size == n and np.all(np.diff(np.sort(res.done_s)) >= 0)
    # every protocol pays at least the TCP handshake and one request/response round trip
    assert res.total_s >= 2 * res.link["rtt_ms_min"] / 1000
    assert 0 < res.first_image_s <= res.total_s
    if sender == "stow":
        assert np.unique(np.round(res.done_s, 6)).size == 3  # three requests of 5, 5 and 2 instances
    tl = res.timeline()
    assert list(tl.columns) == ["instance", "bytes", "measured_done_s", "predicted_done_s"] and len(tl) == n


@pytest.mark.slow  # about 20 s
def test_cstore_pays_a_round_trip_per_instance(lab, small_study):
    """Independent of the model: at 200 ms the study takes at least n round trips more than at 0 ms."""
    fast = run_transfer(small_study, bandwidth_mbps=100, rtt_ms=0, nodelay=True, verbose=False)
    slow = run_transfer(small_study, bandwidth_mbps=100, rtt_ms=200, nodelay=True, verbose=False)
    n = len(small_study.files)
    assert slow.total_s - fast.total_s >= (n + 3) * 0.2 * 0.95
    assert slow.first_image_s > 2 * 0.2  # TCP handshake and A-ASSOCIATE before the first byte


def test_user_folder_and_bad_study_name(tmp_path, small_study):
    st = folder_study(small_study.files[0].parent)
    assert len(st.files) == len(small_study.files)
    out = subprocess.run([sys.executable, "-m", "teleradlab.cli", "netlab", "run", "7xbananas"],
                         capture_output=True, text=True)
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "study" in out.stderr and "Traceback" not in out.stderr
