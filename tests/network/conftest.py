"""Scenario builders shared by the network tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def canonical(repo_root):
    return repo_root / "datasets" / "scenarios" / "two_hospitals_one_hub.yaml"


@pytest.fixture(params=["compiled", "reference"])
def which(request) -> str:
    """Each engine in turn: the compiled one and the plain-Python reference."""
    return request.param
