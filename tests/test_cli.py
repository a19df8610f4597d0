import subprocess
import sys

from teleradlab import __version__
from teleradlab.cli import build_parser, main


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "teleradlab.cli", *args],
                          capture_output=True, text=True, timeout=120)


def test_version() -> None:
    out = run_cli("--version")
    assert out.returncode == 0
    assert out.stdout.strip() == f"teleradlab {__version__}"


def test_no_command_prints_help_and_fails() -> None:
    assert main([]) == 2


def test_bad_input_is_one_line_without_traceback(tmp_path) -> None:
    out = run_cli("run", "--notebooks", str(tmp_path / "missing"), "--no-datasets")
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert "Traceback" not in out.stderr
    assert str(tmp_path / "missing") in lines[0] and "no such folder" in lines[0]


def test_core_subcommands_are_registered() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert {"doctor", "run"} <= set(sub.choices)
