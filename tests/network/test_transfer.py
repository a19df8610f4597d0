"""The transfer model against closed forms written here, and its input checks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from teleradlab.errors import ScenarioError
from teleradlab.network.transfer import DEFAULT_CONSTANTS, PROTOCOLS, TransferConstants, predict

C = DEFAULT_CONSTANTS


def _rounds(nbytes: float, iw: int, mss: int) -> int:
    """Slow-start rounds to send nbytes when the window never reaches the path's capacity."""
    k, sent, w = 0, 0.0, iw
    while sent < nbytes:
        sent += w * mss
        w *= 2
        k += 1
    return k


def test_zero_rtt_is_bytes_over_rate_plus_fixed_costs():
    sizes = [50_000.0] * 40
    for nodelay in (False, True):
        t = predict(sizes, bandwidth_mbps=10, rtt_ms=0, nodelay=nodelay)
        stall = 0.0 if nodelay else C.nagle_delack_s
        want = (sum(sizes) * 8 / (10e6 * C.cstore_efficiency) + C.assoc_fixed_s
                + len(sizes) * (C.instance_fixed_s + stall))
        assert t.total_s == pytest.approx(want, rel=1e-9)
        assert t.payload_s == pytest.approx(sum(sizes) * 8 / (10e6 * C.cstore_efficiency))
        assert t.latency_s + t.payload_s == pytest.approx(t.total_s)


def test_each_cstore_pays_a_round_trip_on_a_fat_link():
    # 1 Gbit/s, 100 ms: 2 kB instances fit in the initial window; each one is a round trip
    n, rtt = 100, 0.1
    t = predict([2000] * n, bandwidth_mbps=1000, rtt_ms=100, nodelay=True)
    # the bytes take 16 us; the sender paces the flight over pacing_rtts round trips instead
    per = rtt * C.instance_rtts + C.instance_fixed_s + max(2000 * 8 / (1e9 * C.cstore_efficiency),
                                                           C.pacing_rtts * rtt)
    want = (C.assoc_setup_rtts + C.assoc_release_rtts) * rtt + C.assoc_fixed_s + n * per
    assert t.total_s == pytest.approx(want, rel=1e-9)
    assert t.latency_s > 0.99 * t.total_s  # round trips are latency, not bandwidth


def test_pacing_floor_only_where_bytes_are_faster_than_it():
    # BBR's start-up fixed point: an app-limited flight takes 1/(2/ln 2 - 1) round trips to leave
    assert 1 / (2 / math.log(2) - 1) == pytest.approx(0.53, abs=0.005)
    c = C.with_values(pacing_rtts=0.5)
    fast = predict([50_000] * 20, bandwidth_mbps=100, rtt_ms=200, nodelay=True, constants=c)
    none = predict([50_000] * 20, bandwidth_mbps=100, rtt_ms=200, nodelay=True, constants=c.with_values(pacing_rtts=0))
    # after the first (slow-start) instance each takes 0.1 s to pace instead of 4 ms of bytes
    send = 50_000 * 8 / (100e6 * C.cstore_efficiency)
    assert fast.total_s - none.total_s == pytest.approx(19 * (0.1 - send), rel=1e-6)
    slow = predict([50_000] * 20, bandwidth_mbps=2, rtt_ms=200, nodelay=True, constants=c)
    assert slow.total_s == pytest.approx(
        predict([50_000] * 20, bandwidth_mbps=2, rtt_ms=200, nodelay=True,
                constants=c.with_values(pacing_rtts=0)).total_s)  # 0.2 s of bytes > 0.1 s of pacing


def test_slow_start_rounds_for_one_large_instance():
    # 2 MB over 1 Gbit/s at 200 ms: window-limited rounds until the BDP (25 MB) is never reached
    size, rtt = 2e6, 0.2
    t = predict(size, bandwidth_mbps=1000, rtt_ms=200, nodelay=True)
    k = _rounds(size, C.initial_window_segments, C.mss_bytes)
    sent_before_last = C.initial_window_segments * C.mss_bytes * (2 ** (k - 1) - 1)
    send = (k - 1) * rtt + (size - sent_before_last) * 8 / (1e9 * C.cstore_efficiency)
    want = (C.assoc_setup_rtts + C.assoc_release_rtts + C.instance_rtts) * rtt + C.assoc_fixed_s \
        + C.instance_fixed_s + send
    assert k == 8
    assert t.total_s == pytest.approx(want, rel=1e-9)


def test_slow_start_runs_to_the_bdp_on_a_fat_long_link():
    # 10 MB over 100 Mbit/s x 200 ms: the window doubles from 10 segments until it covers the
    # bandwidth-delay product, then the rest goes at the rate (no early HyStart exit: on the lab it
    # never fired below the BDP, datasets/reference/transfer_slow_start_check.csv)
    size, rtt = 10e6, 0.2
    rate = 100e6 * C.cstore_efficiency / 8  # bytes/s
    bdp = rate * rtt / C.mss_bytes  # segments
    k = math.ceil(math.log2(bdp / C.initial_window_segments))  # window-limited rounds
    sent = C.initial_window_segments * C.mss_bytes * (2 ** k - 1)
    assert k == 8 and sent < size
    send = k * rtt + (size - sent) / rate
    want = (C.assoc_setup_rtts + C.assoc_release_rtts + C.instance_rtts) * rtt + C.assoc_fixed_s \
        + C.instance_fixed_s + send
    t = predict(size, bandwidth_mbps=100, rtt_ms=200, nodelay=True)
    assert t.total_s == pytest.approx(want, rel=1e-9)


