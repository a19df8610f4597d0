"""Study design and the SQLite study store: concurrency, durability, refusals."""

from __future__ import annotations

import multiprocessing as mp
import os
import sqlite3

import numpy as np
import pandas as pd
import pytest

from teleradlab.errors import ParameterError
from teleradlab.readers.design import design, synthetic_cases
from teleradlab.readers.mrmc import mrmc
from teleradlab.readers.store import SCHEMA_VERSION, StudyStore
from teleradlab.readers.table import ReaderStudyError


@pytest.fixture(scope="module")
def cases():
    return synthetic_cases(12, roi=48, seed=5)


def test_synthetic_cases_truth_and_lesion(cases):
    assert sum(c.truth for c in cases) == 6
    assert all(c.image.dtype == np.uint16 and c.image.shape == (48, 48) for c in cases)
    assert all((c.lesion is None) == (c.truth == 0) for c in cases)
    # with a lesion far above the noise, the brightest pixel is where the truth says
    bright = synthetic_cases(8, roi=48, seed=5, amplitude=1500, background="white")
    for c in bright[:4]:
        peak = np.unravel_index(np.argmax(c.image), c.image.shape)
        assert np.hypot(peak[0] - c.lesion[0], peak[1] - c.lesion[1]) <= 2.5


def test_crossed_design_washout_and_blinding(cases):
    d = design(cases, ["original", "jpeg2000:10"], readers=["ann", "bob", "cy"], seed=1)
    w = d.worklists.merge(d.readings, on="reading_id")
    assert len(w) == 3 * 12 * 2
    for _reader, g in w.groupby("reader"):
        # each case once per session, its two treatments in different sessions a washout apart
        assert (g.groupby(["session", "case"]).size() == 1).all()
        assert (g.groupby("case").session.nunique() == 2).all()
        assert set(g.day) == {0.0, 28.0}
        assert (g.groupby("session").treatment.nunique() == 2).all()  # both treatments mixed in a session
    orders = [tuple(g.sort_values("position").reading_id) for _, g in w.groupby("reader")]
    assert len(set(orders)) == 3  # randomised per reader
    # de-identified: ids reveal neither truth, treatment nor source
    for rid in d.readings.reading_id:
        assert rid.startswith("read-") and len(rid) == 13
    assert not set(d.cases.case) & {c.source_id for c in cases}
    ratios = d.readings.set_index("treatment").ratio
    assert ratios["original"].eq(1).all() and ratios["jpeg2000:10"].between(7, 13).all()


def test_split_plot_refused_by_crossed_analysis(cases, tmp_path):
    d = design(cases, ["original", "jpeg2000:10"], readers=4, layout="split-plot", groups=2, seed=2)
    w = d.worklists.merge(d.readings, on="reading_id")
    assert w.groupby("reader").case.nunique().eq(6).all()
    store = d.save(tmp_path / "sp.sqlite")
    rng = np.random.default_rng(0)
    for reader in store.readers():
        while (item := store.next_reading(reader)) is not None:
            store.rate(reader, item.reading_id, float(rng.integers(1, 6)))
    with pytest.raises(ReaderStudyError, match=r"reader='reader0\d', treatment='.*', case='case-.*fully crossed"):
        mrmc(store.to_table())


def _rate_all(path: str, reader: str, seed: int) -> int:
    store = StudyStore(path, timeout=120)
    rng = np.random.default_rng(seed)
    n = 0
    while (item := store.next_reading(reader)) is not None:
        store.rate(reader, item.reading_id, float(rng.integers(1, 6)), time_s=0.1)
        n += 1
    store.close()
    return n


def test_concurrent_writers(cases, tmp_path):
    path = str(tmp_path / "study.sqlite")
    d = design(cases, ["original", "jpeg2000:10"], readers=4, seed=3)
    d.save(path).close()
    ctx = mp.get_context("fork")
    with ctx.Pool(4) as pool:
        counts = pool.starmap(_rate_all, [(path, f"reader{j + 1:02d}", j) for j in range(4)])
    assert counts == [24] * 4
    with StudyStore(path) as store:
        table = store.to_table()
        assert len(table) == 96 and store.progress("reader03") == (24, 24)
        assert table.groupby(["reader", "treatment", "case"]).size().max() == 1
        res = mrmc(table)
        assert set(res.treatments.treatment) == {"original", "jpeg2000:10"}
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def _rate_then_die(path: str, reader: str, k: int) -> None:
    store = StudyStore(path)
    for _ in range(k):
        item = store.next_reading(reader)
        store.rate(reader, item.reading_id, 3.0)
    os._exit(0)  # as if the kernel were killed: no close, no cleanup


def test_killed_reader_loses_nothing_and_resumes(cases, tmp_path):
    path = str(tmp_path / "k.sqlite")
    design(cases, ["original"], readers=["ann"], seed=4).save(path).close()
    p = mp.get_context("fork").Process(target=_rate_then_die, args=(path, "ann", 5))
    p.start()
    p.join(60)
    with StudyStore(path) as store:
        assert store.progress("ann") == (5, 12)
        assert store.next_reading("ann").position == 6


