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
    The study stays in the archive until a radiologist opens it; it is then fetched
    over the centre's ``archive`` link (:func:`teleradlab.network.transfer.predict`
    with the link's protocol: C-GET/C-MOVE retrieve with C-STORE sub-operations,
    DICOM PS3.4 C.4.2-C.4.3, so ``cstore`` by default) and decoded after it has
    arrived: first image = transfer + one decode, loaded = transfer + every decode.
``streamed``
    DICOMweb WADO-RS, instance by instance (PS3.18 10.4): the viewer decodes each
    instance as it arrives (one decoder, in arrival order), and reading can start once
    the first ``first_images`` are on screen. The retrieve is modelled with the
    transfer model's ``stow-rs`` protocol (HTTP multipart on one connection, the
    mirror of WADO-RS) with one instance per request unless the archive link says
    otherwise (``protocol``, ``batch``). With
    ``progressive: true`` (JPEG 2000 and HTJ2K only: their codestreams are ordered by
    resolution, ISO/IEC 15444-1 Annex B) the viewer first fetches and decodes a
    low-resolution pass of the first images (:data:`~teleradlab.network.defaults.PROGRESSIVE_FRACTION`
    of their bytes and decode time); the whole study is loaded when the
    full-resolution stream has arrived and been decoded, as without the pass.

Decode time per frame comes from the measured decode table
(:func:`teleradlab.compression.decode_cost.decode_table`) for the codec the modality
is sent with (``compression:``; ``uncompressed`` otherwise). A modality the table has
not measured takes the measured modality of the nearest frame size, scaled by the
ratio of frame sizes (decoders run at a roughly constant throughput in MB/s), and
:func:`decode_seconds` says so.

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
not shared between reads (each workstation's retrieve is alone on its path).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from teleradlab.errors import ScenarioError
from teleradlab.network import defaults as D

if TYPE_CHECKING:  # scenario imports this module
    from teleradlab.network.scenario import Link

#: Reading policies a centre's ``workstation:`` may name.
POLICIES: tuple[str, ...] = ("none", "prefetch", "on_demand", "streamed")
#: Codecs with a progressive-resolution mode (a codestream ordered by resolution level).
PROGRESSIVE_CODECS: frozenset[str] = frozenset({"jpeg2000", "jpeg2000-lossless", "htj2k", "htj2k-lossless"})


@dataclass(frozen=True)
class Workstation:
    """A centre's reading policy (see the module docstring).

    Attributes
    ----------
    policy : str
        One of :data:`POLICIES`.
    archive : Link or None
        The archive→reader link (``on_demand`` and ``streamed``).
    first_images : int
        Images on screen before reading can start (``streamed``).
    progressive : bool
        A low-resolution pass first (``streamed`` with JPEG 2000 or HTJ2K).
    """

    policy: str = D.WORKSTATION_POLICY
    archive: Link | None = None
    first_images: int = D.STREAM_FIRST_IMAGES
    progressive: bool = False


def parse(v: Any, where: str, centre: str, compression: dict[str, tuple[str, float]],
          transfer_options: Any) -> Workstation:
    """Validate a centre's ``workstation:`` value (a policy name or a mapping).

    Parameters
    ----------
    v : str or dict or None
        The raw value.
    where : str
        Its key path (``centres[0].workstation``).
    centre : str
        The centre's name (the archive link's far end).
    compression : dict
        The scenario's compression per modality (a progressive pass needs JPEG 2000 or HTJ2K).
    transfer_options : callable
        ``scenario._transfer_options``: validates a link's protocol and options.

    Returns
    -------
    Workstation

    Raises
    ------
    ScenarioError
        An unknown policy or key, an archive link where none applies or missing where
        one is needed, ``progressive`` with a codec that has no progressive mode; the
        key path names the place.
    """
    from teleradlab.network.scenario import Link, _keys, _num

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
                                "(bandwidth_mbps, rtt_ms, protocol and its options)", where=f"{where}.archive")
        aw = f"{where}.archive"
        raw = v["archive"]
        _keys(raw, {"bandwidth_mbps", "rtt_ms", "protocol", "nodelay", "associations", "async_ops", "window_kb",
                    "batch"}, aw, ("bandwidth_mbps", "rtt_ms"))
        if policy == "streamed":  # WADO-RS: one instance per HTTP request, unless told otherwise
            raw = {"protocol": D.STREAM_PROTOCOL, **raw}
            if raw["protocol"] == "stow-rs":
                raw.setdefault("batch", D.STREAM_BATCH)
        archive = Link(site="archive", centre=centre, bandwidth_mbps=_num(raw["bandwidth_mbps"], f"{aw}.bandwidth_mbps",
                                                                          positive=True),
                       rtt_ms=_num(raw["rtt_ms"], f"{aw}.rtt_ms", nonneg=True), **transfer_options(raw, aw))
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
    return Workstation(policy=policy, archive=archive, first_images=int(x), progressive=progressive)


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
    from teleradlab.compression.decode_cost import UNCOMPRESSED, ms_per_frame

    t = _table()
    name = UNCOMPRESSED if codec in ("none", UNCOMPRESSED) else codec
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


def _pipeline(arrivals: np.ndarray, decode_s: float) -> np.ndarray:
    """When each frame is on screen: one decoder, frames in arrival order, each ``decode_s`` seconds."""
    from teleradlab.network.retrieval import viewer_decode

    return viewer_decode(np.sort(np.asarray(arrivals, float)), decode_s)


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
    n = int(images)
    if ws.policy == "none":
        return 0.0, 0.0
    if ws.policy == "prefetch":
        return decode_s, n * decode_s
    assert ws.archive is not None  # parse() requires it for on_demand and streamed
    timing = ws.archive.timing(n, float(bytes_per_instance))
    if ws.policy == "on_demand":
        return timing.total_s + decode_s, timing.total_s + n * decode_s
    k = min(ws.first_images, n)
    shown = _pipeline(timing.instance_done_s, decode_s)
    loaded = float(shown[-1])
    if not ws.progressive:
        return float(shown[k - 1]), loaded
    f = D.PROGRESSIVE_FRACTION
    low = ws.archive.timing(k, float(bytes_per_instance) * f)
    first = float(_pipeline(low.instance_done_s, decode_s * f)[k - 1])
    return first, max(loaded, first)


def study_open_minutes(scenario: Any, wl: Any) -> tuple[np.ndarray, np.ndarray]:
    """Each study's first-image and loaded minutes at each centre, by the centre's policy.

    Computed once per distinct (modality, instances, instance size) and centre, so a
    million studies cost a few hundred evaluations.

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
    keys = np.stack([wl.modality.astype(float), wl.images.astype(float), wl.bytes_per_instance.astype(float),
                     raw_per_image.astype(float)], axis=1)
    uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    for ci, c in enumerate(scenario.centres):
        ws = c.workstation
        if ws.policy == "none":
            continue
        f = np.empty(len(uniq))
        lo = np.empty(len(uniq))
        for k, (mi, images, bpi, raw) in enumerate(uniq):
            mod = wl.modalities[int(mi)]
            codec = scenario.compression.get(mod, ("none", 1.0))[0]
            dec, _ = decode_seconds(codec, mod, float(raw))
            a, b = open_seconds(ws, int(images), float(bpi), dec)
            f[k], lo[k] = a / 60.0, b / 60.0
        first[:, ci] = f[inverse]
        loaded[:, ci] = lo[inverse]
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


__all__ = ["POLICIES", "PROGRESSIVE_CODECS", "Workstation", "decode_seconds", "occupancy", "open_seconds", "parse",
           "study_open_minutes"]
