"""Scenario builders shared by the network tests."""

from __future__ import annotations

import pytest


def queue_scenario(*, c: int, mean: float, rho: float, dist: dict | None = None, worklist: str = "fifo",
                   priority_mix: dict | None = None) -> dict:
    """A queueing check: Poisson arrivals, c round-the-clock radiologists, no transfer delay."""
    lam_per_min = rho * c / mean
    load = {"studies_per_day": lam_per_min * 1440, "profile": "flat"}
    if priority_mix:
        load["priority_mix"] = priority_mix
    return {
        "name": "queue-check",
        "sites": [{"name": "s", "country": "DE", "timezone": "UTC", "location": [0, 0], "modalities": {"CT": load}}],
        "centres": [{"name": "c", "country": "DE", "timezone": "UTC", "location": [0, 0],
                     "radiologists": [{"group": "g", "count": c, "shift": "24/7"}]}],
        "links": [{"site": "s", "centre": "c", "bandwidth_mbps": float("inf"), "rtt_ms": 0}],
        "reading_time_minutes": {"CT": dist or {"dist": "exponential", "mean": mean}},
        "worklist": worklist,
    }


@pytest.fixture
def canonical(repo_root):
    return repo_root / "datasets" / "scenarios" / "two_hospitals_one_hub.yaml"
