"""A whole scenario mapping validated section by section into a :class:`Scenario`.

The order of the checks is the order of the sections (top-level keys, name, start,
sites, centres, links, reading times, compression, workstations, policies, AI
triage, readability), so the first problem reported is the same for a given file.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from teleradlab.network import defaults as D
from teleradlab.network.scenario.ai_triage import parse_ai_triage
from teleradlab.network.scenario.centres import parse_centres
from teleradlab.network.scenario.compression import parse_compression
from teleradlab.network.scenario.links import parse_links
from teleradlab.network.scenario.model import PREEMPT, ROUTING, WORKLISTS, Scenario, eligible
from teleradlab.network.scenario.reading import parse_reading
from teleradlab.network.scenario.sites import parse_sites
from teleradlab.network.scenario.values import (
    MAX_YEAR,
    MIN_YEAR,
    check_keys,
    fail,
    nonempty_str,
    number,
    unique_names,
)
from teleradlab.network.workstation import parse as _workstation

#: The top-level keys of a scenario.
TOP_KEYS = {"name", "description", "start", "sites", "centres", "links", "reading_time_minutes", "compression",
            "routing", "worklist", "preempt", "sla_minutes", "ai_triage", "allow_unread"}
#: The top-level keys every scenario has.
REQUIRED_KEYS = ("name", "sites", "centres", "links")
#: The first day simulated when a scenario names none (a Monday).
DEFAULT_START = dt.date(2026, 3, 2)


def _start(v: Any) -> dt.date:
    start = v
    if isinstance(start, str):
        try:
            start = dt.date.fromisoformat(start)
        except ValueError:
            fail(f"cannot parse date {start!r}: use YYYY-MM-DD", "start")
    if isinstance(start, dt.datetime):
        start = start.date()
    if not isinstance(start, dt.date):
        fail(f"expected a date, got {start!r}", "start")
    if not MIN_YEAR <= start.year <= MAX_YEAR:  # the IANA zone rules (and a run's days) must fit in datetime
        fail(f"year {start.year} is outside {MIN_YEAR}..{MAX_YEAR}", "start")
    return start


def _choice(raw: dict, key: str, default: str, options: tuple[str, ...]) -> str:
    value = raw.get(key, default)
    if value not in options:
        fail(f"unknown {key} {value!r}; use one of {', '.join(options)}", key)
    return value


def validate(raw: dict) -> Scenario:
    """Validate a scenario mapping and return a :class:`Scenario`.

    Raises
    ------
    ScenarioError
        The first problem found, with its key path in ``where``.
    """
    check_keys(raw, TOP_KEYS, "", REQUIRED_KEYS)
    name = nonempty_str(raw["name"], "name")
    start = _start(raw.get("start", DEFAULT_START))
    for key in ("sites", "centres", "links"):
        if not isinstance(raw[key], list) or not raw[key]:
            fail("expected a non-empty list", key)
    unique_names(raw["sites"], "name", "sites")
    unique_names(raw["centres"], "name", "centres")
    sites = parse_sites(raw["sites"])
    centres = parse_centres(raw["centres"])
    links = parse_links(raw["links"], sites, centres)
    modalities = {m for s in sites for m in s.modalities}
    reading = parse_reading(raw.get("reading_time_minutes", {}), modalities)
    compression = parse_compression(raw.get("compression", {}), modalities)
    centres = [dataclasses.replace(c, workstation=_workstation(raw["centres"][i].get("workstation"),
                                                              f"centres[{i}].workstation", c.name, compression))
               for i, c in enumerate(centres)]
    routing = _choice(raw, "routing", "least_loaded", ROUTING)
    worklist = _choice(raw, "worklist", "fifo", WORKLISTS)
    sla_raw = raw.get("sla_minutes")
    sla_raw = {} if sla_raw is None else sla_raw  # null: an empty section; any other non-mapping is refused
    check_keys(sla_raw, set(D.PRIORITIES), "sla_minutes")
    sla = {p: number(sla_raw.get(p, D.SLA_MINUTES[p]), f"sla_minutes.{p}", positive=True) for p in D.PRIORITIES}
    preempt = _choice(raw, "preempt", "resume", PREEMPT)
    ai = parse_ai_triage(raw.get("ai_triage"), modalities)
    allow_unread = raw.get("allow_unread", False)
    if not isinstance(allow_unread, bool):
        fail("expected true or false", "allow_unread")
    scenario = Scenario(
        name=name, start=start, sites=tuple(sites), centres=tuple(centres), links=tuple(links), reading=reading,
        compression=compression, routing=routing, worklist=worklist, sla_minutes=sla, ai_triage=ai, preempt=preempt,
        allow_unread=allow_unread, description=str(raw.get("description", "")), raw=raw,
    )
    check_readable(scenario)
    return scenario


def check_readable(sc: Scenario) -> None:
    """Check that some radiologist may read each site's studies, unless ``allow_unread``.

    Parameters
    ----------
    sc : Scenario
        The scenario.

    Raises
    ------
    ScenarioError
        At ``sites[i]``: the site has no link, or no group at its linked centres is
        licensed for it.
    """
    if sc.allow_unread:
        return
    for i, site in enumerate(sc.sites):
        ok = any(eligible(g, site) for lk in sc.links if lk.site == site.name for g in sc.centre(lk.centre).groups)
        if not ok:
            linked = [lk.centre for lk in sc.links if lk.site == site.name]
            fail(f"no radiologist may read studies from {site.name!r} (country {site.country}): "
                 + (f"no group at {', '.join(linked)} is licensed for it" if linked else "it has no link to a centre")
                 + "; set allow_unread: true to count such studies as unread", f"sites[{i}]")
