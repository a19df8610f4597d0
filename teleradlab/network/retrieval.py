"""How long a radiologist waits at the workstation: a study retrieved from the archive and decoded.

A viewer that opens a study on demand asks the archive for it — DICOMweb WADO-RS
(one HTTP GET, the instances streamed back as one multipart response, PS3.18) or
DIMSE C-GET (one association; the archive sends each instance as a C-STORE
sub-operation and waits for its response, PS3.4 Annex C.4.3) — and decodes every
instance before it can be shown. The arrival of each instance comes from the
transfer model (:func:`teleradlab.network.transfer.predict`); decoding is
modelled as a viewer does it::

    from teleradlab.network.retrieval import predict_retrieval
    r = predict_retrieval([52_000] * 100, 39.4, bandwidth_mbps=10, rtt_ms=50, protocol="wado-rs")
    r.first_image_s, r.loaded_s

**The viewer.** One decode worker takes the instances in the order they arrive and
decodes each as soon as it is there and the previous one is done (a single-server
queue fed by the network)::

    decoded[0] = arrival[0] + decode[0]
    decoded[i] = max(arrival[i], decoded[i-1]) + decode[i]

so the first image is on screen at ``arrival[0] + decode[0]`` and the study is
loaded at ``decoded[-1]``, which is at least ``arrival[-1] + decode[-1]`` (the
network is the bottleneck) and at least ``arrival[0] + sum(decode)`` (decoding is
the bottleneck), and equals whichever dominates when one does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from teleradlab.errors import ScenarioError
from teleradlab.network.transfer import (
    DEFAULT_CONSTANTS,
    TransferConstants,
    TransferTiming,
    predict,
)

#: Retrieval protocols :func:`predict_retrieval` knows.
RETRIEVAL_PROTOCOLS: tuple[str, ...] = ("wado-rs", "cget")


@dataclass(frozen=True)
class RetrievalConstants:
    """The archive-side constants of a retrieval (the link's come from :class:`TransferConstants`).

    Attributes
    ----------
    wado_setup_rtts : float
        Round trips before the archive starts answering a WADO-RS request: the TCP
        handshake (1) and the GET travelling to the archive (0.5).
    wado_fixed_s : float
        The archive's work before the first byte of the answer (finding the study,
        opening the first file). Measured.
    wado_instance_s : float
        The archive's work per instance streamed (reading the file, writing the
        multipart part). Measured.
    cget_request_rtts : float
        Round trips the C-GET request adds after the association is set up: the
        C-GET-RQ travels to the archive before it starts its first C-STORE
        sub-operation (0.5).
    cget_fixed_s : float
        Association set-up work at both ends and the archive's work between the
        C-GET-RQ and its first sub-operation (replaces the transfer model's
        ``assoc_fixed_s``, measured for storescu/storescp). Measured.
    cget_instance_rtts : float
        Round trips a C-STORE sub-operation takes at least. At least 1 (the archive
        waits for the C-STORE-RSP, PS3.7); measured with the lab's Orthanc, whose
        sub-operations of small instances took two (and one plus the bytes when the
        bytes took longer than a round trip).
    cget_instance_s : float
        Work per C-STORE sub-operation at both ends (the archive reading and sending
        the file, the viewer's DIMSE stack answering; replaces the transfer model's
        ``instance_fixed_s``). Measured.
    source : str
        Where the measured values came from.
    """

    wado_setup_rtts: float = 1.5
    wado_fixed_s: float = 0.0
    wado_instance_s: float = 0.0
    cget_request_rtts: float = 0.5
    cget_fixed_s: float = 0.0
    cget_instance_rtts: float = 1.0
    cget_instance_s: float = 0.0
    source: str = "zero: no archive-side costs"


#: Measured by :func:`teleradlab.netlab.retrieve.calibrate` (20 CT slices per codec, uncompressed,
#: JPEG 2000 and HTJ2K; 1000 Mbit/s, no added delay and 50 ms; TCP CUBIC, the lab's default), on an
#: idle machine (load 0.2-0.6), 2026-11-30. Per codec: WADO-RS fixed 0.015, 0.018, 0.010 s (sd 0.004),
#: per instance 2.8, 1.4, 1.2 ms (sd 0.9); C-GET (no HTJ2K) fixed 0.025, 0.021 s (sd 0.003), per
#: instance 11.7, 8.7 ms (sd 2.2), round trips per sub-operation 1.39, 1.42 (sd 0.02). (With the
#: host's BBR, 2026-11-29, C-GET took 2.0 round trips per sub-operation: see TransferConstants.pacing_rtts.)
DEFAULT_RETRIEVAL = RetrievalConstants(
    wado_fixed_s=0.01426, wado_instance_s=0.00179, cget_fixed_s=0.02327, cget_instance_rtts=1.405,
    cget_instance_s=0.01022,
    source=("teleradlab.netlab.retrieve.calibrate(n_images=20, bandwidth_mbps=1000, rtt_ms=50), 2026-11-30, "
            "TCP cubic, Orthanc 1.10.1+dfsg-2+deb12u1, orthanc-dicomweb 1.7+dfsg-6+b2, pynetdicom 3.0.4, "
            "dicomweb-client 0.61.2"))


@dataclass(frozen=True)
class RetrievalTiming:
    """What :func:`predict_retrieval` returns; seconds from the moment the viewer asks.

    Attributes
    ----------
    first_image_s : float
        First instance arrived and decoded (on screen).
    loaded_s : float
        Every instance arrived and decoded.
    arrival_s : numpy.ndarray
        When each instance has fully arrived at the viewer.
    decoded_s : numpy.ndarray
        When each instance is decoded.
    decode_bound : bool
        Decoding, not the network, set ``loaded_s``: the decode worker never waited
        for an instance after the first.
    transfer : TransferTiming
        The transfer model's timing the arrivals were derived from.
    protocol : str
        ``"wado-rs"`` or ``"cget"``.
    """

    first_image_s: float
    loaded_s: float
    arrival_s: np.ndarray = field(repr=False, compare=False)
    decoded_s: np.ndarray = field(repr=False, compare=False)
    decode_bound: bool
    transfer: TransferTiming = field(repr=False, compare=False)
    protocol: str


def viewer_decode(arrival_s: np.ndarray, decode_s: np.ndarray | float) -> np.ndarray:
    """When each instance is decoded by one worker that decodes them in order as they arrive.

    Parameters
    ----------
    arrival_s : numpy.ndarray
        Arrival time of each instance, seconds (non-decreasing).
    decode_s : numpy.ndarray or float
        Decode time of each instance (or of every instance), seconds.

    Returns
    -------
    numpy.ndarray
        ``decoded[i] = max(arrival[i], decoded[i-1]) + decode[i]``.
    """
    a = np.asarray(arrival_s, float)
    d = np.broadcast_to(np.asarray(decode_s, float), a.shape)
    # decoded[j] = max over i <= j of (arrival[i] + decode[i] + ... + decode[j])
    done = np.cumsum(d)
    return done + np.maximum.accumulate(a - (done - d))


def _chunked(arrival: np.ndarray, sizes: np.ndarray, chunk: int) -> np.ndarray:
    """Arrival of each instance when the reader hands data on only in whole chunks.

    The byte at position ``x`` of the stream arrives at the time interpolated
    linearly between the arrivals of the instance ends around it; instance ``i``
    is handed on when the chunk holding its last byte is complete (or the stream ends).
    """
    ends = np.cumsum(sizes)
    need = np.minimum(np.ceil(ends / chunk) * chunk, ends[-1])
    return np.interp(need, ends, arrival)


def _check_protocol(protocol: str) -> None:
    if protocol not in RETRIEVAL_PROTOCOLS:
        raise ScenarioError(f"unknown protocol {protocol!r}; known: {', '.join(RETRIEVAL_PROTOCOLS)}",
                            where="protocol")


def _decode_times(decode_ms: float | Sequence[float], n: int) -> np.ndarray:
    """Each instance's decode time in seconds (one value: every instance the same)."""
    dec = np.atleast_1d(np.asarray(decode_ms, dtype=float)) / 1000.0
    if dec.size == 1:
        dec = np.full(n, dec[0])
    if dec.size != n or not np.all(np.isfinite(dec)) or np.any(dec < 0):
        raise ScenarioError(f"must be one time >= 0 ms or one per instance ({n}), got {decode_ms!r}",
                            where="decode_ms")
    return dec


