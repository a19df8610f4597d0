"""A reader study in one SQLite file: cases, images, each reader's worklist and every rating.

Every rating is committed in its own transaction the moment it is given (closing the
browser or killing the kernel loses nothing). The file uses write-ahead logging and
a busy timeout, so several readers (processes) can rate into the same store at once.
A rating is never overwritten: a second rating of the same reading by the same
reader is refused. The schema is versioned; a store written by a newer schema is
refused before anything is written to it.
"""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from teleradlab.readers.table import ReaderStudyError

__all__ = ["SCHEMA_VERSION", "Reading", "StudyStore"]

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cases (
    case_id TEXT PRIMARY KEY, truth INTEGER NOT NULL CHECK (truth IN (0, 1)),
    lesion_row REAL, lesion_col REAL, source TEXT);
CREATE TABLE IF NOT EXISTS readings (
    reading_id TEXT PRIMARY KEY, case_id TEXT NOT NULL REFERENCES cases(case_id),
    treatment TEXT NOT NULL, image BLOB, UNIQUE (case_id, treatment));
CREATE TABLE IF NOT EXISTS worklist (
    reader TEXT NOT NULL, position INTEGER NOT NULL, reading_id TEXT NOT NULL REFERENCES readings(reading_id),
    session INTEGER NOT NULL DEFAULT 1, PRIMARY KEY (reader, position), UNIQUE (reader, reading_id));
CREATE TABLE IF NOT EXISTS ratings (
    id INTEGER PRIMARY KEY AUTOINCREMENT, reader TEXT NOT NULL, reading_id TEXT NOT NULL
    REFERENCES readings(reading_id), rating REAL NOT NULL, time_s REAL, click_row REAL, click_col REAL,
    rated_utc TEXT NOT NULL, UNIQUE (reader, reading_id));
"""


@dataclass(frozen=True)
class Reading:
    """One item of a reader's worklist, as the reading widget sees it (no truth, no treatment name)."""

    reader: str
    position: int
    reading_id: str
    session: int


def _blob(image: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.asarray(image), allow_pickle=False)
    return buf.getvalue()


