"""Dotted-key overrides of a raw scenario (``centres.hub.radiologists.day-team.count: 6``)."""

from __future__ import annotations

import copy
from typing import Any

from teleradlab.network.scenario.values import fail


def apply_overrides(raw: dict, overrides: dict[str, Any]) -> dict:
    """Return a copy of ``raw`` with dotted-key ``overrides`` applied.

    A path walks mappings by key and lists by item name: ``sites.<name>``,
    ``centres.<name>.radiologists.<group>``, ``links.<site>`` (or
    ``links.<site>><centre>`` when a site has several links), or by index
    (``sites.0``). Examples: ``{"centres.hub.radiologists.day-team.count": 6,
    "links.rural-clinic.bandwidth_mbps": 2, "compression.CT.ratio": 15,
    "routing": "nearest"}``.
    """
    out = copy.deepcopy(raw)
    for path, value in (overrides or {}).items():
        parts = str(path).split(".")
        node: Any = out
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            here = ".".join(parts[: depth + 1])
            if isinstance(node, list):
                idx = _find_item(node, part)
                if idx is None:
                    fail(f"no item {part!r} in this list", f"overrides[{path}] at {here}")
                if last:
                    node[idx] = value
                else:
                    node = node[idx]
            elif isinstance(node, dict):
                if last:
                    node[part] = value
                else:
                    if part not in node:
                        node[part] = {}
                    node = node[part]
            else:
                fail(f"cannot descend into {type(node).__name__}", f"overrides[{path}] at {here}")
    return out


def _find_item(items: list, key: str) -> int | None:
    if key.isdigit() and int(key) < len(items):
        return int(key)
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        if key in (item.get("name"), item.get("group"), item.get("site")):
            return i
        if ">" in key and f"{item.get('site')}>{item.get('centre')}" == key:
            return i
    return None
