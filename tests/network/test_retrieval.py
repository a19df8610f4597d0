"""predict_retrieval against hand computations of the same timeline (small instances: no slow start)."""

from __future__ import annotations

import numpy as np
import pytest

from teleradlab.errors import ScenarioError
from teleradlab.network.retrieval import (
    RetrievalConstants,
    predict_retrieval,
    retrieval_by_count,
    viewer_decode,
)
from teleradlab.network.transfer import TransferConstants

TC = TransferConstants(cstore_efficiency=0.9, stow_efficiency=0.8, instance_rtts=1.2, instance_fixed_s=0.003)
RC = RetrievalConstants(wado_fixed_s=0.05, wado_instance_s=0.002, cget_fixed_s=0.2, cget_instance_rtts=1.8,
                        cget_instance_s=0.015)
SIZE = 10_000
# a bandwidth-delay product under the initial window (10 x 1448 bytes): no slow start
N, BW, RTT = 6, 10.0, 10.0


def _hand(protocol: str, decode_ms: float) -> tuple[np.ndarray, np.ndarray]:
    rtt = RTT / 1000
    if protocol == "wado-rs":
        send = SIZE * 8 / (0.8 * BW * 1e6)
        # TCP handshake, the GET halfway, the archive's start; each instance its bytes and the archive's work
        arrival = 1.5 * rtt + 0.05 + np.arange(1, N + 1) * send + np.arange(N) * 0.002 + rtt / 2
    else:
        send = SIZE * 8 / (0.9 * BW * 1e6)
        # a sub-operation: 1.8 round trips, or one round trip plus its bytes if longer; plus 15 ms of work
        cycle = max(send + rtt, 1.8 * rtt) + 0.015
        assert send + rtt > 1.8 * rtt  # here the bytes hide the second round trip
        # association (2 round trips), C-GET-RQ halfway, first bytes half a round trip back
        arrival = 2 * rtt + 0.2 + 0.5 * rtt + send + rtt / 2 + np.arange(N) * cycle
    d = decode_ms / 1000
    decoded = np.empty(N)
    t = 0.0
    for i, a in enumerate(arrival):
        t = max(t, a) + d
        decoded[i] = t
    return arrival, decoded


@pytest.mark.parametrize("protocol", ["wado-rs", "cget"])
@pytest.mark.parametrize("decode_ms", [1.0, 400.0])  # network-bound, then decode-bound
def test_matches_hand_computation(protocol, decode_ms):
    r = predict_retrieval(SIZE, decode_ms, n_instances=N, bandwidth_mbps=BW, rtt_ms=RTT, protocol=protocol,
                          chunk_bytes=None, constants=RC, transfer_constants=TC)
    arrival, decoded = _hand(protocol, decode_ms)
    np.testing.assert_allclose(r.arrival_s, arrival, rtol=1e-9)
    assert r.first_image_s == pytest.approx(arrival[0] + decode_ms / 1000)
    assert r.loaded_s == pytest.approx(decoded[-1])
    if decode_ms > 100:  # decoding is the bottleneck: loaded = first arrival + all decodes
        assert r.decode_bound and r.loaded_s == pytest.approx(arrival[0] + N * decode_ms / 1000)
    else:  # the network is: loaded = last arrival + its decode
        assert not r.decode_bound and r.loaded_s == pytest.approx(arrival[-1] + decode_ms / 1000)


def test_wado_stream_slow_start_spans_instances():
    """On a long fat link a fresh connection's window doubles per round trip across the whole stream."""
    rtt = 0.1
    r = predict_retrieval(SIZE, 0.0, n_instances=40, bandwidth_mbps=100, rtt_ms=1000 * rtt, protocol="wado-rs",
                          chunk_bytes=None, constants=RC, transfer_constants=TC)
    seg = 1448
    # by hand: window 10, 20, 40... segments per round trip; instance k is there in the round its bytes complete
    cum = SIZE * np.arange(1, 41)
    sent, rounds, w = 0, np.empty(40, dtype=int), 10
    r_idx = 0
    for k in range(40):
        while cum[k] > sent + w * seg:
            sent += w * seg
            w *= 2
            r_idx += 1
        rounds[k] = r_idx
    base = r.arrival_s - 0.002 * np.arange(40)  # without the archive's per-instance work
    steps = np.diff(base)
    np.testing.assert_array_less(steps[np.diff(rounds) == 0], 0.2 * rtt)  # same round: back to back
    np.testing.assert_array_less(0.5 * rtt, steps[np.diff(rounds) == 1])  # next round: waits for acknowledgements


