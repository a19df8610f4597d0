import json
import sys
from pathlib import Path

import pytest

from teleradlab import doctor


def test_doctor_passes_in_project_environment(capsys) -> None:
    rc = doctor._run(None)
    out = capsys.readouterr()
    assert rc == 0, out.err
    assert "all requirements met" in out.out
    assert "pydicom" in out.out and "kernel teleradlab" in out.out


def test_missing_package_is_one_line(monkeypatch, capsys) -> None:
    monkeypatch.setattr(doctor, "REQUIRED", doctor.REQUIRED + (("no-such-dist", "no_such_module_xyz"),))
    rc = doctor._run(None)
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 1
    assert err == ["MISSING: no-such-dist is missing or broken (ModuleNotFoundError): run `make install`"]


def _fake_kernel(root: Path, python: str) -> None:
    spec = root / "kernels" / doctor.KERNEL_NAME
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps(
        {"argv": [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
         "display_name": "impostor", "language": "python"}))


def test_kernel_pointing_elsewhere_is_reported(tmp_path, monkeypatch) -> None:
    _fake_kernel(tmp_path, "/usr/bin/python3")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    report = doctor.Report()
    doctor.check_kernel(report)
    assert len(report.problems) == 1 and "not this interpreter" in report.problems[0]


def test_unregistered_kernel_is_reported(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(doctor, "KERNEL_NAME", "teleradlab-does-not-exist")
    report = doctor.Report()
    doctor.check_kernel(report)
    assert len(report.problems) == 1 and "is not registered" in report.problems[0]
    assert sys.executable in report.problems[0]


@pytest.mark.parametrize("version", [(3, 10, 0)])
def test_old_python_is_reported(monkeypatch, version) -> None:
    class V(tuple):
        major, minor, micro = version

    monkeypatch.setattr(doctor.sys, "version_info", V(version))
    report = doctor.diagnose()
    assert any("too old" in p for p in report.problems)
