"""Reading widget (driven from Python), simulated reader, human vs model observers."""

from __future__ import annotations

import numpy as np
import pytest

from teleradlab.errors import ParameterError
from teleradlab.readers.design import design, synthetic_cases
from teleradlab.readers.human_vs_model import dprime_from_auc, human_vs_model
from teleradlab.readers.simulated import simulate_reader
from teleradlab.readers.widget import ReadingWidget


@pytest.fixture(scope="module")
def designed():
    cases = synthetic_cases(16, roi=64, seed=8)
    return design(cases, ["original", "jpeg2000:20"], readers=["ann", "sim-reader"], seed=8)


@pytest.fixture
def store(designed, tmp_path):
    return designed.save(tmp_path / "w.sqlite")


def test_widget_rates_resumes_and_times(store):
    w = ReadingWidget(store, "ann", localise=True)
    first = w.current.reading_id
    assert "3" not in w.status.value.split(" of ")[0]  # 0 of 32
    w.rate(4.0)  # no click yet: refused politely, nothing stored
    assert store.progress("ann") == (0, 32) and "Click" in w.status.value
    w._on_click(0.25, 0.5)
    assert w.click == pytest.approx((0.5 * 64 - 0.5, 0.25 * 64 - 0.5))
    w.pause(True)
    with pytest.raises(ParameterError, match="resume"):
        w.rate(4.0)
    w.pause(False)
    w.rate(4.0)
    t = store.to_table()
    assert len(t) == 1 and t.rating.iloc[0] == 4.0 and t.click_col.iloc[0] == pytest.approx(15.5)
    assert 0 <= t.time_s.iloc[0] < 30
    w.rate(1.0)  # lowest rating needs no click
    assert store.progress("ann") == (2, 32)
    again = ReadingWidget(store, "ann", scale="0-100")  # reopened: resumes at the third reading
    assert again.current.reading_id not in (first,)
    assert again.current.position == 3
    with pytest.raises(ParameterError, match="outside"):
        again.rate(101)
    again.slider.value = 70
    again.buttons[0].click()
    assert store.progress("ann") == (3, 32)
    assert w.frame().shape[2] == 3
    with pytest.raises(ParameterError, match="no worklist"):
        ReadingWidget(store, "nobody")


def test_widget_finishes(store):
    simulate_reader(store, "sim-reader", seed=1)
    w = ReadingWidget(store, "sim-reader")
    assert w.current is None and "all 32 readings done" in w.title.value
    assert all(b.disabled for b in w.buttons)


def test_simulated_reader_and_human_vs_model(store):
    assert simulate_reader(store, "sim-reader", seed=2) == 32
    assert simulate_reader(store, "sim-reader", seed=2) == 0
    table = store.to_table()
    assert set(table.rating) <= {1.0, 2.0, 3.0, 4.0, 5.0}
    assert table.rating.nunique() == 5
    simulate_reader(store, "ann", seed=3)
    out = human_vs_model(store, observers=("cho", "npwe"), roi=32)
    assert set(out.kind) == {"human", "model"}
    assert len(out) == 2 * (2 + 2)
    for row in out.itertuples():
        assert 0 <= row.ci_low <= row.auc <= row.ci_high <= 1
        assert row.dprime == pytest.approx(float(dprime_from_auc(row.auc)))
        model = out[(out.treatment == row.treatment) & (out.observer == "model:cho")].dprime.iloc[0]
        assert row.efficiency_vs_cho == pytest.approx((row.dprime / model) ** 2)
    # the location-known NPWE finds these lesions (amplitude 250 over texture and noise of SD 80 each)
    assert out[out.observer == "model:npwe"].auc.min() > 0.8
    assert (out[out.kind == "human"].note == "").all()


def test_dprime_roundtrip():
    from teleradlab.quality import auc_from_dprime

    for d in (0.3, 1.0, 2.2):
        assert dprime_from_auc(auc_from_dprime(d)) == pytest.approx(d, rel=1e-9)
    assert np.isfinite(dprime_from_auc(1.0))
