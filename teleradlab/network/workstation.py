"""The reading workstation: what a radiologist waits for between opening a study and reading it.

A centre's ``workstation:`` key says how studies reach its screens (the reading policy):

``none`` (the default, when the key is absent)
    The workstation is not modelled: a study is on screen the moment it is opened.
    This keeps the queueing checks exact (their service time is the reading time alone).
``prefetch``
    The study is pushed to the reading site when it arrives (the site→centre transfer
    of the network model is that push); opening it costs decoding only: the first
    image after one frame's decode, the whole study after every frame's.
``on_demand``
    The study stays in the archive until a radiologist opens it; the viewer then
    retrieves it over the centre's ``archive`` link and decodes it once the whole
    study is local: first image = last instance arrived + one decode, loaded = last
    instance arrived + every decode. The retrieve is C-GET by default (the archive's
    C-STORE sub-operations on the viewer's association, DICOM PS3.4 C.4.3), or
    WADO-RS (``protocol: wado-rs``).
``streamed``
    DICOMweb WADO-RS by default (one Retrieve Study request, the instances streamed
    back as one multipart response, PS3.18 10.4), or C-GET: the viewer decodes each
    instance as it arrives (one decoder, in arrival order), and reading can start once
    the first ``first_images`` are on screen. With
    ``progressive: true`` (JPEG 2000 and HTJ2K only: their codestreams are ordered by
    resolution, ISO/IEC 15444-1 Annex B) the viewer first fetches and decodes a
    low-resolution pass of the first images (:data:`~teleradlab.network.defaults.PROGRESSIVE_FRACTION`
    of their bytes and decode time); the whole study is loaded when the
    full-resolution stream has arrived and been decoded, as without the pass.

Both fetches are :func:`teleradlab.network.retrieval.predict_retrieval` (through
:func:`~teleradlab.network.retrieval.retrieval_by_count`, which gives the same
numbers for many study sizes at once): the retrieval model measured against a real
Orthanc with DICOMweb across the emulated WAN (:mod:`teleradlab.netlab.retrieve`).
The archive link is ``{bandwidth_mbps, rtt_ms, protocol}`` with ``protocol`` one of
:data:`~teleradlab.network.retrieval.RETRIEVAL_PROTOCOLS`.

Decode time per frame comes from the measured decode table
(:func:`teleradlab.compression.decode_cost.decode_table`) for the codec the modality
is sent with (``compression:``; ``uncompressed`` otherwise). A modality the table has
not measured takes the measured modality of the nearest frame size, scaled by the
ratio of frame sizes (decoders run at a roughly constant throughput in MB/s), and
:func:`decode_seconds` says so. A codec the table has not measured at all is a
:class:`~teleradlab.errors.ScenarioError` when the scenario is loaded (:func:`parse`).

How the engines use it (:func:`teleradlab.network.resources.prepare` precomputes,
per study and centre, ``first`` = minutes from opening to the first image and
``loaded`` = minutes to the whole study decoded): a radiologist who opens a study is
busy for ``first + max(reading, loaded - first)`` — waiting for the first image,
then reading while the rest loads; a read cannot finish before the study has
loaded, so a short read on a slowly loading study waits for the last images. The
waiting (first image, plus any wait at the end for the last images) is reported as
``workstation_minutes``; ``reading_minutes`` is the rest. When a read is
preempted, the loading done so far is kept (the study stays in the workstation's
cache) and the loading clock stops while the study is put aside. The archive link is
not shared between reads (each workstation's retrieve is alone on its path):
:meth:`~teleradlab.network.results.SimulationResult.archive_utilisation` says what load
the fetches would meet if they shared it and how much slower that would make them,
and :func:`~teleradlab.network.simulate` warns when it is more than the models' 15%.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np

from teleradlab.errors import ScenarioError
from teleradlab.network import defaults as D
from teleradlab.network.retrieval import RETRIEVAL_PROTOCOLS, CountTimings, retrieval_by_count

#: Reading policies a centre's ``workstation:`` may name.
POLICIES: tuple[str, ...] = ("none", "prefetch", "on_demand", "streamed")
#: Codecs with a progressive-resolution mode (a codestream ordered by resolution level).
PROGRESSIVE_CODECS: frozenset[str] = frozenset({"jpeg2000", "jpeg2000-lossless", "htj2k", "htj2k-lossless"})


@dataclass(frozen=True)
class Archive:
    """The link a workstation retrieves studies over, from the archive.

    Attributes
    ----------
    bandwidth_mbps : float
        Link rate, Mbit/s.
    rtt_ms : float
        Round trip, ms.
    protocol : str
        ``"wado-rs"`` or ``"cget"`` (:data:`~teleradlab.network.retrieval.RETRIEVAL_PROTOCOLS`).
    """

    bandwidth_mbps: float
    rtt_ms: float
    protocol: str


@dataclass(frozen=True)
class Workstation:
    """A centre's reading policy (see the module docstring).

    Attributes
    ----------
    policy : str
        One of :data:`POLICIES`.
    archive : Archive or None
        The archive→reader link (``on_demand`` and ``streamed``).
    first_images : int
        Images on screen before reading can start (``streamed``).
    progressive : bool
        A low-resolution pass first (``streamed`` with JPEG 2000 or HTJ2K).
    """

    policy: str = D.WORKSTATION_POLICY
    archive: Archive | None = None
    first_images: int = D.STREAM_FIRST_IMAGES
    progressive: bool = False


def parse(v: Any, where: str, centre: str, compression: dict[str, tuple[str, float]]) -> Workstation:
    """Validate a centre's ``workstation:`` value (a policy name or a mapping).

    Parameters
    ----------
    v : str or dict or None
        The raw value.
    where : str
        Its key path (``centres[0].workstation``).
    centre : str
        The centre's name (for messages).
    compression : dict
        The scenario's compression per modality: a progressive pass needs JPEG 2000 or
        HTJ2K, and every codec a workstation decodes needs a measured decode time.

    Returns
    -------
    Workstation

    Raises
    ------
    ScenarioError
        An unknown policy, key or retrieve protocol, an archive link where none applies
        or missing where one is needed, ``progressive`` with a codec that has no
        progressive mode, a codec the decode table has not measured; the key path names
        the place.
    """
    from teleradlab.network.scenario import _keys, _num

    if v is None:
        return Workstation()
    if isinstance(v, str):
        v = {"policy": v}
    _keys(v, {"policy", "archive", "first_images", "progressive"}, where)
    policy = v.get("policy", D.WORKSTATION_POLICY)
    if policy not in POLICIES:
        raise ScenarioError(f"unknown workstation policy {policy!r}; use one of {', '.join(POLICIES)}",
                            where=f"{where}.policy")
    for key in ("first_images", "progressive"):
        if key in v and policy != "streamed":
            raise ScenarioError(f"{key} applies to policy streamed, not {policy}", where=f"{where}.{key}")
    archive = None
    if policy in ("on_demand", "streamed"):
        if "archive" not in v:
            raise ScenarioError(f"policy {policy} fetches studies from the archive: give the archive link "
                                f"(bandwidth_mbps, rtt_ms and optionally protocol: {' or '.join(RETRIEVAL_PROTOCOLS)})",
                                where=f"{where}.archive")
        aw = f"{where}.archive"
        raw = _keys(v["archive"], {"bandwidth_mbps", "rtt_ms", "protocol"}, aw, ("bandwidth_mbps", "rtt_ms"))
        protocol = raw.get("protocol", D.ON_DEMAND_PROTOCOL if policy == "on_demand" else D.STREAM_PROTOCOL)
        if protocol not in RETRIEVAL_PROTOCOLS:
            raise ScenarioError(f"unknown protocol {protocol!r}; a workstation retrieves with "
                                f"{' or '.join(RETRIEVAL_PROTOCOLS)}", where=f"{aw}.protocol")
        archive = Archive(bandwidth_mbps=_num(raw["bandwidth_mbps"], f"{aw}.bandwidth_mbps", positive=True),
                          rtt_ms=_num(raw["rtt_ms"], f"{aw}.rtt_ms", nonneg=True), protocol=protocol)
    elif "archive" in v:
        raise ScenarioError(f"policy {policy} does not fetch from an archive: remove 'archive'", where=f"{where}.archive")
    first = v.get("first_images", D.STREAM_FIRST_IMAGES)
    x = _num(first, f"{where}.first_images")
    if x < 1 or x != int(x):
        raise ScenarioError(f"expected a whole number of at least 1, got {first!r}", where=f"{where}.first_images")
    progressive = v.get("progressive", False)
    if not isinstance(progressive, bool):
        raise ScenarioError(f"expected true or false, got {progressive!r}", where=f"{where}.progressive")
    if progressive:
        bad = {m: s for m, (s, _) in compression.items() if s not in PROGRESSIVE_CODECS}
        if not compression or bad:
            what = (", ".join(f"{m} is sent as {s}" for m, s in sorted(bad.items())) if bad
                    else "no modality is compressed")
            raise ScenarioError(f"progressive needs a codec with a progressive mode "
                                f"({', '.join(sorted(PROGRESSIVE_CODECS))}); {what}", where=f"{where}.progressive")
    if policy != "none":
        _check_decodable(compression, where, centre, policy)
    return Workstation(policy=policy, archive=archive, first_images=int(x), progressive=progressive)


def _codec(syntax: str) -> str:
    """The decode table's name for a compression syntax (``none``: reading the native file)."""
    from teleradlab.compression.decode_cost import UNCOMPRESSED

    return UNCOMPRESSED if syntax in ("none", UNCOMPRESSED) else syntax