class StudyStore:
    """Open (or create) a reader-study store.

    Parameters
    ----------
    path : str or Path
        The SQLite file.
    timeout : float
        Seconds to wait for another writer's lock before failing.

    Raises
    ------
    ReaderStudyError
        The file was written by a newer schema (nothing is changed), or is not a
        teleradlab study store.

    Examples
    --------
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> s = StudyStore(os.path.join(d, "study.sqlite"))
    >>> s.add_cases([("c1", 1), ("c2", 0)])
    >>> s.add_readings([("r1", "c1", "orig", None), ("r2", "c2", "orig", None)])
    >>> s.assign("alice", ["r2", "r1"])
    >>> s.next_reading("alice").reading_id
    'r2'
    >>> s.rate("alice", "r2", 2.0, time_s=3.1)
    >>> s.to_table()[["reader", "treatment", "case", "truth", "rating"]].values.tolist()
    [['alice', 'orig', 'c2', 0, 2.0]]
    """

    def __init__(self, path: str | Path, *, timeout: float = 60.0) -> None:
        self.path = Path(path)
        existed = self.path.exists() and self.path.stat().st_size > 0
        self._con = sqlite3.connect(str(self.path), timeout=timeout, isolation_level=None)
        self._con.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        if existed:
            self._check_version()
        self._con.execute("PRAGMA journal_mode = WAL")
        self._con.execute("PRAGMA foreign_keys = ON")
        self._con.execute("PRAGMA synchronous = FULL")
        if not existed:
            with self._transaction():
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    self._con.execute(statement)
                self._con.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
                self._con.execute("INSERT OR IGNORE INTO meta VALUES ('created_utc', ?)",
                                  (datetime.now(UTC).isoformat(),))
            self._check_version()

    def _check_version(self) -> None:
        try:
            row = self._con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        except sqlite3.DatabaseError as exc:
            self._con.close()
            raise ReaderStudyError(f"not a teleradlab reader-study store ({exc})", where=str(self.path)) from exc
        if row is None:
            self._con.close()
            raise ReaderStudyError("not a teleradlab reader-study store (no schema version)", where=str(self.path))
        version = int(row[0])
        if version > SCHEMA_VERSION:
            self._con.close()
            raise ReaderStudyError(f"written by a newer teleradlab (schema {version}; this version reads up to "
                                   f"{SCHEMA_VERSION}); refusing to open it, nothing was changed",
                                   where=str(self.path))

    class _Tx:
        def __init__(self, con: sqlite3.Connection) -> None:
            self.con = con

        def __enter__(self) -> sqlite3.Connection:
            self.con.execute("BEGIN IMMEDIATE")
            return self.con

        def __exit__(self, exc_type, exc, tb) -> None:
            self.con.execute("ROLLBACK" if exc_type else "COMMIT")

    def _transaction(self) -> StudyStore._Tx:
        return StudyStore._Tx(self._con)

    def close(self) -> None:
        """Close the connection (all ratings are already committed)."""
        self._con.close()

    def __enter__(self) -> StudyStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        """The schema version recorded in the file."""
        return int(self._con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0])

    # ---- study content --------------------------------------------------------------------------------
    def add_cases(self, cases: Iterable[tuple]) -> None:
        """Add cases: tuples ``(case_id, truth)`` or ``(case_id, truth, lesion_row, lesion_col, source)``.

        Parameters
        ----------
        cases : iterable of tuple
            The cases; an existing case id is an error (nothing is replaced).
        """
        rows = [tuple(c) + (None,) * (5 - len(c)) for c in cases]
        with self._transaction() as con:
            for row in rows:
                try:
                    con.execute("INSERT INTO cases VALUES (?, ?, ?, ?, ?)", (str(row[0]), int(row[1]), *row[2:]))
                except sqlite3.IntegrityError as exc:
                    raise ReaderStudyError(f"cannot add case: {exc}", where=f"case={row[0]!r}") from exc

    def add_readings(self, readings: Iterable[tuple]) -> None:
        """Add readings ``(reading_id, case_id, treatment, image or None)``.

        Parameters
        ----------
        readings : iterable of tuple
            One per case and treatment; the image is stored as a NumPy array blob.
        """
        with self._transaction() as con:
            for rid, case, treatment, image in readings:
                if con.execute("SELECT 1 FROM cases WHERE case_id = ?", (str(case),)).fetchone() is None:
                    raise ReaderStudyError("unknown case", where=f"treatment={treatment!r}, case={case!r}")
                try:
                    con.execute("INSERT INTO readings VALUES (?, ?, ?, ?)",
                                (str(rid), str(case), str(treatment), None if image is None else _blob(image)))
                except sqlite3.IntegrityError as exc:
                    raise ReaderStudyError(f"cannot add reading {rid!r}: {exc}",
                                           where=f"treatment={treatment!r}, case={case!r}") from exc

    def assign(self, reader: str, reading_ids: Iterable[str], *, sessions: Iterable[int] | None = None) -> None:
        """Give ``reader`` a worklist (in reading order); sessions number the washout-separated blocks.

        Parameters
        ----------
        reader : str
            The reader's name.
        reading_ids : iterable of str
            Readings in the order they are to be read.
        sessions : iterable of int, optional
            The reading session of each item (default all 1).
        """
        ids = [str(r) for r in reading_ids]
        sess = list(sessions) if sessions is not None else [1] * len(ids)
        with self._transaction() as con:
            start = con.execute("SELECT COALESCE(MAX(position), 0) FROM worklist WHERE reader = ?",
                                (reader,)).fetchone()[0]
            for k, (rid, s) in enumerate(zip(ids, sess, strict=True)):
                if con.execute("SELECT 1 FROM readings WHERE reading_id = ?", (rid,)).fetchone() is None:
                    raise ReaderStudyError("unknown reading", where=f"reader={reader!r}, reading={rid!r}")
                try:
                    con.execute("INSERT INTO worklist VALUES (?, ?, ?, ?)", (reader, start + k + 1, rid, int(s)))
                except sqlite3.IntegrityError as exc:
                    raise ReaderStudyError("reading already on this reader's worklist",
                                           where=f"reader={reader!r}, reading={rid!r}") from exc

    # ---- reading ----------------------------------------------------------------------------------
    def readers(self) -> list[str]:
        """Readers with a worklist."""
        return [r[0] for r in self._con.execute("SELECT DISTINCT reader FROM worklist ORDER BY reader")]

    def progress(self, reader: str) -> tuple[int, int]:
        """(rated, total) readings on ``reader``'s worklist."""
        total = self._con.execute("SELECT COUNT(*) FROM worklist WHERE reader = ?", (reader,)).fetchone()[0]
        done = self._con.execute("SELECT COUNT(*) FROM ratings WHERE reader = ?", (reader,)).fetchone()[0]
        return int(done), int(total)

    def next_reading(self, reader: str) -> Reading | None:
        """The first reading on ``reader``'s worklist not yet rated (None when finished): resume is automatic."""
        row = self._con.execute(
            "SELECT w.position, w.reading_id, w.session FROM worklist w LEFT JOIN ratings r "
            "ON r.reader = w.reader AND r.reading_id = w.reading_id WHERE w.reader = ? AND r.id IS NULL "
            "ORDER BY w.position LIMIT 1", (reader,)).fetchone()
        return None if row is None else Reading(reader, int(row[0]), str(row[1]), int(row[2]))

    def unrated(self, reader: str) -> list[str]:
        """Reading IDs on ``reader``'s worklist not yet rated, in reading order."""
        rows = self._con.execute(
            "SELECT w.reading_id FROM worklist w LEFT JOIN ratings r ON r.reader = w.reader AND "
            "r.reading_id = w.reading_id WHERE w.reader = ? AND r.id IS NULL ORDER BY w.position", (reader,))
        return [str(r[0]) for r in rows]

    def image(self, reading_id: str) -> np.ndarray:
        """The stored image of a reading."""
        row = self._con.execute("SELECT image FROM readings WHERE reading_id = ?", (reading_id,)).fetchone()
        if row is None or row[0] is None:
            raise ReaderStudyError("no image stored for this reading", where=f"reading={reading_id!r}")
        return np.load(io.BytesIO(row[0]), allow_pickle=False)

    def rate(self, reader: str, reading_id: str, rating: float, *, time_s: float | None = None,
             click: tuple[float, float] | None = None) -> None:
        """Record one rating and commit it at once.

        Parameters
        ----------
        reader : str
            Who rated.
        reading_id : str
            The reading (de-identified case × treatment).
        rating : float
            The confidence rating (higher = more likely diseased).
        time_s : float, optional
            Seconds the reader spent on it.
        click : (row, col), optional
            Where the reader marked the lesion, in image pixels.

        Raises
        ------
        ReaderStudyError
            Unknown reading, or the reader already rated it (the stored rating is kept).
        """
        if not np.isfinite(rating):
            raise ReaderStudyError(f"rating must be a finite number, got {rating!r}",
                                   where=f"reader={reader!r}, reading={reading_id!r}")
        with self._transaction() as con:
            row = con.execute("SELECT case_id, treatment FROM readings WHERE reading_id = ?",
                              (reading_id,)).fetchone()
            if row is None:
                raise ReaderStudyError("rating for an unknown reading/case",
                                       where=f"reader={reader!r}, reading={reading_id!r}")
            dup = con.execute("SELECT rating FROM ratings WHERE reader = ? AND reading_id = ?",
                              (reader, reading_id)).fetchone()
            if dup is not None:
                raise ReaderStudyError(f"already rated {dup[0]:g}; ratings are never overwritten",
                                       where=f"reader={reader!r}, case={row[0]!r}, treatment={row[1]!r}")
            cr, cc = click if click is not None else (None, None)
            con.execute("INSERT INTO ratings (reader, reading_id, rating, time_s, click_row, click_col, rated_utc) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (reader, reading_id, float(rating), time_s, cr, cc, datetime.now(UTC).isoformat()))

    def add_ratings(self, table: pd.DataFrame) -> None:
        """Import ratings of an external tidy table (``reader, treatment, case, rating``[, ``time_s``]).

        Parameters
        ----------
        table : pandas.DataFrame
            Each row must name a known case and treatment.

        Raises
        ------
        ReaderStudyError
            A row for an unknown case or treatment, or a rating already stored;
            the reader, case and treatment are named. Rows before it stay committed.
        """
        lookup = {(str(c), str(t)): rid for rid, c, t in
                  self._con.execute("SELECT reading_id, case_id, treatment FROM readings")}
        for row in table.itertuples(index=False):
            key = (str(row.case), str(row.treatment))
            if key not in lookup:
                raise ReaderStudyError("rating for an unknown case or treatment",
                                       where=f"reader={row.reader!r}, case={row.case!r}, "
                                             f"treatment={row.treatment!r}")
            self.rate(str(row.reader), lookup[key], float(row.rating), time_s=getattr(row, "time_s", None))

    # ---- export ---------------------------------------------------------------------------------------
    def to_table(self) -> pd.DataFrame:
        """All ratings as a tidy table for :func:`~teleradlab.readers.mrmc` (and MRMCaov/RJafroc users).

        Returns
        -------
        pandas.DataFrame
            ``reader, treatment, case, truth, rating, time_s, click_row, click_col, lesion_row,
            lesion_col, rated_utc``.
        """
        return pd.read_sql_query(
            "SELECT r.reader, g.treatment, g.case_id AS 'case', c.truth, r.rating, r.time_s, r.click_row, "
            "r.click_col, c.lesion_row, c.lesion_col, r.rated_utc FROM ratings r "
            "JOIN readings g ON g.reading_id = r.reading_id JOIN cases c ON c.case_id = g.case_id "
            "ORDER BY r.reader, g.treatment, g.case_id", self._con)

    def readings(self) -> pd.DataFrame:
        """The readings (``reading_id, case_id, treatment``) without their images."""
        return pd.read_sql_query("SELECT reading_id, case_id, treatment FROM readings ORDER BY case_id, treatment",
                                 self._con)

    def cases(self) -> pd.DataFrame:
        """The cases with their truth and lesion position."""
        return pd.read_sql_query("SELECT * FROM cases ORDER BY case_id", self._con)
