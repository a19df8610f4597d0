import filecmp

import numpy as np
import pandas as pd
import pytest

from teleradlab.errors import QualityError
from teleradlab.imaging import lesion_ensemble
from teleradlab.quality import (
    acceptable_ratio,
    guidelines,
    model_observer,
    paired_auc_difference,
    pareto_front,
)
from teleradlab.quality.acceptable import (
    PILOT_IMAGES,
    compress_stack,
    images_for_margin,
    tile,
    untile,
)


def test_tile_round_trip() -> None:
    stack = np.arange(10 * 4 * 4).reshape(10, 4, 4)
    m = tile(stack, 2)
    assert m.shape == (3, 8, 8)
    assert (untile(m, 10, 4, 4) == stack).all()


@pytest.mark.slow  # 20-150 s on 2 shared cores (pytest --durations)
def test_acceptable_ratio_curve() -> None:
    res = acceptable_ratio({"n": 128, "roi": 32, "background": "white", "seed": 3,
                            "signal": {"amplitude": 10, "radius_px": 2}},
                           "jpeg2000", ratios=(4, 12, 80), n_boot=100, n_splits=4, show_progress=False)
    c = res.curve
    assert list(c.ratio) == [4, 12, 80] and c.note.eq("").all()
    assert (abs(c.achieved_ratio / c.ratio - 1) < 0.06).all()
    assert c.psnr_db.is_monotonic_decreasing
    assert (c.auc_ci_low <= c.auc).all() and (c.auc <= c.auc_ci_high).all()
    assert (c.delta_ci_low <= c.delta_auc).all() and (c.delta_auc <= c.delta_ci_high).all()
    assert c.delta_ci_width.is_monotonic_increasing  # the readings drift apart as the ratio grows
    assert c.non_inferior.iloc[0]  # mild compression keeps the task
    assert not c.non_inferior.iloc[1:].any()  # from 12:1 on, non-inferiority is not shown
    assert not res.censored and res.limit_ratio == pytest.approx(c.achieved_ratio.iloc[1])
    assert res.acceptable_ratio == pytest.approx(c.achieved_ratio.iloc[0])
    assert "not shown non-inferior" in res.status and str(res.margin) in res.status
    # the widest interval exceeds the margin: the status says a failure may be a lack of images
    assert res.max_delta_ci_width > res.margin and "lack of images" in res.status
    assert res.n_images == 128 and res.reference_auc_ci[0] <= res.reference_auc <= res.reference_auc_ci[1]


def test_unreachable_ratio_is_noted_not_counted(monkeypatch) -> None:
    """A ratio the codec cannot reach is a row with the codec's reason, outside the decision."""
    import teleradlab.quality.acceptable as acc
    from teleradlab.errors import CodecError

    real = acc.compress_stack

    def fake(stack, codec, ratio, **kw):
        if ratio == 6:
            raise CodecError("jpeg2000 cannot reach 6:1 within ±5% on this image", where="ratio")
        return real(stack, codec, ratio, **kw)

    monkeypatch.setattr(acc, "compress_stack", fake)
    res = acceptable_ratio({"n": 48, "roi": 32, "background": "white", "seed": 5,
                            "signal": {"amplitude": 12, "radius_px": 3}},
                           "jpeg2000", ratios=(3, 6), n_boot=50, n_splits=2, show_progress=False)
    row = res.curve.set_index("ratio").loc[6.0]
    assert row.note.startswith("not tested: ratio: jpeg2000 cannot reach 6:1") and row.non_inferior is None
    assert res.acceptable_ratio == pytest.approx(res.curve.achieved_ratio.iloc[0])  # decided on 3:1 alone


def test_limit_above_the_tested_range_is_censored() -> None:
    res = acceptable_ratio({"n": 96, "roi": 32, "background": "white", "seed": 5,
                            "signal": {"amplitude": 12, "radius_px": 3}},
                           "jpeg2000", ratios=(3, 5), n_boot=100, n_splits=4, show_progress=False)
    assert res.curve.non_inferior.all()
    assert res.censored and res.limit_ratio is None
    assert res.acceptable_ratio == pytest.approx(res.curve.achieved_ratio.max())
    assert res.status.startswith("not reached within the tested range")


def test_paired_difference_is_narrower_than_independent_intervals() -> None:
    """Compressed and uncompressed readings of the same images are correlated: the paired interval is narrow."""
    e = lesion_ensemble(80, roi=32, background="lumpy", seed=2, signal={"amplitude": 8, "radius_px": 3})
    p, a = np.round(e.present), np.round(e.absent)
    cp, _ = compress_stack(p, "jpeg2000", 6)
    ca, _ = compress_stack(a, "jpeg2000", 6)
    kw = {"kind": "cho", "signal": e.signal, "n_boot": 200, "n_splits": 5, "seed": 1}
    ref, comp = model_observer(p, a, **kw), model_observer(cp, ca, **kw)
    delta, (lo, hi), boots = paired_auc_difference(comp, ref)
    assert delta == pytest.approx(comp.auc - ref.auc) and lo <= delta <= hi
    independent = np.hypot(ref.auc_ci[1] - ref.auc_ci[0], comp.auc_ci[1] - comp.auc_ci[0])
    assert hi - lo < 0.6 * independent
    with pytest.raises(QualityError, match="not paired: seed"):
        paired_auc_difference(model_observer(cp, ca, **{**kw, "seed": 2}), ref)


def test_images_for_margin_sizes_the_interval() -> None:
    task = {"roi": 32, "background": "white", "seed": 4, "signal": {"amplitude": 6, "radius_px": 2}}
    n = images_for_margin(task, 0.12, n_boot=200, n_splits=4)
    assert n >= PILOT_IMAGES
    e = lesion_ensemble(n, **task)
    r = model_observer(np.round(e.present), np.round(e.absent), kind="cho", signal=e.signal, n_boot=200,
                       n_splits=4, seed=1)
    assert np.sqrt(2) * (r.auc_ci[1] - r.auc_ci[0]) < 0.12 * 1.3  # as planned, within pilot noise
    with pytest.raises(QualityError, match="max_images=100"):
        images_for_margin(task, 0.01, n_boot=100, n_splits=2, max_images=100)


def test_pareto_front_matches_brute_force() -> None:
    rng = np.random.default_rng(0)
    t = pd.DataFrame({"turnaround_mean": rng.integers(0, 6, 40).astype(float), "q_auc": rng.random(40).round(1)})
    t["lo"], t["hi"] = t.q_auc - 0.05, t.q_auc + 0.05
    out = pareto_front(t, quality_low="lo", quality_high="hi")
    for i, row in t.iterrows():
        dom = any((o.turnaround_mean <= row.turnaround_mean and o.q_auc >= row.q_auc
                   and (o.turnaround_mean < row.turnaround_mean or o.q_auc > row.q_auc)) for _, o in t.iterrows())
        clear = any(o.turnaround_mean <= row.turnaround_mean and o.lo > row.hi for _, o in t.iterrows())
        assert out.loc[i, "on_front"] == (not dom) and out.loc[i, "clearly_dominated"] == clear


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
