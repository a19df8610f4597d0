"""An emulated WAN link: two network namespaces, a rate (tc ``tbf``) and a delay (TUN relay).

    with EmulatedLink(bandwidth_mbps=10, rtt_ms=50) as link:
        link.popen(link.receiver, ["storescp", ...])
        subprocess.run(link.cmd(link.sender, ["storescu", ...]))

The sender namespace holds ``SENDER_IP`` on a TUN device, the receiver namespace
``RECEIVER_IP``; the relay process (:mod:`teleradlab.netlab.relay`) carries the IP
packets between the two devices after half the round trip each way, and a ``tbf``
qdisc on each device limits the rate. Nothing is added to the host's own network:
every address lives inside the two namespaces. Leaving the ``with`` block (also by
an exception or Ctrl-C) stops every process started through the link, removes both
namespaces and their devices, and deletes the link's temporary folder.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from teleradlab.errors import EnvironmentProblem, ScenarioError

SENDER_IP = "10.203.0.1"
RECEIVER_IP = "10.203.0.2"
#: Prefix of every namespace, device and temporary folder the lab makes.
PREFIX = "tlab"
MTU = 1500


def _run(cmd: list[str]) -> None:
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise EnvironmentProblem(f"{' '.join(cmd)} failed: {res.stderr.strip() or res.stdout.strip()}",
                                 where="netlab")


def availability() -> str | None:
    """Say why the lab cannot run here, or None when it can.

    Returns
    -------
    str or None
        One line naming what is missing and how to get it.
    """
    if sys.platform != "linux":
        return "netlab needs Linux network namespaces; this is " + sys.platform
    if os.geteuid() != 0:
        return ("netlab needs root to create network namespaces and TUN devices "
                "(run as root, e.g. in the project's container)")
    for tool, pkg in (("ip", "iproute2"), ("tc", "iproute2")):
        if shutil.which(tool) is None:
            return f"netlab needs `{tool}`: apt-get install {pkg}"
    if not os.path.exists("/dev/net/tun"):
        return "netlab needs /dev/net/tun (modprobe tun, or run the container with --device /dev/net/tun)"
    return None


def require() -> None:
    """Raise :class:`EnvironmentProblem` with :func:`availability`'s line when the lab cannot run."""
    why = availability()
    if why:
        raise EnvironmentProblem(why, where="netlab")


def lab_namespaces() -> list[str]:
    """Return the names of the lab's namespaces that exist now (for checks and clean-up).

    Returns
    -------
    list of str
        Namespace names starting with ``tlab-``.
    """
    res = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True)
    return [line.split()[0] for line in res.stdout.splitlines() if line.startswith(PREFIX + "-")]


