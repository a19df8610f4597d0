"""The scenario JSON Schema: valid draft 2020-12, accepts every shipped scenario, agrees with the Python checks.

The schema describes structure (keys, types, ranges, vocabularies); ``load_scenario``
remains the authority and adds the checks that need the whole scenario. The tests
below hold the two together: every vocabulary and key set of the schema equals the
Python constant it mirrors, structure errors are refused by both (the schema at the
same place or above it), valid variants are accepted by both, and the semantic errors
the schema cannot see are refused by Python.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import jsonschema
import pytest
import yaml

from teleradlab.compression.registry import codecs
from teleradlab.errors import ScenarioError
from teleradlab.network import defaults as D
from teleradlab.network import transfer, triage, workstation
from teleradlab.network.retrieval import RETRIEVAL_PROTOCOLS
from teleradlab.network.scenario import (
    DISTS,
    PREEMPT,
    ROUTING,
    TRANSFER_OPTIONS,
    WORKLISTS,
    load_scenario,
    scenario_schema,
    schema_resource,
)
from teleradlab.network.scenario.ai_triage import AI_KEYS, OPERATING_POINTS
from teleradlab.network.scenario.centres import CENTRE_KEYS, GROUP_KEYS
from teleradlab.network.scenario.links import LINK_KEYS
from teleradlab.network.scenario.sites import MODALITY_KEYS, SITE_KEYS
from teleradlab.network.scenario.validation import REQUIRED_KEYS, TOP_KEYS

SCHEMA = scenario_schema()
DEFS = SCHEMA["$defs"]
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def as_json(value: Any) -> Any:
    """What an editor sees of a YAML value: timestamps are text (JSON has no date type)."""
    if isinstance(value, dict):
        return {str(k): as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, dt.date):  # datetime too
        return value.isoformat()
    return value


def key_path(path: Any) -> str:
    """A jsonschema error path as a scenario key path: ``sites[0].modalities.CT``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def schema_errors(raw: dict) -> list[str]:
    return [key_path(e.absolute_path) for e in VALIDATOR.iter_errors(as_json(raw))]


@pytest.fixture(scope="module")
def base(repo_root) -> dict:
    return yaml.safe_load((repo_root / "datasets/scenarios/two_hospitals_one_hub.yaml").read_text())


def test_schema_is_valid_draft_2020_12_package_data() -> None:
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert schema_resource().is_file() and json.loads(schema_resource().read_text(encoding="utf-8")) == SCHEMA


def test_every_shipped_scenario_validates(repo_root) -> None:
    files = sorted((repo_root / "datasets" / "scenarios").glob("*.yaml"))
    assert len(files) >= 6
    for f in files:
        raw = yaml.safe_load(f.read_text())
        assert schema_errors(raw) == [], f.name
        load_scenario(f)  # and Python accepts it


def _enum(node: dict) -> list:
    return node["enum"]


def _find(node: object, key: str) -> dict:
    """The first sub-schema stored under ``key`` anywhere in the schema."""
    if isinstance(node, dict):
        if key in node and isinstance(node[key], dict):
            return node[key]
        node = list(node.values())
    for child in node if isinstance(node, list) else []:
        found = _find(child, key)
        if found:
            return found
    return {}


