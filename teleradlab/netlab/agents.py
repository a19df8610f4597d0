"""Programs the lab runs inside a namespace: pynetdicom sender and receiver, STOW-RS and bundle uploads.

Each is ``python -m teleradlab.netlab.agents KIND JSON`` where JSON holds its
arguments; senders print one JSON line with the measured times (seconds on the
``time.time()`` clock, which the namespaces share with the host). Timing starts when
the first packet of the transfer is about to leave (connection set-up included) and
ends when the transfer is complete (association released, last HTTP response read);
reading the files happens before the clock starts.
"""

from __future__ import annotations

import http.client
import io
import json
import socket
import sys
import threading
import time
import uuid
import zipfile
from pathlib import Path
from typing import Any


def _nodelay(sock: socket.socket) -> None:
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def pynetdicom_receive(args: dict[str, Any]) -> None:
    """Run a pynetdicom storage SCP until killed, writing each instance to ``args['out']``."""
    from pynetdicom import AE, AllStoragePresentationContexts, evt
    from pynetdicom.sop_class import Verification  # type: ignore[attr-defined]  # made at import, not in its types

    out = Path(args["out"])
    nodelay = bool(args.get("nodelay"))

    def on_open(event: Any) -> None:
        if nodelay:
            _nodelay(event.assoc.dul.socket.socket)

    def on_store(event: Any) -> int:
        (out / f"{event.request.AffectedSOPInstanceUID}.dcm").write_bytes(event.encoded_dataset())
        return 0x0000

    ae = AE(ae_title=args.get("aet", "RECEIVER"))
    from pydicom.uid import AllTransferSyntaxes

    for cx in AllStoragePresentationContexts:
        assert cx.abstract_syntax is not None  # each of pynetdicom's storage contexts names its SOP class
        ae.add_supported_context(cx.abstract_syntax, AllTransferSyntaxes)
    ae.add_supported_context(Verification)
    ae.maximum_pdu_size = int(args.get("max_pdu", 16384))
    server = ae.start_server(("", int(args["port"])), block=False,
                             evt_handlers=[(evt.EVT_CONN_OPEN, on_open), (evt.EVT_C_STORE, on_store)])
    assert server is not None  # start_server returns the server when block=False
    print("ready", flush=True)
    try:
        threading.Event().wait()
    finally:
        server.shutdown()


def _read_files(paths: list[str]) -> list[Any]:
    from teleradlab.imaging.study import read_dataset

    return [read_dataset(p) for p in paths]  # a bad file is one DicomError naming it, not pydicom's exception


