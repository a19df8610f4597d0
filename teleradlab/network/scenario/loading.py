"""Reading a scenario: a YAML file or a bundled scenario's name, overrides, validation — one error naming the file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from teleradlab.errors import ScenarioError, TeleradlabError, one_line
from teleradlab.network.scenario.model import Scenario
from teleradlab.network.scenario.overrides import apply_overrides
from teleradlab.network.scenario.validation import validate


def scenario_file(spec: str | os.PathLike[str]) -> Path:
    """An existing file as given, else a bundled scenario of that name (a bare name, no folder).

    Parameters
    ----------
    spec : path-like
        A file, or the name of a bundled scenario (:func:`teleradlab.datasets.scenario_names`).

    Returns
    -------
    Path

    Raises
    ------
    ScenarioError
        Neither exists (the message lists the bundled names).
    """
    from teleradlab import datasets

    p = Path(spec)
    if p.is_file():
        return p
    if len(p.parts) == 1:
        try:
            return datasets.scenario(str(spec))
        except TeleradlabError:
            pass
    try:
        known = ", ".join(datasets.scenario_names())
    except TeleradlabError:
        known = "none installed"
    raise ScenarioError(f"no such scenario file, nor a bundled scenario name (bundled: {known})", where=str(p))


def load_scenario(path_or_dict: str | os.PathLike[str] | dict, *, overrides: dict[str, Any] | None = None) -> Scenario:
    """Load and validate a scenario from a YAML file or a mapping.

    Parameters
    ----------
    path_or_dict : path-like or dict
        A YAML file, the name of a bundled scenario (``"siberia_hub_spoke"``, see
        :func:`teleradlab.datasets.scenario_names`), or the same structure as a dict.
    overrides : dict, optional
        Dotted-key overrides applied before validation (see :func:`apply_overrides`).

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        Malformed YAML, or the first validation problem with its key path.
    """
    from teleradlab.safe_yaml import load_yaml

    if isinstance(path_or_dict, dict):
        raw, source = path_or_dict, "scenario"
    else:
        p = scenario_file(path_or_dict)
        raw = load_yaml(p, error=ScenarioError)  # size, alias-expansion and depth limits; UTF-8 only
        source = str(p)
    if overrides:
        raw = apply_overrides(raw, overrides)
    try:
        return validate(raw)
    except ScenarioError as exc:
        if source != "scenario":
            raise ScenarioError(exc.message, where=f"{source}: {exc.where}") from None
        raise
    except (TypeError, ValueError, KeyError, AttributeError, OverflowError, RecursionError) as exc:
        # a shape no check anticipated: still one ScenarioError naming the file
        raise ScenarioError(f"invalid scenario ({type(exc).__name__}: {one_line(exc)})", where=source) from None
