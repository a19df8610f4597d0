import json

from teleradlab.imaging import load_study
from teleradlab.imaging.datasets import SAMPLES, build_datasets, verify_datasets


def test_build_is_deterministic_with_manifest(tmp_path) -> None:
    m1 = json.loads(build_datasets(tmp_path / "a", ci=True).read_text())
    m2 = json.loads(build_datasets(tmp_path / "b", ci=True).read_text())
    assert set(m1["samples"]) == set(SAMPLES)
    for name in SAMPLES:
        assert m1["samples"][name]["files"] == m2["samples"][name]["files"]
    assert verify_datasets(tmp_path / "a") == []
    study = load_study(tmp_path / "a" / "ct_chest_abdomen")
    assert study.truth and study.modality == "CT"
    victim = next((tmp_path / "a" / "mr_brain").rglob("I*"))
    victim.write_bytes(victim.read_bytes()[:-10] + b"0123456789")
    assert any("checksum differs" in p for p in verify_datasets(tmp_path / "a"))
