"""Scenario builders shared by the network tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def canonical(repo_root):
    return repo_root / "datasets" / "scenarios" / "two_hospitals_one_hub.yaml"
