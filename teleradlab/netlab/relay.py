"""The packet-delay element: two TUN devices, one per namespace, and a wire between them.

Run as its own process (``python -m teleradlab.netlab.relay NS_A TUN_A NS_B TUN_B DELAY_MS``).
It creates a TUN device in each network namespace, then copies every IP packet read
from one device to the other after the one-way delay. Packets are never terminated or
rewritten, so TCP stays end to end: handshakes, ACKs, Nagle and slow start cross the
emulated link exactly as they would cross a WAN. The rate is shaped separately, by a
``tbf`` qdisc on each device's egress (see :mod:`teleradlab.netlab.link`).

A constant delay keeps order, so each direction is a FIFO of (due time, packet). It
prints ``ready`` on standard output once both devices exist, and exits on SIGTERM,
SIGINT, or when its parent dies (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import select
import signal
import struct
import sys
import time
from collections import deque

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
CLONE_NEWNET = 0x40000000
PR_SET_PDEATHSIG = 1
#: Packets read from one device per wake-up before the other gets a turn.
READ_BURST = 64


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def enter_namespace(name: str) -> None:
    """Move the calling (single-threaded) process into network namespace ``name``.

    Parameters
    ----------
    name : str
        A namespace made by ``ip netns add`` (``/var/run/netns/NAME``).
    """
    fd = os.open(f"/var/run/netns/{name}", os.O_RDONLY)
    try:
        if _libc().setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns({name}): {os.strerror(err)}")
    finally:
        os.close(fd)


def open_tun(name: str) -> int:
    """Create TUN device ``name`` in the current namespace; return its non-blocking fd.

    Parameters
    ----------
    name : str
        Interface name (at most 15 characters).

    Returns
    -------
    int
        The file descriptor; the device disappears when it is closed.
    """
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def _drain(fd: int, out: deque, due: float) -> None:
    for _ in range(READ_BURST):
        try:
            pkt = os.read(fd, 65536)
        except BlockingIOError:
            return
        out.append((due, pkt))


def _flush(fd: int, queue: deque, now: float) -> None:
    while queue and queue[0][0] <= now:
        try:
            os.write(fd, queue[0][1])
        except BlockingIOError:
            return  # the kernel's queue is full; try again on the next wake-up
        except OSError:
            pass  # device going down or packet refused: a lost packet, as on a wire
        queue.popleft()


def relay(fd_a: int, fd_b: int, delay_s: float) -> None:
    """Copy packets between two TUN fds with ``delay_s`` one-way delay, forever.

    Parameters
    ----------
    fd_a, fd_b : int
        Non-blocking TUN file descriptors.
    delay_s : float
        One-way delay in seconds (>= 0), the same in both directions.
    """
    ep = select.epoll()
    ep.register(fd_a, select.EPOLLIN)
    ep.register(fd_b, select.EPOLLIN)
    to_b: deque = deque()
    to_a: deque = deque()
    clock = time.monotonic
    while True:
        now = clock()
        heads = [q[0][0] for q in (to_a, to_b) if q]
        timeout = max(0.0, min(heads) - now) if heads else -1
        for fd, _ in ep.poll(timeout):
            due = clock() + delay_s
            _drain(fd, to_b if fd == fd_a else to_a, due)
        now = clock()
        _flush(fd_b, to_b, now)
        _flush(fd_a, to_a, now)


def _stop(signum: int, frame: object) -> None:
    sys.exit(0)


def main(argv: list[str] | None = None) -> int:
    """Entry point: ``relay NS_A TUN_A NS_B TUN_B DELAY_MS``.

    Parameters
    ----------
    argv : list of str, optional
        The five arguments; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        0 when stopped by a signal.
    """
    ns_a, tun_a, ns_b, tun_b, delay_ms = argv if argv is not None else sys.argv[1:]
    _libc().prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    enter_namespace(ns_a)
    fd_a = open_tun(tun_a)
    enter_namespace(ns_b)
    fd_b = open_tun(tun_b)
    print("ready", flush=True)
    try:
        relay(fd_a, fd_b, float(delay_ms) / 1000.0)
    except SystemExit:
        pass
    finally:
        os.close(fd_a)
        os.close(fd_b)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
