"""Progress bars that behave in a terminal, in JupyterLab and in CI logs."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any, TypeVar

T = TypeVar("T")


def progress(iterable: Iterable[T] | None = None, *, desc: str = "", total: int | None = None,
             disable: bool | None = None, **kwargs: Any) -> Any:
    """Wrap ``iterable`` in a tqdm progress bar suited to where the code runs.

    Parameters
    ----------
    iterable : iterable, optional
        What to iterate over; omit it to drive the bar by hand with ``update``.
    desc : str
        A short label shown before the bar.
    total : int, optional
        The number of items, when ``iterable`` has no ``len``.
    disable : bool, optional
        Force the bar off (True) or on (False). By default it is off when the
        environment variable ``TELERADLAB_NO_PROGRESS`` is set.
    **kwargs
        Passed on to tqdm.

    Returns
    -------
    tqdm
        A tqdm instance (the notebook flavour inside Jupyter).
    """
    from tqdm.auto import tqdm

    if disable is None:
        disable = bool(os.environ.get("TELERADLAB_NO_PROGRESS"))
    kwargs.setdefault("mininterval", 0.5)
    kwargs.setdefault("dynamic_ncols", True)
    return tqdm(iterable, desc=desc, total=total, disable=disable, **kwargs)
