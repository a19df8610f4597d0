"""The compiled engine: the reference event loop, array for array, compiled with Numba.

Same events, same tie-breaking and same arithmetic as
:mod:`~teleradlab.network.engine_reference` (tests hold the two to identical
results on every bundled scenario and policy), but with the study, radiologist and
link state in NumPy arrays and the loop compiled to machine code, which makes it
about twenty times faster (over a million studies a second). Numba's on-disk cache
keeps the compiled loop; ``make install`` fills it (:func:`warm_up`), so no
simulation pays the minute or so of compilation.

Layout: the loop (``_run``) mirrors the reference's main loop, and its helpers are the
reference's closures under the same names (``_route``, ``_enqueue``, ``_pull``,
``_start_read``, ``_link_advance``, ...). Arrivals are already sorted, so they are read from the workload in order
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

ARRIVE, JOIN, LINK, READ_DONE, SHIFT_START, LINK_STATE = range(6)
LOCAL_FIRST, LEAST_LOADED, NEAREST, SUBSPECIALTY, FOLLOW_THE_SUN = (ROUTING.index(p) for p in (
    "local_first", "least_loaded", "nearest", "subspecialty", "follow_the_sun"))
INF = math.inf


# --------------------------------------------------------------------------- run state
# The helpers below are the reference engine's closures, by the same names; Numba inlines
# them into the loop (``inline="always"``: as separate calls, each passing a dozen arrays,
# the loop ran 1.5-2x slower). So that they take a few arrays rather than a few dozen, the
# per-study state is two 2-D arrays with a row per field and a column per study (floats
# ``stu``, integers ``stu_i``; a row is as contiguous as the separate arrays it replaces),
# the radiologists' is ``rad`` / ``rad_i`` and the links' ``lnk``. Their rows and columns:
WORK, TQ, K2, WAITED, READ, SINCE, WS_FIRST, WS_LOADED, WS_WAITED, T_TS, T_TE, R_S, R_E, REMAINING = range(14)
CENTRE, RAD, LOG_OPEN, PREEMPTED, POS, UNREAD = range(6)
BEGAN, BUSY = range(2)  # rad: when the read in progress began; minutes occupied
STUDY, TOKEN = range(2)  # rad_i: the study being read (-1: free); the READ_DONE event that is still valid
LAST, LBUSY = range(2)  # lnk: when its transfers were last advanced; minutes carrying bytes
# the event heap's counters, ``st``: seq, heap size, transfers in flight, preemptions logged
SEQ, HEAP_N, IN_FLIGHT, N_LOG = range(4)


# --------------------------------------------------------------------------- event heap: (time, seq) order
@njit(cache=True, inline="always")
def _ev_move(ht, hd, dst, src):
    ht[dst] = ht[src]
    for j in range(5):
        hd[dst, j] = hd[src, j]


@njit(cache=True, inline="always")
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


@njit(cache=True, inline="always")
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
@njit(cache=True, inline="always")
def _q_less(k1, stu, i, j):
    if k1[i] != k1[j]:
        return k1[i] < k1[j]
    if stu[K2, i] != stu[K2, j]:
        return stu[K2, i] < stu[K2, j]
    if stu[TQ, i] != stu[TQ, j]:
        return stu[TQ, i] < stu[TQ, j]
    return i < j


@njit(cache=True, inline="always")
def _q_push(qs, q_off, q_n, p, i, k1, stu):
    base = q_off[p]
    k = q_n[p]
    q_n[p] = k + 1
    while k > 0:
        par = (k - 1) >> 1
        j = qs[base + par]
        if not _q_less(k1, stu, i, j):
            break
        qs[base + k] = j
        k = par
    qs[base + k] = i


@njit(cache=True, inline="always")
def _q_pop(qs, q_off, q_n, p, k1, stu):
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
            if r < n and _q_less(k1, stu, qs[base + r], qs[base + m]):
                m = r
            if _q_less(k1, stu, qs[base + m], last):
                qs[base + k] = qs[base + m]
                k = m
            else:
                break
        qs[base + k] = last
    return top


# --------------------------------------------------------------------------- radiologists (reference: helpers)
@njit(cache=True, inline="always")
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


@njit(cache=True, inline="always")
def _on_shift_count(ci, si, t, c_off, r_sites, iv_a, iv_b, iv_off):
    count = 0
    for r in range(c_off[ci], c_off[ci + 1]):
        if r_sites[r, si] and _on_shift(iv_a, iv_b, iv_off, r, t):
            count += 1
    return count


@njit(cache=True, inline="always")
def _load(ci, si, t, c_off, r_sites, iv_a, iv_b, iv_off, rad_i, queued_n, in_transit):
    staff = _on_shift_count(ci, si, t, c_off, r_sites, iv_a, iv_b, iv_off)
    busy = 0
    for r in range(c_off[ci], c_off[ci + 1]):
        if rad_i[r, STUDY] >= 0:
            busy += 1
    pending = queued_n[ci] + in_transit[ci] + busy
    return (pending + 1) / staff if staff else INF


@njit(cache=True, inline="always")
def _route(i, t, site, mod, routing, sl_off, sl_cent, dist, need, r_sub, c_off, r_sites, iv_a, iv_b, iv_off, rad_i,
           queued_n, in_transit):
    si = site[i]
    lo, hi = sl_off[si], sl_off[si + 1]
    if hi == lo:
        return -1
    if hi - lo == 1:
        return sl_cent[lo]
    ci = -1
    if routing == NEAREST:
        for q in range(lo, hi):
            cc = sl_cent[q]
            if ci < 0 or dist[si, cc] < dist[si, ci]:
                ci = cc
    elif routing == LOCAL_FIRST:
        for q in range(lo, hi):
            if _on_shift_count(sl_cent[q], si, t, c_off, r_sites, iv_a, iv_b, iv_off) > 0:
                return sl_cent[q]
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
                    ld = _load(cc, si, t, c_off, r_sites, iv_a, iv_b, iv_off, rad_i, queued_n, in_transit)
                    if ci < 0 or ld < best_l:
                        ci, best_l = cc, ld
    elif routing == FOLLOW_THE_SUN:
        best_s, best_l = -1, INF
        for q in range(lo, hi):
            cc = sl_cent[q]
            sf = _on_shift_count(cc, si, t, c_off, r_sites, iv_a, iv_b, iv_off)
            ld = _load(cc, si, t, c_off, r_sites, iv_a, iv_b, iv_off, rad_i, queued_n, in_transit)
            if ci < 0 or sf > best_s or (sf == best_s and -ld > -best_l):
                ci, best_s, best_l = cc, sf, ld
    if ci < 0:  # least loaded, then nearest (also the fall-back of the policies above)
        best_l, best_d = INF, INF
        for q in range(lo, hi):
            cc = sl_cent[q]
            ld = _load(cc, si, t, c_off, r_sites, iv_a, iv_b, iv_off, rad_i, queued_n, in_transit)
            if ci < 0 or ld < best_l or (ld == best_l and dist[si, cc] < best_d):
                ci, best_l, best_d = cc, ld, dist[si, cc]
    return ci


@njit(cache=True, inline="always")
def _start_read(r, i, t, stu, stu_i, rad, rad_i, r_speed, log_t, ht, hd, st):
    rad_i[r, STUDY] = i
    rad_i[r, TOKEN] += 1
    rad[r, BEGAN] = t
    stu_i[RAD, i] = r
    if stu[R_S, i] != stu[R_S, i]:  # first start only (NaN check)
        stu[R_S, i] = t
    stu[WAITED, i] += t - stu[SINCE, i]
    if stu_i[LOG_OPEN, i] >= 0:
        log_t[stu_i[LOG_OPEN, i], 1] = t
        stu_i[LOG_OPEN, i] = -1
    f, lo = stu[WS_FIRST, i], stu[WS_LOADED, i]  # occupancy: first image, then reading while the rest loads
    _ev_push(ht, hd, st, t + (f + max(stu[WORK, i] / r_speed[r], lo - f)), READ_DONE, r, i, rad_i[r, TOKEN])


@njit(cache=True, inline="always")
def _workstation_part(j, e, speed, stu):
    # of e minutes of an open segment of j: count the workstation waits; return those before the first image
    f = stu[WS_FIRST, j]
    lo = stu[WS_LOADED, j]
    w = stu[WORK, j] / speed
    before = min(e, f)
    after = max(e - f - w, 0.0) if lo - f > w else 0.0  # read done, the last images still loading
    stu[WS_WAITED, j] += before + after
    return before


# --------------------------------------------------------------------------- worklists
@njit(cache=True, inline="always")
def _queue(i, tq, n_sites, site, k1, stu, stu_i, qs, q_off, q_n, queued_n):
    ci = stu_i[CENTRE, i]
    stu[TQ, i] = tq
    _q_push(qs, q_off, q_n, ci * n_sites + site[i], i, k1, stu)
    queued_n[ci] += 1


@njit(cache=True, inline="always")
def _enqueue(i, t, preemptive, repeat, n_sites, site, eff, k1, read0, c_off, r_sites, iv_a, iv_b, iv_off, r_speed,
             stu, stu_i, rad, rad_i, qs, q_off, q_n, queued_n, log_study, log_t, ht, hd, st):
    ci = stu_i[CENTRE, i]
    si = site[i]
    # an idle, on-shift, eligible radiologist takes it at once
    for r in range(c_off[ci], c_off[ci + 1]):
        if rad_i[r, STUDY] < 0 and r_sites[r, si] and _on_shift(iv_a, iv_b, iv_off, r, t):
            _start_read(r, i, t, stu, stu_i, rad, rad_i, r_speed, log_t, ht, hd, st)
            return
    if preemptive:
        victim = -1
        for r in range(c_off[ci], c_off[ci + 1]):
            j = rad_i[r, STUDY]
            if j >= 0 and r_sites[r, si] and eff[j] > eff[i]:
                if victim < 0 or eff[j] > eff[rad_i[victim, STUDY]]:
                    victim = r
        if victim >= 0:
            j = rad_i[victim, STUDY]
            e = t - rad[victim, BEGAN]
            before = _workstation_part(j, e, r_speed[victim], stu)
            if repeat:
                stu[WORK, j] = read0[j]
            else:
                stu[WORK, j] = max(stu[WORK, j] - (e - before) * r_speed[victim], 0.0)
            stu[WS_FIRST, j] = max(stu[WS_FIRST, j] - e, 0.0)
            stu[WS_LOADED, j] = max(stu[WS_LOADED, j] - e, 0.0)
            rad[victim, BUSY] += t - rad[victim, BEGAN]
            stu[READ, j] += t - rad[victim, BEGAN]
            stu_i[PREEMPTED, j] += 1
            rad_i[victim, STUDY] = -1
            stu[SINCE, j] = t
            stu[K2, j] = -1.0  # resumed: ahead of its class
            k = st[N_LOG]  # the caller has made room
            st[N_LOG] = k + 1
            stu_i[LOG_OPEN, j] = k
            log_study[k] = j
            log_t[k, 0] = t
            log_t[k, 1] = np.nan
            _queue(j, stu[T_TE, j], n_sites, site, k1, stu, stu_i, qs, q_off, q_n, queued_n)  # in the order first queued
            _start_read(victim, i, t, stu, stu_i, rad, rad_i, r_speed, log_t, ht, hd, st)
            return
    _queue(i, t, n_sites, site, k1, stu, stu_i, qs, q_off, q_n, queued_n)


@njit(cache=True, inline="always")
def _pull(r, t, r_centre, r_sites, n_sites, k1, r_speed, stu, stu_i, rad, rad_i, qs, q_off, q_n, queued_n, log_t, ht, hd, st):
    ci = r_centre[r]
    best_p = -1
    for si in range(n_sites):
        if r_sites[r, si]:
            p = ci * n_sites + si
            if q_n[p] > 0 and (best_p < 0 or _q_less(k1, stu, qs[q_off[p]], qs[q_off[best_p]])):
                best_p = p
    if best_p < 0:
        return False
    i = _q_pop(qs, q_off, q_n, best_p, k1, stu)
    queued_n[ci] -= 1
    _start_read(r, i, t, stu, stu_i, rad, rad_i, r_speed, log_t, ht, hd, st)
    return True


# --------------------------------------------------------------------------- links (processor sharing)
@njit(cache=True, inline="always")
def _link_advance(lk, t, l_rate, l_up, lnk, a_st, a_off, a_n, stu):
    m = a_n[lk]
    if m > 0 and l_up[lk] and l_rate[lk] != INF:
        share = l_rate[lk] * (t - lnk[lk, LAST]) / m
        for q in range(a_off[lk], a_off[lk] + m):
            stu[REMAINING, a_st[q]] -= share
        lnk[lk, LBUSY] += t - lnk[lk, LAST]
    lnk[lk, LAST] = t


@njit(cache=True, inline="always")
def _link_join(lk, i, a_st, a_off, a_n, stu_i, st):
    m = a_n[lk]
    a_st[a_off[lk] + m] = i
    stu_i[POS, i] = m
    a_n[lk] = m + 1
    st[IN_FLIGHT] += 1


@njit(cache=True, inline="always")
def _link_finished(lk, l_rate, a_st, a_off, a_n, sent, stu, stu_i, st, done):
    # the transfers of lk whose bytes are through, removed from the link, in study order; returns how many
    base = a_off[lk]
    n_done = 0
    for q in range(base, base + a_n[lk]):
        j = a_st[q]
        if stu[REMAINING, j] <= 1e-6 * max(sent[j, stu_i[CENTRE, j]], 1.0) or l_rate[lk] == INF:
            done[n_done] = j
            n_done += 1
    for q in range(n_done):  # swap each with the last
        j = done[q]
        last = a_st[base + a_n[lk] - 1]
        a_st[base + stu_i[POS, j]] = last
        stu_i[POS, last] = stu_i[POS, j]
        a_n[lk] -= 1
    st[IN_FLIGHT] -= n_done
    done[:n_done].sort()
    return n_done


@njit(cache=True, inline="always")
def _link_schedule(lk, t, l_rate, l_up, l_ver, a_st, a_off, a_n, stu, ht, hd, st):
    l_ver[lk] += 1
    m = a_n[lk]
    if m == 0 or not l_up[lk]:
        return
    if l_rate[lk] == INF:
        _ev_push(ht, hd, st, t, LINK, lk, 0, l_ver[lk])
        return
    least = INF
    for q in range(a_off[lk], a_off[lk] + m):
        least = min(least, stu[REMAINING, a_st[q]])
    _ev_push(ht, hd, st, t + max(least, 0.0) * m / l_rate[lk], LINK, lk, 0, l_ver[lk])


@njit(cache=True, inline="always")
def _log_room(log_study, log_t, st, more):
    # the preemption log, grown (doubling) to hold ``more`` entries beyond those logged
    need = st[N_LOG] + more
    if need <= log_study.size:
        return log_study, log_t
    cap = max(2 * log_study.size, need)
    ls = np.empty(cap, np.int64)
    lt = np.empty((cap, 2))
    ls[: st[N_LOG]] = log_study[: st[N_LOG]]
    lt[: st[N_LOG]] = log_t[: st[N_LOG]]
    return ls, lt


# --------------------------------------------------------------------------- the run (reference: main loop)
@njit(cache=True)
def _run(acq, order, site, mod, eff, k1, k2_given, read0, sent,
         r_centre, r_speed, r_sites, r_sub, iv_a, iv_b, iv_off, c_off,
         sl_off, sl_cent, link_id, l_rate, lat, l_up0, le_t, le_link, le_up, a_off,
         need, dist, q_off, routing, preemptive, repeat, horizon, first_at, loaded_at):
    # the arguments are never written: busy minutes and everything else the run changes are returned
    n = acq.size
    n_rad = r_centre.size
    n_sites = r_sites.shape[1]
    n_links = l_rate.size

    stu = np.zeros((14, n))  # rows: WORK ... REMAINING
    stu[WORK] = read0  # reading work left at speed 1
    stu[K2] = k2_given  # becomes -1 for a study back in its worklist after a preemption
    for row in (SINCE, T_TS, T_TE, R_S, R_E):
        stu[row] = np.nan
    stu_i = np.zeros((6, n), np.int64)
    stu_i[CENTRE] = -1
    stu_i[RAD] = -1
    stu_i[LOG_OPEN] = -1
    rad = np.zeros((n_rad, 2))
    rad_i = np.zeros((n_rad, 2), np.int64)
    rad_i[:, STUDY] = -1
    in_transit = np.zeros(c_off.size - 1, np.int64)
    queued_n = np.zeros(c_off.size - 1, np.int64)
    qs = np.empty(q_off[-1], np.int64)
    q_n = np.zeros(q_off.size - 1, np.int64)
    l_up = l_up0.copy()
    lnk = np.zeros((n_links, 2))
    l_ver = np.zeros(n_links, np.int64)
    a_st = np.empty(a_off[-1], np.int64)
    a_n = np.zeros(n_links, np.int64)
    done = np.empty(max(a_off[-1], 1), np.int64)
    log_study = np.empty(64, np.int64)
    log_t = np.empty((64, 2))  # when preempted, when back to a radiologist

    # the event heap; seq numbers 1..n belong to the arrivals, which are never pushed
    cap = 1024 + le_t.size + iv_a.size
    ht = np.empty(cap)
    hd = np.empty((cap, 5), np.int64)
    st = np.zeros(4, np.int64)
    st[SEQ] = n
    for r in range(n_rad):
        for k in range(iv_off[r], iv_off[r + 1]):
            if 0 < iv_a[k] < horizon:
                _ev_push(ht, hd, st, iv_a[k], SHIFT_START, r, 0, 0)
    for k in range(le_t.size):
        _ev_push(ht, hd, st, le_t[k], LINK_STATE, le_link[k], 0, le_up[k])

    outstanding = n
    nxt = 0
    while (nxt < n or st[HEAP_N] > 0) and outstanding > 0:
        if st[HEAP_N] + st[IN_FLIGHT] + 4 > cap:  # room for what one event can schedule
            cap = 2 * (st[HEAP_N] + st[IN_FLIGHT] + 4)
            ht2 = np.empty(cap)
            hd2 = np.empty((cap, 5), np.int64)
            ht2[: st[HEAP_N]] = ht[: st[HEAP_N]]
            hd2[: st[HEAP_N]] = hd[: st[HEAP_N]]
            ht, hd = ht2, hd2
        if nxt < n and (st[HEAP_N] == 0 or acq[order[nxt]] <= ht[0]):
            i = order[nxt]
            nxt += 1
            t = acq[i]
            kind, a, b, c = ARRIVE, i, 0, 0
        else:
            t, kind, a, b, c = _ev_pop(ht, hd, st)
        if t > horizon:
            break

        n_done = 0  # transfers that have finished at t: queue them, or straight to an idle radiologist
        if kind == ARRIVE:
            i = a
            ci = _route(i, t, site, mod, routing, sl_off, sl_cent, dist, need, r_sub, c_off, r_sites, iv_a, iv_b,
                        iv_off, rad_i, queued_n, in_transit)
            if ci < 0:
                stu_i[UNREAD, i] = 1
                outstanding -= 1
                continue
            stu_i[CENTRE, i] = ci
            stu[WS_FIRST, i] = first_at[i, ci]
            stu[WS_LOADED, i] = loaded_at[i, ci]
            in_transit[ci] += 1
            stu[T_TS, i] = t
            lk = link_id[site[i], ci]
            if lat[i, ci] == 0 and l_rate[lk] == INF and l_up[lk]:
                done[0] = i
                n_done = 1
            else:
                _ev_push(ht, hd, st, t + lat[i, ci], JOIN, i, 0, 0)
        elif kind == JOIN:
            i = a
            lk = link_id[site[i], stu_i[CENTRE, i]]
            _link_advance(lk, t, l_rate, l_up, lnk, a_st, a_off, a_n, stu)
            stu[REMAINING, i] = sent[i, stu_i[CENTRE, i]]
            _link_join(lk, i, a_st, a_off, a_n, stu_i, st)
            _link_schedule(lk, t, l_rate, l_up, l_ver, a_st, a_off, a_n, stu, ht, hd, st)
        elif kind == LINK:
            lk = a
            if c != l_ver[lk]:
                continue
            _link_advance(lk, t, l_rate, l_up, lnk, a_st, a_off, a_n, stu)
            n_done = _link_finished(lk, l_rate, a_st, a_off, a_n, sent, stu, stu_i, st, done)
        elif kind == LINK_STATE:
            lk = a
            _link_advance(lk, t, l_rate, l_up, lnk, a_st, a_off, a_n, stu)
            l_up[lk] = c != 0
            _link_schedule(lk, t, l_rate, l_up, l_ver, a_st, a_off, a_n, stu, ht, hd, st)
        elif kind == READ_DONE:
            r, i = a, b
            if c != rad_i[r, TOKEN] or rad_i[r, STUDY] != i:
                continue
            stu[R_E, i] = t
            _workstation_part(i, t - rad[r, BEGAN], r_speed[r], stu)
            rad[r, BUSY] += t - rad[r, BEGAN]
            stu[READ, i] += t - rad[r, BEGAN]
            rad_i[r, STUDY] = -1
            outstanding -= 1
            if _on_shift(iv_a, iv_b, iv_off, r, t):
                _pull(r, t, r_centre, r_sites, n_sites, k1, r_speed, stu, stu_i, rad, rad_i, qs, q_off, q_n, queued_n, log_t, ht,
                      hd, st)
        elif kind == SHIFT_START:
            r = a
            if rad_i[r, STUDY] < 0:  # a shift start may be the start of a merged interval: pull while on shift
                _pull(r, t, r_centre, r_sites, n_sites, k1, r_speed, stu, stu_i, rad, rad_i, qs, q_off, q_n, queued_n, log_t, ht,
                      hd, st)

        if n_done:
            if preemptive:  # each finished transfer may preempt one read
                log_study, log_t = _log_room(log_study, log_t, st, n_done)
            for q in range(n_done):  # transfer done
                i = done[q]
                stu[T_TE, i] = t
                stu[SINCE, i] = t
                in_transit[stu_i[CENTRE, i]] -= 1
                _enqueue(i, t, preemptive, repeat, n_sites, site, eff, k1, read0, c_off, r_sites, iv_a, iv_b, iv_off,
                         r_speed, stu, stu_i, rad, rad_i, qs, q_off, q_n, queued_n, log_study, log_t, ht, hd, st)
        if kind == LINK:  # its next completion, once the finished transfers are queued
            _link_schedule(a, t, l_rate, l_up, l_ver, a_st, a_off, a_n, stu, ht, hd, st)

    k = st[N_LOG]
    return (stu_i[CENTRE].copy(), stu_i[RAD].copy(), stu[T_TS].copy(), stu[T_TE].copy(), stu[R_S].copy(),
            stu[R_E].copy(), stu_i[UNREAD] != 0, stu_i[PREEMPTED].copy(), rad[:, BUSY].copy(), lnk[:, LBUSY].copy(),
            stu[WAITED].copy(), stu[READ].copy(), log_study[:k].copy(), log_t[:k, 0].copy(), log_t[:k, 1].copy(),
            stu[WS_WAITED].copy())


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
