"""Figures of a sweep's results table: lines with confidence bands, or heat maps."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from teleradlab.errors import SweepError


def plot(table: pd.DataFrame, *, x: str, y: str, hue: str | None = None, facet: str | None = None,
         kind: str = "line", ax: Any = None) -> Any:
    """Plot a metric against a parameter.

    Parameters
    ----------
    table : pandas.DataFrame
        The results of :func:`teleradlab.sweep.run` (failed runs are left out).
    x, y : str
        Parameter on the x axis and metric on the y axis.
    hue : str, optional
        A parameter drawn as separate lines (``line``) or the heat map's rows (``heatmap``).
    facet : str, optional
        A parameter split into side-by-side panels.
    kind : {"line", "heatmap"}
        Lines show the mean over replications with a 95% interval; a heat map shows
        the mean of ``y`` over ``x`` × ``hue``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    df = table[table["status"] == "ok"] if "status" in table else table
    for col in (x, y, hue, facet):
        if col is not None and col not in df.columns:
            raise SweepError(f"no column {col!r} in the results; columns: {', '.join(df.columns)}", where="plot")
    if kind == "heatmap" and hue is None:
        raise SweepError("a heat map needs hue= for its rows", where="plot(hue)")
    facets = sorted(df[facet].unique(), key=str) if facet else [None]
    if ax is None:
        fig, axes = plt.subplots(1, len(facets), figsize=(5.2 * len(facets), 3.8), squeeze=False)
        axes = axes[0]
    else:
        fig, axes = ax.figure, [ax]
    for a, fv in zip(axes, facets, strict=False):
        sub = df if fv is None else df[df[facet] == fv]
        if kind == "heatmap":
            grid = sub.groupby([hue, x])[y].mean().unstack(x)
            im = a.imshow(grid.to_numpy(dtype=float), aspect="auto", origin="lower", cmap="viridis")
            a.set_xticks(range(grid.shape[1]), [f"{v:g}" if isinstance(v, float) else str(v) for v in grid.columns])
            a.set_yticks(range(grid.shape[0]), [f"{v:g}" if isinstance(v, float) else str(v) for v in grid.index])
            a.set_ylabel(hue)
            fig.colorbar(im, ax=a, label=y)
        elif kind == "line":
            groups = sub.groupby(hue) if hue else [(None, sub)]
            for hv, g in groups:
                stats = g.groupby(x)[y].agg(["mean", "std", "count"]).sort_index()
                half = 1.96 * stats["std"].fillna(0) / np.sqrt(stats["count"])
                line, = a.plot(stats.index, stats["mean"], marker="o", label=None if hv is None else f"{hue}={hv}")
                a.fill_between(stats.index, stats["mean"] - half, stats["mean"] + half, alpha=0.2,
                               color=line.get_color())
            if hue:
                a.legend(fontsize=8)
            a.set_ylabel(y)
            a.grid(alpha=0.3)
        else:
            raise SweepError(f"unknown kind {kind!r}; use 'line' or 'heatmap'", where="plot(kind)")
        a.set_xlabel(x)
        if fv is not None:
            a.set_title(f"{facet} = {fv}", fontsize=10)
    fig.tight_layout()
    return fig
