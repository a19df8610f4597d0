"""``teleradlab.record(name, value)``: a notebook's results, for the sweep that runs it.

When a sweep executes a notebook it sets ``TELERADLAB_RECORD`` to a JSON file next to
the executed notebook; each call adds one value to it (atomically). Outside a sweep
the values are kept in memory (``recorded()``) so a notebook runs the same anywhere.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from teleradlab.errors import ParameterError
from teleradlab.files import atomic_write_json

RECORD_ENV = "TELERADLAB_RECORD"
_MEMORY: dict[str, Any] = {}


def record(name: str, value: Any) -> None:
    """Record a named scalar result (number, string or bool).

    Raises
    ------
    ParameterError
        A name that is not a non-empty string, or a value that is not a scalar.
    """
    if not isinstance(name, str) or not name:
        raise ParameterError("record() needs a non-empty name", where="record(name)")
    if hasattr(value, "item"):
        value = value.item()
    if not isinstance(value, int | float | str | bool) and value is not None:
        raise ParameterError(f"record() takes numbers, strings or booleans, not {type(value).__name__}",
                             where=f"record({name!r})")
    _MEMORY[name] = value
    path = os.environ.get(RECORD_ENV)
    if path:
        p = Path(path)
        data = json.loads(p.read_text()) if p.exists() else {}
        data[name] = value
        atomic_write_json(p, data)


def recorded() -> dict[str, Any]:
    """The values recorded in this process so far."""
    return dict(_MEMORY)
