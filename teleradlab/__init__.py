"""teleradlab: a research and training environment for teleradiology.

The few names users reach for first are importable from here; the rest live in
the subpackages :mod:`teleradlab.imaging`, :mod:`teleradlab.compression`,
:mod:`teleradlab.quality`, :mod:`teleradlab.network` and :mod:`teleradlab.sweep`.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__: str = version("teleradlab")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = ["__version__", "record"]


def record(name: str, value: Any) -> None:
    """Record a named result from inside a notebook run by a sweep.

    Parameters
    ----------
    name : str
        The metric's name; it becomes a column of the sweep's results table.
    value : number, str or bool
        The metric's value.

    Notes
    -----
    This forwards to :func:`teleradlab.sweep.record.record`, which writes the
    value to the per-run JSON file next to the executed notebook.
    """
    from teleradlab.sweep.record import record as _record

    _record(name, value)
