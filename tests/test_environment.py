"""pyproject.toml and environment.yml must agree on the runtime dependencies."""

import re
import tomllib

import yaml

#: conda-forge names that differ from PyPI names.
CONDA_TO_PYPI = {"python-tzdata": "tzdata"}


def _split(req: str) -> tuple[str, str | None]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*(?:>=\s*([^,;\s]+))?", req)
    assert m, req
    return m.group(1).lower().replace("_", "-"), m.group(2)


def test_pyproject_and_environment_agree(repo_root) -> None:
    project = tomllib.loads((repo_root / "pyproject.toml").read_text())["project"]
    pypi = dict(_split(r) for r in project["dependencies"])
    env = yaml.safe_load((repo_root / "environment.yml").read_text())
    conda: dict[str, str | None] = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            for req in dep.get("pip", []):
                if not req.startswith("-e"):
                    name, low = _split(req)
                    conda[name] = low
            continue
        name, low = _split(dep)
        if name in ("python", "pip"):
            continue
        conda[CONDA_TO_PYPI.get(name, name)] = low
    assert set(pypi) == set(conda), (
        f"only in pyproject: {sorted(set(pypi) - set(conda))}; only in environment.yml: {sorted(set(conda) - set(pypi))}"
    )
    differing = {n: (pypi[n], conda[n]) for n in pypi if pypi[n] != conda[n]}
    assert not differing, f"minimum versions differ (pyproject, environment.yml): {differing}"
    assert any(isinstance(d, dict) and "-e ." in d.get("pip", []) for d in env["dependencies"])


def test_python_floor(repo_root) -> None:
    project = tomllib.loads((repo_root / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.11"