def test_vocabularies_and_keys_are_the_python_ones() -> None:
    props = SCHEMA["properties"]
    assert set(props) == TOP_KEYS and tuple(SCHEMA["required"]) == REQUIRED_KEYS
    assert tuple(_enum(props["routing"])) == ROUTING and tuple(_enum(props["worklist"])) == WORKLISTS
    assert tuple(_enum(props["preempt"])) == PREEMPT
    assert set(DEFS["site"]["properties"]) == set(SITE_KEYS) == set(DEFS["site"]["required"])
    assert set(DEFS["modality_load"]["properties"]) == MODALITY_KEYS
    assert set(DEFS["centre"]["properties"]) == CENTRE_KEYS and set(DEFS["group"]["properties"]) == GROUP_KEYS
    assert set(DEFS["link"]["properties"]) == LINK_KEYS
    assert tuple(_enum(DEFS["link"]["properties"]["protocol"])) == transfer.PROTOCOLS
    assert set(TRANSFER_OPTIONS) <= set(DEFS["link"]["properties"])
    assert tuple(_enum(DEFS["reading_time"]["properties"]["dist"])) == DISTS
    assert tuple(_enum(DEFS["workstation_policy"])) == workstation.POLICIES
    archive = _find(SCHEMA, "archive")
    assert tuple(archive["properties"]["protocol"]["enum"]) == RETRIEVAL_PROTOCOLS
    assert set(DEFS["ai"]["properties"]) == AI_KEYS
    # an AI ranked below the last priority moves nothing: Python refuses it, the schema leaves it out
    assert tuple(_enum(DEFS["ai"]["properties"]["rank_after"])) == triage.RANKS[:-1]
    assert tuple(_enum(DEFS["ai"]["properties"]["priorities"]["items"])) == D.PRIORITIES
    assert [set(way["required"]) for way in DEFS["ai"]["oneOf"]] == list(OPERATING_POINTS.values())
    presets = DEFS["profile"]["anyOf"][0]["enum"]
    assert set(presets) == set(D.PROFILES) == set(D.WEEKDAY_PROFILES)
    assert set(props["sla_minutes"]["properties"]) == set(D.PRIORITIES)
    assert {p: v["default"] for p, v in props["sla_minutes"]["properties"].items()} == D.SLA_MINUTES
    syntaxes = DEFS["compression"]["properties"]["syntax"]["examples"]
    assert syntaxes == ["none", *(c.name for c in codecs(available_only=False))]
    link = DEFS["link"]["properties"]
    assert (link["protocol"]["default"], link["nodelay"]["default"], link["associations"]["default"],
            link["async_ops"]["default"]) == (D.PROTOCOL, D.NODELAY, D.ASSOCIATIONS, D.ASYNC_OPS)
    assert DEFS["workstation_policy"]["default"] == D.WORKSTATION_POLICY


Change = Callable[[dict], object]


def _set(*path: Any, value: Any) -> Change:
    def change(raw: dict) -> None:
        node = raw
        for p in path[:-1]:
            node = node[p]
        node[path[-1]] = value
    return change


def _del(*path: Any) -> Change:
    def change(raw: dict) -> None:
        node = raw
        for p in path[:-1]:
            node = node[p]
        del node[path[-1]]
    return change


AI = {"prevalence": 0.1, "sensitivity": 0.9, "specificity": 0.8}
ARCHIVE = {"bandwidth_mbps": 100, "rtt_ms": 5}
CT = ("sites", 0, "modalities", "CT")
GROUP = ("centres", 0, "radiologists", 0)
LINK = ("links", 0)

