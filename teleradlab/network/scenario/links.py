"""The ``links`` section: network paths from sites to centres, their transfer protocol and options, outages."""

from __future__ import annotations

import math
from typing import Any

from teleradlab.network import defaults as D
from teleradlab.network.scenario.model import Centre, Link, Site
from teleradlab.network.scenario.shifts import parse_shift
from teleradlab.network.scenario.values import check_keys, fail, number, utc_datetime
from teleradlab.network.transfer import PROTOCOLS

#: A link's transfer options (see :class:`Link`) and the protocols each applies to.
TRANSFER_OPTIONS: dict[str, tuple[str, ...]] = {
    "protocol": PROTOCOLS, "nodelay": ("cstore",), "associations": ("cstore",), "async_ops": ("cstore",),
    "window_kb": PROTOCOLS, "batch": ("stow-rs",),
}
#: Link keys of earlier versions, and what replaced them.
RETIRED_LINK_KEYS: dict[str, str] = {
    "tcp_window_kb": "renamed 'window_kb' (the TCP window cap in kB, as transfer.predict takes it)",
    "efficiency": "no longer a link key: the protocol's efficiency is a calibrated constant of the transfer model "
                  "(teleradlab.network.transfer.DEFAULT_CONSTANTS)",
    "setup_rtts": "no longer a link key: association set-up and release round trips come from the protocol "
                  "(teleradlab.network.transfer); choose 'protocol' and its options instead",
}
#: Keys of one link.
LINK_KEYS = {"site", "centre", "bandwidth_mbps", "rtt_ms", *TRANSFER_OPTIONS, "availability", "outages"}


def transfer_options(lk: dict, w: str) -> dict[str, Any]:
    """A link's protocol and options, validated with key paths; defaults from :mod:`~teleradlab.network.defaults`.

    Parameters
    ----------
    lk : dict
        The raw link (or a workstation's archive link).
    w : str
        Its key path.

    Returns
    -------
    dict
        ``protocol``, ``nodelay``, ``associations``, ``async_ops``, ``batch`` and
        ``window_kb``: keyword arguments of :class:`Link`.
    """
    protocol = lk.get("protocol", D.PROTOCOL)
    if protocol not in PROTOCOLS:
        fail(f"unknown protocol {protocol!r}; use one of {', '.join(PROTOCOLS)}", f"{w}.protocol")
    for key, protocols in TRANSFER_OPTIONS.items():
        if key in lk and protocol not in protocols:
            fail(f"{key} applies to protocol {' or '.join(protocols)}, not {protocol}", f"{w}.{key}")
    nodelay = lk.get("nodelay", D.NODELAY)
    if not isinstance(nodelay, bool):
        fail(f"expected true or false, got {nodelay!r}", f"{w}.nodelay")
    out: dict[str, Any] = {"protocol": protocol, "nodelay": nodelay}
    for key, default in (("associations", D.ASSOCIATIONS), ("async_ops", D.ASYNC_OPS), ("batch", D.BATCH)):
        v = lk.get(key, default)
        if v is not None or key != "batch":  # batch null: the whole study in one request; the others need a number
            x = number(v, f"{w}.{key}")
            if x < 1 or x != int(x):
                fail(f"expected a whole number of at least 1, got {v!r}", f"{w}.{key}")
            v = int(x)
        out[key] = v
    window = lk.get("window_kb", D.WINDOW_KB)
    out["window_kb"] = number(window, f"{w}.window_kb", positive=True) if window is not None else None
    return out


def parse_links(raw_links: list, sites: list[Site], centres: list[Centre]) -> list[Link]:
    """Every link of the ``links`` list (already checked to be a non-empty list).

    Parameters
    ----------
    raw_links : list
        The raw list.
    sites, centres : list
        The validated sites and centres the links join.

    Returns
    -------
    list of Link
        Outages in UTC (a time without an offset is local to the link's site).

    Raises
    ------
    ScenarioError
        A retired or unknown key, an unknown site or centre, a second link between the
        same pair, a bad number or option, an outage that ends before it starts, an
        ideal link (bandwidth ``.inf``) with a round trip.
    """
    site_names = {s.name for s in sites}
    centre_names = {c.name for c in centres}
    links = []
    seen_links = set()
    for i, lk in enumerate(raw_links):
        w = f"links[{i}]"
        for key, why in RETIRED_LINK_KEYS.items():
            if isinstance(lk, dict) and key in lk:
                fail(why, f"{w}.{key}")
        check_keys(lk, LINK_KEYS, w, ("site", "centre", "bandwidth_mbps", "rtt_ms"))
        if not isinstance(lk["site"], str) or lk["site"] not in site_names:
            fail(f"no site named {lk['site']!r}", f"{w}.site")
        if not isinstance(lk["centre"], str) or lk["centre"] not in centre_names:
            fail(f"no centre named {lk['centre']!r}", f"{w}.centre")
        if (lk["site"], lk["centre"]) in seen_links:
            fail(f"a second link from {lk['site']!r} to {lk['centre']!r}", w)
        seen_links.add((lk["site"], lk["centre"]))
        site_tz = next(s.timezone for s in sites if s.name == lk["site"])
        outages = []
        raw_outages = lk.get("outages")
        if raw_outages is not None and not isinstance(raw_outages, list):
            fail(f"expected a list of {{start, end}} outages, got {raw_outages!r}", f"{w}.outages")
        for k, o in enumerate(raw_outages or []):
            ow = f"{w}.outages[{k}]"
            check_keys(o, {"start", "end"}, ow, ("start", "end"))
            a, b = utc_datetime(o["start"], f"{ow}.start", site_tz), utc_datetime(o["end"], f"{ow}.end", site_tz)
            if b <= a:
                fail("an outage must end after it starts", ow)
            outages.append((a, b))
        bandwidth = number(lk["bandwidth_mbps"], f"{w}.bandwidth_mbps", positive=True, allow_inf=True)
        rtt = number(lk["rtt_ms"], f"{w}.rtt_ms", nonneg=True)
        if math.isinf(bandwidth) and rtt:
            fail("an ideal link (bandwidth .inf) moves studies at once and has no round trip; give it rtt_ms: 0, "
                 "or a finite bandwidth to model the round trips", f"{w}.rtt_ms")
        links.append(Link(
            site=lk["site"], centre=lk["centre"], bandwidth_mbps=bandwidth, rtt_ms=rtt, **transfer_options(lk, w),
            availability=(parse_shift(lk["availability"], f"{w}.availability")
                          if lk.get("availability") is not None else None),
            outages=tuple(outages),
        ))
    return links
