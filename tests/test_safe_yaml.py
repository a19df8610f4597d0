"""The one YAML loader: alias bombs, deep nesting, oversized and non-UTF-8 files are refused quickly."""

from __future__ import annotations

import time

import pytest

from teleradlab.errors import ScenarioError, SweepError, TeleradlabError
from teleradlab.safe_yaml import MAX_DEPTH, load_yaml


def bomb(levels: int = 9, width: int = 9) -> str:
    """A billion-laughs document: each level lists the previous one ``width`` times."""
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    lines.append(f"description: *a{levels - 1}")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_fast(tmp_path) -> None:
    f = tmp_path / "bomb.yaml"
    f.write_text(bomb())
    assert len(f.read_bytes()) < 2000  # a kilobyte or two that expands to 9**9 = 387 million nodes
    start = time.monotonic()
    with pytest.raises(TeleradlabError, match="alias bomb") as err:
        load_yaml(f)
    assert time.monotonic() - start < 2
    assert str(f) in str(err.value)


def test_modest_aliases_still_work(tmp_path) -> None:
    f = tmp_path / "ok.yaml"
    f.write_text("base: &b {bandwidth_mbps: 10, rtt_ms: 5}\nlinks: [*b, *b]\n")
    assert load_yaml(f) == {"base": {"bandwidth_mbps": 10, "rtt_ms": 5}, "links": [{"bandwidth_mbps": 10,
                                                                                   "rtt_ms": 5}] * 2}


def test_recursive_alias_is_refused(tmp_path) -> None:
    f = tmp_path / "loop.yaml"
    f.write_text("a: &x [1, *x]\n")
    with pytest.raises(TeleradlabError, match="refused"):
        load_yaml(f)


@pytest.mark.parametrize("depth", [MAX_DEPTH + 5, 100_000])
def test_deep_nesting_is_refused(tmp_path, depth) -> None:
    f = tmp_path / "deep.yaml"
    f.write_text("x: " + "[" * depth + "]" * depth + "\n")
    with pytest.raises(TeleradlabError, match="nested deeper"):
        load_yaml(f)


def test_size_and_encoding(tmp_path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("# " + "x" * 2000 + "\n")
    with pytest.raises(TeleradlabError, match="larger than 1000 bytes"):
        load_yaml(big, max_bytes=1000)
    latin = tmp_path / "latin1.yaml"
    latin.write_bytes("name: ok\ndescription: Krankenhaus M\u00fcnchen\n".encode("latin-1"))
    with pytest.raises(TeleradlabError, match="not UTF-8") as err:
        load_yaml(latin)
    assert str(err.value).startswith(f"{latin}:2:")  # the line of the bad byte


def test_code_tags_stay_refused(tmp_path) -> None:
    f = tmp_path / "code.yaml"
    f.write_text("x: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(TeleradlabError, match="malformed YAML"):
        load_yaml(f)


def test_scenarios_and_sweep_specs_use_it(tmp_path) -> None:
    from teleradlab.network.scenario import load_scenario
    from teleradlab.sweep.spec import load_spec

    f = tmp_path / "bomb.yaml"
    f.write_text(bomb())
    with pytest.raises(ScenarioError, match="alias bomb"):
        load_scenario(f)
    with pytest.raises(SweepError, match="alias bomb"):
        load_spec(f)
    g = tmp_path / "latin1.yaml"
    g.write_bytes(b"name: M\xfcnchen\n")
    with pytest.raises(ScenarioError, match="not UTF-8"):
        load_scenario(g)


@pytest.mark.parametrize(("text", "words"), [
    ("start: 2026-02-30\n", "invalid value .*day is out of range"),  # a timestamp YAML resolves, Python cannot hold
    ("start: 0000-01-01\n", "invalid value .*year 0 is out of range"),
    ("name: a\x00b\n", "malformed YAML .*#x0000"),  # a control character the reader refuses
])
def test_values_python_cannot_hold_are_one_error(tmp_path, text, words) -> None:
    f = tmp_path / "x.yaml"
    f.write_text(text)
    with pytest.raises(ScenarioError, match=words) as err:
        load_yaml(f, error=ScenarioError)
    assert str(f) in str(err.value) and "\n" not in str(err.value)