def _check_decodable(compression: dict[str, tuple[str, float]], where: str, centre: str, policy: str) -> None:
    """Every codec a workstation decodes has a measured decode time; else a ScenarioError at its key path."""
    t = _table()
    measured = set(t.codec)
    for m, (syntax, _) in sorted(compression.items()):
        if _codec(syntax) not in measured:
            raise ScenarioError(
                f"{syntax} has no measured decode time in {t.attrs.get('source', 'the decode table')} (it has "
                f"{', '.join(sorted(measured))}), and centre {centre!r} decodes every image it shows "
                f"({where}: {policy}); send {m} with a measured codec, measure this one with "
                "teleradlab.compression.decode_benchmark(), or use workstation policy none",
                where=f"compression.{m}.syntax")


@functools.lru_cache(maxsize=1)
def _table() -> Any:
    from teleradlab.compression.decode_cost import decode_table

    return decode_table()


@functools.lru_cache(maxsize=256)
def decode_seconds(codec: str, modality: str, raw_bytes_per_image: float) -> tuple[float, str]:
    """Seconds to decode one frame of ``modality`` sent as ``codec``, and where the number comes from.

    Parameters
    ----------
    codec : str
        A codec name, ``"none"`` or ``"uncompressed"`` (reading the native file).
    modality : str
        The frame's modality.
    raw_bytes_per_image : float
        Its uncompressed size (used to scale a measurement of another modality).

    Returns
    -------
    (float, str)
        Seconds per frame and its source (the decode table's row, or the scaled proxy).

    Raises
    ------
    ScenarioError
        If the decode table has no row for the codec at all (naming the codecs it has).
    """
    from teleradlab.compression.decode_cost import ms_per_frame

    t = _table()
    name = _codec(codec)
    src = t.attrs.get("source", "the decode table")
    rows = t[t.codec == name]
    if rows.empty:
        raise ScenarioError(f"no measured decode time for {name} in {src}; it has {', '.join(sorted(set(t.codec)))}",
                            where=f"compression.{modality}.syntax")
    if modality in set(rows.modality):
        return ms_per_frame(name, modality, table=t) / 1000.0, f"{src}: {name} on {modality}"
    frame = (rows.rows * rows.cols * 2).to_numpy(float)  # decoded bytes at 16 bits allocated
    k = int(np.argmin(np.abs(np.log(frame / raw_bytes_per_image))))
    row = rows.iloc[k]
    scale = raw_bytes_per_image / frame[k]
    return (float(row.ms_per_frame) / 1000.0 * scale,
            f"{src}: {name} on {row.modality} ({int(row.rows)}x{int(row.cols)}) scaled by frame size x{scale:.3g} "
            f"(no {modality} measurement)")


