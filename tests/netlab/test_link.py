"""The emulated link: its measured round trip and throughput match the settings; tools reported when missing."""

from __future__ import annotations

import os
import shutil

import pytest

from teleradlab.errors import EnvironmentProblem, ScenarioError
from teleradlab.netlab import link as linkmod
from teleradlab.netlab import nodes
from teleradlab.netlab.link import EmulatedLink, availability, require
from teleradlab.netlab.probe import measure_link


@pytest.mark.parametrize(("bw", "rtt"), [(100.0, 0.0), (10.0, 50.0), (2.0, 200.0)])
def test_link_delivers_its_rate_and_round_trip(lab, bw, rtt):
    with EmulatedLink(bw, rtt) as link:
        m = measure_link(link, seconds=0.5)
        names = (link.sender, link.receiver)
        assert set(names) <= set(linkmod.lab_namespaces())
    assert not set(names) & set(linkmod.lab_namespaces())
    # the relay adds well under a millisecond; the scheduler of a busy machine adds jitter
    assert rtt <= m["rtt_ms_min"] <= rtt + 3
    assert m["rtt_ms"] == pytest.approx(rtt, abs=10)
    # goodput of one TCP connection: 1448 payload bytes per 1500-byte packet at the tbf rate
    assert m["throughput_mbps"] == pytest.approx(bw * 1448 / 1500, rel=0.08)


def test_link_pins_the_congestion_control(lab):
    import subprocess

    from teleradlab.netlab.link import DEFAULT_CONGESTION_CONTROL, available_congestion_controls

    assert DEFAULT_CONGESTION_CONTROL in available_congestion_controls()
    for cc in {DEFAULT_CONGESTION_CONTROL, "reno"} & set(available_congestion_controls()):
        with EmulatedLink(10, 0, congestion_control=cc) as link:
            for ns in (link.sender, link.receiver):
                routes = subprocess.run(["ip", "-n", ns, "route", "show"], capture_output=True, text=True).stdout
                assert f"congctl lock {cc}" in routes, routes
            assert f"TCP {cc}" in link.describe()


def test_link_rejects_bad_settings():
    with pytest.raises(ScenarioError, match="bandwidth_mbps"):
        EmulatedLink(0, 10)
    with pytest.raises(ScenarioError, match="rtt_ms"):
        EmulatedLink(10, -1)
    with pytest.raises(ScenarioError, match="congestion_control"):
        EmulatedLink(10, 1, congestion_control="warp-drive")


def test_a_link_not_open_has_no_workdir():
    with pytest.raises(EnvironmentProblem, match="not open"):
        _ = EmulatedLink(10, 1).workdir


def test_without_root_the_lab_says_so_in_one_line(monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    why = availability()
    assert why is not None and "root" in why and "\n" not in why
    with pytest.raises(EnvironmentProblem, match="root"):
        require()


def test_missing_software_names_the_package(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert "apt-get install dcmtk" in nodes.missing_tool("storescu")
    assert "apt-get install orthanc orthanc-dicomweb" in nodes.missing_tool("orthanc")
    why = availability()
    assert why is not None and "apt-get install iproute2" in why
