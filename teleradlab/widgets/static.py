"""Show a widget live, and leave a static picture of it when executed headless.

A notebook executed by papermill or nbclient has no browser attached, so a widget's
output lives only in widget state that HTML reports do not render. Every teleradlab
widget is therefore shown through :func:`show`, which, when the run is headless,
also displays a PNG snapshot of the widget's current state.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from typing import Any

HEADLESS_ENV = "TELERADLAB_HEADLESS"


def is_headless() -> bool:
    """Tell whether the current run has no live frontend.

    Returns
    -------
    bool
        True when the environment variable ``TELERADLAB_HEADLESS`` is set to a
        non-empty value other than ``0``. teleradlab's notebook runner, its tests
        and its sweeps set it for the kernels they start; set it yourself when
        running ``papermill`` by hand.
    """
    return os.environ.get(HEADLESS_ENV, "") not in ("", "0")


def figure_png(fig: Any, *, dpi: int = 80) -> bytes:
    """Render a matplotlib figure to PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return buf.getvalue()


def show(widget: Any, snapshot: Callable[[], Any] | None = None) -> Any:
    """Display ``widget``; when headless, also display a static snapshot.

    Parameters
    ----------
    widget : ipywidgets.Widget
        The live widget.
    snapshot : callable, optional
        Returns a matplotlib Figure (or PNG bytes) showing the widget's current
        state. Called only when headless.

    Returns
    -------
    ipywidgets.Widget
        The widget, so a notebook can keep a handle to it.
    """
    from IPython.display import Image, display

    display(widget)
    if snapshot is not None and is_headless():
        picture = snapshot()
        if not isinstance(picture, bytes | bytearray):
            import matplotlib.pyplot as plt

            data = figure_png(picture)
            plt.close(picture)
            picture = data
        display(Image(data=bytes(picture), format="png"))
    return widget