#: Structure errors: refused by load_scenario at ``where`` and by the schema there or above.
STRUCTURE = [
    ("unknown top key", _set("routeing", value="nearest"), "routeing"),
    ("missing name", _del("name"), "scenario"),
    ("sites not a list", _set("sites", value={"a": 1}), "sites"),
    ("no sites", _set("sites", value=[]), "sites"),
    ("site without timezone", _del("sites", 0, "timezone"), "sites[0]"),
    ("site key typo", _set("sites", 0, "modalitys", value={}), "sites[0].modalitys"),
    ("location of three", _set("sites", 0, "location", value=[1, 2, 3]), "sites[0].location"),
    ("latitude 100", _set("sites", 0, "location", value=[100, 0]), "sites[0].location"),
    ("no modalities", _set("sites", 0, "modalities", value={}), "sites[0].modalities"),
    ("negative rate", _set(*CT, "studies_per_day", value=-5), "sites[0].modalities.CT.studies_per_day"),
    ("rate as text", _set(*CT, "studies_per_day", value="80"), "sites[0].modalities.CT.studies_per_day"),
    ("unknown profile", _set(*CT, "profile", value="night"), "sites[0].modalities.CT.profile"),
    ("23-hour profile", _set(*CT, "profile", value=[1] * 23), "sites[0].modalities.CT.profile"),
    ("6-day week", _set(*CT, "weekday_profile", value=[1] * 6), "sites[0].modalities.CT.weekday_profile"),
    ("priority typo", _set(*CT, "priority_mix", value={"stats": 1}), "sites[0].modalities.CT.priority_mix.stats"),
    ("size sd 4", _set(*CT, "size_sd_fraction", value=4), "sites[0].modalities.CT.size_sd_fraction"),
    ("count 2.5", _set(*GROUP, "count", value=2.5), "centres[0].radiologists[0].count"),
    ("count -1", _set(*GROUP, "count", value=-1), "centres[0].radiologists[0].count"),
    ("shift as number", _set(*GROUP, "shift", value=8), "centres[0].radiologists[0].shift"),
    ("licensed nowhere", _set(*GROUP, "licensed", value=[]), "centres[0].radiologists[0].licensed"),
    ("speed 0", _set(*GROUP, "speed", value=0), "centres[0].radiologists[0].speed"),
    ("no groups", _set("centres", 0, "radiologists", value=[]), "centres[0].radiologists"),
    ("link without rtt", _del(*LINK, "rtt_ms"), "links[0]"),
    ("protocol ftp", _set(*LINK, "protocol", value="ftp"), "links[0].protocol"),
    ("associations 0", _set(*LINK, "associations", value=0), "links[0].associations"),
    ("nodelay yes", _set(*LINK, "nodelay", value="yes"), "links[0].nodelay"),
    ("window -64", _set(*LINK, "window_kb", value=-64), "links[0].window_kb"),
    ("retired key", _set(*LINK, "tcp_window_kb", value=64), "links[0].tcp_window_kb"),
    ("outage without end", _set(*LINK, "outages", value=[{"start": "2026-03-03T02:00"}]), "links[0].outages[0]"),
    ("weibull", _set("reading_time_minutes", "CT", "dist", value="weibull"), "reading_time_minutes.CT.dist"),
    ("lognormal without sd", _del("reading_time_minutes", "CT", "sd"), "reading_time_minutes.CT"),
    ("empirical without samples", _set("reading_time_minutes", "CT", value={"dist": "empirical"}),
     "reading_time_minutes.CT.samples"),
    ("compression without syntax", _set("compression", "CT", value={"ratio": 10}), "compression.CT"),
    ("ratio 0.5", _set("compression", "CT", "ratio", value=0.5), "compression.CT.ratio"),
    ("routing random", _set("routing", value="random"), "routing"),
    ("worklist lifo", _set("worklist", value="lifo"), "worklist"),
    ("preempt restart", _set("preempt", value="restart"), "preempt"),
    ("sla typo", _set("sla_minutes", value={"stats": 60}), "sla_minutes.stats"),
    ("sla negative", _set("sla_minutes", value={"stat": -60}), "sla_minutes.stat"),
    ("allow_unread yes", _set("allow_unread", value="yes"), "allow_unread"),
    ("AI without prevalence", _set("ai_triage", value={"sensitivity": 0.9, "specificity": 0.8}), "ai_triage"),
    ("AI prevalence 1.5", _set("ai_triage", value={**AI, "prevalence": 1.5}), "ai_triage.prevalence"),
    ("AI sensitivity only", _set("ai_triage", value={"prevalence": 0.1, "sensitivity": 0.9}), "ai_triage"),
    ("AI auc + sensitivity + specificity", _set("ai_triage", value={**AI, "auc": 0.9}), "ai_triage"),
    ("AI binormal_b without auc", _set("ai_triage", value={**AI, "binormal_b": 1.2}), "ai_triage.binormal_b"),
    ("AI ranked after routine", _set("ai_triage", value={**AI, "rank_after": "routine"}), "ai_triage.rank_after"),
    ("AI priority typo", _set("ai_triage", value={**AI, "priorities": ["soon"]}), "ai_triage.priorities"),
    ("AI in a list", _set("ai_triage", value=[AI, {**AI, "name": 5}]), "ai_triage[1].name"),
    ("workstation remote", _set("centres", 0, "workstation", value="remote"), "centres[0].workstation.policy"),
    ("on_demand without archive", _set("centres", 0, "workstation", value={"policy": "on_demand"}),
     "centres[0].workstation.archive"),
    ("archive without rtt", _set("centres", 0, "workstation",
                                 value={"policy": "on_demand", "archive": {"bandwidth_mbps": 10}}),
     "centres[0].workstation.archive"),
    ("workstation key typo", _set("centres", 0, "workstation", value={"policy": "none", "polcy": "x"}),
     "centres[0].workstation.polcy"),
    # found by test_every_property_agrees_on_null_empty_and_wrong_types (Python used to accept them)
    ("empty AI", _set("ai_triage", value={}), "ai_triage"),
    ("AI as text", _set("ai_triage", value=""), "ai_triage"),
    ("associations null", _set(*LINK, "associations", value=None), "links[0].associations"),
    ("async_ops null", _set(*LINK, "async_ops", value=None), "links[0].async_ops"),
    ("reading times a list", _set("reading_time_minutes", value=[]), "reading_time_minutes"),
    ("compression as text", _set("compression", value=""), "compression"),
    ("sla a list", _set("sla_minutes", value=[]), "sla_minutes"),
    ("availability empty", _set(*LINK, "availability", value=""), "links[0].availability"),
    ("availability a mapping", _set(*LINK, "availability", value={}), "links[0].availability"),
    ("outages a mapping", _set(*LINK, "outages", value={}), "links[0].outages"),
    ("outages a number", _set(*LINK, "outages", value=7), "links[0].outages"),
    ("AI modalities null", _set("ai_triage", value={**AI, "modalities": None}), "ai_triage.modalities"),
    ("AI modality a number", _set("ai_triage", value={**AI, "modalities": ["CT", 7]}), "ai_triage.modalities[1]"),
    ("AI reading times null", _set("ai_triage", value={**AI, "reading_time_minutes": None}),
     "ai_triage.reading_time_minutes"),
    ("AI roc of no points", _set("ai_triage", value={"prevalence": 0.1, "sensitivity": 0.9, "roc": []}),
     "ai_triage"),  # the binormal fit needs two points (Python says so at the AI, the schema at its roc)
    ("priority_mix empty", _set(*CT, "priority_mix", value={}), "sites[0].modalities.CT.priority_mix"),
    ("link to an empty name", _set(*LINK, "site", value=""), "links[0].site"),
    ("archive key typo", _set("centres", 0, "workstation",
                              value={"policy": "on_demand", "archive": {**ARCHIVE, "rtt": 5}}),
     "centres[0].workstation.archive.rtt"),
    ("on_demand by name", _set("centres", 0, "workstation", value="on_demand"), "centres[0].workstation.archive"),
    ("archive for prefetch", _set("centres", 0, "workstation", value={"policy": "prefetch", "archive": ARCHIVE}),
     "centres[0].workstation.archive"),
    ("first_images for on_demand", _set("centres", 0, "workstation",
                                        value={"policy": "on_demand", "archive": ARCHIVE, "first_images": 2}),
     "centres[0].workstation.first_images"),
]