def test_window_cap_limits_rate():
    t = predict(10e6, bandwidth_mbps=100, rtt_ms=200, window_kb=64, nodelay=True)
    assert t.effective_rate_mbps == pytest.approx(64e3 * 8 / 0.2 / 1e6)  # 2.56 Mbit/s
    assert t.payload_s == pytest.approx(10e6 * 8 / 2.56e6)


def test_parallelism_divides_round_trips():
    sizes = [20_000] * 120
    one = predict(sizes, bandwidth_mbps=100, rtt_ms=200, nodelay=True)
    for assoc, asyn in ((4, 1), (1, 4), (2, 2)):
        par = predict(sizes, bandwidth_mbps=100, rtt_ms=200, nodelay=True, associations=assoc, async_ops=asyn)
        per_instance = one.total_s - (C.assoc_setup_rtts + C.assoc_release_rtts) * 0.2
        # four operations in flight: about a quarter of the per-instance waits
        assert par.total_s == pytest.approx((C.assoc_setup_rtts + C.assoc_release_rtts) * 0.2
                                            + per_instance / 4, rel=0.15)
    # but parallelism cannot beat the link: 120 x 0.5 MB over 2 Mbit/s
    big = predict([500_000] * 120, bandwidth_mbps=2, rtt_ms=50, associations=8, async_ops=8)
    assert big.total_s >= 120 * 500_000 * 8 / (2e6 * C.cstore_efficiency)


def test_stow_and_bundle_pay_few_round_trips():
    sizes = np.full(100, 55_000.0)
    cstore = predict(sizes, bandwidth_mbps=100, rtt_ms=200, nodelay=True)
    stow = predict(sizes, bandwidth_mbps=100, rtt_ms=200, protocol="stow-rs", batch=25)
    bundle = predict(sizes, bandwidth_mbps=100, rtt_ms=200, protocol="bundle")
    assert stow.total_s < cstore.total_s / 3 and bundle.total_s < cstore.total_s / 3
    # four batches: four request/response round trips after the handshake
    rtts_waited = (stow.latency_s - C.stow_fixed_s - 100 * C.stow_instance_fixed_s) / 0.2
    assert rtts_waited >= C.stow_setup_rtts + 4 * C.stow_batch_rtts - 1e-9
    assert np.unique(stow.instance_done_s).size == 4
    assert bundle.first_image_s <= bundle.total_s


def test_nagle_stall_only_without_nodelay():
    a = predict([50_000] * 10, bandwidth_mbps=10, rtt_ms=50)
    b = predict([50_000] * 10, bandwidth_mbps=10, rtt_ms=50, nodelay=True)
    want = 10 * (C.nagle_delack_s + C.nagle_rtts * 0.05)
    assert a.total_s - b.total_s == pytest.approx(want)
    for p in ("stow-rs", "bundle"):
        assert predict(1e6, bandwidth_mbps=10, rtt_ms=50, protocol=p).total_s == \
            predict(1e6, bandwidth_mbps=10, rtt_ms=50, protocol=p, nodelay=True).total_s


def test_scalar_and_list_agree_and_result_is_frozen():
    a = predict(1e6, bandwidth_mbps=10, rtt_ms=10)
    b = predict([1e6], bandwidth_mbps=10, rtt_ms=10)
    assert a.total_s == b.total_s and a.n_instances == 1
    with pytest.raises(AttributeError):
        a.total_s = 0  # type: ignore[misc]


@pytest.mark.parametrize(("kwargs", "where"), [
    ({"rtt_ms": -1}, "rtt_ms"),
    ({"bandwidth_mbps": 0}, "bandwidth_mbps"),
    ({"bandwidth_mbps": -5}, "bandwidth_mbps"),
    ({"protocol": "ftp"}, "protocol"),
    ({"associations": 0}, "associations"),
    ({"async_ops": 0}, "async_ops"),
    ({"window_kb": 0}, "window_kb"),
    ({"batch": 0, "protocol": "stow-rs"}, "batch"),
])
def test_bad_input_names_the_parameter(kwargs, where):
    args = {"bandwidth_mbps": 10, "rtt_ms": 10} | kwargs
    with pytest.raises(ScenarioError) as e:
        predict(1000, **args)
    assert e.value.where == where


def test_bad_sizes_and_constants():
    for bad in ([], [-1], [math.nan]):
        with pytest.raises(ScenarioError, match="image_bytes"):
            predict(bad, bandwidth_mbps=1, rtt_ms=1)
    with pytest.raises(ScenarioError, match="constants.nope"):
        TransferConstants().with_values(nope=1)
    assert set(PROTOCOLS) == {"cstore", "stow-rs", "bundle"}
