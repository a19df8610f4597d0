"""The compiled engine: the reference event loop, array for array, compiled with Numba.

Same events, same tie-breaking and same arithmetic as
:mod:`~teleradlab.network.engine_reference` (tests hold the two to identical
results on every bundled scenario and policy), but with the study, radiologist and
link state in NumPy arrays and the loop compiled to machine code, which makes it
about twenty times faster (over a million studies a second). Numba's on-disk cache
keeps the compiled loop; ``make install`` fills it (:func:`warm_up`), so no
simulation pays the ~20 s of compilation.

Layout: arrivals are already sorted, so they are read from the workload in order
instead of being pushed on the event heap (an arrival always wins a tie, as in the
reference, where arrivals are scheduled first). Each (centre, site) pair has its own
worklist heap of study indices, ordered by (key1, key2, time queued, study); under
``preemptive`` a preempted study goes back with key2 = −1 and its first queueing
time, ahead of its class. Preemptions are logged in arrays that grow by doubling.
The busy minutes of radiologists and links are returned with the rest of the
result; nothing the loop is given is written.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from teleradlab.network.resources import EngineResult, Resources, at_centre
from teleradlab.network.scenario import ROUTING, Scenario
from teleradlab.network.triage import worklist_class
from teleradlab.network.workload import Workload

JOIN, LINK, READ_DONE, SHIFT_START, LINK_STATE = 1, 2, 3, 4, 5
LOCAL_FIRST, LEAST_LOADED, NEAREST, SUBSPECIALTY, FOLLOW_THE_SUN = (ROUTING.index(p) for p in (
    "local_first", "least_loaded", "nearest", "subspecialty", "follow_the_sun"))
INF = math.inf


# --------------------------------------------------------------------------- event heap: (time, seq) order
@njit(cache=True)
def _ev_move(ht, hd, dst, src):
    ht[dst] = ht[src]
    for j in range(5):
        hd[dst, j] = hd[src, j]


@njit(cache=True)
def _ev_push(ht, hd, st, t, kind, a, b, c):
    st[0] += 1
    seq = st[0]
    k = st[1]
    st[1] = k + 1
    while k > 0:
        p = (k - 1) >> 1
        tp = ht[p]
        if tp < t or (tp == t and hd[p, 0] < seq):
            break
        _ev_move(ht, hd, k, p)
        k = p
    ht[k] = t
    hd[k, 0] = seq
    hd[k, 1] = kind
    hd[k, 2] = a
    hd[k, 3] = b
    hd[k, 4] = c


@njit(cache=True)
def _ev_pop(ht, hd, st):
    t = ht[0]
    kind, a, b, c = hd[0, 1], hd[0, 2], hd[0, 3], hd[0, 4]
    n = st[1] - 1
    st[1] = n
    if n > 0:
        lt = ht[n]
        ls, l1, l2, l3, l4 = hd[n, 0], hd[n, 1], hd[n, 2], hd[n, 3], hd[n, 4]
        k = 0
        while True:
            m = 2 * k + 1
            if m >= n:
                break
            r = m + 1
            if r < n and (ht[r] < ht[m] or (ht[r] == ht[m] and hd[r, 0] < hd[m, 0])):
                m = r
            if ht[m] < lt or (ht[m] == lt and hd[m, 0] < ls):
                _ev_move(ht, hd, k, m)
                k = m
            else:
                break
        ht[k] = lt
        hd[k, 0], hd[k, 1], hd[k, 2], hd[k, 3], hd[k, 4] = ls, l1, l2, l3, l4
    return t, kind, a, b, c


# --------------------------------------------------------------------------- worklist heaps of study indices
@njit(cache=True)
def _q_less(k1, k2, tq, i, j):
    if k1[i] != k1[j]:
        return k1[i] < k1[j]
    if k2[i] != k2[j]:
        return k2[i] < k2[j]
    if tq[i] != tq[j]:
        return tq[i] < tq[j]
    return i < j


@njit(cache=True)
def _q_push(qs, q_off, q_n, p, i, k1, k2, tq):
    base = q_off[p]
    k = q_n[p]
    q_n[p] = k + 1
    while k > 0:
        par = (k - 1) >> 1
        j = qs[base + par]
        if not _q_less(k1, k2, tq, i, j):
            break
        qs[base + k] = j
        k = par
    qs[base + k] = i


@njit(cache=True)
def _q_pop(qs, q_off, q_n, p, k1, k2, tq):
    base = q_off[p]
    top = qs[base]
    n = q_n[p] - 1
    q_n[p] = n
    if n > 0:
        last = qs[base + n]
        k = 0
        while True:
            m = 2 * k + 1
            if m >= n:
                break
            r = m + 1
            if r < n and _q_less(k1, k2, tq, qs[base + r], qs[base + m]):
                m = r
            if _q_less(k1, k2, tq, qs[base + m], last):
                qs[base + k] = qs[base + m]
                k = m
            else:
                break
        qs[base + k] = last
    return top


# --------------------------------------------------------------------------- radiologists
@njit(cache=True)
def _on_shift(iv_a, iv_b, iv_off, r, t):
    first = iv_off[r]
    lo, hi = first, iv_off[r + 1]
    while lo < hi:  # bisect_right on the interval starts
        mid = (lo + hi) >> 1
        if t < iv_a[mid]:
            hi = mid
        else:
            lo = mid + 1
    k = lo - 1
    return k >= first and iv_a[k] <= t and t < iv_b[k]


@njit(cache=True)
def _staff(ci, si, t, c_off, r_sites, iv_a, iv_b, iv_off):
    count = 0
    for r in range(c_off[ci], c_off[ci + 1]):
        if r_sites[r, si] and _on_shift(iv_a, iv_b, iv_off, r, t):
            count += 1
    return count


@njit(cache=True)
def _load(ci, si, t, c_off, r_sites, iv_a, iv_b, iv_off, r_study, queued_n, in_transit):
    staff = _staff(ci, si, t, c_off, r_sites, iv_a, iv_b, iv_off)
    busy = 0
    for r in range(c_off[ci], c_off[ci + 1]):
        if r_study[r] >= 0:
            busy += 1
    pending = queued_n[ci] + in_transit[ci] + busy
    return (pending + 1) / staff if staff else INF


@njit(cache=True)
def _start_read(r, i, t, r_study, r_token, r_began, r_speed, rad_of, r_s, work, ht, hd, st, waited, since, log_open,
                log_back, ws_first, ws_loaded):
    r_study[r] = i
    r_token[r] += 1
    r_began[r] = t
    rad_of[i] = r
    if r_s[i] != r_s[i]:  # first start only (NaN check)
        r_s[i] = t
    waited[i] += t - since[i]
    if log_open[i] >= 0:
        log_back[log_open[i]] = t
        log_open[i] = -1
    _ev_push(ht, hd, st, t + (ws_first[i] + max(work[i] / r_speed[r], ws_loaded[i] - ws_first[i])), READ_DONE, r, i,
             r_token[r])


@njit(cache=True)
def _ws_part(j, e, speed, work, ws_first, ws_loaded, ws_waited):
    # of e minutes of an open segment of j: count the workstation waits; return those before the first image
    f = ws_first[j]
    lo = ws_loaded[j]
    w = work[j] / speed
    before = min(e, f)
    after = max(e - f - w, 0.0) if lo - f > w else 0.0
    ws_waited[j] += before + after
    return before


# --------------------------------------------------------------------------- the run
@njit(cache=True)
def _run(acq, order, site, mod, eff, k1, k2_given, read0, sent,
         r_centre, r_speed, r_sites, r_sub, iv_a, iv_b, iv_off, c_off,
         sl_off, sl_cent, link_id, l_rate, lat, l_up0, le_t, le_link, le_up, a_off,
         need, dist, q_off, routing, preemptive, repeat, horizon, first_at, loaded_at):
    # the arguments are never written: busy minutes and everything else the run changes are returned
    n = acq.size
    n_rad = r_centre.size
    work = read0.copy()  # reading work left at speed 1
    k2 = k2_given.copy()  # becomes -1 for a study back in its worklist after a preemption
    n_sites = r_sites.shape[1]
    n_centres = c_off.size - 1
    n_links = l_rate.size
    nan = np.nan

    centre_of = np.full(n, -1, np.int64)
    rad_of = np.full(n, -1, np.int64)
    t_ts = np.full(n, nan)
    t_te = np.full(n, nan)
    r_s = np.full(n, nan)
    r_e = np.full(n, nan)
    unread = np.zeros(n, np.bool_)
    preempted = np.zeros(n, np.int64)
    waited = np.zeros(n)
    read = np.zeros(n)
    ws_first = np.zeros(n)
    ws_loaded = np.zeros(n)
    ws_waited = np.zeros(n)
    since = np.full(n, nan)
    log_open = np.full(n, -1, np.int64)
    log_study = np.empty(64, np.int64)
    log_at = np.empty(64)
    log_back = np.empty(64)
    n_log = 0
    remaining = np.zeros(n)
    tq = np.zeros(n)
    pos = np.zeros(n, np.int64)
    in_transit = np.zeros(n_centres, np.int64)
    queued_n = np.zeros(n_centres, np.int64)
    qs = np.empty(q_off[-1], np.int64)
    q_n = np.zeros(q_off.size - 1, np.int64)
    r_study = np.full(n_rad, -1, np.int64)
    r_token = np.zeros(n_rad, np.int64)
    r_began = np.zeros(n_rad)
    r_busy = np.zeros(n_rad)
    l_up = l_up0.copy()
    l_last = np.zeros(n_links)
    l_ver = np.zeros(n_links, np.int64)
    l_busy = np.zeros(n_links)
    a_st = np.empty(a_off[-1], np.int64)
    a_n = np.zeros(n_links, np.int64)
    done = np.empty(max(a_off[-1], 1), np.int64)

    # the event heap; seq numbers 1..n belong to the arrivals, which are never pushed
    cap = 1024 + le_t.size + iv_a.size
    ht = np.empty(cap)
    hd = np.empty((cap, 5), np.int64)
    st = np.zeros(3, np.int64)  # seq, heap size, transfers in flight
    st[0] = n
    for r in range(n_rad):
        for k in range(iv_off[r], iv_off[r + 1]):
            if 0 < iv_a[k] < horizon:
                _ev_push(ht, hd, st, iv_a[k], SHIFT_START, r, 0, 0)
    for k in range(le_t.size):
        _ev_push(ht, hd, st, le_t[k], LINK_STATE, le_link[k], 0, le_up[k])

    outstanding = n
    nxt = 0
    while (nxt < n or st[1] > 0) and outstanding > 0:
        if st[1] + st[2] + 4 > cap:  # room for what one event can schedule
            cap = 2 * (st[1] + st[2] + 4)
            ht2 = np.empty(cap)
            hd2 = np.empty((cap, 5), np.int64)
            ht2[: st[1]] = ht[: st[1]]
            hd2[: st[1]] = hd[: st[1]]
            ht, hd = ht2, hd2
        arrival = -1
        if nxt < n and (st[1] == 0 or acq[order[nxt]] <= ht[0]):
            arrival = order[nxt]
            nxt += 1
            t = acq[arrival]
            kind, a, b, c = 0, arrival, 0, 0
        else:
            t, kind, a, b, c = _ev_pop(ht, hd, st)
        if t > horizon:
            break

        # ---- which study has finished its transfer (if any) and must be queued
        ready_to = 0
        sched = -1  # a link whose next completion must be scheduled, after the finished transfers are queued
        if arrival >= 0:
            i = arrival
            si = site[i]
            # route
            lo, hi = sl_off[si], sl_off[si + 1]
            ci = -1
            if hi - lo == 1:
                ci = sl_cent[lo]
            elif hi - lo > 1:
                if routing == NEAREST:
                    for q in range(lo, hi):
                        cc = sl_cent[q]
                        if ci < 0 or dist[si, cc] < dist[si, ci]:
                            ci = cc
                elif routing == LOCAL_FIRST:
                    for q in range(lo, hi):
                        if _staff(sl_cent[q], si, t, c_off, r_sites, iv_a, iv_b, iv_off) > 0:
                            ci = sl_cent[q]
                            break
                elif routing == SUBSPECIALTY:
                    nd = need[si, mod[i]]
                    if nd >= 0:
                        best_l = INF
                        for q in range(lo, hi):
                            cc = sl_cent[q]
                            good = False
                            for r in range(c_off[cc], c_off[cc + 1]):
                                if r_sites[r, si] and r_sub[r, nd] and _on_shift(iv_a, iv_b, iv_off, r, t):
                                    good = True
                                    break
                            if good:
                                ld = _load(cc, si, t, c_off, r_sites, iv_a, iv_b, iv_off, r_study, queued_n, in_transit)
                                if ci < 0 or ld < best_l:
                                    ci, best_l = cc, ld
                elif routing == FOLLOW_THE_SUN:
                    best_s, best_l = -1, INF
                    for q in range(lo, hi):
                        cc = sl_cent[q]
                        sf = _staff(cc, si, t, c_off, r_sites, iv_a, iv_b, iv_off)
                        ld = _load(cc, si, t, c_off, r_sites, iv_a, iv_b, iv_off, r_study, queued_n, in_transit)
                        if ci < 0 or sf > best_s or (sf == best_s and -ld > -best_l):
                            ci, best_s, best_l = cc, sf, ld
                if ci < 0:  # least loaded, then nearest (also the fall-back of the policies above)
                    best_l, best_d = INF, INF
                    for q in range(lo, hi):
                        cc = sl_cent[q]
                        ld = _load(cc, si, t, c_off, r_sites, iv_a, iv_b, iv_off, r_study, queued_n, in_transit)
                        if ci < 0 or ld < best_l or (ld == best_l and dist[si, cc] < best_d):
                            ci, best_l, best_d = cc, ld, dist[si, cc]
            if ci < 0:
                unread[i] = True
                outstanding -= 1
                continue
            centre_of[i] = ci
            ws_first[i] = first_at[i, ci]
            ws_loaded[i] = loaded_at[i, ci]
            in_transit[ci] += 1
            t_ts[i] = t
            lk = link_id[si, ci]
            if lat[i, ci] == 0 and l_rate[lk] == INF and l_up[lk]:
                done[0] = i
                ready_to = 1
            else:
                _ev_push(ht, hd, st, t + lat[i, ci], JOIN, i, 0, 0)
        elif kind == READ_DONE:
            r = a
            if c != r_token[r] or r_study[r] != b:
                continue
            r_e[b] = t
            _ws_part(b, t - r_began[r], r_speed[r], work, ws_first, ws_loaded, ws_waited)
            r_busy[r] += t - r_began[r]
            read[b] += t - r_began[r]
            r_study[r] = -1
            outstanding -= 1
            if _on_shift(iv_a, iv_b, iv_off, r, t):
                kind = SHIFT_START  # pull the next study, below
        elif kind == LINK and c != l_ver[a]:
            continue
        if kind == JOIN or kind == LINK or kind == LINK_STATE:
            lk = link_id[site[a], centre_of[a]] if kind == JOIN else a
            # advance: every transfer in flight has received its share since the last event
            m = a_n[lk]
            base = a_off[lk]
            if m > 0 and l_up[lk] and l_rate[lk] != INF:
                share = l_rate[lk] * (t - l_last[lk]) / m
                for q in range(base, base + m):
                    remaining[a_st[q]] -= share
                l_busy[lk] += t - l_last[lk]
            l_last[lk] = t
            if kind == JOIN:
                remaining[a] = sent[a, centre_of[a]]
                a_st[base + m] = a
                pos[a] = m
                a_n[lk] = m + 1
                st[2] += 1
            elif kind == LINK:
                for q in range(base, base + m):
                    j = a_st[q]
                    if remaining[j] <= 1e-6 * max(sent[j, centre_of[j]], 1.0) or l_rate[lk] == INF:
                        done[ready_to] = j
                        ready_to += 1
                for q in range(ready_to):  # remove the finished ones (swap with the last)
                    j = done[q]
                    last = a_st[base + a_n[lk] - 1]
                    a_st[base + pos[j]] = last
                    pos[last] = pos[j]
                    a_n[lk] -= 1
                st[2] -= ready_to
                done[:ready_to].sort()
            else:
                l_up[lk] = c != 0
            sched = lk

        # ---- transfers that have finished: queue, or straight to an idle radiologist
        for q in range(ready_to):
            i = done[q]
            t_te[i] = t
            since[i] = t
            ci = centre_of[i]
            si = site[i]
            in_transit[ci] -= 1
            taken = False
            for r in range(c_off[ci], c_off[ci + 1]):
                if r_study[r] < 0 and r_sites[r, si] and _on_shift(iv_a, iv_b, iv_off, r, t):
                    _start_read(r, i, t, r_study, r_token, r_began, r_speed, rad_of, r_s, work, ht, hd, st, waited,
                                since, log_open, log_back, ws_first, ws_loaded)
                    taken = True
                    break
            if taken:
                continue
            if preemptive:
                victim = -1
                for r in range(c_off[ci], c_off[ci + 1]):
                    if r_study[r] >= 0 and r_sites[r, si] and eff[r_study[r]] > eff[i]:
                        if victim < 0 or eff[r_study[r]] > eff[r_study[victim]]:
                            victim = r
                if victim >= 0:
                    j = r_study[victim]
                    e = t - r_began[victim]
                    before = _ws_part(j, e, r_speed[victim], work, ws_first, ws_loaded, ws_waited)
                    if repeat:
                        work[j] = read0[j]
                    else:
                        work[j] = max(work[j] - (e - before) * r_speed[victim], 0.0)
                    ws_first[j] = max(ws_first[j] - e, 0.0)
                    ws_loaded[j] = max(ws_loaded[j] - e, 0.0)
                    r_busy[victim] += t - r_began[victim]
                    read[j] += t - r_began[victim]
                    preempted[j] += 1
                    r_study[victim] = -1
                    since[j] = t
                    if n_log == log_study.size:
                        log_study = np.concatenate((log_study, np.empty(n_log, np.int64)))
                        log_at = np.concatenate((log_at, np.empty(n_log)))
                        log_back = np.concatenate((log_back, np.empty(n_log)))
                    log_open[j] = n_log
                    log_study[n_log] = j
                    log_at[n_log] = t
                    log_back[n_log] = nan
                    n_log += 1
                    tq[j] = t_te[j]  # ahead of its class (k2 = -1), in the order first queued
                    k2[j] = -1.0
                    _q_push(qs, q_off, q_n, ci * n_sites + site[j], j, k1, k2, tq)
                    queued_n[ci] += 1
                    _start_read(victim, i, t, r_study, r_token, r_began, r_speed, rad_of, r_s, work, ht, hd, st,
                                waited, since, log_open, log_back, ws_first, ws_loaded)
                    continue
            tq[i] = t
            _q_push(qs, q_off, q_n, ci * n_sites + si, i, k1, k2, tq)
            queued_n[ci] += 1

        if sched >= 0:  # the next completion on this link
            lk = sched
            l_ver[lk] += 1
            m = a_n[lk]
            base = a_off[lk]
            if m > 0 and l_up[lk]:
                if l_rate[lk] == INF:
                    _ev_push(ht, hd, st, t, LINK, lk, 0, l_ver[lk])
                else:
                    least = INF
                    for q in range(base, base + m):
                        least = min(least, remaining[a_st[q]])
                    _ev_push(ht, hd, st, t + max(least, 0.0) * m / l_rate[lk], LINK, lk, 0, l_ver[lk])

        # ---- a radiologist free and on shift takes the best head of the worklists they may read
        if kind == SHIFT_START and arrival < 0:
            r = a
            if r_study[r] < 0:
                ci = r_centre[r]
                best_p = -1
                for si in range(n_sites):
                    if r_sites[r, si]:
                        p = ci * n_sites + si
                        if q_n[p] > 0 and (best_p < 0 or _q_less(k1, k2, tq, qs[q_off[p]], qs[q_off[best_p]])):
                            best_p = p
                if best_p >= 0:
                    i = _q_pop(qs, q_off, q_n, best_p, k1, k2, tq)
                    queued_n[ci] -= 1
                    _start_read(r, i, t, r_study, r_token, r_began, r_speed, rad_of, r_s, work, ht, hd, st, waited,
                                since, log_open, log_back, ws_first, ws_loaded)

    return (centre_of, rad_of, t_ts, t_te, r_s, r_e, unread, preempted, r_busy, l_busy, waited, read,
            log_study[:n_log].copy(), log_at[:n_log].copy(), log_back[:n_log].copy(), ws_waited)


def run_compiled(scenario: Scenario, wl: Workload, res: Resources) -> EngineResult:
    """Simulate one replication of ``wl`` through ``scenario`` with the compiled loop.

    Parameters
    ----------
    scenario : Scenario
    wl : Workload
        The studies (see :func:`teleradlab.network.workload.generate`).
    res : Resources
        Shifts, links and distances (see :func:`teleradlab.network.resources.prepare`);
        not changed.

    Returns
    -------
    EngineResult
        The same, to the last bit, as :func:`~teleradlab.network.engine_reference.run_reference`.
    """
    n_sites, n_centres = len(scenario.sites), len(scenario.centres)
    rads = res.radiologists
    # studies
    eff = worklist_class(scenario, wl)
    if scenario.worklist == "fifo":
        k1 = np.zeros(len(wl))
        k2 = np.zeros(len(wl))
    elif scenario.worklist == "cherry_pick":
        k1 = ((wl.priority != 0) & ~wl.ai_flag).astype(float)
        k2 = np.array([scenario.reading[m].mean for m in wl.modalities], float)[wl.modality] if len(wl) else np.zeros(0)
    else:
        k1 = eff.astype(float)
        k2 = np.zeros(len(wl))
    site = wl.site.astype(np.int64)
    order = np.argsort(wl.acquired, kind="stable")
    # radiologists (created centre by centre, so each centre's are a contiguous range)
    r_centre = np.array([r.centre for r in rads], np.int64)
    c_off = np.searchsorted(r_centre, np.arange(n_centres + 1)).astype(np.int64)
    r_sites = np.zeros((len(rads), n_sites), np.bool_)
    for r in rads:
        r_sites[r.index, list(r.sites)] = True
    # subspecialties: those radiologists have and those studies need (a need nobody has is a column of False)
    subs = sorted({x for r in rads for x in r.group.subspecialties} | {x for d in res.need for x in d.values() if x})
    r_sub = np.zeros((len(rads), max(len(subs), 1)), np.bool_)
    for r in rads:
        for x in r.group.subspecialties:
            r_sub[r.index, subs.index(x)] = True
    need = np.full((n_sites, max(len(wl.modalities), 1)), -1, np.int64)
    for si, by_mod in enumerate(res.need):
        for mi, m in enumerate(wl.modalities):
            sub = by_mod.get(m)
            if sub:
                need[si, mi] = subs.index(sub)
    iv = [r.intervals for r in rads]
    iv_off = np.concatenate([[0], np.cumsum([len(x) for x in iv])]).astype(np.int64)
    iv_a = np.array([a for x in iv for a, _ in x], float)
    iv_b = np.array([b for x in iv for _, b in x], float)
    # links
    keys = list(res.links)
    link_id = np.full((n_sites, n_centres), -1, np.int64)
    for k, (si, ci) in enumerate(keys):
        link_id[si, ci] = k
    specs = [res.links[k] for k in keys]
    l_rate = np.array([s.rate for s in specs], float)
    l_up0 = np.array([s.up for s in specs], np.bool_)
    le_t = np.array([e[0] for e in res.link_events], float)
    le_link = np.array([link_id[e[1], e[2]] for e in res.link_events], np.int64)
    le_up = np.array([1 if e[3] else 0 for e in res.link_events], np.int64)
    per_site = np.bincount(site, minlength=n_sites).astype(np.int64)
    a_off = np.concatenate([[0], np.cumsum([per_site[si] for si, _ in keys])]).astype(np.int64)
    sl_off = np.concatenate([[0], np.cumsum([len(x) for x in res.site_links])]).astype(np.int64)
    sl_cent = np.array([c for x in res.site_links for c in x], np.int64)
    q_cap = np.zeros(n_centres * n_sites, np.int64)
    for si, ci in keys:
        q_cap[ci * n_sites + si] = per_site[si]
    q_off = np.concatenate([[0], np.cumsum(q_cap)]).astype(np.int64)
    dist = np.array(res.dist, float).reshape(n_sites, n_centres)

    out = _run(
        wl.acquired.astype(float), order.astype(np.int64), site, wl.modality.astype(np.int64), eff, k1, k2,
        wl.reading_base.astype(float), res.payload,
        r_centre, np.array([r.speed for r in rads], float), r_sites, r_sub, iv_a, iv_b, iv_off, c_off,
        sl_off, sl_cent, link_id, l_rate, res.latency, l_up0, le_t, le_link, le_up, a_off,
        need, dist, q_off, ROUTING.index(scenario.routing), scenario.worklist == "preemptive",
        scenario.preempt == "repeat", float(res.horizon), res.first_image, res.loaded,
    )
    (centre_of, rad_of, t_ts, t_te, r_s, r_e, unread, preempted, r_busy, l_busy, waited, read, lg_s, lg_a, lg_b,
     ws_waited) = out
    return EngineResult(
        centre=centre_of.astype(np.int16), radiologist=rad_of.astype(np.int32), transfer_start=t_ts,
        transfer_end=t_te, read_start=r_s, read_end=r_e, unread=unread, preemptions=preempted.astype(np.int16),
        radiologists=rads, radiologist_busy=r_busy,
        link_busy={k: float(b) for k, b in zip(keys, l_busy, strict=True)}, horizon=res.horizon,
        wait=np.where(np.isnan(r_e), np.nan, waited), reading=np.where(np.isnan(r_e), np.nan, read),
        preempt_study=lg_s, preempt_at=lg_a, preempt_back=lg_b,
        workstation=np.where(np.isnan(r_e), np.nan, ws_waited), first_image=at_centre(res.first_image, centre_of),
        loaded=at_centre(res.loaded, centre_of),
    )


def warm_up() -> float:
    """Compile the loop (or load it from Numba's cache) by simulating one small day.

    ``make install`` calls this, so that the first simulation a user runs does not
    pause for the compilation.

    Returns
    -------
    float
        Seconds it took.
    """
    import time

    from teleradlab.network.resources import prepare
    from teleradlab.network.scenario import load_scenario, queue_scenario
    from teleradlab.network.workload import generate

    start = time.perf_counter()
    sc = load_scenario(queue_scenario(c=2, mean=10.0, rho=0.5))
    wl = generate(sc, days=1, seed=0)
    run_compiled(sc, wl, prepare(sc, wl.t0, days=1, drain_days=1, workload=wl))
    return time.perf_counter() - start


if __name__ == "__main__":
    # through the importable module, so that Numba caches the functions users will call
    from teleradlab.network import engine_compiled

    print(f"teleradlab: network simulator compiled and cached in {engine_compiled.warm_up():.1f} s")