def cleanup_stale() -> list[str]:
    """Remove lab namespaces whose owning process is gone (after a hard kill), and their processes.

    Returns
    -------
    list of str
        The namespaces removed.
    """
    removed = []
    for ns in lab_namespaces():
        try:
            pid = int(ns.split("-")[1])
        except (IndexError, ValueError):
            continue
        if not Path(f"/proc/{pid}").exists():
            pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout.split()
            for p in pids:
                try:
                    os.kill(int(p), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
            removed.append(ns)
    return removed


#: The congestion control the lab's links use unless told otherwise: CUBIC (RFC 9438), the
#: default of Linux since 2.6.19 and of Windows since Windows 10 1709, i.e. of the hosts that
#: typically run PACS and modality senders. Pinned because it matters for DICOM: with BBR (the
#: default of some hosts, this project's development machine among them) each C-STORE of a
#: request/response exchange is paced over about half a round trip more (see
#: :attr:`teleradlab.network.transfer.TransferConstants.pacing_rtts`).
DEFAULT_CONGESTION_CONTROL = "cubic"



def available_congestion_controls() -> list[str]:
    """Return the kernel's TCP congestion controls (``tcp_available_congestion_control``).

    Returns
    -------
    list of str
        E.g. ``["reno", "cubic", "bbr"]``; empty where the file cannot be read.
    """
    return (_tcp_sysctl("tcp_available_congestion_control") or "").split()


def host_congestion_control() -> str | None:
    """Return the host's default TCP congestion control (what new namespaces inherit).

    Returns
    -------
    str or None
        E.g. ``"cubic"``; None where it cannot be read.
    """
    return _tcp_sysctl("tcp_congestion_control")


def _tcp_sysctl(name: str) -> str | None:
    try:
        return Path("/proc/sys/net/ipv4", name).read_text().strip()
    except OSError:
        return None

class EmulatedLink:
    """Two namespaces joined by a shaped, delayed link (a context manager).

    Parameters
    ----------
    bandwidth_mbps : float
        Rate in each direction, Mbit/s (> 0).
    rtt_ms : float
        Round trip added by the relay, ms (>= 0); half each way.
    queue_ms : float
        The ``tbf`` queue, in ms at the link rate, and at least a bandwidth-delay
        product plus 64 kB, so TCP is not starved by drops.
    congestion_control : str, optional
        TCP congestion control on the link's routes (``ip route ... congctl lock``);
        None keeps the host's default (``net.ipv4.tcp_congestion_control``, which new
        namespaces inherit). Default :data:`DEFAULT_CONGESTION_CONTROL`.

    Attributes
    ----------
    sender, receiver : str
        Namespace names.
    tmp : pathlib.Path
        A temporary folder removed when the link closes.
    """

    _count = 0

    def __init__(self, bandwidth_mbps: float, rtt_ms: float, *, queue_ms: float = 100.0,
                 congestion_control: str | None = DEFAULT_CONGESTION_CONTROL) -> None:
        if not bandwidth_mbps > 0:
            raise ScenarioError(f"must be > 0 Mbit/s, got {bandwidth_mbps!r}", where="bandwidth_mbps")
        if not rtt_ms >= 0:
            raise ScenarioError(f"must be >= 0 ms, got {rtt_ms!r}", where="rtt_ms")
        if congestion_control is not None and congestion_control not in available_congestion_controls():
            raise ScenarioError(f"unknown congestion control {congestion_control!r}; this kernel has: "
                                f"{', '.join(available_congestion_controls())}", where="congestion_control")
        self.bandwidth_mbps = float(bandwidth_mbps)
        self.rtt_ms = float(rtt_ms)
        self.queue_ms = queue_ms
        self.congestion_control = congestion_control
        EmulatedLink._count += 1
        tag = f"{PREFIX}-{os.getpid()}-{EmulatedLink._count}"
        self.sender, self.receiver = f"{tag}-s", f"{tag}-r"
        self._devs = (f"tl{os.getpid() % 100000}s{EmulatedLink._count}"[:15],
                      f"tl{os.getpid() % 100000}r{EmulatedLink._count}"[:15])
        self._procs: list[subprocess.Popen] = []
        self._relay: subprocess.Popen | None = None
        self.tmp: Path | None = None
        self.sender_ip, self.receiver_ip = SENDER_IP, RECEIVER_IP

    @property
    def workdir(self) -> Path:
        """The link's scratch folder (received files, argument files, logs); exists while it is open.

        Raises
        ------
        EnvironmentProblem
            If the link is not open (outside its ``with`` block).
        """
        if self.tmp is None:
            raise EnvironmentProblem("the emulated link is not open: use it in a `with EmulatedLink(...)` block",
                                     where="EmulatedLink")
        return self.tmp

    # -- commands in a namespace -------------------------------------------------
    @staticmethod
    def cmd(namespace: str, argv: list[str]) -> list[str]:
        """Return ``argv`` wrapped to run inside ``namespace``.

        Parameters
        ----------
        namespace : str
            The namespace.
        argv : list of str
            The command.

        Returns
        -------
        list of str
            ``ip netns exec NAMESPACE argv...``.
        """
        return ["ip", "netns", "exec", namespace, *argv]

    def popen(self, namespace: str, argv: list[str], **kwargs: Any) -> subprocess.Popen:
        """Start a process inside ``namespace``; it is stopped when the link closes.

        Parameters
        ----------
        namespace : str
            ``self.sender`` or ``self.receiver``.
        argv : list of str
            The command.
        **kwargs
            Passed on to :class:`subprocess.Popen`.

        Returns
        -------
        subprocess.Popen
            The process (its own process group).
        """
        kwargs.setdefault("start_new_session", True)
        proc = subprocess.Popen(self.cmd(namespace, argv), **kwargs)
        self._procs.append(proc)
        return proc

    def run(self, namespace: str, argv: list[str], *, timeout: float | None = None,
            **kwargs: Any) -> subprocess.CompletedProcess:
        """Run a command inside ``namespace`` to completion, stopping it on interruption.

        Parameters
        ----------
        namespace : str
            The namespace.
        argv : list of str
            The command.
        timeout : float, optional
            Seconds before it is stopped and :class:`EnvironmentProblem` raised.
        **kwargs
            Passed on to :class:`subprocess.Popen` (e.g. ``env``).

        Returns
        -------
        subprocess.CompletedProcess
            With text ``stdout`` and ``stderr``.
        """
        proc = self.popen(namespace, argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            _stop(proc)
            raise EnvironmentProblem(f"{argv[0]} did not finish within {timeout:.0f} s", where="netlab") from exc
        finally:
            if proc.poll() is None:
                _stop(proc)
        self._procs.remove(proc)
        return subprocess.CompletedProcess(argv, proc.returncode, out, err)

    def close_process(self, proc: subprocess.Popen) -> None:
        """Stop a process started with :meth:`popen` now rather than when the link closes.

        Parameters
        ----------
        proc : subprocess.Popen
            The process.
        """
        _stop(proc)
        if proc in self._procs:
            self._procs.remove(proc)

    # -- life cycle -----------------------------------------------------------------
    def __enter__(self) -> EmulatedLink:
        require()
        try:
            self._up()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _up(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix=f"{PREFIX}-{os.getpid()}-"))
        for ns in (self.sender, self.receiver):
            _run(["ip", "netns", "add", ns])
            _run(["ip", "-n", ns, "link", "set", "lo", "up"])
        dev_s, dev_r = self._devs
        self._relay = subprocess.Popen(
            [sys.executable, "-m", "teleradlab.netlab.relay", self.sender, dev_s, self.receiver, dev_r,
             repr(self.rtt_ms / 2)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            start_new_session=True)
        line = self._relay.stdout.readline().strip() if self._relay.stdout else ""
        if line != "ready":
            err = self._relay.stderr.read() if self._relay.stderr else ""
            raise EnvironmentProblem(f"the delay relay did not start: {err.strip()[-300:]}", where="netlab")
        rate_bps = self.bandwidth_mbps * 1e6
        bdp = rate_bps / 8 * self.rtt_ms / 1000
        limit = int(max(bdp + 65536, rate_bps / 8 * self.queue_ms / 1000))
        burst = int(max(2 * MTU + 100, rate_bps / 8 / 250))  # >= one timer tick (4 ms) of bytes
        for ns, dev, mine, peer in ((self.sender, dev_s, SENDER_IP, RECEIVER_IP),
                                    (self.receiver, dev_r, RECEIVER_IP, SENDER_IP)):
            _run(["ip", "-n", ns, "link", "set", dev, "mtu", str(MTU), "up"])
            _run(["ip", "-n", ns, "addr", "add", mine, "peer", f"{peer}/32", "dev", dev])
            if self.congestion_control is not None:  # per route: needs no sysctl in the namespace
                _run(["ip", "-n", ns, "route", "replace", f"{peer}/32", "dev", dev, "src", mine,
                      "congctl", "lock", self.congestion_control])
            _run(["ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", dev, "root", "tbf",
                  "rate", f"{int(rate_bps)}bit", "burst", str(burst), "limit", str(limit)])

    def close(self) -> None:
        """Stop every process, the relay, and remove the namespaces and temporary folder."""
        for proc in reversed(self._procs):
            _stop(proc)
        self._procs.clear()
        if self._relay is not None:
            _stop(self._relay)
            self._relay = None
        for ns in (self.sender, self.receiver):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        if self.tmp is not None:
            _remove_tree(self.tmp)
            self.tmp = None

    def describe(self) -> str:
        """Return the link's nominal settings in one line."""
        cc = self.congestion_control or "host default"
        return f"{self.bandwidth_mbps:g} Mbit/s, {self.rtt_ms:g} ms round trip (tbf + TUN relay, TCP {cc})"


def _remove_tree(folder: Path, attempts: int = 20) -> None:
    """Remove ``folder``, retrying while a process that is being stopped still writes into it."""
    for _ in range(attempts):
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            return
        time.sleep(0.1)
    print(f"warning: could not remove the lab's temporary folder {folder}", file=sys.stderr)


def _stop(proc: subprocess.Popen, grace: float = 3.0) -> None:
    """Stop a process group: SIGTERM, then SIGKILL after ``grace`` seconds; reap it."""
    if proc.poll() is not None:
        _close_pipes(proc)
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            try:
                proc.send_signal(sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                _close_pipes(proc)
                return
            time.sleep(0.02)
    proc.wait()
    _close_pipes(proc)


def _close_pipes(proc: subprocess.Popen) -> None:
    for f in (proc.stdin, proc.stdout, proc.stderr):
        if f is not None:
            try:
                f.close()
            except OSError:
                pass