def pynetdicom_send(args: dict[str, Any]) -> dict[str, Any]:
    """C-STORE ``args['files']`` over ``args['associations']`` parallel associations.

    Returns
    -------
    dict
        ``t0``, ``t_end``, ``done`` (per instance, when its C-STORE-RSP arrived).
    """
    from pynetdicom import AE

    datasets = _read_files(args["files"])
    n_assoc = max(1, int(args.get("associations", 1)))
    ae = AE(ae_title=args.get("aet", "SENDER"))
    ae.maximum_pdu_size = int(args.get("max_pdu", 16384))
    pairs = sorted({(ds.SOPClassUID, ds.file_meta.TransferSyntaxUID) for ds in datasets})
    for sop, ts in pairs:
        ae.add_requested_context(sop, ts)
    done: list[float] = [0.0] * len(datasets)
    errors: list[str] = []

    def worker(a: int) -> None:
        assoc = ae.associate(args["host"], int(args["port"]), ae_title=args.get("aec", "RECEIVER"))
        if not assoc.is_established:
            errors.append("association rejected or aborted")
            return
        if args.get("nodelay"):
            # an established association has its transport socket open
            assert assoc.dul.socket is not None and assoc.dul.socket.socket is not None
            _nodelay(assoc.dul.socket.socket)
        for i in range(a, len(datasets), n_assoc):
            status = assoc.send_c_store(datasets[i])
            done[i] = time.time()
            if not status or status.Status != 0:
                errors.append(f"instance {i}: status {getattr(status, 'Status', None)}")
        assoc.release()

    t0 = time.time()
    threads = [threading.Thread(target=worker, args=(a,)) for a in range(n_assoc)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    t_end = time.time()
    return {"t0": t0, "t_end": t_end, "done": done, "errors": errors}


def _multipart(blobs: list[bytes], boundary: str) -> bytes:
    parts = [b"--" + boundary.encode() + b"\r\nContent-Type: application/dicom\r\n\r\n" + b + b"\r\n" for b in blobs]
    return b"".join(parts) + b"--" + boundary.encode() + b"--\r\n"


def stow_send(args: dict[str, Any]) -> dict[str, Any]:
    """POST the files to a DICOMweb STOW-RS endpoint, ``args['batch']`` instances per request.

    Returns
    -------
    dict
        ``t0``, ``t_end``, ``done`` (per instance, when its request's response arrived).
    """
    blobs = [Path(p).read_bytes() for p in args["files"]]
    batch = int(args.get("batch") or len(blobs))
    boundary = uuid.uuid4().hex
    bodies = [_multipart(blobs[i:i + batch], boundary) for i in range(0, len(blobs), batch)]
    headers = {"Content-Type": f'multipart/related; type="application/dicom"; boundary={boundary}',
               "Accept": "application/dicom+json"}
    done: list[float] = []
    errors: list[str] = []
    t0 = time.time()
    conn = http.client.HTTPConnection(args["host"], int(args["port"]), timeout=600)  # sets TCP_NODELAY
    for k, body in enumerate(bodies):
        conn.request("POST", args.get("path", "/dicom-web/studies"), body=body, headers=headers)
        resp = conn.getresponse()
        resp.read()
        now = time.time()
        if resp.status not in (200, 202):
            errors.append(f"batch {k}: HTTP {resp.status}")
        done += [now] * min(batch, len(blobs) - k * batch)
    conn.close()
    return {"t0": t0, "t_end": time.time(), "done": done, "errors": errors}


def bundle_send(args: dict[str, Any]) -> dict[str, Any]:
    """POST one ZIP archive (stored, not deflated) of all files to Orthanc's ``/instances``.

    Returns
    -------
    dict
        ``t0``, ``t_end``, ``done``, and ``archive_bytes``.
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        for p in args["files"]:
            zf.write(p, arcname=Path(p).name)
    body = buf.getvalue()
    t0 = time.time()
    conn = http.client.HTTPConnection(args["host"], int(args["port"]), timeout=600)
    conn.request("POST", "/instances", body=body, headers={"Content-Type": "application/zip"})
    resp = conn.getresponse()
    resp.read()
    now = time.time()
    conn.close()
    errors = [] if resp.status == 200 else [f"HTTP {resp.status}"]
    return {"t0": t0, "t_end": now, "done": [now] * len(args["files"]), "errors": errors,
            "archive_bytes": len(body)}


def wait_port(args: dict[str, Any]) -> dict[str, Any]:
    """Wait until ``args['host']:args['port']`` accepts a TCP connection (exit 1 after ``timeout``)."""
    deadline = time.time() + float(args.get("timeout", 20))
    while True:
        try:
            socket.create_connection((args["host"], int(args["port"])), 1).close()
            return {"ok": True}
        except OSError:
            if time.time() > deadline:
                sys.exit(1)
            time.sleep(0.05)


def orthanc_clear(args: dict[str, Any]) -> dict[str, Any]:
    """Delete every patient from an Orthanc (so the next run starts from an empty archive)."""
    conn = http.client.HTTPConnection(args["host"], int(args["port"]), timeout=120)
    conn.request("GET", "/patients")
    ids = json.loads(conn.getresponse().read())
    for i in ids:
        conn.request("DELETE", f"/patients/{i}")
        conn.getresponse().read()
    return {"deleted": len(ids)}


def orthanc_count(args: dict[str, Any]) -> dict[str, Any]:
    """Count the instances an Orthanc holds (its ``/statistics``)."""
    conn = http.client.HTTPConnection(args["host"], int(args["port"]), timeout=120)
    conn.request("GET", "/statistics")
    return {"instances": int(json.loads(conn.getresponse().read())["CountInstances"])}


KINDS = {"wait-port": wait_port, "orthanc-count": orthanc_count, "orthanc-clear": orthanc_clear, "pynetdicom-send": pynetdicom_send, "stow-send": stow_send, "bundle-send": bundle_send}


def main(argv: list[str] | None = None) -> int:
    """Entry point: ``KIND JSON_ARGS``; senders print their result as one JSON line.

    Parameters
    ----------
    argv : list of str, optional
        ``[kind, json]``; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        0.
    """
    kind, raw = sys.argv[1:] if argv is None else argv
    args = json.loads(Path(raw[1:]).read_text() if raw.startswith("@") else raw)
    if kind == "pynetdicom-receive":
        pynetdicom_receive(args)
        return 0
    print(json.dumps(KINDS[kind](args)), flush=True)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
