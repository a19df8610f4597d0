"""Shared test configuration."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

os.environ.setdefault("TELERADLAB_NO_PROGRESS", "1")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository's root folder."""
    return ROOT


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ARG001
    """Print each notebook's run time after the test summary."""
    try:
        from tests.test_notebooks import TIMES
    except ImportError:
        import sys

        module = next((m for n, m in sys.modules.items() if n.endswith("test_notebooks")), None)
        TIMES = getattr(module, "TIMES", {})
    if TIMES:
        terminalreporter.section("notebook run times (ci=True)")
        for name, seconds in sorted(TIMES.items()):
            terminalreporter.write_line(f"{seconds:7.1f} s  {name}")
        terminalreporter.write_line(f"{sum(TIMES.values()):7.1f} s  total (kernel time, two at a time)")