def test_refusals_name_reader_case_treatment(cases, tmp_path):
    store = design(cases, ["original"], readers=["ann"], seed=4).save(tmp_path / "r.sqlite")
    item = store.next_reading("ann")
    store.rate("ann", item.reading_id, 4.0)
    with pytest.raises(ReaderStudyError, match=r"reader='ann', case='case-.*', treatment='original'.*never overwritten"):
        store.rate("ann", item.reading_id, 1.0)
    assert store.to_table().rating.tolist() == [4.0]
    with pytest.raises(ReaderStudyError, match="reader='ann', reading='nope'.*unknown"):
        store.rate("ann", "nope", 1.0)
    bad = pd.DataFrame({"reader": ["bob"], "treatment": ["original"], "case": ["case-unknown"], "rating": [2]})
    with pytest.raises(ReaderStudyError, match=r"reader='bob', case='case-unknown', treatment='original'"):
        store.add_ratings(bad)


def test_newer_schema_refused_untouched(tmp_path):
    path = tmp_path / "new.sqlite"
    StudyStore(path).close()
    con = sqlite3.connect(path)
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    con.commit()
    con.close()
    before = path.read_bytes()
    with pytest.raises(ReaderStudyError, match=f"newer teleradlab \\(schema {SCHEMA_VERSION + 1}.*nothing was changed"):
        StudyStore(path)
    assert path.read_bytes() == before


def test_design_bad_parameters(cases):
    with pytest.raises(ParameterError, match="layout"):
        design(cases, ["original"], readers=2, layout="nested")
    with pytest.raises(ParameterError, match="distinct treatments"):
        design(cases, ["original", "original"], readers=2)
    with pytest.raises(ParameterError, match="codec"):
        design(cases, ["jpeg2000:fast"], readers=2)


def test_dicom_cases_with_truth_table(native, tmp_path):
    from pydicom.uid import ExplicitVRLittleEndian

    from teleradlab.readers.design import dicom_cases

    paths = []
    for k in range(4):
        ds = native(12, False, seed=k)
        ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        path = tmp_path / f"img{k}.dcm"
        ds.save_as(path, enforce_file_format=True)
        paths.append(str(path))
    truth = pd.DataFrame({"path": paths, "truth": [1, 0, 1, 0], "case": ["P1", "P2", "P3", "P4"],
                          "lesion_row": [10.0, np.nan, 40.0, np.nan], "lesion_col": [20.0, np.nan, 30.0, np.nan]})
    cases = dicom_cases(truth)
    assert [c.truth for c in cases] == [1, 0, 1, 0]
    assert cases[0].lesion == (10.0, 20.0) and cases[1].lesion is None
    assert cases[0].image.shape == (96, 80)
    d = design(cases, ["original", "jpeg2000:8"], readers=2, seed=1)
    assert sorted(d.cases.source) == ["P1", "P2", "P3", "P4"]
    assert not set(d.cases.case) & {"P1", "P2", "P3", "P4"}
    assert d.readings.groupby("treatment").size().tolist() == [4, 4]
    bad = truth.assign(truth=[1, 2, 0, 0])
    with pytest.raises(ReaderStudyError, match=r"truth row 1 .*img1.dcm.*0 or 1"):
        dicom_cases(bad)
    with pytest.raises(ReaderStudyError, match="'path' column"):
        dicom_cases(truth.drop(columns="path"))


def _save(ds, path):
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.save_as(path, enforce_file_format=True)
    return str(path)


def test_dicom_cases_refuse_undecodable_and_multiframe_files(native, tmp_path):
    """Pixel data a decoder rejects is one DicomError naming the file, not the codec library's exception."""
    from pydicom.encaps import encapsulate
    from pydicom.uid import JPEGBaseline8Bit

    from teleradlab.errors import DicomError
    from teleradlab.readers.design import dicom_cases

    good = _save(native(12, False, seed=0), tmp_path / "good.dcm")
    broken = native(8, False, seed=1)
    broken.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    broken.PixelData = encapsulate([b"\xff\xd8 not a JPEG codestream \xff\xd9"])
    broken["PixelData"].VR = "OB"
    bad = _save(broken, tmp_path / "broken.dcm")
    with pytest.raises(DicomError, match="broken.dcm") as err:
        dicom_cases(pd.DataFrame({"path": [good, bad], "truth": [0, 1]}))
    assert "Traceback" not in str(err.value) and "\n" not in str(err.value)
    multi = _save(native(12, False, frames=3, seed=2), tmp_path / "multi.dcm")
    with pytest.raises(ReaderStudyError, match=r"truth row 1 .*multi.dcm.*single-frame.*\(3, 96, 80\)"):
        dicom_cases(pd.DataFrame({"path": [good, multi], "truth": [0, 1]}))


def test_not_a_store_refused(tmp_path):
    path = tmp_path / "notes.sqlite"
    path.write_bytes(b"these are my notes, not a database" * 100)
    before = path.read_bytes()
    with pytest.raises(ReaderStudyError, match="not a teleradlab reader-study store"):
        StudyStore(path)
    assert path.read_bytes() == before
    other = tmp_path / "other.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    with pytest.raises(ReaderStudyError, match="not a teleradlab reader-study store"):
        StudyStore(other)