def _retrieve(archive: Archive, counts: np.ndarray, bytes_per_instance: float, decode_s: float,
              first_k: int) -> CountTimings:
    """The fetch from the archive: :func:`~teleradlab.network.retrieval.predict_retrieval` per study size."""
    return retrieval_by_count(bytes_per_instance, decode_s * 1000.0, counts, first_k=first_k,
                              bandwidth_mbps=archive.bandwidth_mbps, rtt_ms=archive.rtt_ms, protocol=archive.protocol)


@functools.lru_cache(maxsize=1024)
def _open_by_count(ws: Workstation, counts: tuple[int, ...], bytes_per_instance: float,
                   decode_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Seconds to the first image(s) and to loaded for studies of each size in ``counts`` (read-only arrays)."""
    n = np.asarray(counts, dtype=np.int64)
    first: np.ndarray
    loaded: np.ndarray
    if ws.policy == "none":
        first, loaded = np.zeros(n.size), np.zeros(n.size)
    elif ws.policy == "prefetch":
        first, loaded = np.full(n.size, decode_s), n * decode_s
    else:
        assert ws.archive is not None  # parse() requires it for on_demand and streamed
        if ws.policy == "on_demand":  # the whole study is retrieved, then decoded
            r = _retrieve(ws.archive, n, bytes_per_instance, decode_s, 1)
            first, loaded = r.last_arrival_s + decode_s, r.last_arrival_s + n * decode_s
        else:  # streamed: decoded as the instances arrive, reading starts with the first_images-th
            r = _retrieve(ws.archive, n, bytes_per_instance, decode_s, ws.first_images)
            first, loaded = r.first_k_s, r.loaded_s
            if ws.progressive:  # a low-resolution pass of the first images first
                f = D.PROGRESSIVE_FRACTION
                low = _retrieve(ws.archive, np.minimum(n, ws.first_images), bytes_per_instance * f, decode_s * f,
                                ws.first_images)
                first = low.loaded_s
                loaded = np.maximum(loaded, first)
    for a in (first, loaded):
        a.setflags(write=False)
    return first, loaded


def open_seconds(ws: Workstation, images: int, bytes_per_instance: float, decode_s: float) -> tuple[float, float]:
    """Seconds from opening a study to its first image on screen, and to the whole study decoded.

    Parameters
    ----------
    ws : Workstation
        The centre's reading policy.
    images : int
        Instances in the study.
    bytes_per_instance : float
        Each instance as sent (after compression).
    decode_s : float
        Seconds to decode one frame (:func:`decode_seconds`).

    Returns
    -------
    (float, float)
        ``first_image_s``, ``loaded_s``; for ``streamed`` the first is when the first
        ``first_images`` are on screen (reading can start).
    """
    first, loaded = _open_by_count(ws, (int(images),), float(bytes_per_instance), float(decode_s))
    return float(first[0]), float(loaded[0])


def study_open_minutes(scenario: Any, wl: Any) -> tuple[np.ndarray, np.ndarray]:
    """Each study's first-image and loaded minutes at each centre, by the centre's policy.

    Studies of one modality, instance size and frame size share one retrieval for all
    their sizes (:func:`~teleradlab.network.retrieval.retrieval_by_count`), and the
    result is cached per (policy, sizes, instance size, decode time), so a million
    studies cost one retrieval per modality and centre.

    Parameters
    ----------
    scenario : Scenario
    wl : Workload

    Returns
    -------
    first, loaded : ndarray, shape (studies, centres)
        Minutes from opening to the first image(s) on screen and to the whole study
        decoded (0 under policy ``none``).
    """
    n, n_centres = len(wl), len(scenario.centres)
    first = np.zeros((n, n_centres))
    loaded = np.zeros((n, n_centres))
    if n == 0 or all(c.workstation.policy == "none" for c in scenario.centres):
        return first, loaded
    raw_per_image = wl.bytes_raw / np.maximum(wl.images, 1)
    # one integer code per (modality, instance size, frame size): np.unique of the rows of a 2-D
    # array sorts a void view and takes ~0.2 s for 40,000 studies; three 1-D uniques take ~5 ms
    code = np.zeros(n, np.int64)
    for col in (wl.modality, wl.bytes_per_instance, raw_per_image):
        values, inverse = np.unique(np.asarray(col), return_inverse=True)
        code = code * len(values) + inverse.ravel()
    _, group_of = np.unique(code, return_inverse=True)
    group_of = group_of.ravel()
    members = [np.flatnonzero(group_of == g) for g in range(int(group_of.max()) + 1)]
    for ci, c in enumerate(scenario.centres):
        ws = c.workstation
        if ws.policy == "none":
            continue
        for rows in members:
            i0 = rows[0]
            mod, bpi, raw = wl.modalities[int(wl.modality[i0])], wl.bytes_per_instance[i0], raw_per_image[i0]
            dec, _ = decode_seconds(scenario.compression.get(mod, ("none", 1.0))[0], mod, float(raw))
            images = wl.images[rows]
            counts = np.unique(images)
            f, lo = _open_by_count(ws, tuple(int(k) for k in counts), float(bpi), dec)
            at = np.searchsorted(counts, images)
            first[rows, ci] = f[at] / 60.0
            loaded[rows, ci] = lo[at] / 60.0
    if not (np.isfinite(first).all() and np.isfinite(loaded).all()):  # pragma: no cover - guarded by validation
        raise ScenarioError("a workstation time is not finite", where="centres.workstation")
    return first, loaded


def occupancy(first: float, loaded: float, work: float, speed: float) -> float:
    """Minutes a radiologist is busy with an opened study: ``first + max(work / speed, loaded - first)``.

    The engines inline this expression (in this order, so both give the same floats).

    Parameters
    ----------
    first, loaded : float
        Minutes still to the first image and to the study loaded.
    work : float
        Reading work left, in minutes at speed 1.
    speed : float
        The radiologist's speed factor.

    Returns
    -------
    float
    """
    return first + max(work / speed, loaded - first)


__all__ = ["POLICIES", "PROGRESSIVE_CODECS", "Archive", "Workstation", "decode_seconds", "occupancy", "open_seconds", "parse",
           "study_open_minutes"]