def test_chunked_reader_holds_instances_until_the_chunk_is_full():
    kw = dict(n_instances=N, bandwidth_mbps=BW, rtt_ms=RTT, protocol="wado-rs", constants=RC, transfer_constants=TC)
    free = predict_retrieval(SIZE, 1.0, chunk_bytes=None, **kw)
    whole = predict_retrieval(SIZE, 1.0, chunk_bytes=10 * N * SIZE, **kw)  # one chunk: nothing before the end
    np.testing.assert_allclose(whole.arrival_s, free.arrival_s[-1])
    two = predict_retrieval(SIZE, 1.0, chunk_bytes=2 * SIZE, **kw)  # every second instance completes a chunk
    np.testing.assert_allclose(two.arrival_s[1::2], free.arrival_s[1::2])
    assert np.all(two.arrival_s[0::2] > free.arrival_s[0::2])


def test_viewer_decode_is_a_single_server_queue():
    np.testing.assert_allclose(viewer_decode(np.array([0.0, 0.1, 1.0]), np.array([0.5, 0.5, 0.5])),
                               [0.5, 1.0, 1.5])


@pytest.mark.parametrize(("kwargs", "where"), [
    ({"protocol": "c-move"}, "protocol"),
    ({"decode_ms": -1.0}, "decode_ms"),
    ({"decode_ms": [1.0, 2.0]}, "decode_ms"),
    ({"rtt_ms": -5.0}, "rtt_ms"),
])
def test_bad_input_names_the_parameter(kwargs, where):
    args = {"image_bytes": [SIZE] * 3, "decode_ms": 5.0, "bandwidth_mbps": BW, "rtt_ms": RTT} | kwargs
    with pytest.raises(ScenarioError) as exc:
        predict_retrieval(args.pop("image_bytes"), args.pop("decode_ms"), **args)
    assert where in str(exc.value)


@pytest.mark.parametrize("protocol", ["wado-rs", "cget"])
@pytest.mark.parametrize(("bw", "rtt", "chunk"), [(100.0, 100.0, 65536), (10.0, 20.0, 3 * SIZE + 1), (5.0, 40.0, None)])
def test_by_count_is_predict_retrieval_per_study_size(protocol, bw, rtt, chunk):
    """Many study sizes at once give exactly what one predict_retrieval per size gives (slow start, chunk ends)."""
    counts = [7, 1, 40, 7, 23, 2, 40, 3]
    for first_k in (1, 3, 50):
        got = retrieval_by_count(SIZE, 12.5, counts, first_k=first_k, bandwidth_mbps=bw, rtt_ms=rtt,
                                 protocol=protocol, chunk_bytes=chunk)
        for j, n in enumerate(counts):
            one = predict_retrieval(SIZE, 12.5, n_instances=n, bandwidth_mbps=bw, rtt_ms=rtt, protocol=protocol,
                                    chunk_bytes=chunk)
            assert got.last_arrival_s[j] == one.arrival_s[-1]
            assert got.first_k_s[j] == one.decoded_s[min(first_k, n) - 1]
            assert got.loaded_s[j] == one.loaded_s
        np.testing.assert_array_equal(got.counts, counts)


@pytest.mark.parametrize(("kwargs", "where"), [
    ({"counts": [3, 0]}, "counts"),
    ({"counts": [2.5]}, "counts"),
    ({"counts": []}, "counts"),
    ({"first_k": 0}, "first_k"),
    ({"protocol": "c-move"}, "protocol"),
    ({"decode_ms": float("nan")}, "decode_ms"),
])
def test_by_count_bad_input_names_the_parameter(kwargs, where):
    args = {"counts": [3, 5], "decode_ms": 5.0, "bandwidth_mbps": BW, "rtt_ms": RTT} | kwargs
    with pytest.raises(ScenarioError) as exc:
        retrieval_by_count(SIZE, args.pop("decode_ms"), args.pop("counts"), **args)
    assert exc.value.where == where
