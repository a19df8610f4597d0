"""The reference engine: the event loop in plain Python, written to be read.

A heap of timestamped events in the spirit of SimPy, with the teleradiology logic on
top. It is the specification that the compiled engine
(:mod:`~teleradlab.network.engine_compiled`) is tested against, event for event.

- **Routing** picks a reading centre when a study is acquired (policies in
  :data:`~teleradlab.network.scenario.ROUTING`).
- **Transfers** first wait out their latency (set-up, a round trip per instance,
  stalls: :func:`teleradlab.network.transfer.predict`, which does not occupy the
  link), then move their payload bytes sharing the link's rate equally with the
  other transfers in flight (processor sharing); outages and availability windows
  stop the flow.
- **Worklists** order each centre's queue (``fifo``, ``priority``, ``preemptive``,
  ``cherry_pick`` of short studies) by class: the priorities, with each AI's flag a
  class of its own (:func:`~teleradlab.network.triage.worklist_class`). Under
  ``preemptive`` an arriving study interrupts the lowest-class read in progress; the
  interrupted study goes back to its worklist *ahead of every other study of its
  class* (ordered among themselves by the time they were first queued) and, with
  ``preempt: resume`` (the default), keeps the work done; with ``preempt: repeat`` it
  starts again from scratch with the same reading time (preemptive-repeat-identical).
- **Radiologists** start a read only while on shift and licensed for the study's
  site; a read that runs past the end of a shift is finished.
- **The workstation** (:mod:`~teleradlab.network.workstation`): a radiologist who
  opens a study is busy for ``first + max(work / speed, loaded - first)`` — waiting
  for the first image, then reading while the rest loads, and not finishing before
  the study has loaded. The waiting part (before the first image, and after the
  reading work is done until the study has loaded) is counted apart from reading.
  A preemption keeps the loading done so far (the clock stops while the study is
  put aside).

Ties in time are broken by the order in which events were scheduled; arrivals are
scheduled first, in acquisition order.

Busy minutes of radiologists and links are returned in the
:class:`~teleradlab.network.resources.EngineResult`; the inputs are not changed (the
radiologists' run state lives in copies).
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, replace

import numpy as np

from teleradlab.network.resources import EngineResult, Radiologist, Resources, at_centre
from teleradlab.network.scenario import Scenario
from teleradlab.network.triage import worklist_class
from teleradlab.network.workload import Workload
from teleradlab.network.workstation import occupancy

NAN = float("nan")
ARRIVE, JOIN, LINK, READ_DONE, SHIFT_START, LINK_STATE = range(6)


@dataclass
class _LinkState:
    rate: float  # bytes per minute when available
    up: bool = True
    last: float = 0.0
    version: int = 0
    busy_minutes: float = 0.0


def run_reference(scenario: Scenario, wl: Workload, res: Resources) -> EngineResult:
    """Simulate one replication of ``wl`` through ``scenario`` in plain Python.

    Parameters
    ----------
    scenario : Scenario
    wl : Workload
        The studies (see :func:`teleradlab.network.workload.generate`).
    res : Resources
        Shifts, links and distances (see :func:`teleradlab.network.resources.prepare`).

    Returns
    -------
    EngineResult
    """
    n = len(wl)
    centres = scenario.centres
    horizon = res.horizon
    site_links, dist, sub_of = res.site_links, res.dist, res.need
    # the radiologists' state (study, token, began) lives in copies: ``res`` is not changed
    rads = [replace(r, study=-1, token=0, began=0.0) for r in res.radiologists]
    by_centre = [[rads[r.index] for r in there] for there in res.by_centre]
    links = {k: _LinkState(rate=v.rate, up=v.up) for k, v in res.links.items()}

    # ---------------------------------------------------------------- per-study state (lists are fast)
    acq = wl.acquired.tolist()
    site_of = wl.site.tolist()
    mod_of = wl.modality.tolist()
    prio = wl.priority.tolist()
    flag = wl.ai_flag.tolist()
    base = wl.reading_base.tolist()
    work = list(base)  # remaining reading work at speed 1
    sent = res.payload.tolist()  # [study][centre] bytes moved at the link's shared rate
    lat = res.latency.tolist()  # [study][centre] minutes that do not occupy the link
    first_at = res.first_image.tolist()  # [study][centre] minutes from opening to the first image
    loaded_at = res.loaded.tolist()  # [study][centre] minutes from opening to the study loaded
    ws_first = [0.0] * n  # minutes still to the first image, once routed
    ws_loaded = [0.0] * n  # minutes still to the study loaded
    ws_waited = [0.0] * n  # minutes a radiologist waited on the workstation, every segment
    eff_prio = worklist_class(scenario, wl).tolist()  # 0 is read first
    mean_read = {mi: scenario.reading[m].mean for mi, m in enumerate(wl.modalities)}
    centre_of = [-1] * n
    rad_of = [-1] * n
    t_ts, t_te = [NAN] * n, [NAN] * n
    r_s, r_e = [NAN] * n, [NAN] * n
    unread = [False] * n
    preempted = [0] * n
    waited = [0.0] * n  # minutes in a worklist, every stay
    read = [0.0] * n  # minutes being read, every segment
    since = [NAN] * n  # when the current stay in a worklist began
    resumed = [False] * n  # back in the worklist after a preemption: ahead of its class
    log_study: list[int] = []  # one row per preemption: study, when, when it was taken up again
    log_at: list[float] = []
    log_back: list[float] = []
    log_open = [-1] * n
    remaining = [0.0] * n  # bytes left in transfer
    busy = [0.0] * len(rads)  # minutes each radiologist was occupied by reads, workstation waits included
    in_transit = [0] * len(centres)
    active: dict[tuple[int, int], set[int]] = {k: set() for k in links}

    discipline = scenario.worklist
    preemptive = discipline == "preemptive"
    repeat = scenario.preempt == "repeat"
    # centre → site → heap of (key..., study)
    queues: list[dict[int, list]] = [{} for _ in centres]
    queued_n = [0] * len(centres)

    def key(i: int, tq: float) -> tuple:
        if discipline == "fifo":
            return (tq, i)
        if discipline == "cherry_pick":
            return (0 if prio[i] == 0 or flag[i] else 1, mean_read[mod_of[i]], tq, i)
        return (eff_prio[i], -1.0 if resumed[i] else 0.0, tq, i)

    events: list[tuple] = []
    seq = 0

    def push(t: float, kind: int, a: int = 0, b: int = 0, c: int = 0) -> None:
        nonlocal seq
        seq += 1
        heapq.heappush(events, (t, seq, kind, a, b, c))

    for i in range(n):
        push(acq[i], ARRIVE, i)
    for r in rads:
        for a, _ in r.intervals:
            if 0 < a < horizon:
                push(a, SHIFT_START, r.index)
    for t, si, ci, up in res.link_events:
        push(t, LINK_STATE, si, ci, 1 if up else 0)

    # ---------------------------------------------------------------- helpers
    def on_shift_count(ci: int, si: int, t: float) -> int:
        return sum(1 for r in by_centre[ci] if si in r.sites and r.on_shift(t))

    def load(ci: int, si: int, t: float) -> float:
        staff = on_shift_count(ci, si, t)
        busy = sum(1 for r in by_centre[ci] if r.study >= 0)
        pending = queued_n[ci] + in_transit[ci] + busy
        return (pending + 1) / staff if staff else math.inf

    def route(i: int, t: float) -> int:
        si = site_of[i]
        cands = site_links[si]
        if not cands:
            return -1
        if len(cands) == 1:
            return cands[0]
        policy = scenario.routing
        if policy == "nearest":
            return min(cands, key=lambda c: dist[si][c])
        if policy == "local_first":
            for c in cands:
                if on_shift_count(c, si, t):
                    return c
            return min(cands, key=lambda c: (load(c, si, t), dist[si][c]))
        if policy == "subspecialty":
            need = sub_of[si].get(wl.modalities[mod_of[i]])
            if need:
                good = [c for c in cands if any(si in r.sites and need in r.group.subspecialties and r.on_shift(t)
                                                for r in by_centre[c])]
                if good:
                    return min(good, key=lambda c: load(c, si, t))
            return min(cands, key=lambda c: (load(c, si, t), dist[si][c]))
        if policy == "follow_the_sun":
            return max(cands, key=lambda c: (on_shift_count(c, si, t), -load(c, si, t)))
        return min(cands, key=lambda c: (load(c, si, t), dist[si][c]))  # least_loaded

    def start_read(r: Radiologist, i: int, t: float) -> None:
        r.study = i
        r.token += 1
        r.began = t
        rad_of[i] = r.index
        if r_s[i] != r_s[i]:  # first start only (NaN check)
            r_s[i] = t
        waited[i] += t - since[i]
        if log_open[i] >= 0:
            log_back[log_open[i]] = t
            log_open[i] = -1
        push(t + occupancy(ws_first[i], ws_loaded[i], work[i], r.speed), READ_DONE, r.index, i, r.token)

    def workstation_part(j: int, e: float, speed: float) -> float:
        """Of ``e`` minutes of an open segment of ``j``: count the workstation waits; return those before the first image."""
        f, lo, w = ws_first[j], ws_loaded[j], work[j] / speed
        before = min(e, f)
        after = max(e - f - w, 0.0) if lo - f > w else 0.0  # read done, the last images still loading
        ws_waited[j] += before + after
        return before

    def enqueue(i: int, t: float) -> None:
        ci = centre_of[i]
        si = site_of[i]
        # an idle, on-shift, eligible radiologist takes it at once
        best = None
        for r in by_centre[ci]:
            if r.study < 0 and si in r.sites and r.on_shift(t):
                best = r
                break
        if best is not None:
            start_read(best, i, t)
            return
        if preemptive:
            victim = None
            for r in by_centre[ci]:
                if r.study >= 0 and si in r.sites and eff_prio[r.study] > eff_prio[i]:
                    if victim is None or eff_prio[r.study] > eff_prio[victim.study]:
                        victim = r
            if victim is not None:
                j = victim.study
                e = t - victim.began
                before = workstation_part(j, e, victim.speed)
                work[j] = base[j] if repeat else max(work[j] - (e - before) * victim.speed, 0.0)
                ws_first[j] = max(ws_first[j] - e, 0.0)
                ws_loaded[j] = max(ws_loaded[j] - e, 0.0)
                busy[victim.index] += t - victim.began
                read[j] += t - victim.began
                preempted[j] += 1
                victim.study = -1
                since[j] = t
                resumed[j] = True
                log_open[j] = len(log_study)
                log_study.append(j)
                log_at.append(t)
                log_back.append(NAN)
                _queue(j, t_te[j])  # ahead of its class, in the order first queued
                start_read(victim, i, t)
                return
        _queue(i, t)

    def _queue(i: int, t: float) -> None:
        ci = centre_of[i]
        heapq.heappush(queues[ci].setdefault(site_of[i], []), (*key(i, t), i))
        queued_n[ci] += 1

    def pull(r: Radiologist, t: float) -> bool:
        qs = queues[r.centre]
        best_site, best_head = -1, None
        for si in r.sites:
            q = qs.get(si)
            if q and (best_head is None or q[0] < best_head):
                best_site, best_head = si, q[0]
        if best_head is None:
            return False
        heapq.heappop(qs[best_site])
        queued_n[r.centre] -= 1
        start_read(r, best_head[-1], t)
        return True

    def link_advance(k: tuple[int, int], t: float) -> None:
        st = links[k]
        act = active[k]
        if act and st.up and not math.isinf(st.rate):
            share = st.rate * (t - st.last) / len(act)
            for i in act:
                remaining[i] -= share
            st.busy_minutes += t - st.last
        st.last = t

    def link_schedule(k: tuple[int, int], t: float) -> None:
        st = links[k]
        st.version += 1
        act = active[k]
        if not act or not st.up:
            return
        if math.isinf(st.rate):
            push(t, LINK, k[0], k[1], st.version)
            return
        least = min(remaining[i] for i in act)
        push(t + max(least, 0.0) * len(act) / st.rate, LINK, k[0], k[1], st.version)

    def transfer_done(i: int, t: float) -> None:
        t_te[i] = t
        since[i] = t
        in_transit[centre_of[i]] -= 1
        enqueue(i, t)

    # ---------------------------------------------------------------- main loop
    outstanding = n
    while events and outstanding > 0:
        t, _, kind, a, b, c = heapq.heappop(events)
        if t > horizon:
            break
        if kind == ARRIVE:
            i = a
            ci = route(i, t)
            if ci < 0:
                unread[i] = True
                outstanding -= 1
                continue
            centre_of[i] = ci
            ws_first[i] = first_at[i][ci]
            ws_loaded[i] = loaded_at[i][ci]
            in_transit[ci] += 1
            t_ts[i] = t
            st = links[(site_of[i], ci)]
            if lat[i][ci] == 0 and math.isinf(st.rate) and st.up:
                transfer_done(i, t)
            else:
                push(t + lat[i][ci], JOIN, i)
        elif kind == JOIN:
            i = a
            k = (site_of[i], centre_of[i])
            link_advance(k, t)
            remaining[i] = sent[i][centre_of[i]]
            active[k].add(i)
            link_schedule(k, t)
        elif kind == LINK:
            k = (a, b)
            if c != links[k].version:
                continue
            link_advance(k, t)
            done = [i for i in active[k] if remaining[i] <= 1e-6 * max(sent[i][centre_of[i]], 1.0) or math.isinf(links[k].rate)]
            for i in done:
                active[k].discard(i)
            for i in sorted(done):
                transfer_done(i, t)
            link_schedule(k, t)
        elif kind == LINK_STATE:
            k = (a, b)
            link_advance(k, t)
            links[k].up = bool(c)
            link_schedule(k, t)
        elif kind == READ_DONE:
            r = rads[a]
            if c != r.token or r.study != b:
                continue
            i = b
            r_e[i] = t
            workstation_part(i, t - r.began, r.speed)
            busy[r.index] += t - r.began
            read[i] += t - r.began
            r.study = -1
            outstanding -= 1
            if r.on_shift(t):
                pull(r, t)
        elif kind == SHIFT_START:
            r = rads[a]
            if r.study < 0:
                # a shift start may be the start of a merged interval: pull while on shift
                pull(r, t)

    return EngineResult(
        centre=np.asarray(centre_of, np.int16), radiologist=np.asarray(rad_of, np.int32),
        transfer_start=np.asarray(t_ts), transfer_end=np.asarray(t_te), read_start=np.asarray(r_s),
        read_end=np.asarray(r_e), unread=np.asarray(unread, bool), preemptions=np.asarray(preempted, np.int16),
        wait=np.where(np.isnan(r_e), NAN, waited), reading=np.where(np.isnan(r_e), NAN, read),
        preempt_study=np.asarray(log_study, np.int64), preempt_at=np.asarray(log_at, float),
        preempt_back=np.asarray(log_back, float),
        workstation=np.where(np.isnan(r_e), NAN, ws_waited),
        first_image=at_centre(res.first_image, np.asarray(centre_of)),
        loaded=at_centre(res.loaded, np.asarray(centre_of)),
        radiologists=rads, radiologist_busy=np.asarray(busy, float),
        link_busy={k: v.busy_minutes for k, v in links.items()}, horizon=horizon,
    )
