"""The course's data is found through the package from any folder, installed editable or not."""

from __future__ import annotations

import glob
import sys
import tomllib
from pathlib import Path

import pytest

from teleradlab import datasets
from teleradlab.errors import EnvironmentProblem, ParameterError, ScenarioError
from teleradlab.network import load_scenario

REPO = Path(__file__).resolve().parents[1]


def test_paths_resolve_from_any_folder(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(datasets.ENV, raising=False)
    assert datasets.root() == REPO / "datasets"
    assert datasets.path("scenarios/siberia_hub_spoke.yaml") == REPO / "datasets/scenarios/siberia_hub_spoke.yaml"
    assert datasets.scenario("siberia_hub_spoke") == datasets.scenario("siberia_hub_spoke.yaml")
    assert datasets.scenario_names() == sorted(p.stem for p in (REPO / "datasets/scenarios").glob("*.yaml"))
    assert datasets.notebook("00_welcome.ipynb") == REPO / "notebooks/00_welcome.ipynb"


def test_load_scenario_takes_bundled_names_and_says_what_exists(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_scenario("two_hospitals_one_hub").raw == load_scenario(
        REPO / "datasets/scenarios/two_hospitals_one_hub.yaml").raw
    with pytest.raises(ScenarioError, match="bundled: .*siberia_hub_spoke"):
        load_scenario("siberia")
    with pytest.raises(ScenarioError, match="no such scenario file"):
        load_scenario("../datasets/scenarios/siberia_hub_spoke.yaml")  # relative to the wrong folder


def test_bad_requests_are_clear_errors() -> None:
    with pytest.raises(ParameterError, match="without '..'"):
        datasets.path("../pyproject.toml")
    with pytest.raises(ParameterError, match="it holds: .*two_hospitals_one_hub.yaml"):
        datasets.path("scenarios/nope.yaml")
    with pytest.raises(ParameterError, match="known: europe_crossborder"):
        datasets.scenario("nope")
    with pytest.raises(EnvironmentProblem, match="the course has: 00_welcome.ipynb"):
        datasets.notebook("99_nope.ipynb")


def test_environment_variable_overrides_and_must_exist(tmp_path, monkeypatch) -> None:
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "mine.yaml").write_text("name: x\n")
    monkeypatch.setenv(datasets.ENV, str(tmp_path))
    assert datasets.scenario_names() == ["mine"]
    monkeypatch.setenv(datasets.ENV, str(tmp_path / "typo"))
    with pytest.raises(EnvironmentProblem, match="no such folder"):
        datasets.root()


def test_a_regular_install_uses_the_copy_under_share(tmp_path, monkeypatch) -> None:
    """Without a checkout beside the package, the data-files copy in <prefix>/share is used."""
    monkeypatch.delenv(datasets.ENV, raising=False)
    monkeypatch.setattr(datasets, "_CHECKOUT", tmp_path / "site-packages")
    prefix = tmp_path / "prefix"
    (prefix / "share/teleradlab/datasets/scenarios").mkdir(parents=True)
    monkeypatch.setattr(sys, "prefix", str(prefix))
    assert datasets.root() == prefix / "share/teleradlab/datasets"
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "empty"))
    monkeypatch.setattr(datasets.sysconfig, "get_paths", lambda: {"data": str(tmp_path / "empty")})
    monkeypatch.setattr(datasets.site, "USER_BASE", str(tmp_path / "empty"))
    with pytest.raises(EnvironmentProblem, match="not installed .*searched"):
        datasets.root()


def test_packaged_data_is_read_through_importlib_resources(tmp_path, monkeypatch) -> None:
    """From a checkout the checkout's table is read; without one, the copy inside the package, identically."""
    import pandas as pd

    from teleradlab.quality import guidelines

    assert datasets._PACKAGE_DIR == (REPO / "teleradlab").resolve()
    in_checkout = datasets.checkout_file("reference", "compression_guidelines.csv")
    assert in_checkout == (REPO / "datasets/reference/compression_guidelines.csv").resolve()
    assert datasets.checkout_file("reference", "no_such_table.csv") is None
    guidelines.table.cache_clear()
    try:
        from_checkout = guidelines.table()
        monkeypatch.setattr(datasets, "_CHECKOUT", tmp_path / "site-packages")
        assert datasets.checkout_file("reference", "compression_guidelines.csv") is None
        guidelines.table.cache_clear()
        packaged = guidelines.table()
    finally:
        guidelines.table.cache_clear()
    pd.testing.assert_frame_equal(packaged, pd.read_csv(REPO / "teleradlab/data/compression_guidelines.csv"))
    pd.testing.assert_frame_equal(packaged, from_checkout)


def test_pyproject_ships_every_tracked_data_file() -> None:
    """The wheel's data-files globs cover every scenario and reference table in the checkout."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["data-files"]
    shipped = {Path(f).relative_to("datasets") for patterns in config.values() for pat in patterns
               for f in glob.glob(pat, root_dir=REPO)}
    tracked = {p.relative_to(REPO / "datasets") for sub in ("scenarios", "reference")
               for p in (REPO / "datasets" / sub).iterdir()}
    assert tracked <= shipped, f"not shipped in a wheel: {sorted(map(str, tracked - shipped))}"
    for target, patterns in config.items():
        assert all(target == "share/teleradlab/" + str(Path(p).parent) for p in patterns)


def test_results_go_to_a_documented_git_ignored_folder(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv(datasets.RESULTS_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    assert datasets.results_dir.__doc__ and "results/<notebook>/" in datasets.results_dir.__doc__
    assert "results/" in (REPO / ".gitignore").read_text().splitlines()
    monkeypatch.setenv(datasets.RESULTS_ENV, str(tmp_path / "r"))
    folder = datasets.results_dir("07_parameter_sweeps")
    assert folder == tmp_path / "r" / "07_parameter_sweeps" and folder.is_dir()
    (folder / "old.csv").write_text("x")
    assert datasets.results_dir("07_parameter_sweeps").joinpath("old.csv").exists()  # kept by default
    assert not datasets.results_dir("07_parameter_sweeps", fresh=True).joinpath("old.csv").exists()
    with pytest.raises(ParameterError, match="plain notebook name"):
        datasets.results_dir("../elsewhere")
