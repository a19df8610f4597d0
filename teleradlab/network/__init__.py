"""Teleradiology networks: scenarios, workload, the event engine, results and queueing theory.

    from teleradlab.network import load_scenario, simulate, theory
    res = simulate(load_scenario("datasets/scenarios/single_hospital_ed.yaml"), days=30, seed=1)
    res.summary()
"""

from teleradlab.network import theory
from teleradlab.network.results import SimulationResult, compare
from teleradlab.network.scenario import Scenario, apply_overrides, load_scenario, queue_scenario
from teleradlab.network.simulation import simulate

__all__ = [
    "Scenario", "SimulationResult", "apply_overrides", "compare", "load_scenario", "queue_scenario", "simulate",
    "theory",
]