@pytest.mark.parametrize("change,where", [s[1:] for s in STRUCTURE], ids=[s[0] for s in STRUCTURE])
def test_structure_errors_are_refused_by_both(base, change, where) -> None:
    raw = copy.deepcopy(base)
    change(raw)
    with pytest.raises(ScenarioError) as err:
        load_scenario(raw)
    assert err.value.where == where
    found = schema_errors(raw)
    assert found, "the schema accepts it"
    place = "" if where == "scenario" else where
    assert any(_on_one_branch(place, p) for p in found), found  # the same place, or one holding the other


def _on_one_branch(a: str, b: str) -> bool:
    """Whether key paths ``a`` and ``b`` are equal or one holds the other (``""``, the top, holds top-level keys)."""
    short, long = sorted((a, b), key=len)
    if not short:
        return "." not in long and "[" not in long
    return long == short or long.startswith((short + ".", short + "["))


#: Valid variants: accepted by both (the schema refuses nothing the Python accepts here).
VALID = [
    ("ideal link", lambda r: r["links"][0].update(bandwidth_mbps=float("inf"), rtt_ms=0)),
    ("stow-rs options", lambda r: r["links"][1].update(protocol="stow-rs", batch=25, window_kb=256)),
    ("cstore options", lambda r: r["links"][1].update(nodelay=True, associations=4, async_ops=2)),
    ("availability and outages", lambda r: r["links"][0].update(
        availability="mon-fri 07:00-19:00", outages=[{"start": dt.datetime(2026, 3, 4, 2), "end": "2026-03-04T08:00"}])),
    ("profile lists", lambda r: r["sites"][0]["modalities"]["CT"].update(profile=[1] * 24, weekday_profile=[1] * 7)),
    ("priority_mix null", lambda r: r["sites"][0]["modalities"]["CT"].update(priority_mix=None)),
    ("group options", lambda r: r["centres"][0]["radiologists"][0].update(speed=1.5, subspecialties=[], count=0)),
    ("empirical and exponential", lambda r: r["reading_time_minutes"].update(
        CT={"dist": "empirical", "samples": [5, 10, 20]}, CR={"dist": "exponential", "mean": 3})),
    ("gamma and deterministic", lambda r: r["reading_time_minutes"].update(
        CT={"dist": "gamma", "mean": 10, "sd": 4}, CR={"dist": "deterministic", "mean": 3})),
    ("no optional sections", lambda r: [r.pop(k) for k in ("reading_time_minutes", "compression", "sla_minutes",
                                                           "routing", "worklist", "start")]),
    ("null sections", lambda r: r.update(reading_time_minutes=None, compression=None, sla_minutes=None,
                                         ai_triage=None)),
    ("lossless and none", lambda r: r["compression"].update(CT={"syntax": "jpeg2000-lossless"},
                                                            CR={"syntax": "none", "ratio": 1})),
    ("UID syntax", lambda r: r["compression"].update(CT={"syntax": "1.2.840.10008.1.2.4.91", "ratio": 10})),
    ("policies", lambda r: r.update(worklist="preemptive", preempt="repeat", allow_unread=True, description=7)),
    ("workstation by name", lambda r: r["centres"][0].update(workstation="prefetch")),
    ("workstation mapping", lambda r: r["centres"][0].update(
        workstation={"policy": "streamed", "archive": ARCHIVE, "first_images": 3})),
    ("progressive stream", lambda r: r["centres"][0].update(
        workstation={"policy": "streamed", "archive": {**ARCHIVE, "protocol": "cget"}, "progressive": True})),
    ("modality options", lambda r: r["sites"][0]["modalities"]["CT"].update(size_sd_fraction=0.3,
                                                                           subspecialty="body")),
    ("links without options", lambda r: r["links"][1].update(protocol="stow-rs", batch=None, window_kb=None,
                                                             availability=None, outages=None)),
    ("no AI", lambda r: r.update(ai_triage=[])),
    ("AI auc/threshold with its own reading times", lambda r: r.update(ai_triage={
        "prevalence": 0.1, "auc": 0.9, "binormal_b": 1.1, "threshold": 0.5, "rank_after": "top",
        "reading_time_minutes": {"diseased": {"dist": "exponential", "mean": 12},
                                 "non_diseased": {"dist": "lognormal", "mean": 8, "sd": 3}}})),
    ("two AIs", lambda r: r.update(ai_triage=[
        {"name": "ct-ai", "modalities": ["CT"], "prevalence": 0.1, "auc": 0.85, "sensitivity": 0.9},
        {"name": "cr-ai", "modalities": ["CR"], "prevalence": 0.2, "roc": [[0.1, 0.6], [0.3, 0.9]],
         "specificity": 0.8, "priorities": ["routine"], "enabled": False}])),
]


