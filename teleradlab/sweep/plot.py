"""Figures of a sweep's results table: lines with confidence bands, or heat maps.

Axes are labelled in words with units, not with raw keys: :func:`axis_label` knows
the parameters of scenarios (``links.<site>.bandwidth_mbps`` → "<site> link
bandwidth (Mbit/s)") and the metrics of the built-in experiments; ``labels=``
overrides or adds any.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from teleradlab.errors import SweepError

#: (pattern, label) pairs tried in order; groups of the pattern fill the label.
KNOWN_LABELS: tuple[tuple[str, str], ...] = (
    (r"links\.([^.]+)\.bandwidth_mbps", "{0} link bandwidth (Mbit/s)"),
    (r"links\.([^.]+)\.rtt_ms", "{0} link round-trip time (ms)"),
    (r"centres\.([^.]+)\.radiologists\.([^.]+)\.count", "{0} {1} radiologists (count)"),
    (r"compression\.([^.]+)\.ratio", "{0} compression ratio (x:1)"),
    (r"sites\.([^.]+)\.modalities\.([^.]+)\.studies_per_day", "{0} {1} studies per day"),
    (r"turnaround_mean_(\w+)", "mean turnaround of {0} studies (min)"),
    (r"turnaround_mean", "mean turnaround (min)"),
    (r"turnaround_p(\d+)", "turnaround, {0}th percentile (min)"),
    (r"transfer_mean", "mean transfer time (min)"),
    (r"wait_mean", "mean wait in the worklist (min)"),
    (r"wait_theory", "mean wait, Erlang C (min)"),
    (r"sla_(\w+)", "{0} studies within their SLA target (share)"),
    (r"ratio", "compression ratio (x:1)"),
    (r"auc", "AUC"),
    (r"delta_auc", "AUC change from uncompressed"),
    (r"psnr_db", "PSNR (dB)"),
)


def axis_label(key: str, labels: dict[str, str] | None = None) -> str:
    """A readable label, with units, for a parameter or metric key.

    Parameters
    ----------
    key : str
        A results-table column (a dotted parameter key or a metric name).
    labels : dict, optional
        Labels that take precedence over :data:`KNOWN_LABELS`.

    Returns
    -------
    str
        The label; an unknown key is returned as it is.

    Examples
    --------
    >>> axis_label("links.rural-clinic.bandwidth_mbps")
    'rural-clinic link bandwidth (Mbit/s)'
    >>> axis_label("centres.hub.radiologists.night.count")
    'hub night radiologists (count)'
    """
    if labels and key in labels:
        return labels[key]
    for pattern, label in KNOWN_LABELS:
        m = re.fullmatch(pattern, key)
        if m:
            return label.format(*m.groups())
    return key


def plot(table: pd.DataFrame, *, x: str, y: str, hue: str | None = None, facet: str | None = None,
         kind: str = "line", ax: Any = None, labels: dict[str, str] | None = None) -> Any:
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
    labels : dict, optional
        Column → axis label (with units), over the defaults of :func:`axis_label`.

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
        fig, grid_axes = plt.subplots(1, len(facets), figsize=(5.2 * len(facets), 3.8), squeeze=False)
        axes = list(grid_axes[0])
    else:
        fig, axes = ax.figure, [ax]
    for a, fv in zip(axes, facets, strict=False):
        sub = df if fv is None else df[df[facet] == fv]
        if kind == "heatmap":
            assert hue is not None  # a heat map without hue was refused above
            grid = sub.groupby([hue, x])[y].mean().unstack(x)
            im = a.imshow(grid.to_numpy(dtype=float), aspect="auto", origin="lower", cmap="viridis")
            a.set_xticks(range(grid.shape[1]), [f"{v:g}" if isinstance(v, float) else str(v) for v in grid.columns])
            a.set_yticks(range(grid.shape[0]), [f"{v:g}" if isinstance(v, float) else str(v) for v in grid.index])
            a.set_ylabel(axis_label(hue, labels))
            fig.colorbar(im, ax=a, label=axis_label(y, labels))
        elif kind == "line":
            groups = sub.groupby(hue) if hue else [(None, sub)]
            for hv, g in groups:
                stats = g.groupby(x)[y].agg(["mean", "std", "count"]).sort_index()
                half = 1.96 * stats["std"].fillna(0) / np.sqrt(stats["count"])
                label = None  # one unlabelled line without hue
                if hue:
                    name = axis_label(hue, labels)
                    label = f"{name} = {hv:g}" if isinstance(hv, int | float) else f"{name} = {hv}"
                line, = a.plot(stats.index, stats["mean"], marker="o", label=label)
                a.fill_between(stats.index, stats["mean"] - half, stats["mean"] + half, alpha=0.2,
                               color=line.get_color())
            a.legend(fontsize=8, title="lines: mean; bands: 95% CI", title_fontsize=8)
            a.set_ylabel(axis_label(y, labels))
            a.grid(alpha=0.3)
        else:
            raise SweepError(f"unknown kind {kind!r}; use 'line' or 'heatmap'", where="plot(kind)")
        a.set_xlabel(axis_label(x, labels))
        if facet and fv is not None:
            a.set_title(f"{axis_label(facet, labels)} = {fv}", fontsize=10)
    fig.tight_layout()
    return fig
