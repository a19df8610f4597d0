"""How long a study takes to cross a link as DICOM really moves it.

A study is not one block of bytes: it is ``n`` instances. With C-STORE each one is a
request and a response on an association, so a study pays ``n`` round trips besides
its bytes; a stock TCP stack can add a Nagle/delayed-ACK stall per instance; a fresh
connection starts slowly (initial window of 10 segments, RFC 6928, doubling per round
trip). STOW-RS (DICOMweb, PS3.18) sends a batch of instances per HTTP request; a
bundle sends one archive over one connection.

    from teleradlab.network.transfer import predict
    t = predict([550_000] * 100, bandwidth_mbps=100, rtt_ms=200)
    t.total_s, t.first_image_s, t.latency_s, t.payload_s

:func:`predict` splits the time into ``latency_s`` (round trips and stalls: time that
does not occupy the link's capacity, so a shared link can carry other traffic then)
and ``payload_s`` (the bytes at the effective rate). The model's free constants are
in :class:`TransferConstants`; their defaults were fitted by
:func:`teleradlab.netlab.calibrate` on an emulated link (see ``DEFAULT_CONSTANTS``
and ``datasets/reference/transfer_calibration.json``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np

from teleradlab.errors import ScenarioError

#: Protocols :func:`predict` knows.
PROTOCOLS: tuple[str, ...] = ("cstore", "stow-rs", "bundle")


@dataclass(frozen=True)
class TransferConstants:
    """The transfer model's constants; the free ones are fitted by calibration.

    Round-trip counts and TCP constants come from the protocol specifications; the
    efficiencies and fixed costs are measured (see ``DEFAULT_CONSTANTS`` for the
    provenance of the shipped values).

    Attributes
    ----------
    mss_bytes : int
        TCP payload per segment: 1500-byte MTU minus 20 (IP) + 20 (TCP) + 12
        (timestamp option, RFC 7323) bytes of headers.
    initial_window_segments : int
        Initial congestion window on a fresh connection (RFC 6928: 10 segments).
    cstore_efficiency : float
        Delivered bytes per byte of link rate for C-STORE: the goodput of one TCP
        connection over the shaped rate, measured by the lab's link probe (TCP/IP
        headers: 1448 payload bytes per 1500-byte packet, 0.965); DICOM PDU headers
        add 12 bytes per 16 kB PDU.
    assoc_setup_rtts : float
        Round trips before the first instance: TCP handshake (1) and
        A-ASSOCIATE-RQ/AC (1) (PS3.8).
    assoc_release_rtts : float
        A-RELEASE-RQ/RP (PS3.8): 1 round trip.
    assoc_fixed_s : float
        Fixed cost of one association besides its round trips (negotiation, process
        work at both ends). Fitted.
    instance_rtts : float
        Round trips per C-STORE: the sender waits for the C-STORE-RSP (PS3.7), so at
        least 1; fitted, since the TCP receive window of a young connection can add
        part of a round (bounded below by 1 in the fit).
    instance_fixed_s : float
        Processing per C-STORE instance at both ends (encode, write). Fitted.
    pacing_rtts : float
        The shortest time, in round trips, in which a sender puts one instance on
        the wire however fast the link: each instance of a request/response exchange
        is an application-limited flight, and a rate-based congestion control paces
        such flights at a multiple of the rate it saw the previous ones delivered
        at. For BBR (Cardwell et al., "BBR: Congestion-Based Congestion Control",
        ACM Queue 14(5), 2016) the start-up gain 2/ln 2 puts that fixed point at
        1/(2/ln 2 - 1) = 0.53 round trips; on the lab, 100 x 50 kB over 100 Mbit/s
        and 200 ms took 1.57 round trips per instance with BBR against 1.14 with
        CUBIC (2026-11-30). The shipped value is fitted on CUBIC, the congestion
        control of the hosts that usually send DICOM (Linux and Windows defaults),
        and is small; set about 0.5 to model BBR senders. Each instance then takes
        ``max(its bytes at the link rate, pacing_rtts round trips)`` to send.
    nagle_delack_s : float
        Stall per instance on a stock TCP stack (Nagle's algorithm holding a small
        segment until a delayed ACK; Linux delays an ACK by at least 40 ms), beyond
        ``nagle_rtts`` round trips. Zero with TCP_NODELAY. Fitted.
    nagle_rtts : float
        Round trips per instance the same stall adds (the held segment waits for the
        acknowledgement of everything in flight). Fitted.
    stow_efficiency : float
        The same for STOW-RS (HTTP and multipart headers are a few hundred bytes per
        request and part); measured by the link probe.
    stow_setup_rtts : float
        Round trips before the first request: TCP handshake (1).
    stow_batch_rtts : float
        Round trips per HTTP request/response (1).
    stow_fixed_s : float
        Fixed cost of a STOW-RS transfer. Fitted.
    stow_instance_fixed_s : float
        Archive-side processing per instance stored by STOW-RS. Fitted.
    bundle_efficiency : float
        The same for a bundle; measured by the link probe.
    bundle_setup_rtts : float
        Round trips before the upload: TCP handshake (1).
    bundle_rtts : float
        Request/response round trips of the single upload (1).
    bundle_fixed_s : float
        Fixed cost of a bundle transfer. Fitted.
    bundle_instance_fixed_s : float
        Receiver-side processing per instance unpacked from the bundle. Fitted.
    bundle_overhead_bytes : int
        Archive bytes per member besides its data (ZIP local header + central
        directory entry with a ~40-character name, APPNOTE 6.3).
    source : str
        Where the values came from.
    """

    mss_bytes: int = 1448
    initial_window_segments: int = 10
    cstore_efficiency: float = 0.9705  # measured link goodput / rate, netlab grid 2026-11-30
    assoc_setup_rtts: float = 2.0
    assoc_release_rtts: float = 1.0
    assoc_fixed_s: float = 0.01752  # fitted ± 0.025, netlab grid 2026-11-30 (TCP cubic)
    instance_rtts: float = 1.0  # fitted ± 0.028 (at its bound, 1: the C-STORE-RSP), netlab grid 2026-11-30 (TCP cubic)
    instance_fixed_s: float = 0.0  # fitted 7.5e-21 ± 0.00034 (at its bound), netlab grid 2026-11-30 (TCP cubic)
    pacing_rtts: float = 0.06091  # fitted ± 0.057, netlab grid 2026-11-30 (TCP cubic)
    nagle_delack_s: float = 0.03916  # fitted ± 0.0017, netlab grid 2026-11-30 (TCP cubic)
    nagle_rtts: float = 1.511  # fitted ± 0.068, netlab grid 2026-11-30 (TCP cubic)
    stow_efficiency: float = 0.9703  # measured link goodput / rate, netlab grid 2026-11-30
    stow_setup_rtts: float = 1.0
    stow_batch_rtts: float = 1.0
    stow_fixed_s: float = 0.161  # fitted ± 0.13, netlab grid 2026-11-30 (TCP cubic)
    stow_instance_fixed_s: float = 0.004948  # fitted ± 0.0019, netlab grid 2026-11-30 (TCP cubic)
    bundle_efficiency: float = 0.9703  # measured link goodput / rate, netlab grid 2026-11-30
    bundle_setup_rtts: float = 1.0
    bundle_rtts: float = 1.0
    bundle_fixed_s: float = 0.1922  # fitted ± 0.092, netlab grid 2026-11-30 (TCP cubic)
    bundle_instance_fixed_s: float = 0.002822  # fitted ± 0.0012, netlab grid 2026-11-30 (TCP cubic)
    bundle_overhead_bytes: int = 170
    # grid, software and date of the fitted values (transfer_calibration.json has the full provenance)
    source: str = ('teleradlab netlab calibrate --full (bundle -> orthanc, storescu -> storescp, stow -> orthanc), '
                   '2026-11-30, dcmtk 3.6.7-9~deb12u4, Orthanc 1.10.1+dfsg-2+deb12u1, kernel 6.18.44-fc-v782, TCP cubic')

    def as_dict(self) -> dict[str, Any]:
        """Return the constants as a plain dict (for JSON provenance files).

        Returns
        -------
        dict
            Field name to value.
        """
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def with_values(self, **values: Any) -> TransferConstants:
        """Return a copy with some constants replaced.

        Parameters
        ----------
        **values
            Constant names and their new values.

        Returns
        -------
        TransferConstants
            The copy.
        """
        known = {f.name for f in fields(self)}
        for k in values:
            if k not in known:
                raise ScenarioError(f"unknown transfer constant; known: {sorted(known)}",
                                    where=f"constants.{k}")
        return replace(self, **values)


#: The constants :func:`teleradlab.netlab.calibrate` fits, per protocol.
#: (The efficiencies are not fitted: they are the link's measured goodput over its rate.)
FITTED: dict[str, tuple[str, ...]] = {
    "cstore": ("assoc_fixed_s", "instance_rtts", "instance_fixed_s", "nagle_delack_s", "nagle_rtts", "pacing_rtts"),
    "stow-rs": ("stow_fixed_s", "stow_instance_fixed_s"),
    "bundle": ("bundle_fixed_s", "bundle_instance_fixed_s"),
}
#: The efficiency constant of each protocol.
EFFICIENCY: dict[str, str] = {"cstore": "cstore_efficiency", "stow-rs": "stow_efficiency",
                              "bundle": "bundle_efficiency"}

#: The shipped constants. Provenance: see ``datasets/reference/transfer_calibration.json``.
DEFAULT_CONSTANTS = TransferConstants()


@dataclass(frozen=True)
class TransferTiming:
    """What :func:`predict` returns; times in seconds from the start of the transfer.

    Attributes
    ----------
    total_s : float
        Until the transfer is complete (last response, association released).
    first_image_s : float
        Until the first instance is at the receiver: for C-STORE when its last byte
        has arrived; for STOW-RS when the whole first request has arrived and its
        first instance is stored (the archive parses the multipart body after
        receiving it); for a bundle when the archive has arrived and the first
        instance is unpacked.
    latency_s : float
        The part of ``total_s`` that does not occupy the link's capacity: set-up and
        release round trips, per-instance round trips, Nagle/delayed-ACK stalls,
        slow-start round trips, fixed processing costs.
    payload_s : float
        The bytes at the effective rate (``total_s - latency_s``).
    effective_rate_mbps : float
        The rate the bytes move at: link rate × protocol efficiency, capped by the
        TCP window over the round trip.
    n_instances : int
        Instances sent.
    total_bytes : int
        Bytes of the instances as sent.
    instance_done_s : numpy.ndarray
        When each instance was acknowledged (C-STORE-RSP; for STOW-RS the response of
        its batch; for a bundle the upload's response), in sending order.
    protocol : str
        The protocol modelled.
    """

    total_s: float
    first_image_s: float
    latency_s: float
    payload_s: float
    effective_rate_mbps: float
    n_instances: int
    total_bytes: int
    instance_done_s: np.ndarray = field(repr=False, compare=False)
    protocol: str = "cstore"

    @property
    def latency_fraction(self) -> float:
        """Share of ``total_s`` spent on latency rather than payload."""
        return self.latency_s / self.total_s if self.total_s > 0 else 0.0


def _sizes(image_bytes: float | Sequence[float] | np.ndarray) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(image_bytes, dtype=float))
    if arr.ndim != 1 or arr.size == 0:
        raise ScenarioError("must be one size in bytes or a non-empty list of per-instance sizes",
                            where="image_bytes")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ScenarioError("instance sizes must be finite and >= 0 bytes", where="image_bytes")
    return arr


def _check(bandwidth_mbps: float, rtt_ms: float, protocol: str, associations: int, async_ops: int,
           window_kb: float | None, batch: int | None) -> None:
    if not (isinstance(bandwidth_mbps, (int, float)) and math.isfinite(bandwidth_mbps) and bandwidth_mbps > 0):
        raise ScenarioError(f"must be a finite number > 0 Mbit/s, got {bandwidth_mbps!r}", where="bandwidth_mbps")
    if not (isinstance(rtt_ms, (int, float)) and math.isfinite(rtt_ms) and rtt_ms >= 0):
        raise ScenarioError(f"must be a finite number >= 0 ms, got {rtt_ms!r}", where="rtt_ms")
    if protocol not in PROTOCOLS:
        raise ScenarioError(f"unknown protocol {protocol!r}; known: {', '.join(PROTOCOLS)}", where="protocol")
    if not isinstance(associations, (int, np.integer)) or associations < 1:
        raise ScenarioError(f"must be an integer >= 1, got {associations!r}", where="associations")
    if not isinstance(async_ops, (int, np.integer)) or async_ops < 1:
        raise ScenarioError(f"must be an integer >= 1, got {async_ops!r}", where="async_ops")
    if window_kb is not None and not (math.isfinite(window_kb) and window_kb > 0):
        raise ScenarioError(f"must be > 0 kB or None, got {window_kb!r}", where="window_kb")
    if batch is not None and (not isinstance(batch, (int, np.integer)) or batch < 1):
        raise ScenarioError(f"must be an integer >= 1 or None, got {batch!r}", where="batch")


class _Flow:
    """One TCP connection's congestion window, in segments, as slow start grows it.

    Slow start doubles the window each round trip until it covers the bandwidth-delay
    product (BDP) or the window cap; the flow is rate- or window-limited from then on.
    CUBIC's HyStart (Ha and Rhee, "Taming the elephants: New TCP slow start", Computer
    Networks 55(9), 2011; Linux net/ipv4/tcp_cubic.c) can end slow start sooner: its delay
    test when a round's shortest of 8 RTT samples exceeds the minimum by clamp(RTT/8, 4 ms,
    16 ms), its ACK-train test when one round's closely spaced (<= 2 ms) ACKs span half the
    minimum RTT. On the lab neither ended slow start below the BDP (the sender's kernel
    counters in ``datasets/reference/transfer_slow_start_check.csv``: the delay test at 2.6
    BDP at 100 Mbit/s x 50 ms, nothing at 200 ms), so the model has no early exit.
    """

    def __init__(self, rate_bps: float, rtt_s: float, c: TransferConstants, window_bytes: float | None):
        self.rate = rate_bps / 8.0  # bytes per second
        self.rtt = rtt_s
        self.mss = c.mss_bytes
        self.cwnd = float(c.initial_window_segments)
        bdp = self.rate * rtt_s / self.mss  # segments in flight at full rate
        cap = math.inf if window_bytes is None else window_bytes / self.mss
        self.full = min(bdp, cap)  # slow start ends here: rate- or window-limited from then on
        self.stall_rounds = 0

    def send(self, nbytes: float) -> tuple[float, float]:
        """Send ``nbytes``; return (seconds until the last byte leaves, of which slow-start waits)."""
        t, waits, left = 0.0, 0.0, nbytes
        while self.cwnd < self.full and left > self.cwnd * self.mss:
            # a round limited by the window: the sender waits for ACKs of a full round trip
            left -= self.cwnd * self.mss
            t += self.rtt
            waits += self.rtt - self.cwnd * self.mss / self.rate
            self.cwnd *= 2
        if self.cwnd < self.full and left >= 0.5 * self.cwnd * self.mss:
            self.cwnd = min(self.cwnd * 2, max(self.full, self.cwnd))  # Linux grows cwnd while >= half used
        return t + left / self.rate, waits


def predict(image_bytes: float | Sequence[float] | np.ndarray, *, bandwidth_mbps: float, rtt_ms: float,
            protocol: str = "cstore", nodelay: bool = False, associations: int = 1, async_ops: int = 1,
            window_kb: float | None = None, batch: int | None = None,
            constants: TransferConstants | None = None) -> TransferTiming:
    """Predict how long a study of DICOM instances takes to cross a link.

    Parameters
    ----------
    image_bytes : float or sequence of float
        The size of one instance, or of each instance, in bytes as sent (after
        compression).
    bandwidth_mbps : float
        Link rate in Mbit/s (> 0).
    rtt_ms : float
        Round-trip time in ms (>= 0).
    protocol : {"cstore", "stow-rs", "bundle"}
        DICOM C-STORE over associations; DICOMweb STOW-RS (multipart requests on one
        connection); or one archive over one connection.
    nodelay : bool
        The sender and receiver set TCP_NODELAY (no Nagle/delayed-ACK stall per
        instance). Only matters for C-STORE.
    associations : int
        Parallel associations (C-STORE) sharing the link; instances are dealt out
        round-robin.
    async_ops : int
        Outstanding C-STORE operations per association (the asynchronous
        operations window, PS3.7 Annex D.3.3.3); 1 when not negotiated.
    window_kb : float, optional
        A TCP window cap in kB (1000 bytes); the rate is then at most window/RTT.
        None: the window does not limit (Linux autotuning).
    batch : int, optional
        Instances per STOW-RS request; None sends all in one request.
    constants : TransferConstants, optional
        The model's constants; ``DEFAULT_CONSTANTS`` (calibrated) by default.

    Returns
    -------
    TransferTiming
        Total and first-image times, and the split into latency and payload.

    Raises
    ------
    ScenarioError
        For a bandwidth <= 0, a negative round trip, an unknown protocol,
        ``associations`` or ``async_ops`` < 1, naming the parameter.
    """
    _check(bandwidth_mbps, rtt_ms, protocol, associations, async_ops, window_kb, batch)
    sizes = _sizes(image_bytes)
    c = DEFAULT_CONSTANTS if constants is None else constants
    rtt = rtt_ms / 1000.0
    window = None if window_kb is None else window_kb * 1000.0
    link_bps = bandwidth_mbps * 1e6
    n = int(sizes.size)
    if protocol == "cstore":
        done, first, eff = _cstore(sizes, link_bps, rtt, nodelay, int(associations), int(async_ops), window, c)
    elif protocol == "stow-rs":
        done, first, eff = _stow(sizes, link_bps, rtt, batch or n, window, c)
    else:
        done, first, eff = _bundle(sizes, link_bps, rtt, window, c)
    total = float(done[-1]) if protocol != "cstore" else float(done.max())
    if protocol == "cstore":
        total += c.assoc_release_rtts * rtt
    rate = eff * link_bps
    if window is not None and rtt > 0:
        rate = min(rate, 8 * window / rtt)
    payload_bytes = float(sizes.sum())
    if protocol == "bundle":
        payload_bytes += c.bundle_overhead_bytes * n
    payload = min(payload_bytes * 8 / rate, total)
    return TransferTiming(total_s=total, first_image_s=float(first), latency_s=total - payload,
                          payload_s=payload, effective_rate_mbps=rate / 1e6, n_instances=n,
                          total_bytes=int(sizes.sum()), instance_done_s=done, protocol=protocol)


def _capped(rate_bps: float, rtt: float, window: float | None) -> float:
    return rate_bps if window is None or rtt <= 0 else min(rate_bps, 8 * window / rtt)


def _cstore(sizes: np.ndarray, link_bps: float, rtt: float, nodelay: bool, n_assoc: int, n_async: int,
            window: float | None, c: TransferConstants) -> tuple[np.ndarray, float, float]:
    """Instance completion times for C-STORE on ``n_assoc`` associations sharing the link."""
    n_assoc = min(n_assoc, sizes.size)
    share = _capped(c.cstore_efficiency * link_bps / n_assoc, rtt, window)
    start = c.assoc_setup_rtts * rtt + c.assoc_fixed_s  # associations open in parallel
    stall = 0.0 if nodelay else c.nagle_delack_s + c.nagle_rtts * rtt
    per_wait = c.instance_rtts * rtt + stall + c.instance_fixed_s  # not occupying the link
    done = np.empty(sizes.size)
    first = math.inf
    for a in range(n_assoc):
        idx = np.arange(a, sizes.size, n_assoc)
        flow = _Flow(share, rtt, c, window)
        t = start
        for k, i in enumerate(idx):
            send, _ = flow.send(sizes[i])
            paced = max(send, c.pacing_rtts * rtt)  # an app-limited flight is paced (see pacing_rtts)
            if k == 0:
                first = min(first, t + paced + rtt / 2)
            # sliding window of n_async outstanding operations: the link-busy part cannot
            # overlap; the pacing, round trip and stall can (the window's flights go out as one)
            t += max(send, (paced + per_wait) / n_async) if n_async > 1 else paced + per_wait
            done[i] = t
        if n_async > 1:
            done[idx[-1]] = max(done[idx[-1]], t + per_wait * (1 - 1 / n_async))
    return done, first, c.cstore_efficiency


def _stow(sizes: np.ndarray, link_bps: float, rtt: float, batch: int, window: float | None,
          c: TransferConstants) -> tuple[np.ndarray, float, float]:
    """Completion times for STOW-RS: one connection, one request per batch."""
    flow = _Flow(_capped(c.stow_efficiency * link_bps, rtt, window), rtt, c, window)
    t = c.stow_setup_rtts * rtt + c.stow_fixed_s
    done = np.empty(sizes.size)
    first = math.inf
    for b0 in range(0, sizes.size, batch):
        chunk = sizes[b0:b0 + batch]
        for s in chunk:
            send, _ = flow.send(s)
            t += send
        if b0 == 0:  # the archive parses a multipart request once all of it has arrived
            first = t + rtt / 2 + c.stow_instance_fixed_s
        t += c.stow_batch_rtts * rtt + c.stow_instance_fixed_s * chunk.size
        done[b0:b0 + batch] = t
    return done, first, c.stow_efficiency


def _bundle(sizes: np.ndarray, link_bps: float, rtt: float, window: float | None,
            c: TransferConstants) -> tuple[np.ndarray, float, float]:
    """Completion time of one archive of all instances over one connection."""
    flow = _Flow(_capped(c.bundle_efficiency * link_bps, rtt, window), rtt, c, window)
    send, _ = flow.send(float(sizes.sum()) + c.bundle_overhead_bytes * sizes.size)
    t_sent = c.bundle_setup_rtts * rtt + c.bundle_fixed_s + send
    total = t_sent + c.bundle_rtts * rtt + c.bundle_instance_fixed_s * sizes.size
    # the archive is unpacked once it has arrived: no instance is usable earlier
    first = t_sent + rtt / 2 + c.bundle_instance_fixed_s
    return np.full(sizes.size, total), first, c.bundle_efficiency
