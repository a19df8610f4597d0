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


def _datasets_copy(tmp_path, monkeypatch):
    """A datasets folder of its own ($TELERADLAB_DATASETS), and an unrelated, empty working folder."""
    from teleradlab import datasets

    ds = tmp_path / "ds"
    (ds / "scenarios").mkdir(parents=True)
    monkeypatch.setenv(datasets.ENV, str(ds))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    return ds, elsewhere


def test_build_and_verify_default_to_the_datasets_folder_not_the_working_folder(tmp_path, monkeypatch,
                                                                                  capsys) -> None:
    from teleradlab.cli import main

    ds, elsewhere = _datasets_copy(tmp_path, monkeypatch)
    assert main(["datasets", "build", "--ci"]) == 0
    out = capsys.readouterr().out
    assert str(ds / "generated") in out
    assert set(json.loads((ds / "generated" / "manifest.json").read_text())["samples"]) == set(SAMPLES)
    assert list(elsewhere.iterdir()) == []  # nothing silently written into the working folder
    assert main(["datasets", "verify"]) == 0 and "all files match" in capsys.readouterr().out
    # an explicit --out goes where it says, relative to the working folder as any path does
    assert main(["datasets", "verify", "--out", str(elsewhere / "nothing")]) == 1


def test_import_defaults_to_the_datasets_folder(tmp_path, monkeypatch, capsys) -> None:
    from teleradlab.cli import main
    from teleradlab.imaging import save_study, synthesize_study

    src = tmp_path / "src"
    save_study(synthesize_study("CR", seed=3, shape=(64, 64)), src)
    ds, elsewhere = _datasets_copy(tmp_path, monkeypatch)
    assert main(["datasets", "import", str(src), "case1", "--key-file", str(tmp_path / "k.key")]) == 0
    assert load_study(ds / "imported" / "case1").modality == "CR"
    assert list(elsewhere.iterdir()) == []


def test_unwritable_datasets_folder_is_one_clear_error(tmp_path, monkeypatch, capsys) -> None:
    from teleradlab.cli import main

    ds, elsewhere = _datasets_copy(tmp_path, monkeypatch)
    (ds / "generated").write_text("a file where the folder should be")  # works for root too, unlike chmod
    assert main(["datasets", "build", "--ci"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(ds / "generated") in err[0] and "--out" in err[0], err
    assert list(elsewhere.iterdir()) == []


def test_a_failed_import_leaves_no_staging_folder(tmp_path, monkeypatch) -> None:
    import pytest

    from teleradlab.errors import DicomError
    from teleradlab.imaging import study as study_module
    from teleradlab.imaging import synthesize_study
    from teleradlab.imaging.datasets import import_study

    real, calls = study_module.write_dataset, []

    def second_write_fails(ds, path, **kw):  # a disk that fills up after the first instance
        calls.append(path)
        if len(calls) == 2:
            raise DicomError("cannot write DICOM (No space left on device)", where=str(path))
        return real(ds, path, **kw)

    monkeypatch.setattr(study_module, "write_dataset", second_write_fails)
    study = synthesize_study("CT", seed=1, shape=(16, 16), n_images=3, lesions=0)
    with pytest.raises(DicomError, match="No space left"):
        import_study(study, "case", root=tmp_path, deidentify_study=False)
    assert len(calls) == 2 and list(tmp_path.iterdir()) == []


def test_import_names_with_control_characters_are_refused(tmp_path) -> None:
    import pytest

    from teleradlab.errors import DicomError
    from teleradlab.imaging.datasets import check_import_target

    for name in ("a\nb", "a\x01b", "tab\there", "del\x7f"):
        with pytest.raises(DicomError, match="invalid dataset name"):
            check_import_target(tmp_path, name)
    assert check_import_target(tmp_path, "chest-ct_2024.v2") == tmp_path / "chest-ct_2024.v2"
