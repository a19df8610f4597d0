"""What a validated scenario holds: sites, centres, links, reading times, AI triage, and the scenario itself.

These frozen dataclasses are built by :func:`teleradlab.network.scenario.validate`
(never by hand from raw YAML); the tuples here list the values a scenario's
top-level policy keys may take.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from dataclasses import dataclass, field

import numpy as np

from teleradlab.errors import ScenarioError
from teleradlab.network import defaults as D
from teleradlab.network.transfer import TransferTiming
from teleradlab.network.workstation import Workstation

ROUTING = ("local_first", "least_loaded", "nearest", "subspecialty", "follow_the_sun")
WORKLISTS = ("fifo", "priority", "preemptive", "cherry_pick")
#: What a preempted read keeps: ``resume`` its work done, ``repeat`` nothing (same reading time again).
PREEMPT = ("resume", "repeat")
DISTS = ("exponential", "lognormal", "gamma", "empirical", "deterministic")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class ReadingTime:
    """A reading-time distribution in minutes."""

    dist: str
    mean: float
    sd: float = 0.0
    samples: tuple[float, ...] = ()

    @property
    def second_moment(self) -> float:
        """E[S²], for queueing formulas."""
        if self.dist == "exponential":
            return 2 * self.mean ** 2
        if self.dist == "deterministic":
            return self.mean ** 2
        if self.dist == "empirical":
            return sum(s * s for s in self.samples) / len(self.samples)
        return self.sd ** 2 + self.mean ** 2


@dataclass(frozen=True)
class ModalityLoad:
    """What one site acquires in one modality."""

    modality: str
    studies_per_day: float
    profile: tuple[float, ...]
    weekday: tuple[float, ...]
    priority_mix: dict[str, float]
    images_per_study: int
    bytes_per_image: int
    size_sd_fraction: float = 0.0
    subspecialty: str | None = None


@dataclass(frozen=True)
class Site:
    """A facility that acquires studies."""

    name: str
    country: str
    timezone: str
    location: tuple[float, float]
    modalities: dict[str, ModalityLoad]


@dataclass(frozen=True)
class Shift:
    """Local-time working windows: ``windows`` are (weekday set, start min, end min)."""

    text: str
    always: bool
    windows: tuple[tuple[frozenset[int], int, int], ...] = ()


@dataclass(frozen=True)
class Group:
    """A group of interchangeable radiologists at a centre."""

    name: str
    count: int
    shift: Shift
    subspecialties: frozenset[str]
    licensed: frozenset[str]
    speed: float = 1.0


@dataclass(frozen=True)
class Centre:
    """A reading centre."""

    name: str
    country: str
    timezone: str
    location: tuple[float, float]
    groups: tuple[Group, ...]
    workstation: Workstation = field(default_factory=Workstation)  # reading policy (teleradlab.network.workstation)


@dataclass(frozen=True)
class Link:
    """A network path from a site to a centre, and how DICOM crosses it.

    A study crosses as its instances do (:func:`teleradlab.network.transfer.predict`):
    ``protocol`` is ``cstore`` (one C-STORE request and response per instance on
    ``associations`` parallel associations, ``async_ops`` operations outstanding on
    each), ``stow-rs`` (DICOMweb, ``batch`` instances per HTTP request) or ``bundle``
    (one archive over one connection); ``nodelay`` says the sender sets TCP_NODELAY,
    ``window_kb`` caps the TCP window. ``bandwidth_mbps: .inf`` is an ideal link
    (queueing checks): studies cross it in no time, and its round trip must be 0.
    """

    site: str
    centre: str
    bandwidth_mbps: float
    rtt_ms: float
    protocol: str = D.PROTOCOL
    nodelay: bool = D.NODELAY
    associations: int = D.ASSOCIATIONS
    async_ops: int = D.ASYNC_OPS
    window_kb: float | None = D.WINDOW_KB
    batch: int | None = D.BATCH
    availability: Shift | None = None
    outages: tuple[tuple[dt.datetime, dt.datetime], ...] = ()

    @property
    def ideal(self) -> bool:
        """Whether studies cross this link in no time (infinite bandwidth, no round trip)."""
        return math.isinf(self.bandwidth_mbps)

    def timing(self, images: int, bytes_per_instance: float) -> TransferTiming:
        """How a study of ``images`` instances of ``bytes_per_instance`` bytes crosses this link when idle.

        Parameters
        ----------
        images : int
            Instances in the study.
        bytes_per_instance : float
            Size of each instance as sent (after compression).

        Returns
        -------
        TransferTiming
            From :func:`teleradlab.network.transfer.predict` with this link's options.
        """
        if self.ideal:
            raise ScenarioError("an ideal link (bandwidth .inf) has no transfer timing: studies cross it at once",
                                where=f"links[{self.site}>{self.centre}]")
        return _timing(self, int(images), float(bytes_per_instance))

    @property
    def rate_bytes_per_min(self) -> float:
        """Payload throughput shared by the transfers in flight, in bytes per minute (inf for an ideal link)."""
        if self.ideal:
            return math.inf
        return self.timing(1, 1e6).effective_rate_mbps * 1e6 / 8 * 60

    def transfer_minutes(self, nbytes: float, images: int = 1) -> float:
        """Minutes to send a study of ``nbytes`` in ``images`` equal instances over this link when idle.

        The same as ``predict(...).total_s / 60`` for this link's protocol and options.

        Parameters
        ----------
        nbytes : float
            Bytes of the whole study as sent.
        images : int
            Instances it is split into.

        Returns
        -------
        float
        """
        if self.ideal:
            return 0.0
        return self.timing(images, nbytes / images).total_s / 60


@functools.lru_cache(maxsize=4096)
def _timing(link: Link, images: int, bytes_per_instance: float) -> TransferTiming:
    from teleradlab.network.transfer import predict

    return predict(np.full(images, bytes_per_instance), bandwidth_mbps=link.bandwidth_mbps, rtt_ms=link.rtt_ms,
                   protocol=link.protocol, nodelay=link.nodelay, associations=link.associations,
                   async_ops=link.async_ops, window_kb=link.window_kb, batch=link.batch)


@dataclass(frozen=True)
class AITriage:
    """An AI that flags studies; its flagged studies form their own worklist class.

    See :mod:`teleradlab.network.triage` for the operating point and the ranking.
    """

    prevalence: float
    sensitivity: float
    specificity: float
    modalities: frozenset[str] | None = None  # None: every modality
    name: str = "ai"
    priorities: frozenset[str] = frozenset({"urgent", "routine"})  # the priorities it is applied to
    rank_after: str = "stat"  # its class sits just below this priority ("top": above all)
    enabled: bool = True  # False: studies keep their disease status but nobody is flagged
    reading_diseased: ReadingTime | None = None  # reading times by truth, else the modality's
    reading_non_diseased: ReadingTime | None = None
    operating_point: str = "sensitivity/specificity"  # how the operating point was given

    def covers(self, modality: str) -> bool:
        """Whether this AI reads studies of ``modality``."""
        return self.modalities is None or modality in self.modalities


@dataclass(frozen=True)
class Scenario:
    """A validated teleradiology scenario (see :func:`~teleradlab.network.scenario.load_scenario`)."""

    name: str
    start: dt.date
    sites: tuple[Site, ...]
    centres: tuple[Centre, ...]
    links: tuple[Link, ...]
    reading: dict[str, ReadingTime]
    compression: dict[str, tuple[str, float]]
    routing: str
    worklist: str
    sla_minutes: dict[str, float]
    ai_triage: tuple[AITriage, ...] = ()
    preempt: str = "resume"
    allow_unread: bool = False
    description: str = ""
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    def site(self, name: str) -> Site:
        """The site called ``name``."""
        return next(s for s in self.sites if s.name == name)

    def centre(self, name: str) -> Centre:
        """The centre called ``name``."""
        return next(c for c in self.centres if c.name == name)

    def link(self, site: str, centre: str) -> Link | None:
        """The link from ``site`` to ``centre``, if any."""
        return next((lk for lk in self.links if lk.site == site and lk.centre == centre), None)


def eligible(group: Group, site: Site) -> bool:
    """Whether radiologists of ``group`` may read studies from ``site`` (licence by country or site name)."""
    return bool(group.count) and (site.country in {x.upper() for x in group.licensed} or site.name in group.licensed)
