import filecmp

import pandas as pd
import pytest

from teleradlab.errors import QualityError
from teleradlab.quality import acceptable_ratio, guidelines
from teleradlab.quality.acceptable import tile, untile


def test_tile_round_trip() -> None:
    import numpy as np

    stack = np.arange(10 * 4 * 4).reshape(10, 4, 4)
    m = tile(stack, 2)
    assert m.shape == (3, 8, 8)
    assert (untile(m, 10, 4, 4) == stack).all()


def test_acceptable_ratio_curve() -> None:
    res = acceptable_ratio({"n": 128, "roi": 32, "background": "white", "seed": 3,
                            "signal": {"amplitude": 10, "radius_px": 2}},
                           "jpeg2000", ratios=(4, 12, 200), n_boot=200)
    c = res.curve
    assert list(c.ratio) == [4, 12, 200]
    assert (abs(c.achieved_ratio / c.ratio - 1) < 0.06).all()
    assert c.psnr_db.is_monotonic_decreasing
    assert c.non_inferior.iloc[0]  # mild compression keeps the task
    assert not c.non_inferior.iloc[-1]  # 200:1 destroys it
    assert res.acceptable_ratio in (4, 12)


def test_bad_margin() -> None:
    with pytest.raises(QualityError, match="margin"):
        acceptable_ratio({"n": 8}, "jpeg2000", margin=2)


def test_guidelines_table_and_check(repo_root) -> None:
    t = guidelines.table()
    assert set(t.guideline) == {"CAR", "DRG/SSK", "RCR"} and t.source.notna().all()
    assert filecmp.cmp(repo_root / "datasets/reference/compression_guidelines.csv",
                       repo_root / "teleradlab/data/compression_guidelines.csv", shallow=False)
    ct = guidelines.check("CT", "chest", 10).set_index("guideline")
    assert ct.loc["CAR", "accepted"] and not ct.loc["DRG/SSK", "accepted"] and not ct.loc["RCR", "accepted"]
    neuro = guidelines.check("CT", "neuro", 12).set_index("guideline")
    assert neuro.loc["CAR", "max_ratio"] == 12 and neuro.loc["DRG/SSK", "max_ratio"] == 5
    assert isinstance(guidelines.check("MG", None, 20), pd.DataFrame)
    with pytest.raises(QualityError, match="no guideline covers"):
        guidelines.check("PT", None, 5)