def _arrivals(sizes: np.ndarray, bandwidth_mbps: float, rtt_ms: float, protocol: str, rc: RetrievalConstants,
              tc: TransferConstants) -> tuple[np.ndarray, TransferTiming]:
    """When each instance has arrived (before a WADO-RS reader's chunking), and the transfer model's timing.

    An instance's arrival does not depend on the instances after it (one stream, or one
    association's sub-operations in order): the first ``n`` of a larger study arrive as a
    study of ``n`` would (:func:`retrieval_by_count` relies on it).
    """
    rtt = rtt_ms / 1000.0
    if protocol == "wado-rs":
        c = tc.with_values(assoc_setup_rtts=rc.wado_setup_rtts, assoc_fixed_s=rc.wado_fixed_s, instance_rtts=0.0,
                           instance_fixed_s=0.0, cstore_efficiency=tc.stow_efficiency,
                           pacing_rtts=0.0)  # one bulk stream, not app-limited flights
        # one continuous stream: the first k instances arrive when their bytes together have crossed
        # (slow start runs across instance boundaries), plus the archive's work on the k before
        ends = np.cumsum(sizes)
        stream = [predict([e], bandwidth_mbps=bandwidth_mbps, rtt_ms=rtt_ms, protocol="cstore", nodelay=True,
                          constants=c) for e in ends]
        return np.array([s.first_image_s for s in stream]) + rc.wado_instance_s * np.arange(sizes.size), stream[-1]
    c = tc.with_values(assoc_fixed_s=rc.cget_fixed_s, instance_fixed_s=rc.cget_instance_s,
                       instance_rtts=rc.cget_instance_rtts,
                       pacing_rtts=0.0)  # the fitted cget_instance_rtts floor holds any pacing
    t = predict(sizes, bandwidth_mbps=bandwidth_mbps, rtt_ms=rtt_ms, protocol="cstore", nodelay=True, constants=c)
    per_wait = c.instance_rtts * rtt + c.instance_fixed_s
    first = t.first_image_s + rc.cget_request_rtts * rtt  # the C-GET-RQ travels to the archive first
    # a sub-operation takes at least cget_instance_rtts round trips; one whose bytes take longer than
    # the extra round trips hides them (the lab's Orthanc: 2 round trips for a 52 kB instance at
    # 1000 Mbit/s, one round trip plus the bytes for 0.5 MB at 10 Mbit/s)
    send = np.diff(t.instance_done_s) - per_wait  # each later instance's bytes, as the model sends them
    cycle = np.maximum(send + rtt, c.instance_rtts * rtt) + c.instance_fixed_s
    return first + np.concatenate([[0.0], np.cumsum(cycle)]), t


