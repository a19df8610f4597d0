"""A reading workstation retrieving a study from the hub archive across the emulated link.

Orthanc with its DICOMweb plugin is the archive in the receiver namespace (the lab's
:class:`~teleradlab.netlab.nodes.Receiver`); the study is uploaded to it inside that
namespace, so the upload does not cross the link. A viewer in the sender namespace
then opens the study on demand — WADO-RS through ``dicomweb-client`` (the stored
transfer syntax, ``transfer-syntax=*``) or C-GET through pynetdicom — and, as a
viewer does, decodes each instance (:func:`teleradlab.imaging.decode.decode_pixels`)
on one worker thread while the network thread keeps receiving. It records when
each instance arrived and when it was decoded; time to first image is the first
instance decoded, fully loaded the last.

Before each retrieval the viewer measures its own parse-and-decode time on a few of
the study's files (as :func:`teleradlab.compression.decode_cost._time_decode` does),
the decode counterpart of the link probe; the prediction
(:func:`teleradlab.network.retrieval.predict_retrieval`) uses that and the link's
measured round trip.

    from teleradlab.netlab.retrieve import run_retrieval
    r = run_retrieval("jpeg2000", bandwidth_mbps=10, rtt_ms=50, protocol="wado-rs")
    r.summary()
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import socket
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from teleradlab.errors import EnvironmentProblem, ParameterError
from teleradlab.netlab.link import DEFAULT_CONGESTION_CONTROL, SENDER_IP, EmulatedLink
from teleradlab.netlab.nodes import Receiver, missing_tool
from teleradlab.netlab.probe import measure_link
from teleradlab.netlab.studies import StudyFiles, folder_study
from teleradlab.network.retrieval import (
    DEFAULT_RETRIEVAL,
    RETRIEVAL_PROTOCOLS,
    RetrievalConstants,
    RetrievalTiming,
    predict_retrieval,
)

#: Codecs a retrieval study can be stored with (``uncompressed``: as synthesised).
CODECS: tuple[str, ...] = ("uncompressed", "jpeg2000", "htj2k")
#: Compression ratio of the lossy codecs (CT within the CAR guideline's 15:1; Koff et al.,
#: J Digit Imaging 2009;22:569), the nearest reachable one when not exact.
RATIO = 10.0
#: The viewer's AE title; the archive is told about it so that it answers C-GET.
VIEWER_AET = "VIEWER"
#: The viewer reads a WADO-RS response in chunks of this many bytes (dicomweb-client's default,
#: 1 MB, would hold the first image back until a megabyte has arrived).
CHUNK_BYTES = 65536
#: Seconds within which an archive must accept a connection.
CONNECT_TIMEOUT_S = 5.0
#: Codec and protocol pairs the lab's archive cannot serve, and why (they are left out of grids).
UNSUPPORTED: dict[tuple[str, str], str] = {
    ("htj2k", "cget"): "Orthanc 1.10.1 (DCMTK 3.6.7) does not know the HTJ2K transfer syntaxes for C-STORE "
                       "sub-operations: its C-GET answers 0xA702 and sends nothing",
}
#: The grids: links (Mbit/s, ms) × codecs × protocols, and the study size.
GRIDS: dict[str, dict[str, Any]] = {
    "reduced": {"links": ((10.0, 50.0),), "codecs": CODECS, "protocols": RETRIEVAL_PROTOCOLS, "n_images": 12},
    "full": {"links": ((10.0, 20.0), (10.0, 100.0), (100.0, 20.0), (100.0, 100.0)), "codecs": CODECS,
             "protocols": RETRIEVAL_PROTOCOLS, "n_images": 40},
}


def make_study(codec: str, folder: str | os.PathLike[str], *, n_images: int = 40, seed: int = 1) -> StudyFiles:
    """Write a synthetic CT study (512x512 slices) stored with ``codec``.

    Parameters
    ----------
    codec : {"uncompressed", "jpeg2000", "htj2k"} or another codec name
        Lossy codecs are compressed at :data:`RATIO` (nearest reachable ratio), lossless
        ones as they come.
    folder : path-like
        Where to write ``I0000.dcm``...
    n_images : int
        Slices.
    seed : int
        Seed of :func:`teleradlab.imaging.synth.synthesize_study`.

    Returns
    -------
    StudyFiles
        Named ``CODEC-NxCT``.
    """
    from teleradlab.imaging.study import write_dataset
    from teleradlab.imaging.synth import synthesize_study

    if n_images < 1:
        raise ParameterError(f"must be >= 1, got {n_images!r}", where="n_images")
    study = synthesize_study("CT", seed=seed, n_images=n_images, lesions=0)
    datasets = list(study.datasets)
    if codec != "uncompressed":
        import warnings

        from teleradlab.compression.compress import compress_study
        from teleradlab.compression.registry import get_codec

        # a lossy codec aims at RATIO (a lossless one takes no rate keyword)
        rate: dict[str, Any] = dict(ratio=RATIO, on_miss="nearest") if get_codec(codec).lossy else {}
        with warnings.catch_warnings():
            # on_miss="nearest" warns per slice when 10:1 is not reachable exactly; the achieved ratio is
            # recorded all the same: it is in the sizes of the files (StudyFiles.sizes) the model is given
            warnings.simplefilter("ignore")
            datasets = [r.dataset for r in compress_study(datasets, codec, **rate)]
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    for k, ds in enumerate(datasets):
        write_dataset(ds, out / f"I{k:04d}.dcm", overwrite=True)
    return replace(folder_study(out), name=f"{codec}-{n_images}xCT")


# -- the two programs run inside namespaces --------------------------------------------------------

def _upload(args: dict[str, Any]) -> dict[str, Any]:
    """POST the files to Orthanc's ``/instances`` (run in the archive's own namespace)."""
    import http.client

    conn = http.client.HTTPConnection(args["host"], int(args["port"]), timeout=120)
    studies = set()
    for p in args["files"]:
        conn.request("POST", "/instances", body=Path(p).read_bytes(), headers={"Content-Type": "application/dicom"})
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            raise EnvironmentProblem(f"Orthanc refused {p}: HTTP {resp.status} {body[:200]!r}", where="netlab")
        studies.add(json.loads(body)["ParentStudy"])
    # tell the archive about the viewer, so that it answers its C-GET
    conn.request("PUT", f"/modalities/{VIEWER_AET}", body=json.dumps(
        {"AET": VIEWER_AET, "Host": args["viewer_host"], "Port": 104, "AllowGet": True}))
    resp = conn.getresponse()
    resp.read()
    if resp.status != 200:
        raise EnvironmentProblem(f"Orthanc did not accept the viewer's modality: HTTP {resp.status}", where="netlab")
    return {"studies": sorted(studies)}


def check_archive(host: str, port: int, *, timeout: float = CONNECT_TIMEOUT_S) -> None:
    """Raise one clear error when nothing accepts a TCP connection at ``host:port``.

    Parameters
    ----------
    host : str
        The archive's address.
    port : int
        Its DICOM or HTTP port.
    timeout : float
        Seconds to wait for the connection.

    Raises
    ------
    EnvironmentProblem
        Naming the address and what happened (refused, timed out, unreachable).
    """
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as exc:
        why = (f"no answer within {timeout:g} s" if isinstance(exc, TimeoutError)
               else (exc.strerror or type(exc).__name__).lower())
        raise EnvironmentProblem(f"the archive at {host}:{port} does not answer ({why})", where="archive") from None


def _probe_decode(files: list[str], repeats: int = 2) -> float:
    """Mean ms to parse and decode one of ``files`` (each read from memory, as a viewer has it)."""
    import io

    from pydicom import dcmread

    from teleradlab.imaging.decode import decode_pixels

    blobs = [Path(f).read_bytes() for f in files]
    decode_pixels(dcmread(io.BytesIO(blobs[0])))  # warm caches and lazy imports
    times = []
    for _ in range(repeats):
        for b in blobs:
            t = time.perf_counter()
            decode_pixels(dcmread(io.BytesIO(b)))
            times.append(time.perf_counter() - t)
    return 1000.0 * float(np.mean(times))


def retrieve_study(host: str, port: int, study_uid: str, *, protocol: str = "wado-rs", aec: str = "RECEIVER",
                   sop_classes: tuple[str, ...] = (), transfer_syntaxes: tuple[str, ...] = (),
                   timeout: float = 600.0) -> dict[str, Any]:
    """Retrieve a study as a viewer does, decoding each instance on a worker thread as it arrives.

    Parameters
    ----------
    host : str
        The archive's address.
    port : int
        Its HTTP port (WADO-RS, DICOMweb root ``/dicom-web``) or DICOM port (C-GET).
    study_uid : str
        Study Instance UID.
    protocol : {"wado-rs", "cget"}
        How to retrieve.
    aec : str
        The archive's AE title (C-GET).
    sop_classes, transfer_syntaxes : tuple of str
        What the viewer offers to receive by C-GET (it must propose each storage
        class with the SCP role).
    timeout : float
        Seconds for the whole retrieval.

    Returns
    -------
    dict
        ``t0`` (request started, ``time.time()``), ``arrived`` and ``decoded``
        (per instance, same clock), ``errors``.

    Raises
    ------
    EnvironmentProblem
        Within :data:`CONNECT_TIMEOUT_S` when the archive does not answer, naming its address.
    """

    if protocol not in RETRIEVAL_PROTOCOLS:
        raise ParameterError(f"unknown protocol {protocol!r}; known: {', '.join(RETRIEVAL_PROTOCOLS)}",
                             where="protocol")
    check_archive(host, port)
    import multiprocessing

    # the viewer's decoder is its own process, as a native viewer decodes on threads that do not
    # stop its network thread (Python's decoders hold the interpreter lock while they run)
    ctx = multiprocessing.get_context("fork")
    work = ctx.Queue()
    done = ctx.Queue()
    arrived: list[float] = []
    errors: list[str] = []
    worker = ctx.Process(target=_decoder, args=(work, done), daemon=True)
    worker.start()
    # the viewer's libraries are loaded before it is asked for a study
    from dicomweb_client.api import DICOMwebClient
    from pydicom.dataset import Dataset  # noqa: F401
    from pynetdicom import AE  # noqa: F401

    t0 = time.time()
    try:
        if protocol == "wado-rs":
            client = DICOMwebClient(url=f"http://{host}:{port}/dicom-web", chunk_size=CHUNK_BYTES)
            for ds in client.iter_study(study_uid, media_types=(("application/dicom", "*"),)):
                arrived.append(time.time())
                work.put(ds)
        else:
            errors += _cget(host, port, aec, study_uid, sop_classes, transfer_syntaxes, arrived, work)
    finally:
        work.put(None)
        try:
            started, decoded, decode_errors = done.get(timeout=timeout)
        except queue.Empty:
            started, decoded, decode_errors = [], [], ["the decoder did not finish"]
        worker.join(10)
        if worker.is_alive():
            worker.kill()
            worker.join()
    return {"t0": t0, "arrived": arrived, "decoded": decoded, "errors": errors + decode_errors,
            "decode_ms": [1000 * (b - a) for a, b in zip(started, decoded, strict=True)]}


def _decoder(work: Any, done: Any) -> None:
    """Decode each item (a parsed Dataset, or the bytes of one) as it comes; report the times at the end."""
    import io

    from pydicom import dcmread

    from teleradlab.imaging.decode import decode_pixels

    started: list[float] = []
    decoded: list[float] = []
    errors: list[str] = []
    while (item := work.get()) is not None:
        started.append(time.time())
        try:
            decode_pixels(dcmread(io.BytesIO(item)) if isinstance(item, bytes) else item)
        except Exception as exc:  # recorded, reported by the caller
            errors.append(f"decode: {exc}")
        decoded.append(time.time())
    done.put((started, decoded, errors))


def _cget(host: str, port: int, aec: str, study_uid: str, sop_classes: tuple[str, ...],
          transfer_syntaxes: tuple[str, ...], arrived: list[float], work: Any) -> list[str]:
    from pydicom.dataset import Dataset
    from pydicom.uid import ExplicitVRLittleEndian
    from pynetdicom import AE, build_role, evt
    from pynetdicom.sop_class import StudyRootQueryRetrieveInformationModelGet  # type: ignore[attr-defined]  # made at import, not in its types

    def on_store(event: Any) -> int:
        blob = event.encoded_dataset()
        arrived.append(time.time())
        work.put(blob)
        return 0x0000

    ae = AE(ae_title=VIEWER_AET)
    ae.maximum_pdu_size = 16384
    ae.add_requested_context(StudyRootQueryRetrieveInformationModelGet)
    for sop in sop_classes:
        # one context per syntax, the stored one first: offered together, the archive picks its
        # own preference (Explicit VR Little Endian) and would have to transcode
        for ts in dict.fromkeys([*transfer_syntaxes, ExplicitVRLittleEndian]):
            ae.add_requested_context(sop, ts)
    assoc = ae.associate(host, int(port), ae_title=aec, ext_neg=[build_role(sop, scp_role=True) for sop in sop_classes],
                         evt_handlers=[(evt.EVT_C_STORE, on_store)])
    if not assoc.is_established:
        return [f"C-GET: association with {aec}@{host}:{port} rejected or aborted"]
    # an established association has its transport socket open
    assert assoc.dul.socket is not None and assoc.dul.socket.socket is not None
    assoc.dul.socket.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    query = Dataset()
    query.QueryRetrieveLevel = "STUDY"
    query.StudyInstanceUID = study_uid
    errors = []
    final = None
    for status, _ in assoc.send_c_get(query, StudyRootQueryRetrieveInformationModelGet):
        if status is None:
            errors.append("C-GET: no response (timeout or abort)")
            break
        final = int(status.Status)
    assoc.release()
    if final not in (0x0000, None):
        errors.append(f"C-GET final status 0x{final:04X}")
    return errors


_KINDS = {"upload": _upload}


def main(argv: list[str] | None = None) -> int:
    """Entry point inside a namespace: ``upload @ARGS`` or ``viewer @ARGS``; prints one JSON line.

    Parameters
    ----------
    argv : list of str, optional
        ``[kind, @argfile]``; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        0.
    """
    kind, raw = sys.argv[1:] if argv is None else argv
    args = json.loads(Path(raw[1:]).read_text() if raw.startswith("@") else raw)
    if kind == "viewer":
        probe_ms = _probe_decode(args.pop("probe_files"))
        out = retrieve_study(**args)
        out["probe_decode_ms"] = probe_ms
    else:
        out = _KINDS[kind](args)
    print(json.dumps(out), flush=True)
    return 0


# -- one retrieval, measured and predicted -----------------------------------------------------------

@dataclass(frozen=True)
class RetrievalResult:
    """A measured retrieval beside :func:`predict_retrieval`.

    Attributes
    ----------
    study, codec, protocol : str
        What was retrieved, how it was stored, how it was retrieved.
    bandwidth_mbps, rtt_ms : float
        The link's nominal settings.
    link : dict
        The link as measured just before (:func:`~teleradlab.netlab.probe.measure_link`).
    decode_ms : float
        The viewer's parse-and-decode time per instance, measured just before.
    first_image_s, loaded_s : float
        Measured: request to first instance decoded; to every instance decoded.
    arrived_s, decoded_s : numpy.ndarray
        Measured per instance, seconds from the request.
    sizes : numpy.ndarray
        Each instance's bytes as stored.
    predicted : RetrievalTiming
        With the nominal rate, the measured round trip and ``decode_ms``.
    errors : tuple of str
    run_decode_ms : float
        Mean decode time per instance during the retrieval itself (for diagnosis:
        the viewer's other thread and the machine's load can slow it).
    """

    study: str
    codec: str
    protocol: str
    bandwidth_mbps: float
    rtt_ms: float
    link: dict
    decode_ms: float
    first_image_s: float
    loaded_s: float
    arrived_s: np.ndarray = field(repr=False)
    decoded_s: np.ndarray = field(repr=False)
    sizes: np.ndarray = field(repr=False)
    predicted: RetrievalTiming = field(repr=False)
    errors: tuple[str, ...] = ()
    run_decode_ms: float = float("nan")

    def summary(self) -> dict[str, Any]:
        """One flat row: settings, measurements, predictions and relative errors.

        Returns
        -------
        dict
        """
        p = self.predicted
        return {
            "study": self.study, "codec": self.codec, "protocol": self.protocol,
            "n_instances": int(self.sizes.size), "total_bytes": int(self.sizes.sum()),
            "bandwidth_mbps": self.bandwidth_mbps, "rtt_ms": self.rtt_ms,
            "link_rtt_ms": round(self.link["rtt_ms"], 3), "link_throughput_mbps": round(self.link["throughput_mbps"], 3),
            "decode_ms": round(self.decode_ms, 3), "run_decode_ms": round(self.run_decode_ms, 3),
            "measured_first_image_s": round(self.first_image_s, 4), "measured_loaded_s": round(self.loaded_s, 4),
            "predicted_first_image_s": round(p.first_image_s, 4), "predicted_loaded_s": round(p.loaded_s, 4),
            "first_image_error": round((p.first_image_s - self.first_image_s) / self.first_image_s, 4),
            "loaded_error": round((p.loaded_s - self.loaded_s) / self.loaded_s, 4),
            "decode_bound": p.decode_bound, "errors": len(self.errors),
        }


class Archive:
    """Orthanc with DICOMweb as the hub archive in a link's receiver namespace.

    Parameters
    ----------
    link : EmulatedLink
        An open link; the archive stops when it closes.
    """

    def __init__(self, link: EmulatedLink) -> None:
        for tool in ("orthanc", "stow"):  # "stow" checks the DICOMweb plugin
            why = missing_tool(tool)
            if why:
                raise EnvironmentProblem(why)
        self.link = link
        self.node = Receiver("orthanc").start(link)

    def upload(self, files: StudyFiles) -> str:
        """Store a study in the archive (inside its namespace, not across the link).

        Parameters
        ----------
        files : StudyFiles

        Returns
        -------
        str
            The archive's study UID (Study Instance UID).
        """
        from pydicom import dcmread

        out = _agent(self.link, self.link.receiver, "upload", {
            "files": [str(f) for f in files.files], "host": "127.0.0.1", "port": self.node.http_port,
            "viewer_host": SENDER_IP})
        if len(out["studies"]) != 1:
            raise EnvironmentProblem(f"expected one study in the archive, got {out['studies']}", where="netlab")
        return str(dcmread(files.files[0], stop_before_pixels=True).StudyInstanceUID)

    def clear(self) -> None:
        """Delete everything stored."""
        self.node.clear(self.link)


def _agent(link: EmulatedLink, namespace: str, kind: str, args: dict[str, Any], timeout: float = 900.0) -> dict:
    argfile = link.workdir / f"retrieve-{time.monotonic_ns()}.json"
    argfile.write_text(json.dumps(args))
    try:
        res = link.run(namespace, [sys.executable, "-m", "teleradlab.netlab.retrieve", kind, f"@{argfile}"],
                       timeout=timeout)
    finally:
        argfile.unlink(missing_ok=True)
    if res.returncode != 0 or not res.stdout.strip():
        raise EnvironmentProblem(f"{kind} failed: {res.stderr.strip()[-400:]}", where="netlab")
    return json.loads(res.stdout.strip().splitlines()[-1])


def retrieve_on_link(link: EmulatedLink, link_meas: dict, archive: Archive, files: StudyFiles, codec: str, *,
                     protocol: str = "wado-rs", constants: RetrievalConstants | None = None) -> RetrievalResult:
    """Retrieve a study already in ``archive`` into the sender namespace, and predict it.

    Parameters
    ----------
    link : EmulatedLink
        The open link.
    link_meas : dict
        Its measurement.
    archive : Archive
        The archive holding ``files``.
    files : StudyFiles
        The study as uploaded.
    codec : str
        Its codec (for the record).
    protocol : {"wado-rs", "cget"}
    constants : RetrievalConstants, optional
        For the prediction.

    Returns
    -------
    RetrievalResult
    """
    from pydicom import dcmread

    head = dcmread(files.files[0], stop_before_pixels=True)
    n = len(files.files)
    port = archive.node.http_port if protocol == "wado-rs" else archive.node.port
    out = _agent(link, link.sender, "viewer", {
        "host": link.receiver_ip, "port": port, "study_uid": str(head.StudyInstanceUID), "protocol": protocol,
        "aec": archive.node.aet, "sop_classes": [str(head.SOPClassUID)],
        "transfer_syntaxes": [str(head.file_meta.TransferSyntaxUID)],
        "probe_files": [str(files.files[k]) for k in sorted({0, n // 2, n - 1})]})
    arrived = np.asarray(out["arrived"]) - out["t0"]
    decoded = np.asarray(out["decoded"]) - out["t0"]
    errors = tuple(out["errors"])
    if arrived.size != n:
        errors += (f"{arrived.size} of {n} instances arrived",)
    sizes = np.asarray(files.sizes, dtype=float)
    pred = predict_retrieval(sizes, out["probe_decode_ms"], bandwidth_mbps=link.bandwidth_mbps,
                             rtt_ms=link_meas["rtt_ms"], protocol=protocol, chunk_bytes=CHUNK_BYTES,
                             constants=DEFAULT_RETRIEVAL if constants is None else constants)
    nan = float("nan")
    return RetrievalResult(study=files.name, codec=codec, protocol=protocol, bandwidth_mbps=link.bandwidth_mbps,
                           rtt_ms=link.rtt_ms, link=link_meas, decode_ms=float(out["probe_decode_ms"]),
                           first_image_s=float(decoded[0]) if decoded.size else nan,
                           loaded_s=float(decoded.max()) if decoded.size else nan, arrived_s=arrived,
                           decoded_s=decoded, sizes=sizes, predicted=pred, errors=errors,
                           run_decode_ms=float(np.mean(out["decode_ms"])) if out["decode_ms"] else nan)


def measure_grid(grid: str = "reduced", *, links: tuple[tuple[float, float], ...] | None = None,
                 codecs: tuple[str, ...] | None = None, protocols: tuple[str, ...] | None = None,
                 n_images: int | None = None, seed: int = 1, verbose: bool = True) -> list[RetrievalResult]:
    """Retrieve each codec's study with each protocol over each link of a grid.

    Parameters
    ----------
    grid : {"reduced", "full"}
        The defaults of :data:`GRIDS`.
    links, codecs, protocols, n_images
        Override the grid's.
    seed : int
        Seed of the synthetic studies.
    verbose : bool
        Print each link's measurement.

    Returns
    -------
    list of RetrievalResult
    """
    from teleradlab.progress import progress

    if grid not in GRIDS:
        raise ParameterError(f"unknown grid {grid!r}; known: {', '.join(GRIDS)}", where="grid")
    g = GRIDS[grid]
    links = links or g["links"]
    codecs = codecs or g["codecs"]
    protocols = protocols or g["protocols"]
    for p in protocols:
        if p not in RETRIEVAL_PROTOCOLS:
            raise ParameterError(f"unknown protocol {p!r}; known: {', '.join(RETRIEVAL_PROTOCOLS)}",
                                 where="protocol")
    tmp = Path(tempfile.mkdtemp(prefix="tlab-study-"))
    results = []
    try:
        studies = {c: make_study(c, tmp / c, n_images=n_images or g["n_images"], seed=seed) for c in codecs}
        for pair in UNSUPPORTED:
            if pair[0] in codecs and pair[1] in protocols and verbose:
                print(f"left out: {pair[0]} by {pair[1]}: {UNSUPPORTED[pair]}", flush=True)
        bar = progress(total=len(links) * len(codecs) * len(protocols), desc="retrieve")
        try:
            for bw, rtt in links:
                with EmulatedLink(bw, rtt) as link:
                    meas = measure_link(link)
                    if verbose:
                        print(f"link {link.describe()}: measured round trip {meas['rtt_ms']:.1f} ms, "
                              f"throughput {meas['throughput_mbps']:.2f} Mbit/s", flush=True)
                    archive = Archive(link)
                    for codec, files in studies.items():
                        archive.upload(files)
                        for protocol in protocols:
                            if (codec, protocol) in UNSUPPORTED:
                                bar.update(1)
                                continue
                            results.append(retrieve_on_link(link, meas, archive, files, codec, protocol=protocol))
                            bar.update(1)
                        archive.clear()
        finally:
            bar.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return results


def run_retrieval(codec: str, *, bandwidth_mbps: float, rtt_ms: float, protocol: str = "wado-rs",
                  n_images: int = 40, seed: int = 1, verbose: bool = True) -> RetrievalResult:
    """Make a link and an archive, store a study with ``codec``, retrieve it once, clean everything up.

    Parameters
    ----------
    codec : str
        ``uncompressed``, ``jpeg2000``, ``htj2k`` (or another codec name).
    bandwidth_mbps : float
        Link rate, Mbit/s.
    rtt_ms : float
        Added round trip, ms.
    protocol : {"wado-rs", "cget"}
    n_images : int
        CT slices.
    seed : int
    verbose : bool

    Returns
    -------
    RetrievalResult
    """
    if (codec, protocol) in UNSUPPORTED:
        raise ParameterError(f"{codec} by {protocol}: {UNSUPPORTED[codec, protocol]}; use protocol='wado-rs'",
                             where="protocol")
    return measure_grid("reduced", links=((bandwidth_mbps, rtt_ms),), codecs=(codec,), protocols=(protocol,),
                        n_images=n_images, seed=seed, verbose=verbose)[0]


def calibrate(*, n_images: int = 20, bandwidth_mbps: float = 1000.0, rtt_ms: float = 50.0, seed: int = 1,
              verbose: bool = True) -> tuple[RetrievalConstants, dict[str, Any]]:
    """Measure the archive-side constants on a fast link, without and with added delay.

    Each codec's study is retrieved with each protocol; with the model's archive
    constants set to zero, on the link without delay the measured first arrival
    minus the predicted one is the fixed cost, and the measured spacing of arrivals
    minus the predicted one, per instance, is the per-instance cost. C-GET's round
    trips per sub-operation are the growth of that spacing from the link without
    delay to the one with ``rtt_ms``, over the round trip. The constants are the
    means over codecs.

    Parameters
    ----------
    n_images : int
        CT slices per study.
    bandwidth_mbps : float
        The links' rate (fast, so that bytes cost little).
    rtt_ms : float
        Round trip of the second link.
    seed : int
    verbose : bool

    Returns
    -------
    RetrievalConstants
        With ``source`` naming the link, software and date.
    dict
        Per protocol: the values per codec and their standard deviation.
    """
    from teleradlab.netlab.nodes import software_versions

    results = measure_grid("reduced", links=((bandwidth_mbps, 0.0), (bandwidth_mbps, rtt_ms)), n_images=n_images,
                           seed=seed, verbose=verbose)
    zero = RetrievalConstants()
    est: dict[str, dict[str, list[float]]] = {p: {"fixed": [], "instance": [], "rtts": []}
                                              for p in RETRIEVAL_PROTOCOLS}
    spacing: dict[tuple[str, str], dict[float, tuple[float, float]]] = {}
    for r in results:
        if r.errors or r.arrived_s.size < 2:
            continue
        p0 = predict_retrieval(r.sizes, 0.0, bandwidth_mbps=r.bandwidth_mbps, rtt_ms=r.link["rtt_ms"],
                               protocol=r.protocol, constants=zero, chunk_bytes=CHUNK_BYTES).arrival_s
        n = r.arrived_s.size
        extra = float(((r.arrived_s[-1] - r.arrived_s[0]) - (p0[-1] - p0[0])) / (n - 1))
        spacing.setdefault((r.codec, r.protocol), {})[r.rtt_ms] = (extra, r.link["rtt_ms"] / 1000)
        if r.rtt_ms == 0:
            est[r.protocol]["fixed"].append(float(r.arrived_s[0] - p0[0]))
            est[r.protocol]["instance"].append(extra)
    for (_, protocol), by_rtt in spacing.items():
        if protocol == "cget" and len(by_rtt) == 2:
            (e0, r0), (e1, r1) = by_rtt[0.0], by_rtt[rtt_ms]
            est[protocol]["rtts"].append(1.0 + (e1 - e0) / (r1 - r0))  # zero-constant model already has 1
    v = software_versions()
    c = RetrievalConstants(
        wado_fixed_s=float(np.mean(est["wado-rs"]["fixed"])), wado_instance_s=float(np.mean(est["wado-rs"]["instance"])),
        cget_fixed_s=float(np.mean(est["cget"]["fixed"])), cget_instance_s=float(np.mean(est["cget"]["instance"])),
        cget_instance_rtts=float(np.mean(est["cget"]["rtts"])),
        source=(f"teleradlab.netlab.retrieve.calibrate(n_images={n_images}, bandwidth_mbps={bandwidth_mbps:g}, "
                f"rtt_ms={rtt_ms:g}), "
                f"{time.strftime('%Y-%m-%d')}, Orthanc {v['orthanc']}, orthanc-dicomweb {v['orthanc-dicomweb']}, "
                f"pynetdicom {v['pynetdicom']}, TCP {DEFAULT_CONGESTION_CONTROL}"))
    spread = {p: {k: (vals, float(np.std(vals, ddof=1)) if len(vals) > 1 else float("nan")) for k, vals in d.items()}
              for p, d in est.items()}
    return c, spread


def hits(results: list[RetrievalResult], tolerance: float = 0.20) -> dict[str, Any]:
    """Share of points where both times are predicted within ``tolerance``.

    Parameters
    ----------
    results : list of RetrievalResult
    tolerance : float
        Relative error allowed.

    Returns
    -------
    dict
        ``n``, ``within`` (share of points with both times within), ``first_within``, ``loaded_within``.
    """
    rows = [r.summary() for r in results]
    first = np.array([abs(r["first_image_error"]) <= tolerance for r in rows])
    loaded = np.array([abs(r["loaded_error"]) <= tolerance for r in rows])
    return {"n": len(rows), "within": float(np.mean(first & loaded)), "first_within": float(first.mean()),
            "loaded_within": float(loaded.mean())}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
