"""The lab's tests run only where network namespaces can be made; elsewhere they skip saying why."""

from __future__ import annotations

import os

import pytest

from teleradlab.netlab.link import availability, lab_namespaces


@pytest.fixture
def lab():
    """Skip unless the lab can run here; afterwards, check this process left no lab namespace.

    (Other processes on the machine — a notebook, another test run — may be using the lab
    at the same time; only namespaces named after this process's id are ours.)
    """
    why = availability()
    if why:
        pytest.skip(why)
    yield
    ours = [ns for ns in lab_namespaces() if ns.startswith(f"tlab-{os.getpid()}-")]
    assert not ours, f"a test left lab namespaces behind: {ours}"