@pytest.mark.parametrize("change", [v[1] for v in VALID], ids=[v[0] for v in VALID])
def test_valid_variants_are_accepted_by_both(base, change) -> None:
    raw = copy.deepcopy(base)
    change(raw)
    load_scenario(raw)
    assert schema_errors(raw) == []


#: What only the whole scenario (or the installed libraries) can tell: the schema accepts these.
SEMANTIC = [
    ("unknown time zone", _set("sites", 0, "timezone", value="Europe/Berlinn"), "sites[0].timezone"),
    ("duplicate site", lambda r: r["sites"].append(copy.deepcopy(r["sites"][0])), "sites[2].name"),
    ("link to no centre", _set(*LINK, "centre", value="hubb"), "links[0].centre"),
    ("shares add up to 1.1", _set(*CT, "priority_mix", value={"stat": 0.5, "routine": 0.6}),
     "sites[0].modalities.CT.priority_mix"),
    ("shift 8am-6pm", _set(*GROUP, "shift", value="8am-6pm"), "centres[0].radiologists[0].shift"),
    ("unknown codec", _set("compression", "CT", "syntax", value="nonsense"), "compression.CT.syntax"),
    ("lossless with a ratio", _set("compression", "CT", value={"syntax": "jpeg2000-lossless", "ratio": 3}),
     "compression.CT.ratio"),
    ("compression of a modality nobody acquires", _set("compression", "MR", value={"syntax": "none"}),
     "compression.MR"),
]


