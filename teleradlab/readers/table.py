"""The tidy ratings table every reader-study function reads, and its checks.

One row per rating: ``reader, treatment, case, truth, rating`` (plus optional
columns such as ``time_s``), higher ratings meaning "more likely diseased" — the
layout MRMCaov (``mrmc(empirical_auc(truth, rating), treatment, reader, case)``)
and RJafroc users export. :func:`ratings_cube` turns a fully crossed table into
the (treatment, reader, case) array the analyses work on, after checks that name
the reader, case and treatment at fault.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from teleradlab.errors import TeleradlabError

__all__ = ["COLUMNS", "RatingsCube", "ReaderStudyError", "check_table", "cube_to_table", "ratings_cube"]

COLUMNS = ("reader", "treatment", "case", "truth", "rating")


class ReaderStudyError(TeleradlabError):
    """Bad reader-study input: unknown cases, duplicate ratings, a design that does not fit the method."""


def _where(reader: object, treatment: object, case: object) -> str:
    return f"reader={reader!r}, treatment={treatment!r}, case={case!r}"


def check_table(table: pd.DataFrame) -> pd.DataFrame:
    """Check a tidy ratings table and return it with normalised dtypes.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``reader, treatment, case, truth, rating``; ``truth`` is 1 for
        diseased (lesion present) and 0 for non-diseased cases.

    Returns
    -------
    pandas.DataFrame
        A copy with ``truth`` as int and ``rating`` as float.

    Raises
    ------
    ReaderStudyError
        A missing column, a truth other than 0/1, a case whose truth differs
        between rows, a missing or non-numeric rating, or a reader who rated a
        case twice in one treatment (the first such reader, case and treatment
        are named).

    Examples
    --------
    >>> t = pd.DataFrame({"reader": ["A", "A"], "treatment": ["x", "x"], "case": [1, 1],
    ...                   "truth": [0, 0], "rating": [2, 3]})
    >>> check_table(t)
    Traceback (most recent call last):
    ...
    teleradlab.readers.table.ReaderStudyError: reader='A', treatment='x', case=1: rated 2 times in one treatment
    """
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise ReaderStudyError(f"missing column(s) {missing}; a ratings table needs {list(COLUMNS)}",
                               where="table")
    out = table.copy()
    rating = pd.to_numeric(out["rating"], errors="coerce")
    bad = out[rating.isna() | ~np.isfinite(rating.astype(float))]
    if len(bad):
        row = bad.iloc[0]
        raise ReaderStudyError(f"rating {row['rating']!r} is not a finite number",
                               where=_where(row["reader"], row["treatment"], row["case"]))
    out["rating"] = rating.astype(float)
    truth = pd.to_numeric(out["truth"], errors="coerce")
    bad = out[~truth.isin([0, 1])]
    if len(bad):
        row = bad.iloc[0]
        raise ReaderStudyError(f"truth must be 0 (non-diseased) or 1 (diseased), got {row['truth']!r}",
                               where=_where(row["reader"], row["treatment"], row["case"]))
    out["truth"] = truth.astype(int)
    per_case = out.groupby("case")["truth"].nunique()
    if (per_case > 1).any():
        case = per_case[per_case > 1].index[0]
        raise ReaderStudyError("the case has different truth values in different rows", where=f"case={case!r}")
    counts = out.groupby(["reader", "treatment", "case"], sort=False).size()
    if (counts > 1).any():
        (reader, treatment, case), n = next(iter(counts[counts > 1].items()))
        raise ReaderStudyError(f"rated {n} times in one treatment", where=_where(reader, treatment, case))
    return out


@dataclass
class RatingsCube:
    """A fully crossed study as arrays.

    Attributes
    ----------
    ratings : ndarray, (n_treatments, n_readers, n_cases)
        Ratings with the diseased cases first.
    n_diseased : int
        Number of diseased cases (the first ``n_diseased`` along the last axis).
    treatments, readers, cases : list
        Labels in array order (treatments and readers sorted, cases diseased first).
    """

    ratings: np.ndarray
    n_diseased: int
    treatments: list
    readers: list
    cases: list

    @property
    def diseased(self) -> np.ndarray:
        """Ratings of the diseased cases, (t, r, n1)."""
        return self.ratings[..., : self.n_diseased]

    @property
    def normal(self) -> np.ndarray:
        """Ratings of the non-diseased cases, (t, r, n0)."""
        return self.ratings[..., self.n_diseased:]


def ratings_cube(table: pd.DataFrame) -> RatingsCube:
    """Arrange a fully crossed ratings table as a (treatment, reader, case) array.

    Parameters
    ----------
    table : pandas.DataFrame
        A tidy ratings table (see :func:`check_table`).

    Returns
    -------
    RatingsCube

    Raises
    ------
    ReaderStudyError
        The table fails :func:`check_table`, has fewer than one diseased and one
        non-diseased case, or is not fully crossed (every reader rating every
        case in every treatment); the first missing reader, case and treatment
        is named.
    """
    t = check_table(table)
    treatments = sorted(t["treatment"].unique(), key=str)
    readers = sorted(t["reader"].unique(), key=str)
    truth = t.groupby("case")["truth"].first()
    cases = list(truth[truth == 1].index) + list(truth[truth == 0].index)
    n1 = int((truth == 1).sum())
    if n1 == 0 or n1 == len(cases):
        raise ReaderStudyError("need at least one diseased (truth=1) and one non-diseased (truth=0) case",
                               where="table.truth")
    wide = t.pivot(index=["treatment", "reader"], columns="case", values="rating")
    full = pd.MultiIndex.from_product([treatments, readers], names=["treatment", "reader"])
    wide = wide.reindex(index=full, columns=cases)
    if wide.isna().to_numpy().any():
        ti, ci = np.argwhere(wide.isna().to_numpy())[0]
        treatment, reader = wide.index[ti]
        raise ReaderStudyError("no rating: the analysis needs a fully crossed design (every reader reads "
                               "every case in every treatment)", where=_where(reader, treatment, cases[ci]))
    cube = wide.to_numpy(float).reshape(len(treatments), len(readers), len(cases))
    return RatingsCube(ratings=cube, n_diseased=n1, treatments=treatments, readers=readers, cases=cases)


def cube_to_table(cube: RatingsCube) -> pd.DataFrame:
    """Tidy table (``reader, treatment, case, truth, rating``) of a ratings cube.

    Parameters
    ----------
    cube : RatingsCube
        Ratings (treatment, reader, case), diseased first.

    Returns
    -------
    pandas.DataFrame
    """
    t, r, n = cube.ratings.shape
    ti, rj, ck = np.meshgrid(np.arange(t), np.arange(r), np.arange(n), indexing="ij")
    return pd.DataFrame({
        "reader": np.asarray(cube.readers, dtype=object)[rj.ravel()],
        "treatment": np.asarray(cube.treatments, dtype=object)[ti.ravel()],
        "case": np.asarray(cube.cases, dtype=object)[ck.ravel()],
        "truth": (ck.ravel() < cube.n_diseased).astype(int),
        "rating": cube.ratings.ravel(),
    })
