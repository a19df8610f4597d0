"""A straightforward SimPy model of a single-centre teleradiology network: the reference.

This is what a researcher would otherwise write: arrivals as processes, each
radiologist a process that works while on shift and takes the next study from a
priority store, transfers as delays: the transfer model's latency (round trips per
instance, set-up: :func:`teleradlab.network.transfer.predict`), then the payload at
the link's rate. It reads the same workload (arrival times, instances, sizes as sent,
reading times) that teleradlab generates, so that both models see the same studies;
``bench_network.py`` times both and compares their turnaround distributions.
Supports one centre with one link per site (payloads do not share bandwidth),
``fifo`` or ``priority`` worklists, and licensure by country — enough for
``single_hospital_ed.yaml``.
"""

from __future__ import annotations

import bisect

import numpy as np
import simpy

from teleradlab.network.engine import shift_intervals
from teleradlab.network.scenario import Scenario, eligible
from teleradlab.network.triage import worklist_class
from teleradlab.network.workload import Workload


def simulate_simpy(scenario: Scenario, wl: Workload, *, days: float, drain_days: float = 14.0) -> np.ndarray:
    """Run the SimPy model; return turnaround minutes per study (NaN if unreported)."""
    if len(scenario.centres) != 1:
        raise ValueError("the SimPy reference models one reading centre")
    env = simpy.Environment()
    centre = scenario.centres[0]
    n_days = int(np.ceil(days + drain_days))
    store = simpy.PriorityStore(env)
    turnaround = np.full(len(wl), np.nan)
    links = {lk.site: lk for lk in scenario.links}
    site_names = [s.name for s in scenario.sites]
    if scenario.worklist not in ("fifo", "priority"):
        raise ValueError(f"the SimPy reference models fifo and priority worklists, not {scenario.worklist!r}")
    priority_first = scenario.worklist == "priority"
    klass = worklist_class(scenario, wl)  # priorities, with AI-flagged studies in their own class

    def study(i: int):
        yield env.timeout(float(wl.acquired[i]))
        link = links[site_names[wl.site[i]]]
        if not link.ideal:
            timing = link.timing(int(wl.images[i]), float(wl.bytes_per_instance[i]))
            yield env.timeout(timing.latency_s / 60)  # round trips and stalls
            yield env.timeout(timing.payload_s / 60)  # the bytes at the link's rate
        key = (int(klass[i]) if priority_first else 0, env.now, i)
        yield store.put(simpy.PriorityItem(key, i))

    def radiologist(intervals: list[tuple[float, float]], speed: float, readable: frozenset[int]):
        starts = [a for a, _ in intervals]
        while True:
            t = env.now
            k = bisect.bisect_right(starts, t) - 1
            if k < 0 or not intervals[k][0] <= t < intervals[k][1]:
                if k + 1 >= len(starts):
                    return
                yield env.timeout(starts[k + 1] - t)
                continue
            end = intervals[k][1]
            get = store.get()
            timeout = env.timeout(end - t) if end < float("inf") else None
            got = yield (get | timeout) if timeout is not None else get
            if get not in got:
                get.cancel()
                continue
            i = got[get].item
            yield env.timeout(float(wl.reading_base[i]) / speed)
            turnaround[i] = env.now - float(wl.acquired[i])

    for i in range(len(wl)):
        env.process(study(i))
    for g in centre.groups:
        iv = shift_intervals(g.shift, centre.timezone, scenario.start, n_days, wl.t0)
        readable = frozenset(si for si, s in enumerate(scenario.sites) if eligible(g, s))
        for _ in range(g.count):
            env.process(radiologist(iv, g.speed, readable))
    env.run(until=(n_days + 1) * 1440.0)
    return turnaround
