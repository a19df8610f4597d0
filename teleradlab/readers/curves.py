"""Per-reader empirical ROC curves of a study and their vertical average, with a figure."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from teleradlab.quality.roc import roc_curve
from teleradlab.readers.table import RatingsCube, ratings_cube

__all__ = ["average_curve", "cube_curves", "plot_curves", "reader_curves"]


def reader_curves(table: pd.DataFrame) -> pd.DataFrame:
    """Empirical ROC operating points of every reader in every treatment.

    Parameters
    ----------
    table : pandas.DataFrame
        Tidy ratings (fully crossed).

    Returns
    -------
    pandas.DataFrame
        ``treatment, reader, fpr, tpr`` (each curve from (0, 0) to (1, 1)).
    """
    return cube_curves(ratings_cube(table))


def cube_curves(cube: RatingsCube) -> pd.DataFrame:
    """:func:`reader_curves` of ratings already arranged as a cube.

    Parameters
    ----------
    cube : RatingsCube
        Ratings (treatment, reader, case), diseased first.

    Returns
    -------
    pandas.DataFrame
        ``treatment, reader, fpr, tpr``.
    """
    rows = []
    for i, treatment in enumerate(cube.treatments):
        for j, reader in enumerate(cube.readers):
            fpr, tpr = roc_curve(cube.diseased[i, j], cube.normal[i, j])
            rows.append(pd.DataFrame({"treatment": treatment, "reader": reader, "fpr": fpr, "tpr": tpr}))
    return pd.concat(rows, ignore_index=True)


def average_curve(curves: pd.DataFrame, *, points: int = 201) -> pd.DataFrame:
    """Vertical average of the readers' trapezoidal ROC curves per treatment.

    Parameters
    ----------
    curves : pandas.DataFrame
        Output of :func:`reader_curves`.
    points : int
        FPR grid size.

    Returns
    -------
    pandas.DataFrame
        ``treatment, fpr, tpr, tpr_low, tpr_high``: mean TPR over readers at each
        FPR, and the lowest and highest reader at that FPR (the reader spread).

    Examples
    --------
    >>> c = pd.DataFrame({"treatment": "A", "reader": ["r1"] * 3 + ["r2"] * 3,
    ...                   "fpr": [0, 0, 1, 0, 0.5, 1], "tpr": [0, 1, 1, 0, 1, 1]})
    >>> float(average_curve(c, points=3).tpr.iloc[1])
    1.0
    """
    grid = np.linspace(0, 1, points)
    out = []
    for treatment, g in curves.groupby("treatment", sort=False):
        tprs = []
        for _, c in g.groupby("reader", sort=False):
            # at a vertical jump take the upper point, so the curve is right-continuous
            f, t = c["fpr"].to_numpy(float), c["tpr"].to_numpy(float)
            keep = np.r_[np.diff(f) != 0, True]
            tprs.append(np.interp(grid, f[keep], t[keep]))
        stack = np.vstack(tprs)
        out.append(pd.DataFrame({"treatment": treatment, "fpr": grid, "tpr": stack.mean(0),
                                 "tpr_low": stack.min(0), "tpr_high": stack.max(0)}))
    return pd.concat(out, ignore_index=True)


def plot_curves(table: pd.DataFrame, *, ax: Any = None, title: str | None = None) -> Any:
    """Plot each reader's ROC (thin) and the treatment averages with the reader range (band).

    Parameters
    ----------
    table : pandas.DataFrame
        Tidy ratings.
    ax : matplotlib Axes, optional
        Where to draw; a new figure otherwise.
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    curves = reader_curves(table)
    avg = average_curve(curves)
    if ax is None:
        fig, ax = plt.subplots(figsize=(5, 5))
    else:
        fig = ax.figure
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for k, (treatment, g) in enumerate(curves.groupby("treatment", sort=False)):
        col = colours[k % len(colours)]
        for _, c in g.groupby("reader", sort=False):
            ax.plot(c["fpr"], c["tpr"], color=col, lw=0.6, alpha=0.4)
        a = avg[avg["treatment"] == treatment]
        ax.fill_between(a["fpr"], a["tpr_low"], a["tpr_high"], color=col, alpha=0.12)
        ax.plot(a["fpr"], a["tpr"], color=col, lw=2, label=f"{treatment}: reader average (band: reader range)")
    ax.plot([0, 1], [0, 1], color="grey", lw=0.5, ls=":")
    ax.set_xlabel("false-positive fraction (1 − specificity)")
    ax.set_ylabel("true-positive fraction (sensitivity)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.legend(loc="lower right", fontsize=8)
    if title:
        ax.set_title(title)
    return fig
