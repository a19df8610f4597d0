"""Queueing-check scenarios: the M/M/c and M/G/c settings :mod:`teleradlab.network.theory` has formulas for."""

from __future__ import annotations

from typing import Any


def queue_scenario(*, c: int, mean: float, rho: float, dist: dict | None = None, worklist: str = "fifo",
                   priority_mix: dict | None = None, modality: str = "CT") -> dict:
    """A queueing-check scenario: Poisson arrivals, ``c`` round-the-clock radiologists, no transfer delay.

    Arrivals are set so that utilisation is ``rho`` for reading times of mean ``mean``
    minutes (exponential unless ``dist`` says otherwise); the result is the raw mapping
    :func:`~teleradlab.network.scenario.load_scenario` takes, ready for comparison with
    :mod:`teleradlab.network.theory`.

    Examples
    --------
    >>> from teleradlab.network.scenario import load_scenario
    >>> sc = load_scenario(queue_scenario(c=2, mean=10, rho=0.8))
    >>> round(sc.sites[0].modalities["CT"].studies_per_day, 1)
    230.4
    """
    load: dict[str, Any] = {"studies_per_day": rho * c / mean * 1440, "profile": "flat"}
    if priority_mix:
        load["priority_mix"] = priority_mix
    return {
        "name": f"M/{'M' if dist is None else 'G'}/{c} check",
        "sites": [{"name": "s", "country": "DE", "timezone": "UTC", "location": [0, 0],
                   "modalities": {modality: load}}],
        "centres": [{"name": "c", "country": "DE", "timezone": "UTC", "location": [0, 0],
                     "radiologists": [{"group": "g", "count": int(c), "shift": "24/7"}]}],
        "links": [{"site": "s", "centre": "c", "bandwidth_mbps": float("inf"), "rtt_ms": 0}],
        "reading_time_minutes": {modality: dist or {"dist": "exponential", "mean": mean}},
        "worklist": worklist,
    }