def predict_retrieval(image_bytes: float | Sequence[float] | np.ndarray, decode_ms: float | Sequence[float],
                      *, bandwidth_mbps: float, rtt_ms: float, protocol: str = "wado-rs",
                      n_instances: int | None = None, chunk_bytes: int | None = 65536, constants: RetrievalConstants | None = None,
                      transfer_constants: TransferConstants | None = None) -> RetrievalTiming:
    """Predict time to first image and to fully loaded for a study opened on demand.

    Parameters
    ----------
    image_bytes : float or sequence of float
        Each instance's size in bytes as stored in the archive (one value: every
        instance the same, ``n_instances`` of them).
    decode_ms : float or sequence of float
        The viewer's parse-and-decode time per instance, ms (e.g.
        :func:`teleradlab.compression.decode_cost.ms_per_frame`).
    bandwidth_mbps : float
        Link rate, Mbit/s.
    rtt_ms : float
        Round trip, ms.
    protocol : {"wado-rs", "cget"}
        WADO-RS: one request, the instances streamed back on one connection with no
        round trip between them (the transfer model's C-STORE timeline with zero
        round trips and the archive's per-instance work per instance, at the HTTP
        goodput). C-GET: the archive's C-STORE sub-operations on the viewer's
        association, after the C-GET request, as the transfer model's C-STORE with
        TCP_NODELAY (Orthanc sets it) — except that a sub-operation takes
        ``max(its bytes + 1 round trip, cget_instance_rtts round trips)`` plus the
        per-instance work: the lab's Orthanc needs about two round trips per
        sub-operation, the second hidden when the bytes take longer.
    n_instances : int, optional
        With a single ``image_bytes``: how many instances.
    chunk_bytes : int, optional
        WADO-RS: the viewer reads the response in chunks of this many bytes and can
        hand on an instance only once the chunk holding its end is complete (the
        lab's viewer reads 64 kB; ``dicomweb-client``'s default is 1 MB, which holds
        the first image back until a megabyte has arrived). None: no chunking.
    constants : RetrievalConstants, optional
        Archive-side constants; :data:`DEFAULT_RETRIEVAL` by default.
    transfer_constants : TransferConstants, optional
        The link model's constants; the calibrated defaults by default.

    Returns
    -------
    RetrievalTiming

    Raises
    ------
    ScenarioError
        For an unknown protocol or a negative decode time (and whatever
        :func:`predict` rejects), naming the parameter.
    """
    _check_protocol(protocol)
    sizes = np.atleast_1d(np.asarray(image_bytes, dtype=float))
    if sizes.size == 1 and n_instances is not None:
        sizes = np.full(int(n_instances), sizes[0])
    dec = _decode_times(decode_ms, sizes.size)
    rc = DEFAULT_RETRIEVAL if constants is None else constants
    tc = DEFAULT_CONSTANTS if transfer_constants is None else transfer_constants
    arrival, t = _arrivals(sizes, bandwidth_mbps, rtt_ms, protocol, rc, tc)
    if protocol == "wado-rs" and chunk_bytes:
        arrival = _chunked(arrival, sizes, int(chunk_bytes))
    decoded = viewer_decode(arrival, dec)
    bound = bool(np.all(arrival[1:] <= decoded[:-1])) if sizes.size > 1 else False
    return RetrievalTiming(first_image_s=float(decoded[0]), loaded_s=float(decoded[-1]), arrival_s=arrival,
                           decoded_s=decoded, decode_bound=bound, transfer=t, protocol=protocol)


