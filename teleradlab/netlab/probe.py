"""Measure an emulated link before using it: round trip (TCP echo) and throughput (bulk TCP).

The lab has no ``ping``: a one-byte TCP echo with TCP_NODELAY measures the round trip
as the DICOM traffic will see it. Throughput is the goodput of one TCP connection
after a warm-up, counted by the receiving side.

Run inside the namespaces (``python -m teleradlab.netlab.probe serve PORT`` in the
receiver, ``... probe client HOST PORT SECONDS`` in the sender); :func:`measure_link`
does both through an :class:`~teleradlab.netlab.link.EmulatedLink`.
"""

from __future__ import annotations

import json
import socket
import statistics
import struct
import sys
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from teleradlab.netlab.link import EmulatedLink

CHUNK = 65536


def _nodelay(sock: socket.socket) -> None:
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def serve(port: int) -> None:
    """Accept probe connections on ``port`` forever (echo, then sink).

    Parameters
    ----------
    port : int
        TCP port on all the namespace's addresses.
    """
    srv = socket.create_server(("", port), reuse_port=False)
    print("ready", flush=True)
    while True:
        conn, _ = srv.accept()
        with conn:
            _nodelay(conn)
            f = conn.makefile("rb")
            while True:
                op = f.read(1)
                if op == b"e":  # echo one byte
                    conn.sendall(b"e")
                elif op == b"s":  # sink N bytes, then report how long they took to arrive
                    (n,) = struct.unpack("!Q", f.read(8))
                    got, t0 = 0, None
                    while got < n:
                        buf = f.read1(CHUNK)
                        if not buf:
                            break
                        if t0 is None:
                            t0 = time.monotonic()
                        got += len(buf)
                    dt = time.monotonic() - (t0 or time.monotonic())
                    conn.sendall(struct.pack("!Qd", got, dt))
                else:
                    break


def client(host: str, port: int, seconds: float, rate_hint_mbps: float) -> dict[str, Any]:
    """Measure round trip and throughput to a :func:`serve` probe.

    Parameters
    ----------
    host : str
        The probe's address.
    port : int
        Its port.
    seconds : float
        About how long the bulk transfer should last at the nominal rate.
    rate_hint_mbps : float
        The nominal rate, to size the transfer.

    Returns
    -------
    dict
        ``rtt_ms`` (median of 15 echoes), ``rtt_ms_min``, ``rtt_ms_max``, ``throughput_mbps``.
    """
    deadline = time.monotonic() + 10
    while True:
        try:
            sock = socket.create_connection((host, port), timeout=30)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    _nodelay(sock)
    rtts = []
    for _ in range(15):
        t0 = time.perf_counter()
        sock.sendall(b"e")
        if sock.recv(1) != b"e":
            raise ConnectionError("probe echo failed")
        rtts.append((time.perf_counter() - t0) * 1000)
    results = []
    payload = bytes(CHUNK)
    for _ in range(2):  # the first warms the congestion window up
        n = int(max(128_000, rate_hint_mbps * 1e6 / 8 * seconds))
        sock.sendall(b"s" + struct.pack("!Q", n))
        left = n
        while left > 0:
            k = min(left, CHUNK)
            sock.sendall(payload[:k])
            left -= k
        got, dt = struct.unpack("!Qd", _recv_exactly(sock, 16))
        results.append(got * 8 / dt / 1e6 if dt > 0 else float("inf"))
    sock.close()
    return {"rtt_ms": statistics.median(rtts), "rtt_ms_min": min(rtts), "rtt_ms_max": max(rtts),
            "throughput_mbps": results[-1]}


def _recv_exactly(sock: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        part = sock.recv(n - len(buf))
        if not part:
            raise ConnectionError("probe connection closed")
        buf += part
    return buf


def main(argv: list[str] | None = None) -> int:
    """Entry point: ``serve PORT`` or ``client HOST PORT SECONDS RATE_MBPS``.

    Parameters
    ----------
    argv : list of str, optional
        Arguments; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        0.
    """
    args = sys.argv[1:] if argv is None else argv
    if args[0] == "serve":
        serve(int(args[1]))
    else:
        print(json.dumps(client(args[1], int(args[2]), float(args[3]), float(args[4]))))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


def measure_link(link: EmulatedLink, *, seconds: float = 1.0, port: int = 5201) -> dict[str, Any]:
    """Measure an open :class:`~teleradlab.netlab.link.EmulatedLink`'s round trip and throughput.

    Parameters
    ----------
    link : EmulatedLink
        The link, inside its ``with`` block.
    seconds : float
        About how long the bulk measurement lasts at the nominal rate.
    port : int
        The probe's port in the receiver namespace.

    Returns
    -------
    dict
        See :func:`client`; plus the nominal ``bandwidth_mbps`` and ``nominal_rtt_ms``.
    """
    from teleradlab.errors import EnvironmentProblem

    srv = link.popen(link.receiver, [sys.executable, "-m", "teleradlab.netlab.probe", "serve", str(port)],
                     stdout=-1, stderr=-1, text=True)
    assert srv.stdout is not None and srv.stderr is not None  # piped just above
    try:
        if srv.stdout.readline().strip() != "ready":
            raise EnvironmentProblem("the link probe did not start: " + srv.stderr.read()[-300:], where="netlab")
        secs = seconds + 4 * link.rtt_ms / 1000  # slow start needs round trips before the rate shows
        res = link.run(link.sender, [sys.executable, "-m", "teleradlab.netlab.probe", "client",
                                     link.receiver_ip, str(port), repr(secs), repr(link.bandwidth_mbps)],
                       timeout=120 + 30 * secs)
        if res.returncode != 0:
            raise EnvironmentProblem("the link probe failed: " + res.stderr.strip()[-300:], where="netlab")
        out = json.loads(res.stdout)
    finally:
        link.close_process(srv)
    out.update(bandwidth_mbps=link.bandwidth_mbps, nominal_rtt_ms=link.rtt_ms)
    return out