@pytest.mark.parametrize("change,where", [s[1:] for s in SEMANTIC], ids=[s[0] for s in SEMANTIC])
def test_semantic_errors_are_left_to_python(base, change, where) -> None:
    raw = copy.deepcopy(base)
    change(raw)
    assert schema_errors(raw) == []
    with pytest.raises(ScenarioError) as err:
        load_scenario(raw)
    assert err.value.where == where


#: What every property is tried with: null, an empty mapping, list and text, a boolean, a number, a word.
PROBES: list[Any] = [None, {}, [], "", True, 7, "x"]
#: Where a word ("x") is refused by Python only: what the schema cannot know (see schema.py), by key path.
WORD_LEFT_TO_PYTHON = {
    r"sites\[\*\]\.name": "links name the sites", r"centres\[\*\]\.name": "links name the centres",
    r"links\[\*\]\.(site|centre)": "a site's or centre's name",
    r"(sites|centres)\[\*\]\.timezone": "IANA time zones (zoneinfo)",
    r"sites\[\*\]\.country": "a country some group is licensed for (readability)",
    r"centres\[\*\]\.radiologists\[\*\]\.shift|links\[\*\]\.availability": "the shift syntax",
    r"compression\.\w+\.syntax": "the codec registry's names",
    r"ai_triage(\[\*\])?\.modalities\[\*\]": "a modality some site acquires",
}