@dataclass(frozen=True)
class CountTimings:
    """What :func:`retrieval_by_count` returns: one entry per study size asked for.

    Attributes
    ----------
    counts : numpy.ndarray
        Instances in each study (as given).
    last_arrival_s : numpy.ndarray
        When the study's last instance has arrived at the viewer (the whole study is local).
    first_k_s : numpy.ndarray
        When the first ``min(first_k, count)`` instances are decoded (on screen).
    loaded_s : numpy.ndarray
        When every instance is decoded.
    """

    counts: np.ndarray
    last_arrival_s: np.ndarray
    first_k_s: np.ndarray
    loaded_s: np.ndarray


def retrieval_by_count(image_bytes: float, decode_ms: float, counts: Sequence[int] | np.ndarray, *,
                       first_k: int = 1, bandwidth_mbps: float, rtt_ms: float, protocol: str = "wado-rs",
                       chunk_bytes: int | None = 65536, constants: RetrievalConstants | None = None,
                       transfer_constants: TransferConstants | None = None) -> CountTimings:
    """:func:`predict_retrieval` for many studies of equal instances that differ only in their count.

    For each ``n`` in ``counts`` the result equals
    ``predict_retrieval(image_bytes, decode_ms, n_instances=n, ...)`` (same floats): its
    ``arrival_s[-1]``, ``decoded_s[min(first_k, n) - 1]`` and ``loaded_s``. The
    retrieval of the largest study is modelled once; a smaller study's instances
    arrive as that study's first ``n`` do (an instance's arrival does not depend on
    those after it), and only the WADO-RS reader's chunking of the stream's end and
    the viewer's decoding are redone per distinct count. A simulation with thousands
    of studies of a few hundred distinct sizes therefore costs one retrieval per
    modality, not one per size.

    Parameters
    ----------
    image_bytes : float
        Each instance's size in bytes as stored in the archive.
    decode_ms : float
        The viewer's decode time per instance, ms.
    counts : sequence of int
        Instances per study (each at least 1).
    first_k : int
        Which decoded instance ``first_k_s`` reports (the ``first_k``-th, or the last of
        a smaller study).
    bandwidth_mbps, rtt_ms, protocol, chunk_bytes, constants, transfer_constants : see predict_retrieval
        As for :func:`predict_retrieval`.

    Returns
    -------
    CountTimings

    Raises
    ------
    ScenarioError
        For counts or ``first_k`` below 1 or not whole, and whatever
        :func:`predict_retrieval` rejects, naming the parameter.
    """
    _check_protocol(protocol)
    n_of = np.asarray(counts)
    if n_of.ndim != 1 or n_of.size == 0 or not np.all(np.isfinite(n_of)) or np.any(n_of < 1) \
            or np.any(n_of != np.round(n_of)):
        raise ScenarioError(f"must be a non-empty list of whole numbers >= 1, got {counts!r}", where="counts")
    if int(first_k) != first_k or first_k < 1:
        raise ScenarioError(f"must be a whole number >= 1, got {first_k!r}", where="first_k")
    n_of = n_of.astype(np.int64)
    distinct = np.unique(n_of)
    sizes = np.full(int(distinct[-1]), float(image_bytes))
    dec = _decode_times(decode_ms, sizes.size)
    rc = DEFAULT_RETRIEVAL if constants is None else constants
    tc = DEFAULT_CONSTANTS if transfer_constants is None else transfer_constants
    arrival_all, _ = _arrivals(sizes, bandwidth_mbps, rtt_ms, protocol, rc, tc)
    last, first, loaded = (np.empty(distinct.size) for _ in range(3))
    for j, n in enumerate(distinct):
        arrival = arrival_all[:n]
        if protocol == "wado-rs" and chunk_bytes:  # the stream ends after the n-th instance
            arrival = _chunked(arrival, sizes[:n], int(chunk_bytes))
        decoded = viewer_decode(arrival, dec[:n])
        last[j], first[j], loaded[j] = arrival[-1], decoded[min(int(first_k), n) - 1], decoded[-1]
    at = np.searchsorted(distinct, n_of)
    return CountTimings(counts=n_of, last_arrival_s=last[at], first_k_s=first[at], loaded_s=loaded[at])
