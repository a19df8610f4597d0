from pathlib import Path

import numpy as np
import pytest

from teleradlab.files import (
    atomic_path,
    atomic_write_json,
    atomic_write_text,
    remove_stale_temporaries,
)


def test_atomic_write_replaces_whole(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "out.txt"
    atomic_write_text(target, "first")
    atomic_write_text(target, "second")
    assert target.read_text() == "second"
    assert [p.name for p in target.parent.iterdir()] == ["out.txt"]


def test_failure_leaves_old_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    atomic_write_text(target, "old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed mid-write")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_json_converts_numpy(tmp_path: Path) -> None:
    import json

    target = atomic_write_json(tmp_path / "x.json", {"a": np.float32(1.5), "b": np.arange(3)})
    assert json.loads(target.read_text()) == {"a": 1.5, "b": [0, 1, 2]}


def test_table_with_mixed_columns(tmp_path: Path) -> None:
    import pandas as pd

    from teleradlab.files import atomic_write_table

    df = pd.DataFrame({"param": [1, "a"], "metric": [0.5, 0.25]})
    pq, csv = atomic_write_table(df, tmp_path, "results")
    back = pd.read_parquet(pq)
    assert list(back["param"]) == ["1", "a"] and list(back["metric"]) == [0.5, 0.25]
    assert csv.read_text().splitlines()[0] == "param,metric"


def test_stale_temporaries_of_a_killed_write_are_removed(tmp_path) -> None:
    keep = tmp_path / "result.json"
    keep.write_text("{}")
    (tmp_path / ".hidden-config").write_text("not ours")
    with pytest.raises(KeyboardInterrupt), atomic_path(tmp_path / "x.json") as tmp:
        orphan = tmp.with_name(tmp.name.replace(".x.", ".y."))
        orphan.write_text("half")  # what a SIGKILLed writer would leave (it cannot clean up)
        raise KeyboardInterrupt
    assert orphan.exists() and not (tmp_path / "x.json").exists()
    assert remove_stale_temporaries(tmp_path) == [orphan]
    assert keep.exists() and (tmp_path / ".hidden-config").exists()


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_results_get_the_users_umask_not_0600(tmp_path: Path, umask: int) -> None:
    import os
    import stat

    old = os.umask(umask)
    try:
        written = atomic_write_text(tmp_path / "out.txt", "x")
        opened = tmp_path / "plain.txt"
        opened.write_text("x")  # what open() gives a new file under this umask: the independent reference
    finally:
        os.umask(old)
    assert stat.S_IMODE(written.stat().st_mode) == stat.S_IMODE(opened.stat().st_mode) == 0o666 & ~umask


def test_an_unwritable_destination_is_one_teleradlab_error(tmp_path: Path) -> None:
    """``simulate --out /proc/x`` once ended as an internal FileNotFoundError after the whole simulation."""
    from teleradlab.errors import TeleradlabError
    from teleradlab.files import atomic_write_text

    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    for target in (blocker / "sub" / "x.txt", Path("/proc/teleradlab-test/x.txt")):
        with pytest.raises(TeleradlabError, match=r"cannot write here") as err:
            atomic_write_text(target, "hello")
        assert str(err.value).startswith(str(target))
