"""Upper bounds on the size of a job, checked before any memory is allocated for it.

A typo (``count: 1e9`` radiologists, ``studies_per_day: 1e12``, a 20^10 grid,
``random: {n: 1e9}``) must fail at once with a clear error, not hang or end in a
MemoryError after minutes. The bounds are guards, not model constants: each lies far
above any workload the notebooks and benchmarks use and far below what exhausts a
24 GB machine, and each is overridable by an explicit option named in its error.
"""

from __future__ import annotations

from typing import Any

from teleradlab.errors import SimulationError, SweepError

#: Most studies one replication may generate (days incl. warm-up x studies per day over
#: all sites). The simulator keeps ~40 float64 columns per study (~0.3 kB): 5 million
#: studies is ~1.6 GB per replication; the canonical 30-day scenario has ~9,000.
MAX_STUDIES = 5_000_000
#: Most studies one simulation may generate over all its replications: every replication's
#: studies are kept for the result (~0.3 kB each), so 20 million is ~6 GB; a thousand
#: replications of the canonical 30-day scenario is ~9 million.
MAX_TOTAL_STUDIES = 20_000_000
#: Most radiologists in one scenario (all groups of all centres); the simulator keeps
#: per-radiologist state and events. The shipped scenarios have at most a few dozen.
MAX_RADIOLOGISTS = 20_000
#: Most local worker processes a sweep starts (``--workers N``, ``--cluster local:N``): a
#: process pool forks all of its workers at once, so ``--workers 1e9`` was a fork bomb; 256
#: is above the core count of any single machine this runs on.
MAX_LOCAL_WORKERS = 256
#: Most points in a sweep's parameter space (a grid's product of list lengths, or a
#: random / Latin-hypercube sample's n), counted before the space is built.
MAX_POINTS = 100_000


def check_simulation_size(scenario: Any, days: float, *, max_studies: float = MAX_STUDIES,
                          max_radiologists: int = MAX_RADIOLOGISTS, replications: int = 1,
                          max_total_studies: float = MAX_TOTAL_STUDIES) -> None:
    """Refuse a simulation too large to run, before it allocates anything.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario (sites with modality loads, centres with groups).
    days : float
        Days of arrivals per replication, warm-up included.
    max_studies : float
        Bound on ``days x`` total studies per day (:data:`MAX_STUDIES`).
    max_radiologists : int
        Bound on the radiologists of all groups (:data:`MAX_RADIOLOGISTS`).
    replications : int
        Replications of the simulation.
    max_total_studies : float
        Bound on ``replications x days x`` total studies per day (:data:`MAX_TOTAL_STUDIES`).

    Raises
    ------
    SimulationError
        Naming the expected size, the bound and the option that raises it.
    """
    per_day = sum(float(m.studies_per_day) for s in scenario.sites for m in s.modalities.values())
    expected = per_day * float(days)
    if expected > max_studies:
        raise SimulationError(f"{days:g} days x {per_day:,.0f} studies per day = {expected:,.0f} studies per "
                              f"replication, above the limit of {max_studies:,.0f}; shorten the run, or raise "
                              "the limit explicitly (max_studies=..., CLI --max-studies)", where="days")
    if expected * replications > max_total_studies:
        raise SimulationError(f"{replications:,} replications x {expected:,.0f} studies = {expected * replications:,.0f} "
                              f"studies in all, above the limit of {max_total_studies:,.0f}; run fewer "
                              "replications, or raise the limit explicitly (max_total_studies=..., CLI "
                              "--max-total-studies)", where="replications")
    staff = sum(int(g.count) for c in scenario.centres for g in c.groups)
    if staff > max_radiologists:
        raise SimulationError(f"{staff:,} radiologists, above the limit of {max_radiologists:,}; raise it "
                              "explicitly (max_radiologists=..., CLI --max-radiologists)", where="centres")


def check_points(n: int | float, where: str, *, max_points: int = MAX_POINTS) -> None:
    """Refuse a sweep space of more than ``max_points`` points, before it is built.

    Parameters
    ----------
    n : int or float
        The number of points the space would hold (a grid's product may be huge).
    where : str
        The key path of the space in the spec.
    max_points : int
        The bound (:data:`MAX_POINTS`).

    Raises
    ------
    SweepError
        Naming the size, the bound and how to raise it.
    """
    if n > max_points:
        raise SweepError(f"the space has {n:,.0f} points, above the limit of {max_points:,}; shrink it, or "
                         "raise the limit explicitly (load_spec(..., max_points=...), CLI --max-points)",
                         where=where)
