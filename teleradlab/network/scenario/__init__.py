"""Teleradiology scenarios: the YAML schema, its validation and documented defaults.

A scenario names the *sites* that acquire studies, the *centres* whose radiologists
read them, the *links* between them, reading-time distributions, compression, the
routing and worklist policies, and report-time targets. :func:`load_scenario`
validates everything up front: an unknown key (a typo), a bad value or an
impossible arrangement is one :class:`~teleradlab.errors.ScenarioError` naming the
key path (``sites[1].modalities.CT.studies_per_day``), and nothing is simulated.

Worklists and AI triage (top-level keys):

- ``worklist``: ``fifo`` | ``priority`` | ``preemptive`` | ``cherry_pick``; ``preempt``:
  ``resume`` (default: an interrupted read keeps its work and goes back ahead of its
  class) | ``repeat`` (it starts again, same reading time).
- ``ai_triage``: one mapping or a list, one per AI, each with ``prevalence`` and an
  operating point — ``sensitivity`` + ``specificity``; ``auc`` (binormal, optional
  ``binormal_b``) + ``threshold``, ``sensitivity`` or ``specificity``; or ``roc``
  ([[FPF, TPF], ...]) + ``sensitivity`` or ``specificity`` — and optionally ``name``,
  ``modalities`` (default all), ``rank_after`` (``top`` | ``stat`` (default) |
  ``urgent``: where its flagged class sits), ``priorities`` (default: those ranked
  below it), ``enabled`` (false keeps the disease status, flags nothing) and
  ``reading_time_minutes: {diseased: ..., non_diseased: ...}``. Two AIs may not apply
  to the same modality and priority. See :mod:`teleradlab.network.triage`.

A centre's reading workstation (``centres[i].workstation``): ``none`` (the default) |
``prefetch`` | ``on_demand`` | ``streamed``, or a mapping ``{policy, archive: {...},
first_images, progressive}``. See :mod:`teleradlab.network.workstation`.

The package, by section:

- :mod:`~.model` — the validated dataclasses (:class:`Scenario`, :class:`Site`, :class:`Link`...);
- :mod:`~.values` — checks of single values (keys, numbers, names, time zones, dates);
- :mod:`~.shifts`, :mod:`~.sites`, :mod:`~.centres`, :mod:`~.links`, :mod:`~.reading`,
  :mod:`~.compression`, :mod:`~.ai_triage` — one validator per section;
- :mod:`~.validation` — :func:`validate`: the sections in order, then cross-checks;
- :mod:`~.overrides` — :func:`apply_overrides`; :mod:`~.loading` — :func:`load_scenario`;
- :mod:`~.queueing` — :func:`queue_scenario`;
- :mod:`~.schema` — the JSON Schema of the file's structure (``teleradlab/data/scenario.schema.json``)
  for editors; :func:`validate` stays the authority.
"""

from __future__ import annotations

from teleradlab.network.scenario.links import RETIRED_LINK_KEYS, TRANSFER_OPTIONS
from teleradlab.network.scenario.loading import load_scenario
from teleradlab.network.scenario.model import (
    DAYS,
    DISTS,
    PREEMPT,
    ROUTING,
    WORKLISTS,
    AITriage,
    Centre,
    Group,
    Link,
    ModalityLoad,
    ReadingTime,
    Scenario,
    Shift,
    Site,
    eligible,
)
from teleradlab.network.scenario.overrides import apply_overrides
from teleradlab.network.scenario.queueing import queue_scenario
from teleradlab.network.scenario.schema import scenario_schema, schema_resource
from teleradlab.network.scenario.shifts import parse_shift
from teleradlab.network.scenario.validation import validate
from teleradlab.network.scenario.values import MAX_YEAR, MIN_YEAR
from teleradlab.network.scenario.values import check_keys as _keys  # noqa: F401
from teleradlab.network.scenario.values import number as _num  # noqa: F401

# _keys and _num: the names the single-module version gave the helpers teleradlab.network.workstation takes.
__all__ = [
    "DAYS", "DISTS", "MAX_YEAR", "MIN_YEAR", "PREEMPT", "RETIRED_LINK_KEYS", "ROUTING", "TRANSFER_OPTIONS",
    "WORKLISTS", "AITriage", "Centre", "Group", "Link", "ModalityLoad", "ReadingTime", "Scenario", "Shift",
    "Site", "apply_overrides", "eligible", "load_scenario", "parse_shift", "queue_scenario", "scenario_schema",
    "schema_resource", "validate",
]
