"""Guideline maximum compression ratios (CAR 2008, DRG/SSK 2011, RCR) and a checker.

The table lives in ``datasets/reference/compression_guidelines.csv`` with a source
for every row; a copy ships inside the package so an installed teleradlab works
anywhere. Guidelines disagree by a factor of up to six (CT: CAR 15:1, DRG/SSK 8:1,
RCR 5:1) — the point of measuring diagnostic quality instead of trusting a ratio.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import pandas as pd

from teleradlab import datasets
from teleradlab.errors import QualityError

_FILE = "compression_guidelines.csv"


@lru_cache(maxsize=1)
def table() -> pd.DataFrame:
    """All guideline rows: guideline, year, modality, region, max_ratio, source.

    Read from the source checkout's ``datasets/reference/`` when the package runs
    from one (the table a contributor edits), else from the copy packaged in
    ``teleradlab/data/`` (through :mod:`importlib.resources`).
    """
    repo = datasets.checkout_file("reference", _FILE)
    if repo is not None:
        return pd.read_csv(repo)
    with resources.files("teleradlab").joinpath("data", _FILE).open("rb") as fh:
        return pd.read_csv(fh)


def check(modality: str, region: str | None, ratio: float) -> pd.DataFrame:
    """Which guidelines accept ``ratio`` for this modality and region.

    Parameters
    ----------
    modality : str
        DICOM modality (CT, CR, DX, MG, MR, US, NM, RF, XA).
    region : str, optional
        Body region as the guidelines name it (``brain``, ``neuro``, ``chest``,
        ``body``, ``angio``, ``msk``, ``paediatric``, ``breast``...). A guideline
        with no row for the region falls back to its ``all`` row; ``None`` uses the
        ``all`` row, else the most permissive of the modality's rows.
    ratio : float
        The compression ratio to check.

    Returns
    -------
    pandas.DataFrame
        One row per guideline that covers the modality: guideline, year, region
        applied, max_ratio, accepted.

    Examples
    --------
    >>> check("CT", "brain", 10)[["guideline", "max_ratio", "accepted"]].to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'guideline': 'CAR', 'max_ratio': 12, 'accepted': True},
     {'guideline': 'DRG/SSK', 'max_ratio': 5, 'accepted': False},
     {'guideline': 'RCR', 'max_ratio': 5, 'accepted': False}]
    """
    if ratio is None or ratio < 1:
        raise QualityError(f"ratio must be at least 1, got {ratio!r}", where="ratio")
    t = table()
    mod = str(modality).upper()
    rows = t[t.modality == mod]
    if rows.empty:
        raise QualityError(f"no guideline covers modality {modality!r}; covered: {', '.join(sorted(t.modality.unique()))}",
                           where="modality")
    aliases = {"neuro": {"neuro", "brain"}, "brain": {"brain", "neuro"}, "head": {"brain", "neuro"}}
    wanted = aliases.get(str(region).lower(), {str(region).lower()}) if region else set()
    out = []
    for name, g in rows.groupby("guideline", sort=False):
        hit = g[g.region.isin(wanted)]
        if hit.empty:
            hit = g[g.region == "all"]
        if hit.empty:
            hit = g.loc[[g.max_ratio.idxmax()]]
        row = hit.iloc[0]
        out.append({"guideline": name, "year": int(row.year), "region": row.region, "max_ratio": int(row.max_ratio),
                    "accepted": bool(ratio <= row.max_ratio)})
    return pd.DataFrame(out)
