"""Atomic writes: results appear whole or not at all.

Every result teleradlab writes (tables, JSON, DICOM, figures) goes through these
helpers: the data is written to a temporary file in the destination folder, flushed
to disk, then renamed over the destination, which POSIX guarantees to be atomic.
A process killed at any moment leaves either the old file or the new one, never a
half-written file.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path to write; rename it onto ``path`` on success.

    Parameters
    ----------
    path : path-like
        The final destination. Its parent folder is created if missing.

    Yields
    ------
    Path
        A temporary file in the same folder (same file system, so the final
        rename is atomic). On an exception it is removed and ``path`` is untouched.
        The file gets the permissions of any new file (``0666`` less the umask),
        not ``mkstemp``'s private ``0600``.

    Raises
    ------
    TeleradlabError
        The folder cannot be created or written (naming ``path`` and the reason).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_path(d / "x.txt") as tmp:
    ...     _ = tmp.write_text("hello")
    >>> (d / "x.txt").read_text()
    'hello'
    """
    dest = Path(path)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.stem}.", suffix=f".tmp{dest.suffix}", dir=dest.parent)
    except OSError as exc:  # a read-only or virtual file system (/proc), no permission, a file in the path
        from teleradlab.errors import TeleradlabError, one_line

        raise TeleradlabError(f"cannot write here ({one_line(exc)})", where=str(dest)) from None
    # mkstemp creates 0600 files; a result must get the permissions any new file
    # of this user gets (0666 less the umask), as open() would have given it.
    os.fchmod(fd, 0o666 & ~_umask())
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def _umask() -> int:
    """The process's umask: from /proc on Linux, else by setting it and putting it straight back."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def remove_stale_temporaries(folder: str | os.PathLike[str]) -> list[Path]:
    """Delete the temporary files that writes killed midway (SIGKILL, power loss) left in ``folder``.

    :func:`atomic_path` names them ``.<stem>.<random>.tmp<suffix>``; a process that dies
    before its rename cannot remove its own. Call this only when no other process is
    writing into ``folder`` (for example when resuming a sweep).

    Parameters
    ----------
    folder : path-like

    Returns
    -------
    list of Path
        What was removed.
    """
    removed = []
    for f in Path(folder).glob(".*.tmp*"):
        if f.is_file():
            f.unlink(missing_ok=True)
            removed.append(f)
    return removed


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically and return the path."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically and return the path."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike[str], obj: Any, *, indent: int = 2) -> Path:
    """Write ``obj`` as JSON to ``path`` atomically and return the path.

    NumPy scalars and arrays are converted to plain Python numbers and lists.
    """
    return atomic_write_text(path, json.dumps(obj, indent=indent, default=_json_default) + "\n")


def _json_default(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def atomic_write_table(df: Any, folder: str | os.PathLike[str], stem: str) -> tuple[Path, Path]:
    """Write a pandas DataFrame as ``<stem>.parquet`` and ``<stem>.csv`` in ``folder``, each atomically.

    Object columns holding mixed values (a sweep's parameters may be numbers in one
    row and strings in another) are written to Parquet as text; CSV keeps them as they are.

    Returns
    -------
    (Path, Path)
        The Parquet and CSV files.
    """
    folder = Path(folder)
    mixed = {c: str for c in df.columns if df[c].dtype == object
             and df[c].map(lambda v: type(v).__name__).nunique() > 1}
    with atomic_path(folder / f"{stem}.parquet") as tmp:
        df.astype(mixed).to_parquet(tmp, index=False)
    with atomic_path(folder / f"{stem}.csv") as tmp:
        df.to_csv(tmp, index=False)
    return folder / f"{stem}.parquet", folder / f"{stem}.csv"
