"""The DICOM nodes on each side of an emulated link: dcmtk, pynetdicom and Orthanc.

Receivers start inside the receiver namespace (:meth:`Receiver.start`) and stop with
the link. Senders run inside the sender namespace and return a :class:`SendResult`:
start and end of the transfer and when each instance was acknowledged, all on the
shared ``time.time()`` clock.

================  =====================  ===============================================
sender            receivers              protocol
================  =====================  ===============================================
``storescu``      storescp, pynetdicom,  C-STORE (dcmtk 3.6.7; ``TCP_NODELAY=1`` in the
                  orthanc                environment turns Nagle off in dcmtk)
``pynetdicom``    same                   C-STORE, optionally parallel associations
``stow``          orthanc                STOW-RS to the DICOMweb plugin
``bundle``        orthanc                one ZIP archive POSTed to ``/instances``
================  =====================  ===============================================
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydicom import uid as ts_uid

from teleradlab.errors import EnvironmentProblem, ParameterError

if TYPE_CHECKING:
    from teleradlab.netlab.link import EmulatedLink

RECEIVERS = ("storescp", "pynetdicom", "orthanc")
SENDERS = ("storescu", "pynetdicom", "stow", "bundle")
#: The protocol each sender speaks (the ``protocol`` of :func:`teleradlab.network.transfer.predict`).
SENDER_PROTOCOL = {"storescu": "cstore", "pynetdicom": "cstore", "stow": "stow-rs", "bundle": "bundle"}
DICOM_PORT = 11112
HTTP_PORT = 8042
_DCMTK_LOG = """log4cplus.rootLogger = INFO, console
log4cplus.appender.console = log4cplus::ConsoleAppender
log4cplus.appender.console.layout = log4cplus::PatternLayout
log4cplus.appender.console.layout.ConversionPattern = %D{%s.%q} %m%n
"""
_ORTHANC_PLUGIN_DIRS = ("/usr/share/orthanc/plugins", "/usr/lib/orthanc")


def missing_tool(name: str) -> str | None:
    """Say what is missing for a node, in one line, or None.

    Parameters
    ----------
    name : str
        A sender or receiver name.

    Returns
    -------
    str or None
        The missing program and the ``apt-get install`` that provides it.
    """
    if name in ("storescu", "storescp") and shutil.which(name) is None:
        return f"netlab: `{name}` not found: apt-get install dcmtk"
    if name in ("orthanc", "stow", "bundle"):
        if shutil.which("Orthanc") is None:
            return "netlab: Orthanc not found: apt-get install orthanc orthanc-dicomweb"
        if name == "stow" and dicomweb_plugin() is None:
            return "netlab: Orthanc's DICOMweb plugin not found: apt-get install orthanc-dicomweb"
    if name == "pynetdicom":
        try:
            import pynetdicom  # noqa: F401
        except ImportError:
            return "netlab: pynetdicom not installed: pip install pynetdicom"
    return None


def dicomweb_plugin() -> str | None:
    """Return the path of Orthanc's DICOMweb plugin, or None."""
    for d in _ORTHANC_PLUGIN_DIRS:
        for p in sorted(Path(d).glob("libOrthancDicomWeb.so*")) if Path(d).is_dir() else []:
            return str(p)
    return None


def software_versions() -> dict[str, str]:
    """Versions of the DICOM software the lab uses (for provenance).

    Returns
    -------
    dict
        Program to version string ("missing" when absent).
    """
    out: dict[str, str] = {}
    for pkg in ("dcmtk", "orthanc", "orthanc-dicomweb", "iproute2"):
        res = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True) \
            if shutil.which("dpkg-query") else None
        out[pkg] = res.stdout.strip() if res is not None and res.returncode == 0 else "missing"
    try:
        import pynetdicom

        out["pynetdicom"] = pynetdicom.__version__
    except ImportError:
        out["pynetdicom"] = "missing"
    out["python"] = sys.version.split()[0]
    out["kernel"] = os.uname().release
    return out


def _env(nodelay: bool) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("TCP_NODELAY", None)
    if nodelay:
        env["TCP_NODELAY"] = "1"  # read by dcmtk's DcmTransportConnection
    return env


def _wait_port(link: EmulatedLink, port: int, timeout: float = 20.0) -> None:
    # bash's /dev/tcp: a connection attempt every 50 ms, without starting a Python per check
    tries = int(timeout / 0.05)
    script = (f"for i in $(seq {tries}); do (exec 3<>/dev/tcp/{link.receiver_ip}/{port}) 2>/dev/null && exit 0; "
              "sleep 0.05; done; exit 1")
    res = link.run(link.sender, ["bash", "-c", script], timeout=timeout + 10)
    if res.returncode != 0:
        raise EnvironmentProblem(f"the receiver did not listen on port {port} within {timeout:.0f} s",
                                 where="netlab")


