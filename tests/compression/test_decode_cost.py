"""Decode cost: measured on this machine, with intervals, never a cached array timed by mistake."""

from __future__ import annotations

import numpy as np
import pytest

from teleradlab.compression import decode_cost
from teleradlab.errors import CodecError, ParameterError


@pytest.fixture(scope="module")
def table():
    return decode_cost.decode_benchmark(modalities=["MR"], codecs=["uncompressed", "rle", "jpeg-baseline",
                                                                   "htj2k"],
                                        repeats=3, min_seconds=0, cache=False, show_progress=False)


def test_rows_intervals_and_throughput(table):
    assert list(table.columns) == list(decode_cost.COLUMNS)
    assert set(table.codec) == {"uncompressed", "rle", "htj2k"}
    assert (table.ms_ci_low <= table.ms_per_frame).all() and (table.ms_per_frame <= table.ms_ci_high).all()
    assert (table.repeats >= 3).all()
    # throughput is the decoded frame (256 x 256 x 16 bit) over the mean time
    expected = 256 * 256 * 2 / 1e6 / (table.ms_per_frame / 1000)
    np.testing.assert_allclose(table.mb_per_s, expected, rtol=1e-12)
    lossy = table[table.codec == "htj2k"].iloc[0]
    assert abs(lossy.ratio - decode_cost.LOSSY_RATIO) / decode_cost.LOSSY_RATIO <= 0.05
    assert table[table.codec == "uncompressed"].ratio.iloc[0] == 1.0


def test_what_cannot_be_measured_is_listed_with_its_reason(table):
    skipped = table.attrs["skipped"]
    assert [(s["codec"], s["modality"]) for s in skipped] == [("jpeg-baseline", "MR")]
    assert "8-bit" in skipped[0]["reason"]
    prov = table.attrs["provenance"]
    assert prov["cpus"] and prov["versions"]["pydicom"] and prov["date"].endswith("Z")


def test_every_timed_run_decodes_afresh(monkeypatch):
    """pydicom caches pixel_array on a dataset; the benchmark must time the decoder every time."""
    from teleradlab.imaging import decode
    from teleradlab.imaging.synth import synthesize_study

    calls = []
    real = decode.decode_pixels

    def counting(ds):
        calls.append(ds)  # kept alive, so that no two of them can share an id
        return real(ds)

    monkeypatch.setattr(decode, "decode_pixels", counting)
    ds = synthesize_study("MR", seed=2, shape=(32, 32), n_images=1, lesions=0).datasets[0]
    times = decode_cost._time_decode(ds, repeats=4, min_seconds=0)
    assert times.size == 4 and len(calls) == 5  # one warm-up, four timed
    assert len({id(d) for d in calls}) == 5  # a freshly parsed dataset each time


def test_round_trip_through_files_keeps_provenance(table, tmp_path):
    path = decode_cost.write_table(table, tmp_path / "decode.csv")
    back = decode_cost.read_table(path)
    assert back.attrs["provenance"] == table.attrs["provenance"]
    assert back.attrs["skipped"] == table.attrs["skipped"]
    assert decode_cost.ms_per_frame("htj2k", "mr", table=back) == pytest.approx(
        float(table[table.codec == "htj2k"].ms_per_frame.iloc[0]))
    with pytest.raises(CodecError, match="no decode time for jpeg2000 on MR"):
        decode_cost.ms_per_frame("jpeg2000", "MR", table=back)


def test_shipped_table_covers_every_codec_and_names_its_machine(monkeypatch, tmp_path):
    from teleradlab.compression import codecs

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # nothing measured here: the shipped table
    shipped = decode_cost.decode_table()
    assert shipped.attrs["source"].endswith("decode_benchmark.csv")
    assert shipped.attrs["provenance"]["versions"]["imagecodecs"]
    for mod in decode_cost.MODALITIES:
        have = set(shipped[shipped.modality == mod].codec)
        skipped = {s["codec"] for s in shipped.attrs["skipped"] if s["modality"] == mod}
        assert {c.name for c in codecs(available_only=False)} | {"uncompressed"} <= have | skipped, mod
    with pytest.raises(ParameterError, match="nothing measured here"):
        decode_cost.decode_table(measured=True)


def test_bad_arguments_name_the_parameter():
    with pytest.raises(ParameterError, match="repeats"):
        decode_cost.decode_benchmark(repeats=1, cache=False)
    with pytest.raises(ParameterError, match="codecs"):
        decode_cost.decode_benchmark(codecs=["nonesuch"], cache=False)
