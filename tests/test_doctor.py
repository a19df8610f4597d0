import argparse
import json
import subprocess
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


@pytest.mark.parametrize("deep", [False, True])
def test_missing_package_is_one_line(monkeypatch, capsys, deep) -> None:
    monkeypatch.setattr(doctor, "REQUIRED", doctor.REQUIRED + (("no-such-dist", "no_such_module_xyz"),))
    rc = doctor._run(argparse.Namespace(deep=deep))
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 1
    assert err == ["MISSING: no-such-dist is missing or broken (ModuleNotFoundError): run `make install`"]


def test_installed_module_without_its_distribution_is_reported(monkeypatch) -> None:
    """The module is found but pip knows no such distribution: not a working install either."""
    monkeypatch.setattr(doctor, "REQUIRED", (("no-such-dist-xyz", "json"),))
    report = doctor.diagnose()
    assert report.problems == ["no-such-dist-xyz is missing or broken (PackageNotFoundError): run `make install`"]


def test_broken_package_is_caught_by_the_deep_check_only(tmp_path, monkeypatch) -> None:
    """A package that is on disk but fails on import: located by the quick check, refused by the deep one."""
    (tmp_path / "broken_pkg_xyz").mkdir()
    (tmp_path / "broken_pkg_xyz" / "__init__.py").write_text("raise ImportError('half-installed')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert doctor.module_status("broken_pkg_xyz") is None
    assert doctor.module_status("broken_pkg_xyz", deep=True) == "ImportError"
    sys.modules.pop("broken_pkg_xyz", None)


def test_quick_check_is_fast_in_a_fresh_interpreter_and_says_so() -> None:
    """A fresh interpreter (nothing imported yet, as in a notebook's first cells): well under 5 s."""
    code = ("import json, sys, time; t = time.perf_counter(); from teleradlab.doctor import diagnose; "
            "r = diagnose(); print(json.dumps({'seconds': time.perf_counter() - t, 'info': r.info, "
            "'problems': r.problems, 'jupyterlab': 'jupyterlab' in sys.modules}))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    out = json.loads(done.stdout)
    assert out["seconds"] < 5, out["seconds"]
    assert not out["jupyterlab"]  # the quick check locates JupyterLab without importing it (seconds)
    assert any(line.startswith("checks: quick") and "--deep" in line for line in out["info"])
    assert any(line.startswith("jupyterlab ") for line in out["info"]) and out["problems"] == []


def test_deep_check_imports_and_says_so(monkeypatch) -> None:
    monkeypatch.setattr(doctor, "REQUIRED", (("pyyaml", "yaml"),))
    monkeypatch.setattr(doctor, "OPTIONAL", ())
    report = doctor.diagnose(deep=True)
    assert report.deep and "checks: deep (every package imported)" in report.info and "yaml" in sys.modules


def _fake_kernel(root: Path, python: str, metadata: dict | None = None) -> None:
    spec = root / "kernels" / doctor.KERNEL_NAME
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps(
        {"argv": [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
         "display_name": "impostor", "language": "python", "metadata": metadata or {}}))


def test_kernel_registered_without_the_provisioner_is_noted(tmp_path, monkeypatch) -> None:
    """A plain `ipykernel install` works (no problem) but runs on TCP: doctor says how to change that."""
    _fake_kernel(tmp_path, sys.executable)
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    report = doctor.Report()
    doctor.check_kernel(report)
    assert report.problems == [] and "teleradlab.kernel install" in report.info[-1]


def test_kernel_with_an_unknown_provisioner_is_reported(tmp_path, monkeypatch) -> None:
    _fake_kernel(tmp_path, sys.executable, {"kernel_provisioner": {"provisioner_name": "no-such-provisioner"}})
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    report = doctor.Report()
    doctor.check_kernel(report)
    assert len(report.problems) == 1 and "'no-such-provisioner'" in report.problems[0], report.problems


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
