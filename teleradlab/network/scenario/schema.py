"""The JSON Schema (draft 2020-12) of a scenario file's structure, shipped as package data.

Editors that speak the YAML language server complete and check a scenario file
against it when the file's first line points at the schema::

    # yaml-language-server: $schema=<the path `teleradlab scenario schema --path` prints>

The schema holds the structure only — keys, types, ranges, closed vocabularies,
which keys go together. What needs the whole scenario or the installed libraries
(names that refer to each other, time zones, shift syntax, shares adding up to 1,
codec names, AI operating points, readability) is checked by
:func:`~teleradlab.network.scenario.load_scenario`, which remains the authority:
a file the schema accepts may still be refused, with a key path.
"""

from __future__ import annotations

import json
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

#: The schema's file in ``teleradlab/data``.
SCHEMA_FILE = "scenario.schema.json"


def schema_resource() -> Traversable:
    """The installed schema file (``teleradlab/data/scenario.schema.json``), read through :mod:`importlib.resources`.

    Returns
    -------
    importlib.resources.abc.Traversable
        Its ``read_text()`` gives the JSON; ``str()`` of it is a file path in a regular
        or editable install.
    """
    return resources.files("teleradlab").joinpath("data", SCHEMA_FILE)


def scenario_schema() -> dict[str, Any]:
    """The scenario JSON Schema as a mapping.

    Returns
    -------
    dict
        Draft 2020-12 (``$schema``); validate with any implementation, e.g.
        ``jsonschema.Draft202012Validator(scenario_schema())``.

    Examples
    --------
    >>> scenario_schema()["required"]
    ['name', 'sites', 'centres', 'links']
    """
    return json.loads(schema_resource().read_text(encoding="utf-8"))
