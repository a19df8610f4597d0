"""The discrete-event engine: acquisition → transfer → queue → read → report.

:func:`run` lays out the run's resources (:mod:`~teleradlab.network.resources`) and
hands them to one of two engines that give identical results:

``"compiled"`` (the default)
    :mod:`~teleradlab.network.engine_compiled`, the event loop on NumPy arrays
    compiled with Numba: what every simulation uses.
``"reference"``
    :mod:`~teleradlab.network.engine_reference`, the same loop in plain Python,
    written to be read; the specification the compiled loop is tested against.
"""

from __future__ import annotations

from teleradlab.errors import SimulationError
from teleradlab.network.resources import (
    EngineResult,
    Radiologist,
    haversine_km,
    prepare,
    shift_intervals,
)
from teleradlab.network.scenario import Scenario
from teleradlab.network.workload import Workload

ENGINES = ("compiled", "reference")

__all__ = ["ENGINES", "EngineResult", "Radiologist", "haversine_km", "run", "shift_intervals"]


def run(scenario: Scenario, wl: Workload, *, days: float, drain_days: float = 14.0,
        engine: str = "compiled") -> EngineResult:
    """Simulate one replication of ``wl`` through ``scenario``.

    Parameters
    ----------
    scenario : Scenario
    wl : Workload
        The studies (see :func:`teleradlab.network.workload.generate`).
    days : float
        The arrival period; shifts are laid out for it plus ``drain_days``.
    drain_days : float
        After the last arrival the simulation runs on, shifts and all, until every
        queue is empty or this many days have passed; studies still unread then
        keep NaN report times (they are "in the system at the end").
    engine : {"compiled", "reference"}
        Which implementation of the event loop to use (they agree exactly).

    Returns
    -------
    EngineResult
    """
    if engine not in ENGINES:
        raise SimulationError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}", where="engine")
    res = prepare(scenario, wl.t0, days=days, drain_days=drain_days, workload=wl)
    if engine == "reference":
        from teleradlab.network.engine_reference import run_reference

        return run_reference(scenario, wl, res)
    from teleradlab.network.engine_compiled import run_compiled

    return run_compiled(scenario, wl, res)