@dataclass
class Receiver:
    """A DICOM receiver running in a link's receiver namespace.

    Parameters
    ----------
    kind : {"storescp", "pynetdicom", "orthanc"}
        The software.
    nodelay : bool
        Set TCP_NODELAY on its sockets (storescp via the environment, pynetdicom
        on each connection; Orthanc always sets it).
    """

    kind: str
    nodelay: bool = False
    port: int = DICOM_PORT
    http_port: int = HTTP_PORT
    aet: str = "RECEIVER"
    folder: Path | None = None
    proc: subprocess.Popen | None = field(default=None, repr=False)

    def start(self, link: EmulatedLink) -> Receiver:
        """Start it inside ``link``'s receiver namespace and wait until it listens.

        Parameters
        ----------
        link : EmulatedLink
            An open link; the receiver stops when it closes.

        Returns
        -------
        Receiver
            ``self``.
        """
        if self.kind not in RECEIVERS:
            raise ParameterError(f"unknown receiver {self.kind!r}; known: {', '.join(RECEIVERS)}",
                                 where="receiver")
        why = missing_tool(self.kind)
        if why:
            raise EnvironmentProblem(why)
        self.folder = link.workdir / f"recv-{self.kind}-{time.monotonic_ns()}"
        self.folder.mkdir()
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        if self.kind == "storescp":
            self.proc = link.popen(link.receiver, ["storescp", "+xa", "+B", "-aet", self.aet, "-od",
                                                   str(self.folder), str(self.port)], env=_env(self.nodelay),
                                   **quiet)
            _wait_port(link, self.port)
        elif self.kind == "pynetdicom":
            args = json.dumps({"port": self.port, "out": str(self.folder), "nodelay": self.nodelay,
                               "aet": self.aet})
            self.proc = link.popen(link.receiver, [sys.executable, "-m", "teleradlab.netlab.agents",
                                                   "pynetdicom-receive", args],
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            assert self.proc.stdout is not None  # piped just above
            if self.proc.stdout.readline().strip() != "ready":
                raise EnvironmentProblem("the pynetdicom receiver did not start", where="netlab")
        else:
            self._start_orthanc(link)
        return self

    def _start_orthanc(self, link: EmulatedLink) -> None:
        assert self.folder is not None
        plugin = dicomweb_plugin()
        config = {
            "Name": "teleradlab-netlab", "StorageDirectory": str(self.folder / "storage"),
            "IndexDirectory": str(self.folder / "index"), "DicomAet": self.aet, "DicomPort": self.port,
            "HttpPort": self.http_port, "RemoteAccessAllowed": True, "AuthenticationEnabled": False,
            "DicomCheckCalledAet": False, "UnknownSopClassAccepted": True, "StorageCompression": False,
            "HttpServerEnabled": True, "DicomServerEnabled": True, "ConcurrentJobs": 1,
            "Plugins": [plugin] if plugin else [],
            "DicomWeb": {"Enable": True, "Root": "/dicom-web/"},
        }
        cfg = self.folder / "orthanc.json"
        cfg.write_text(json.dumps(config, indent=1))
        log = self.folder / "orthanc.log"
        self.proc = link.popen(link.receiver, ["Orthanc", f"--logfile={log}", str(cfg)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if log.exists() and "Orthanc has started" in log.read_text(errors="replace"):
                _wait_port(link, self.http_port)
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        tail = log.read_text(errors="replace")[-400:] if log.exists() else ""
        raise EnvironmentProblem(f"Orthanc did not start: {tail.strip()}", where="netlab")

    def received(self, link: EmulatedLink) -> int:
        """Count the instances stored so far (files in its folder, or Orthanc's statistics).

        Parameters
        ----------
        link : EmulatedLink
            The open link it runs in.

        Returns
        -------
        int
        """
        assert self.folder is not None
        if self.kind == "orthanc":
            args = json.dumps({"host": link.receiver_ip, "port": self.http_port})
            res = link.run(link.receiver, [sys.executable, "-m", "teleradlab.netlab.agents", "orthanc-count", args],
                           timeout=60)
            return int(json.loads(res.stdout)["instances"]) if res.returncode == 0 else -1
        return sum(1 for p in self.folder.iterdir() if p.is_file())

    def clear(self, link: EmulatedLink) -> None:
        """Delete what it received, so the next run starts from the same state."""
        assert self.folder is not None
        if self.kind == "orthanc":
            args = json.dumps({"host": link.receiver_ip, "port": self.http_port})
            link.run(link.receiver, [sys.executable, "-m", "teleradlab.netlab.agents", "orthanc-clear", args],
                     timeout=120)
        else:
            for p in self.folder.iterdir():
                if p.is_file():
                    p.unlink()


@dataclass(frozen=True)
class SendResult:
    """One measured transfer (``time.time()`` seconds).

    Attributes
    ----------
    t0 : float
        When the sender started connecting.
    t_end : float
        When the transfer was complete (association released / last response read).
    done : tuple of float
        When each instance was acknowledged, in sending order.
    errors : tuple of str
        Problems the sender reported (rejected instances, HTTP errors).
    """

    t0: float
    t_end: float
    done: tuple[float, ...]
    errors: tuple[str, ...] = ()

    @property
    def total_s(self) -> float:
        """Seconds from the first connection attempt to completion."""
        return self.t_end - self.t0


_TS_OPTION: dict[str, str] = {
    ts_uid.JPEG2000Lossless: "-xv", ts_uid.JPEG2000: "-xw", ts_uid.JPEGLosslessSV1: "-xs",
    ts_uid.JPEGLSLossless: "-xt", ts_uid.JPEGLSNearLossless: "-xu", ts_uid.JPEGBaseline8Bit: "-xy",
    ts_uid.JPEGExtended12Bit: "-xx"}


def send(link: EmulatedLink, sender: str, files: list[Path], receiver: Receiver, *, nodelay: bool = False,
         associations: int = 1, batch: int | None = None, transfer_syntax: str | None = None,
         timeout: float = 1800.0) -> SendResult:
    """Send ``files`` from the sender namespace to ``receiver`` and time it.

    Parameters
    ----------
    link : EmulatedLink
        The open link.
    sender : {"storescu", "pynetdicom", "stow", "bundle"}
        The sending software (see the module table).
    files : list of pathlib.Path
        DICOM files, sent in this order.
    receiver : Receiver
        A started receiver (Orthanc for ``stow`` and ``bundle``).
    nodelay : bool
        Set TCP_NODELAY on the sender's socket (HTTP senders always do).
    associations : int
        Parallel associations (pynetdicom only).
    batch : int, optional
        Instances per STOW-RS request (all by default).
    transfer_syntax : str, optional
        The files' transfer syntax UID, for storescu's proposal.
    timeout : float
        Seconds before the sender is stopped.

    Returns
    -------
    SendResult
    """
    if sender not in SENDERS:
        raise ParameterError(f"unknown sender {sender!r}; known: {', '.join(SENDERS)}", where="sender")
    why = missing_tool(sender)
    if why:
        raise EnvironmentProblem(why)
    if sender in ("stow", "bundle") and receiver.kind != "orthanc":
        raise ParameterError(f"sender {sender!r} needs the orthanc receiver, got {receiver.kind!r}",
                             where="receiver")
    if sender == "storescu":
        if associations != 1:
            raise ParameterError("storescu opens one association; use sender='pynetdicom' for more",
                                 where="associations")
        return _storescu(link, files, receiver, nodelay, transfer_syntax, timeout)
    args: dict[str, Any] = {"files": [str(f) for f in files], "host": link.receiver_ip, "nodelay": nodelay}
    if sender == "pynetdicom":
        args.update(port=receiver.port, aec=receiver.aet, associations=associations)
        kind = "pynetdicom-send"
    else:
        args.update(port=receiver.http_port, batch=batch)
        kind = f"{sender}-send"
    argfile = link.workdir / f"args-{time.monotonic_ns()}.json"
    argfile.write_text(json.dumps(args))
    res = link.run(link.sender, [sys.executable, "-m", "teleradlab.netlab.agents", kind, f"@{argfile}"],
                   timeout=timeout)
    argfile.unlink()
    if res.returncode != 0 or not res.stdout.strip():
        raise EnvironmentProblem(f"{sender} failed: {res.stderr.strip()[-400:]}", where="netlab")
    out = json.loads(res.stdout.strip().splitlines()[-1])
    return SendResult(out["t0"], out["t_end"], tuple(out["done"]), tuple(out["errors"]))


_LOG_LINE = re.compile(r"^(\d+\.\d+) (.*)$")


def _storescu(link: EmulatedLink, files: list[Path], receiver: Receiver, nodelay: bool, ts: str | None,
              timeout: float) -> SendResult:
    cfg = link.workdir / "dcmtk-log.cfg"
    cfg.write_text(_DCMTK_LOG)
    argv = ["storescu", "-lc", str(cfg), "-aet", "SENDER", "-aec", receiver.aet]
    if ts in _TS_OPTION:
        argv.append(_TS_OPTION[ts])
    argv += [link.receiver_ip, str(receiver.port), *map(str, files)]
    proc = link.popen(link.sender, argv, env=_env(nodelay), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                      text=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        link.close_process(proc)
        raise EnvironmentProblem(f"storescu did not finish within {timeout:.0f} s", where="netlab") from exc
    t_end = time.time()
    link.close_process(proc)
    t0, done, errors = None, [], []
    for line in out.splitlines():
        m = _LOG_LINE.match(line)
        if not m:
            continue
        t, msg = float(m.group(1)), m.group(2)
        if t0 is None and msg.startswith("Requesting Association"):
            t0 = t
        elif msg.startswith("Received Store Response"):
            done.append(t)
            if "Success" not in msg:
                errors.append(msg)
        elif msg.startswith(("E:", "F:")) or "Association Rejected" in msg or "Failed" in msg:
            errors.append(msg)
    if proc.returncode != 0 or t0 is None:
        raise EnvironmentProblem(f"storescu failed (exit {proc.returncode}): {out.strip()[-400:]}", where="netlab")
    return SendResult(t0, t_end, tuple(done), tuple(errors))