def _paths(node: Any, prefix: tuple = ()) -> Any:
    """Every key path of a raw scenario (as tuples of keys and list indices), parents first."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for k, v in items:
        yield (*prefix, k)
        yield from _paths(v, (*prefix, k))


def _schema_properties(node: Any) -> set[str]:
    """Every property name the schema describes, anywhere in it."""
    out: set[str] = set()
    if isinstance(node, dict):
        if isinstance(node.get("properties"), dict) and all(isinstance(v, dict) for v in node["properties"].values()):
            out |= set(node["properties"])
        node = list(node.values())
    for child in node if isinstance(node, list) else []:
        out |= _schema_properties(child)
    return out


def _python_where(raw: dict) -> str | None:
    """None when load_scenario accepts ``raw``, else the key path of its error ("" for the top)."""
    try:
        load_scenario(raw)
    except ScenarioError as exc:
        return "" if exc.where == "scenario" else exc.where
    return None


def test_every_property_agrees_on_null_empty_and_wrong_types(base) -> None:
    """Walk every key of the canonical scenario and of each valid variant (together: every property of the
    schema), replace its value by each probe (and give each mapping an unknown key), and require that Python
    and the schema agree: both accept, or both refuse on one branch of the key path probed. Python alone may
    refuse only a word it checks against what the schema cannot know (WORD_LEFT_TO_PYTHON)."""
    import re

    bases = [base]
    for _, change in VALID:
        bases.append(copy.deepcopy(base))
        change(bases[-1])
    covered = {p[-1] for b in bases for p in _paths(b) if isinstance(p[-1], str)}
    assert _schema_properties(SCHEMA) <= covered, "add a VALID variant using these"
    seen, disagreements, left_to_python = set(), [], set()
    for b in bases:
        for path in _paths(b):
            generic = key_path(["*" if isinstance(k, int) else k for k in path]).replace(".*", "[*]")
            for probe in [*PROBES, "unknown key"]:
                parent = b
                for k in path[:-1]:
                    parent = parent[k]
                if (generic, repr(probe)) in seen or (probe == "unknown key" and not isinstance(parent[path[-1]], dict)):
                    continue
                seen.add((generic, repr(probe)))
                raw = copy.deepcopy(b)
                node = raw
                for k in path[:-1]:
                    node = node[k]
                if probe == "unknown key":
                    node[path[-1]]["zz_unknown"] = 1
                else:
                    node[path[-1]] = probe
                here, py, schema = key_path(path), _python_where(raw), schema_errors(raw)
                case = f"{here} = {probe!r}"
                if py is None and schema:
                    disagreements.append(f"{case}: Python accepts, the schema refuses at {schema}")
                elif py is not None and schema and not (_on_one_branch(py, here)
                                                        and any(_on_one_branch(py, e) for e in schema)):
                    disagreements.append(f"{case}: Python refuses at {py!r}, the schema at {schema}")
                elif py is not None and not schema:
                    known = next((rx for rx in WORD_LEFT_TO_PYTHON if re.fullmatch(rx, generic)), None)
                    if probe != "x" or known is None:
                        disagreements.append(f"{case}: Python refuses at {py!r}, the schema accepts")
                    left_to_python.add(known)
    assert not disagreements, "\n".join(disagreements)
    assert left_to_python == set(WORD_LEFT_TO_PYTHON)  # every exception listed is needed
    assert len(seen) > 500


@pytest.mark.parametrize("option,protocols", list(TRANSFER_OPTIONS.items()))
def test_transfer_options_go_with_their_protocols_in_both(base, option, protocols) -> None:
    value = {"protocol": None, "nodelay": True}.get(option, 2)
    for protocol in transfer.PROTOCOLS:
        if option == "protocol":
            continue
        raw = copy.deepcopy(base)
        raw["links"][0].update({"protocol": protocol, option: value})
        py, schema = _python_where(raw), schema_errors(raw)
        if protocol in protocols:
            assert py is None and schema == [], (protocol, py, schema)
        else:
            assert py == f"links[0].{option}" and any(_on_one_branch(py, e) for e in schema), (protocol, py, schema)


def test_the_messages_say_what_is_wanted(base) -> None:
    raw = copy.deepcopy(base)
    raw["ai_triage"] = {}
    with pytest.raises(ScenarioError, match=r"^ai_triage: an empty AI: give its prevalence and an operating point "
                                            r"\(sensitivity \+ specificity; auc \+ threshold"):
        load_scenario(raw)
    raw = copy.deepcopy(base)
    raw["links"][1]["associations"] = None
    with pytest.raises(ScenarioError, match=r"^links\[1\]\.associations: expected a number, got None"):
        load_scenario(raw)


def test_cli_prints_the_schema_and_its_path() -> None:
    out = subprocess.run([sys.executable, "-m", "teleradlab.cli", "scenario", "schema"], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == SCHEMA
    where = subprocess.run([sys.executable, "-m", "teleradlab.cli", "scenario", "schema", "--path"],
                           capture_output=True, text=True, timeout=120)
    assert where.returncode == 0 and where.stdout.strip() == str(schema_resource())


def test_cli_check_validates_without_simulating(tmp_path, canonical) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(canonical.read_text().replace("rtt_ms: 40", "rtt_ms: -40"))
    out = subprocess.run([sys.executable, "-m", "teleradlab.cli", "scenario", "check", str(canonical), str(bad)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stdout.strip() == f"{canonical}: valid (2 sites, 1 centres, 2 links)"
    assert out.stderr.strip().splitlines() == [
        f"teleradlab scenario check: error: {bad}: links[1].rtt_ms: must not be negative, got -40"]
