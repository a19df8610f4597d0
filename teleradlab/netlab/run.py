"""One lab run: a study across an emulated link, measured, beside :func:`~teleradlab.network.transfer.predict`."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from teleradlab.errors import ParameterError
from teleradlab.netlab.link import DEFAULT_CONGESTION_CONTROL, EmulatedLink
from teleradlab.netlab.nodes import SENDER_PROTOCOL, Receiver, SendResult, send
from teleradlab.netlab.probe import measure_link
from teleradlab.netlab.studies import StudyFiles, folder_study, synthetic_study
from teleradlab.network.transfer import TransferConstants, TransferTiming, predict

#: The receiver each sender talks to unless told otherwise.
DEFAULT_RECEIVER = {"storescu": "storescp", "pynetdicom": "pynetdicom", "stow": "orthanc", "bundle": "orthanc"}


@dataclass(frozen=True)
class RunResult:
    """A measured transfer and the model's prediction for it.

    Attributes
    ----------
    study : str
        The study's name.
    sender, receiver, protocol : str
        The software at each end and the protocol.
    nodelay : bool
        TCP_NODELAY at the sender (and storescp/pynetdicom receiver).
    associations : int
        Parallel associations.
    batch : int or None
        Instances per STOW-RS request.
    bandwidth_mbps, rtt_ms : float
        The link's nominal settings.
    link : dict
        The link as measured just before the run: ``rtt_ms`` (median TCP echo),
        ``rtt_ms_min``, ``rtt_ms_max``, ``throughput_mbps`` (one TCP connection).
    total_s : float
        Measured: first connection attempt to completion.
    first_image_s : float
        Measured: the first instance's acknowledgement minus half the measured round
        trip (when it had arrived at the receiver).
    done_s : numpy.ndarray
        Measured: when each instance was acknowledged, seconds from the start.
    sizes : numpy.ndarray
        Each instance's bytes as sent.
    predicted : TransferTiming
        :func:`predict` for the same study, protocol and options, with the nominal
        rate and the measured round trip.
    errors : tuple of str
        What the sender reported as failed (empty for a clean run).
    received : int
        Instances the receiver held after the run (-1 if it could not say).
    """

    study: str
    sender: str
    receiver: str
    protocol: str
    nodelay: bool
    associations: int
    batch: int | None
    bandwidth_mbps: float
    rtt_ms: float
    link: dict
    total_s: float
    first_image_s: float
    done_s: np.ndarray = field(repr=False)
    sizes: np.ndarray = field(repr=False)
    predicted: TransferTiming = field(repr=False)
    errors: tuple[str, ...] = ()
    received: int = -1

    @property
    def relative_error(self) -> float:
        """(predicted − measured) / measured total time."""
        return (self.predicted.total_s - self.total_s) / self.total_s

    def summary(self) -> dict[str, Any]:
        """One row: settings, link measurement, measured and predicted times.

        Returns
        -------
        dict
            Flat, JSON- and CSV-friendly.
        """
        return {
            "study": self.study, "n_instances": int(self.sizes.size), "total_bytes": int(self.sizes.sum()),
            "sender": self.sender, "receiver": self.receiver, "protocol": self.protocol,
            "nodelay": self.nodelay, "associations": self.associations, "batch": self.batch,
            "bandwidth_mbps": self.bandwidth_mbps, "rtt_ms": self.rtt_ms,
            "link_rtt_ms": round(self.link["rtt_ms"], 3), "link_throughput_mbps": round(self.link["throughput_mbps"], 3),
            "measured_total_s": round(self.total_s, 4), "measured_first_image_s": round(self.first_image_s, 4),
            "predicted_total_s": round(self.predicted.total_s, 4),
            "predicted_first_image_s": round(self.predicted.first_image_s, 4),
            "relative_error": round(self.relative_error, 4), "errors": len(self.errors),
            "received": self.received,
        }

    def timeline(self) -> Any:
        """Per-instance timeline, measured beside predicted.

        Returns
        -------
        pandas.DataFrame
            ``instance``, ``bytes``, ``measured_done_s``, ``predicted_done_s``.
        """
        import pandas as pd

        n = self.sizes.size
        measured = np.full(n, np.nan)
        measured[: self.done_s.size] = self.done_s[:n]
        return pd.DataFrame({"instance": np.arange(n), "bytes": self.sizes, "measured_done_s": measured,
                             "predicted_done_s": self.predicted.instance_done_s})


def prepare_study(study: str | os.PathLike[str] | StudyFiles, folder: Path, *, seed: int = 1) -> StudyFiles:
    """Resolve ``study`` to files: a :class:`StudyFiles`, a folder, or a synthetic name.

    Parameters
    ----------
    study : str, path-like or StudyFiles
        A grid name such as ``100x50kB``, a folder of DICOM files, or files already made.
    folder : pathlib.Path
        Where a synthetic study is written.
    seed : int
        Seed of the synthetic study.

    Returns
    -------
    StudyFiles
    """
    if isinstance(study, StudyFiles):
        return study
    if Path(study).is_dir():
        return folder_study(study)
    return synthetic_study(str(study), folder / str(study), seed=seed)


def run_on_link(link: EmulatedLink, link_meas: dict, files: StudyFiles, receiver: Receiver, *,
                sender: str = "storescu", nodelay: bool = False, associations: int = 1, batch: int | None = None,
                constants: TransferConstants | None = None) -> RunResult:
    """Send ``files`` once over an open link to a started receiver and compare with :func:`predict`.

    Parameters
    ----------
    link : EmulatedLink
        The open link.
    link_meas : dict
        Its measurement (:func:`~teleradlab.netlab.probe.measure_link`).
    files : StudyFiles
        The study.
    receiver : Receiver
        A started receiver; it is emptied after the run.
    sender : str
        See :func:`teleradlab.netlab.nodes.send`.
    nodelay : bool
        TCP_NODELAY at the sender.
    associations : int
        Parallel associations (pynetdicom).
    batch : int, optional
        STOW-RS batch.
    constants : TransferConstants, optional
        For the prediction; the shipped defaults by default.

    Returns
    -------
    RunResult
    """
    res: SendResult = send(link, sender, list(files.files), receiver, nodelay=nodelay, associations=associations,
                           batch=batch, transfer_syntax=files.transfer_syntax)
    received = receiver.received(link)
    receiver.clear(link)
    protocol = SENDER_PROTOCOL[sender]
    sizes = np.asarray(files.sizes, dtype=float)
    pred = predict(sizes, bandwidth_mbps=link.bandwidth_mbps, rtt_ms=link_meas["rtt_ms"], protocol=protocol,
                   nodelay=nodelay, associations=associations, batch=batch, constants=constants)
    done = np.asarray(res.done, dtype=float) - res.t0
    first = float(done[0] - link_meas["rtt_ms"] / 2000) if done.size else float("nan")
    return RunResult(study=files.name, sender=sender, receiver=receiver.kind, protocol=protocol, nodelay=nodelay,
                     associations=associations, batch=batch, bandwidth_mbps=link.bandwidth_mbps,
                     rtt_ms=link.rtt_ms, link=link_meas, total_s=res.total_s, first_image_s=first, done_s=done,
                     sizes=sizes, predicted=pred, errors=res.errors, received=received)


def run_transfer(study: str | os.PathLike[str] | StudyFiles, *, bandwidth_mbps: float, rtt_ms: float,
                 sender: str = "storescu", receiver: str | None = None, nodelay: bool = False,
                 associations: int = 1, batch: int | None = None, seed: int = 1,
                 constants: TransferConstants | None = None, verbose: bool = True,
                 congestion_control: str | None = DEFAULT_CONGESTION_CONTROL) -> RunResult:
    """Make a link, measure it, start a receiver, send a study, and clean everything up.

    Parameters
    ----------
    study : str, path-like or StudyFiles
        ``100x50kB``-style synthetic name, or a folder of DICOM files.
    bandwidth_mbps : float
        Link rate, Mbit/s.
    rtt_ms : float
        Added round trip, ms.
    sender : {"storescu", "pynetdicom", "stow", "bundle"}
        The sending software.
    receiver : {"storescp", "pynetdicom", "orthanc"}, optional
        The receiving software; by default storescp for storescu, pynetdicom for
        pynetdicom, Orthanc for STOW-RS and bundles.
    nodelay : bool
        TCP_NODELAY at both ends where the software allows it.
    associations : int
        Parallel associations (pynetdicom sender).
    batch : int, optional
        Instances per STOW-RS request.
    seed : int
        Seed of a synthetic study.
    constants : TransferConstants, optional
        For the prediction.
    verbose : bool
        Print the link measurement before the run.
    congestion_control : str, optional
        TCP congestion control on the link (see
        :class:`teleradlab.netlab.link.EmulatedLink`); None: the host's default.

    Returns
    -------
    RunResult
    """
    if sender not in DEFAULT_RECEIVER:
        raise ParameterError(f"unknown sender {sender!r}; known: {', '.join(DEFAULT_RECEIVER)}", where="sender")
    tmp = Path(tempfile.mkdtemp(prefix="tlab-study-"))
    try:
        files = prepare_study(study, tmp, seed=seed)
        with EmulatedLink(bandwidth_mbps, rtt_ms, congestion_control=congestion_control) as link:
            meas = measure_link(link)
            if verbose:
                print(f"link {link.describe()}: measured round trip {meas['rtt_ms']:.1f} ms, "
                      f"throughput {meas['throughput_mbps']:.2f} Mbit/s", flush=True)
            recv = Receiver(receiver or DEFAULT_RECEIVER[sender], nodelay=nodelay).start(link)
            return run_on_link(link, meas, files, recv, sender=sender, nodelay=nodelay,
                               associations=associations, batch=batch, constants=constants)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
