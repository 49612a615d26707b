"""The collection's source of truth: one SQLite file with letters, clauses and their embeddings.

Everything the search indexes hold (BM25 postings, the vector index) is *derived* from this file
and can be rebuilt from it without re-embedding: each clause row keeps its search tokens
(accented and folded) and its embedding as a float32 BLOB.

Writes are one transaction per letter and bump ``meta.generation``; the derived folder records
the generation it was built from, so a crash between the commit and the save is detected on the
next open (see :mod:`index.derived`). WAL mode lets searches read while an ingest writes.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import logging
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from congvan.index.letter_context import header_tokens
from congvan.index.windows import clause_windows
from congvan.index.windows import pack as pack_windows
from congvan.index.windows import unpack as unpack_windows
from congvan.letters.diseases import clause_diseases
from congvan.letters.schema import Clause, Letter
from congvan.letters.text import fold
from congvan.models.artifacts import ArtifactError

log = logging.getLogger(__name__)

#: Bump when the table layout changes; an older file is refused with a rebuild hint.
SCHEMA_VERSION = 1
DB_NAME = "collection.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS letters (
    doc_id    TEXT PRIMARY KEY,
    source    TEXT,
    year      INTEGER,
    month     INTEGER,
    day       INTEGER,
    province  TEXT,
    issuer    TEXT,
    doc_type  TEXT,
    number    TEXT,
    subject   TEXT,
    n_clauses INTEGER NOT NULL,
    fingerprint TEXT,             -- digest of the parsed + tagged letter (see letter_fingerprint)
    header    TEXT,               -- header search tokens (index.letter_context), space-separated
    header_folded TEXT,           -- the same without tones (NULL: analyse the metadata)
    metadata  TEXT NOT NULL,      -- Letter.document_dict() as JSON
    body      TEXT NOT NULL,      -- the normalised letter text
    added     REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS letters_source ON letters(source);
CREATE INDEX IF NOT EXISTS letters_year ON letters(year, month);
CREATE INDEX IF NOT EXISTS letters_added ON letters(doc_id, added);  -- letter_stamps without the rows
CREATE TABLE IF NOT EXISTS clauses (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: derived indexes key on it
    doc_id        TEXT NOT NULL REFERENCES letters(doc_id),
    clause_id     TEXT NOT NULL,
    path          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    ord           INTEGER NOT NULL,
    text          TEXT NOT NULL,
    heading       TEXT,
    themes        TEXT NOT NULL,  -- [{"id", "score"}]
    lead          TEXT NOT NULL,  -- ["so_y_te", ...]
    support       TEXT NOT NULL,
    mentions      TEXT NOT NULL,
    diseases      TEXT NOT NULL DEFAULT '[]',  -- ["dengue", ...] (taxonomy v2, added to older files on open)
    tokens        TEXT NOT NULL,  -- accented search tokens, space-separated
    tokens_folded TEXT NOT NULL,  -- the same tokens without tones
    embedding     BLOB NOT NULL,  -- float32 little-endian, length dim
    -- window vectors of a long clause (index.windows): k x dim float32, NULL if none
    windows       BLOB
);
CREATE INDEX IF NOT EXISTS clauses_doc ON clauses(doc_id);
-- clauses holding each search token (folded 0: accented stream, 1: folded), valid while meta has
-- 'token_counts' (Store.token_counts)
CREATE TABLE IF NOT EXISTS token_counts (
    token TEXT NOT NULL, folded INTEGER NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (token, folded)
) WITHOUT ROWID;
"""


#: ``data_hash``'s inputs, kept in ``meta`` by triggers in the same transaction as every insert
#: and delete (whichever code writes), so reading them costs nothing at any size: clause count,
#: sum of row ids, sum of their squares (mod 2⁶¹−1, no overflow) and letter count.
_FP_MOD = 2**61 - 1
_FINGERPRINT_KEYS = ("clause_count", "clause_id_sum", "clause_id_sq", "letter_count")
_TRIGGERS = (
    f"""CREATE TRIGGER IF NOT EXISTS clauses_fingerprint_insert AFTER INSERT ON clauses BEGIN
        UPDATE meta SET value = CASE key
            WHEN 'clause_count' THEN CAST(value AS INTEGER) + 1
            WHEN 'clause_id_sum' THEN CAST(value AS INTEGER) + NEW.id
            ELSE (CAST(value AS INTEGER) + NEW.id * NEW.id % {_FP_MOD}) % {_FP_MOD} END
        WHERE key IN ('clause_count', 'clause_id_sum', 'clause_id_sq'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS clauses_fingerprint_delete AFTER DELETE ON clauses BEGIN
        UPDATE meta SET value = CASE key
            WHEN 'clause_count' THEN CAST(value AS INTEGER) - 1
            WHEN 'clause_id_sum' THEN CAST(value AS INTEGER) - OLD.id
            ELSE (CAST(value AS INTEGER) - OLD.id * OLD.id % {_FP_MOD} + {_FP_MOD}) % {_FP_MOD} END
        WHERE key IN ('clause_count', 'clause_id_sum', 'clause_id_sq'); END""",
    """CREATE TRIGGER IF NOT EXISTS letters_fingerprint_insert AFTER INSERT ON letters BEGIN
        UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'letter_count'; END""",
    """CREATE TRIGGER IF NOT EXISTS letters_fingerprint_delete AFTER DELETE ON letters BEGIN
        UPDATE meta SET value = CAST(value AS INTEGER) - 1 WHERE key = 'letter_count'; END""",
)


def _fingerprint_values(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """The fingerprint counters computed from the rows (once, for a file written before the
    triggers existed)."""
    count, total, squares = 0, 0, 0
    for (cid,) in conn.execute("SELECT id FROM clauses"):
        count, total, squares = count + 1, total + cid, (squares + cid * cid % _FP_MOD) % _FP_MOD
    letters = conn.execute("SELECT count(*) FROM letters").fetchone()[0]
    return list(zip(_FINGERPRINT_KEYS, map(str, (count, total, squares, letters))))


class ClauseNotFound(KeyError):
    """No clause with this ``clause_id`` is stored."""

    def __str__(self) -> str:
        return f"no clause with clause_id {self.args[0]!r} in this index"


class DocumentNotFound(KeyError):
    """No letter with this ``doc_id`` is stored (a ``KeyError`` whose message says which)."""

    def __init__(self, doc_id: str) -> None:
        super().__init__(doc_id)
        self.doc_id = doc_id

    def __str__(self) -> str:
        return f"no document with doc_id {self.doc_id!r} in this collection"


@dataclass(frozen=True)
class ClauseRow:
    """What the store needs for one clause besides the parsed ``Clause``."""

    clause: Clause
    tokens: Sequence[str]
    tokens_folded: Sequence[str]
    embedding: np.ndarray
    #: (k, dim) vectors of the clause's windows (``index.windows``); None or k = 0: none
    windows: np.ndarray | None = None


@dataclass(frozen=True)
class ClauseMetaRow:
    """One live clause's filter metadata (read in bulk for the search snapshot)."""

    id: int
    doc_id: str
    kind: str
    themes: list[str]
    lead: list[str]
    support: list[str]
    diseases: list[str] = field(default_factory=list)


@dataclass
class Changes:
    """What committed writes touched (clause row ids, letter doc ids), so the derived structures
    can re-read only those; ``full`` when a write touched everything (re-embedding)."""

    rows: set[int] = field(default_factory=set)
    letters: set[str] = field(default_factory=set)
    full: bool = False

    def merge(self, other: Changes) -> None:
        self.rows |= other.rows
        self.letters |= other.letters
        self.full |= other.full


#: Generations of change records a store keeps in memory (a batch of more letters, or an older
#: snapshot, reads the filter table from every row instead).
CHANGE_LOG_SIZE = 4096


def letter_fingerprint(letter: Letter) -> str:
    """Digest of everything stored for a letter except its file name: same text and same tags
    give the same fingerprint; a retagged letter (new tagger model) a different one."""
    data = letter.to_dict()
    data["document"].pop("source", None)
    return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def _chunks(values: list, size: int = 900) -> Iterator[list]:
    """``values`` in slices that fit SQLite's limit on bound parameters."""
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _stored_header(document: dict[str, Any]) -> tuple[str | None, str | None]:
    """A letter's header tokens as stored (space-joined); NULLs when a token would not survive
    the split (then they are analysed from the metadata when read)."""
    tokens = header_tokens(document)
    folded = [fold(t) for t in tokens]
    if not all(t and len(t.split()) == 1 for t in (*tokens, *folded)):
        return None, None
    return " ".join(tokens), " ".join(folded)


def _fill_diseases(conn: sqlite3.Connection) -> None:
    """Once, for a file written before clauses had diseases: each clause's diseases as the
    parser assigns them (named in its text, else its letter's), so the disease filter and facet
    work on letters stored earlier without re-ingesting them."""
    subjects = {d: json.loads(m).get("subject") for d, m in conn.execute("SELECT doc_id, metadata FROM letters")}
    updates: list[tuple[str, int]] = []
    rows = conn.execute("SELECT doc_id, id, text FROM clauses ORDER BY doc_id, ord, id")
    for doc_id, group in itertools.groupby(rows, key=lambda r: r[0]):
        clauses = list(group)
        found = clause_diseases([r[2] for r in clauses], subjects.get(doc_id))
        updates.extend((_json(d), r[1]) for r, d in zip(clauses, found) if d)
    if updates:
        log.info("stored clauses: diseases filled for %d of them (a file from before the column)", len(updates))
        conn.executemany("UPDATE clauses SET diseases = ? WHERE id = ?", updates)


def _token_counts(streams: Iterable[tuple[str, str]]) -> Counter[tuple[str, int]]:
    """Clauses per (token, folded) from the stored (accented, folded) token strings of clauses."""
    counts: Counter[tuple[str, int]] = Counter()
    for accented, folded in streams:
        counts.update((t, 0) for t in set(accented.split()))
        counts.update((t, 1) for t in set(folded.split()))
    return counts


def _fill_token_counts(conn: sqlite3.Connection) -> None:
    """(Re)count ``token_counts`` from every stored clause (once per file, or after a writer that
    does not keep the counts)."""
    conn.execute("DELETE FROM token_counts")
    counts = _token_counts(conn.execute("SELECT tokens, tokens_folded FROM clauses"))
    conn.executemany("INSERT INTO token_counts(token, folded, n) VALUES (?, ?, ?)",
                     ((t, f, n) for (t, f), n in counts.items()))
    conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('token_counts', '1')")


def _json(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


_META_COLS = "id, doc_id, kind, themes, lead, support, diseases"


def _meta_row(row: tuple) -> ClauseMetaRow:
    """A ``ClauseMetaRow`` from a row of ``_META_COLS``."""
    cid, doc, kind, themes, lead, support, diseases = row
    return ClauseMetaRow(cid, doc, kind, [t["id"] for t in json.loads(themes)], json.loads(lead),
                         json.loads(support), json.loads(diseases))


def _blob(vector: np.ndarray, dim: int) -> bytes:
    vec = np.asarray(vector, dtype="<f4").reshape(-1)
    if vec.shape[0] != dim:
        raise ValueError(f"embedding has {vec.shape[0]} dimensions, the collection uses {dim}")
    return vec.tobytes()


class Store:
    """SQLite access for one collection folder; safe to share between threads.

    Each thread gets its own connection; writes are serialised by SQLite (and by the
    collection's lock in-process).
    """

    def __init__(self, path: Path, *, encoder_name: str, dim: int, token_counts: bool = False) -> None:
        self.path = Path(path)
        #: keep ``token_counts`` (clauses per search token) in step with every write: what a
        #: backend without a local keyword index (Milvus) restores tones and weighs query words by
        self.token_counts = bool(token_counts)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._conns: list[sqlite3.Connection] = []
        self._conns_lock = threading.Lock()
        self.dim = int(dim)
        self.encoder_name = encoder_name
        #: (generation, what its write changed) of this object's recent commits, oldest first
        self._log: list[tuple[int, Changes]] = []
        self._log_lock = threading.Lock()
        self._init_schema()

    # ------------------------------------------------------------------ connections
    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=60.0, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # safe against process crashes (kill -9) in WAL
        conn.execute("PRAGMA busy_timeout=60000")
        return conn

    @property
    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            with self._conns_lock:
                self._conns.append(conn)
        return conn

    def close(self) -> None:
        with self._conns_lock:
            for conn in self._conns:
                try:
                    conn.close()
                except sqlite3.Error:
                    pass
            self._conns.clear()
        self._local = threading.local()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction that bumps the generation on commit and records what it changed
        (``changes_since``); the writer fills ``self._changes()`` inside the transaction."""
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        self._local.changes = Changes()
        try:
            yield conn
            conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")
            generation = int(conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0])
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        finally:
            changes, self._local.changes = self._local.changes, None
        with self._log_lock:
            self._log.append((generation, changes))
            del self._log[:-CHANGE_LOG_SIZE]

    def _changes(self) -> Changes:
        """The change record of the write transaction in progress on this thread."""
        changes = getattr(self._local, "changes", None)
        if changes is None:
            raise RuntimeError("a write must run inside Store.write()")
        return changes

    def changes_since(self, generation: int, current: int) -> Changes | None:
        """What the writes after ``generation`` up to ``current`` changed, when this object made
        all of them (else None: another process wrote, or the log is too short; rebuild)."""
        with self._log_lock:
            log = [(g, c) for g, c in self._log if generation < g <= current]
        if [g for g, _ in log] != list(range(generation + 1, current + 1)):
            return None
        out = Changes()
        for _, changes in log:
            out.merge(changes)
        return None if out.full else out

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: every SELECT inside sees the same committed state."""
        conn = self.conn
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    def _init_schema(self) -> None:
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            for stmt in filter(str.strip, _SCHEMA.split(";")):
                conn.execute(stmt)
            columns = {r[1] for r in conn.execute("PRAGMA table_info(letters)")}
            for column in ("fingerprint", "header", "header_folded"):  # files written before them
                if column not in columns:
                    conn.execute(f"ALTER TABLE letters ADD COLUMN {column} TEXT")
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            if meta and "letter_headers" not in meta:  # once: store the analysed headers of older letters
                conn.executemany("UPDATE letters SET header = ?, header_folded = ? WHERE doc_id = ?", [
                    (*_stored_header(json.loads(metadata)), doc_id) for doc_id, metadata in conn.execute(
                        "SELECT doc_id, metadata FROM letters WHERE header IS NULL").fetchall()])
            if "letter_headers" not in meta:
                conn.execute("INSERT INTO meta(key, value) VALUES ('letter_headers', '1')")
            clause_columns = {r[1] for r in conn.execute("PRAGMA table_info(clauses)")}
            if "diseases" not in clause_columns:
                conn.execute("ALTER TABLE clauses ADD COLUMN diseases TEXT NOT NULL DEFAULT '[]'")
                _fill_diseases(conn)
            if "windows" not in clause_columns:  # files written before window vectors
                conn.execute("ALTER TABLE clauses ADD COLUMN windows BLOB")
                if meta:
                    log.warning("%s has no window vectors yet: long questions rank as before until "
                                "`congvan rebuild --reembed` embeds them", self.path)
            for trigger in _TRIGGERS:
                conn.execute(trigger)
            if self.token_counts and "token_counts" not in meta:
                if meta:
                    log.info("%s: counting search tokens once for this backend (seconds per 100k clauses)",
                             self.path)
                _fill_token_counts(conn)
            if not all(k in meta for k in _FINGERPRINT_KEYS):
                conn.executemany("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", _fingerprint_values(conn))
            if not meta:
                conn.executemany(
                    "INSERT INTO meta(key, value) VALUES (?, ?)",
                    [("schema_version", str(SCHEMA_VERSION)), ("generation", "0"),
                     ("encoder", self.encoder_name), ("dim", str(self.dim)),
                     ("created", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))],
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        if not meta:
            meta = {"schema_version": str(SCHEMA_VERSION), "encoder": self.encoder_name,
                    "dim": str(self.dim)}
        if int(meta.get("schema_version", -1)) != SCHEMA_VERSION:
            raise ArtifactError(
                f"{self.path} uses collection schema v{meta.get('schema_version')}, this version "
                f"reads v{SCHEMA_VERSION}: re-ingest the letters into a new index folder.")
        #: (name, dim) of the encoder the stored embeddings were made with.
        self.stored_encoder: tuple[str, int] = (meta["encoder"], int(meta["dim"]))

    def check_encoder(self) -> None:
        """Refuse to mix embeddings of two encoders in one collection."""
        name, dim = self.stored_encoder
        if name != self.encoder_name or dim != self.dim:
            raise ArtifactError(
                f"{self.path} was embedded with {name!r} (dim {dim}), but the configured encoder "
                f"is {self.encoder_name!r} (dim {self.dim}){_default_changed(name, self.encoder_name)}: run "
                f"`congvan rebuild --reembed` (Collection.open(..., reembed=True)) to re-embed every clause, or "
                f"set CONGVAN_MODEL={name.split('@', 1)[0]} to keep searching with the old one.")

    def reembed(self, ids: np.ndarray, vectors: np.ndarray,
                windows: Sequence[np.ndarray | None] | None = None) -> None:
        """Overwrite every embedding (made with the configured encoder) and its window vectors,
        and record that encoder."""
        packed = [pack_windows(w, self.dim) for w in (windows if windows is not None else [None] * len(ids))]
        with self.write() as conn:
            self._changes().full = True
            conn.executemany("UPDATE clauses SET embedding = ?, windows = ? WHERE id = ?",
                             [(_blob(v, self.dim), w, int(i)) for i, v, w in zip(ids, vectors, packed)])
            conn.execute("UPDATE meta SET value = ? WHERE key = 'encoder'", (self.encoder_name,))
            conn.execute("UPDATE meta SET value = ? WHERE key = 'dim'", (str(self.dim),))
        self.stored_encoder = (self.encoder_name, self.dim)

    # ------------------------------------------------------------------ reads
    def generation(self) -> int:
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return int(row[0])

    def counts(self) -> tuple[int, int]:
        """(letters, clauses)."""
        conn = self.conn
        docs = conn.execute("SELECT COUNT(*) FROM letters").fetchone()[0]
        clauses = conn.execute("SELECT COUNT(*) FROM clauses").fetchone()[0]
        return int(docs), int(clauses)

    def has_letter(self, doc_id: str) -> bool:
        return self.conn.execute("SELECT 1 FROM letters WHERE doc_id = ?", (doc_id,)).fetchone() is not None

    def fingerprint(self, doc_id: str) -> str | None:
        """The stored letter's fingerprint; None if not stored ('' if stored without one)."""
        row = self.conn.execute("SELECT fingerprint FROM letters WHERE doc_id = ?", (doc_id,)).fetchone()
        return None if row is None else (row[0] or "")

    def letter_text(self, doc_id: str) -> str | None:
        """The stored normalised text of a letter (None if not stored)."""
        row = self.conn.execute("SELECT body FROM letters WHERE doc_id = ?", (doc_id,)).fetchone()
        return None if row is None else row[0]

    def embeddings_by_text(self, doc_id: str) -> dict[str, np.ndarray]:
        """Stored embeddings of a letter's clauses and of their windows, keyed by text (to retag
        without re-embedding)."""
        out: dict[str, np.ndarray] = {}
        rows = self.conn.execute("SELECT text, embedding, windows FROM clauses WHERE doc_id = ?", (doc_id,))
        for text, blob, windows in rows:
            out[text] = np.frombuffer(blob, dtype="<f4").copy()
            texts, mat = clause_windows(text), unpack_windows(windows, self.dim)
            if len(texts) == mat.shape[0]:  # none stored yet (older file): they are embedded
                out.update(zip(texts, mat))
        return out

    def windows_by_id(self, ids: Sequence[int]) -> dict[int, np.ndarray]:
        """Window vectors of the given clause ids (clauses without windows are left out)."""
        out: dict[int, np.ndarray] = {}
        for chunk in _chunks(sorted({int(i) for i in ids})):
            marks = ",".join("?" * len(chunk))
            for rowid, blob in self.conn.execute(
                    f"SELECT id, windows FROM clauses WHERE id IN ({marks}) AND windows IS NOT NULL", chunk):
                out[int(rowid)] = unpack_windows(blob, self.dim)
        return out

    def doc_ids(self) -> list[str]:
        """Every stored letter's ``doc_id`` (distributed ingest skips these before parsing)."""
        return [r[0] for r in self.conn.execute("SELECT doc_id FROM letters")]

    def doc_ids_for_source(self, source: str) -> list[str]:
        rows = self.conn.execute("SELECT doc_id FROM letters WHERE source = ?", (source,)).fetchall()
        return [r[0] for r in rows]

    def clause_ids(self) -> np.ndarray:
        """Row ids of all stored clauses, ascending (int64)."""
        rows = self.conn.execute("SELECT id FROM clauses ORDER BY id").fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def data_hash(self, conn: sqlite3.Connection | None = None) -> str:
        """A fingerprint of which clauses and letters are stored, read from counters the
        triggers keep (``_TRIGGERS``; no row is read): clause count, row-id sum and sum of
        squares, the highest row id ever assigned (AUTOINCREMENT never reuses one, so a deleted
        and re-added letter changes it) and the letter count. With the generation it tells a
        derived folder built from another state of the file (another process's commit, a crash
        after one, a copy restored from elsewhere)."""
        conn = conn or self.conn
        marks = ",".join("?" * len(_FINGERPRINT_KEYS))
        values = dict(conn.execute(f"SELECT key, value FROM meta WHERE key IN ({marks})", _FINGERPRINT_KEYS))
        seq = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'clauses'").fetchone()
        return ":".join(["v2", *(str(values.get(k)) for k in _FINGERPRINT_KEYS), str(seq[0] if seq else 0)])

    def iter_tokens(self, folded: bool = False, conn: sqlite3.Connection | None = None) -> Iterator[list[str]]:
        """Search tokens (accented, or folded) of every clause, ascending id."""
        conn = conn or self.conn
        column = "tokens_folded" if folded else "tokens"
        for (tokens,) in conn.execute(f"SELECT {column} FROM clauses ORDER BY id"):
            yield tokens.split()

    def embeddings(self, ids: Sequence[int] | None = None,
                   conn: sqlite3.Connection | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(ids, vectors) for the given clause ids (all when None), ascending id."""
        conn = conn or self.conn
        if ids is None:
            rows = conn.execute("SELECT id, embedding FROM clauses ORDER BY id").fetchall()
        else:
            rows = []
            wanted = sorted(int(i) for i in ids)
            for start in range(0, len(wanted), 900):
                chunk = wanted[start:start + 900]
                marks = ",".join("?" * len(chunk))
                rows.extend(conn.execute(
                    f"SELECT id, embedding FROM clauses WHERE id IN ({marks}) ORDER BY id", chunk))
        out_ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        vecs = np.empty((len(rows), self.dim), dtype=np.float32)
        for i, (_, blob) in enumerate(rows):
            vecs[i] = np.frombuffer(blob, dtype="<f4")
        return out_ids, vecs

    def clause_meta(self, conn: sqlite3.Connection | None = None) -> list[ClauseMetaRow]:
        conn = conn or self.conn
        out = []
        for row in conn.execute(f"SELECT {_META_COLS} FROM clauses ORDER BY id"):
            out.append(_meta_row(row))
        return out

    def clause_meta_by_id(self, ids: Sequence[int], conn: sqlite3.Connection | None = None) -> list[ClauseMetaRow]:
        """``clause_meta`` of the given row ids that are still stored, ascending id."""
        conn = conn or self.conn
        out = []
        for chunk in _chunks(sorted(int(i) for i in ids)):
            for row in conn.execute(f"SELECT {_META_COLS} FROM clauses "
                                    f"WHERE id IN ({','.join('?' * len(chunk))}) ORDER BY id", chunk):
                out.append(_meta_row(row))
        return out

    _LETTER_COLS = ("doc_id", "year", "month", "day", "province", "issuer", "doc_type")

    def letter_meta(self, conn: sqlite3.Connection | None = None,
                    doc_ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Filter columns of every letter (of ``doc_ids`` still stored, when given), by doc_id."""
        conn = conn or self.conn
        cols = ", ".join(self._LETTER_COLS)
        if doc_ids is None:
            rows = conn.execute(f"SELECT {cols} FROM letters ORDER BY doc_id").fetchall()
        else:
            rows = []
            for chunk in _chunks(sorted(doc_ids)):
                rows.extend(conn.execute(f"SELECT {cols} FROM letters WHERE doc_id IN "
                                         f"({','.join('?' * len(chunk))}) ORDER BY doc_id", chunk))
            rows.sort(key=lambda r: r[0])
        return [dict(zip(self._LETTER_COLS, r)) for r in rows]

    def clauses_by_id(self, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """Clause + document fields for search hits, keyed by clause row id."""
        if not ids:
            return {}
        out: dict[int, dict[str, Any]] = {}
        wanted = [int(i) for i in ids]
        for start in range(0, len(wanted), 900):
            chunk = wanted[start:start + 900]
            marks = ",".join("?" * len(chunk))
            for row in self.conn.execute(
                    f"""SELECT c.id, c.doc_id, c.clause_id, c.path, c.kind, c.ord, c.text, c.heading,
                               c.themes, c.lead, c.support, c.diseases, l.metadata
                        FROM clauses c JOIN letters l ON l.doc_id = c.doc_id
                        WHERE c.id IN ({marks})""", chunk):
                (cid, doc, clause_id, path, kind, order, text, heading, themes, lead, support,
                 diseases, metadata) = row
                out[cid] = {
                    "doc_id": doc, "clause_id": clause_id, "path": path, "kind": kind,
                    "order": order, "text": text, "heading": heading,
                    "themes": json.loads(themes), "lead": json.loads(lead),
                    "support": json.loads(support), "diseases": json.loads(diseases),
                    "document": json.loads(metadata),
                }
        return out

    def documents(self, doc_ids: Sequence[str] | None = None) -> dict[str, dict[str, Any]]:
        """``Letter.document_dict()`` of every letter (of ``doc_ids`` when given), by doc_id
        (letter-header search features)."""
        if doc_ids is None:
            return {d: json.loads(m) for d, m in self.conn.execute("SELECT doc_id, metadata FROM letters")}
        out = {}
        for chunk in _chunks(list(doc_ids)):
            out.update((d, json.loads(m)) for d, m in self.conn.execute(
                f"SELECT doc_id, metadata FROM letters WHERE doc_id IN ({','.join('?' * len(chunk))})", chunk))
        return out

    def letter_headers(self, doc_ids: Sequence[str]) -> dict[str, tuple[list[str], list[str]]]:
        """(accented, folded) header search tokens of the given stored letters: as stored by
        ``put_letter``, or analysed from the metadata for letters stored before the column."""
        out = {}
        for chunk in _chunks(list(doc_ids)):
            for d, header, folded, metadata in self.conn.execute(
                    "SELECT doc_id, header, header_folded, CASE WHEN header IS NULL OR header_folded IS NULL "
                    f"THEN metadata END FROM letters WHERE doc_id IN ({','.join('?' * len(chunk))})", chunk):
                if metadata is not None:
                    tokens = header_tokens(json.loads(metadata))
                    out[d] = (tokens, [fold(t) for t in tokens])
                else:
                    out[d] = (header.split(), folded.split())
        return out

    def letter_stamps(self) -> dict[str, float]:
        """doc_id → when the letter was stored (a replaced letter gets a new stamp)."""
        return dict(self.conn.execute("SELECT doc_id, added FROM letters"))

    def match_inputs_by_id(self, ids: Sequence[int]) -> dict[int, tuple[list[str], list[str], str | None]]:
        """(accented tokens, folded tokens, heading) of some clauses: what a short query's word
        features read of each candidate, in one query (the heading is the lead-in an item sits
        under, None for a clause with none)."""
        out: dict[int, tuple[list[str], list[str], str | None]] = {}
        for chunk in _chunks([int(i) for i in ids]):
            marks = ",".join("?" * len(chunk))
            for cid, tokens, folded, heading in self.conn.execute(
                    f"SELECT id, tokens, tokens_folded, heading FROM clauses WHERE id IN ({marks})", chunk):
                out[cid] = (tokens.split(), folded.split(), heading or None)
        return out

    def tokens_by_id(self, ids: Sequence[int]) -> dict[int, tuple[list[str], list[str]]]:
        """(accented, folded) search tokens of some clauses (query-time phrase and coverage
        features; the stored folded stream saves folding them per query)."""
        out: dict[int, tuple[list[str], list[str]]] = {}
        wanted = [int(i) for i in ids]
        for start in range(0, len(wanted), 900):
            chunk = wanted[start:start + 900]
            marks = ",".join("?" * len(chunk))
            for cid, tokens, folded in self.conn.execute(
                    f"SELECT id, tokens, tokens_folded FROM clauses WHERE id IN ({marks})", chunk):
                out[cid] = (tokens.split(), folded.split())
        return out

    def get_letter(self, doc_id: str) -> dict[str, Any]:
        """The stored letter: ``{"doc_id", "document", "clauses", "text"}`` (tag JSON + id)."""
        with self.read() as conn:
            row = conn.execute("SELECT metadata, body FROM letters WHERE doc_id = ?", (doc_id,)).fetchone()
            if row is None:
                raise DocumentNotFound(doc_id)
            clauses = []
            for (clause_id, path, kind, order, text, heading, themes, lead, support,
                 mentions, diseases) in conn.execute(
                    """SELECT clause_id, path, kind, ord, text, heading, themes, lead, support, mentions,
                              diseases
                       FROM clauses WHERE doc_id = ? ORDER BY ord, id""", (doc_id,)):
                clauses.append({
                    "clause_id": clause_id, "path": path, "kind": kind, "text": text,
                    "themes": json.loads(themes),
                    "agencies": {"lead": json.loads(lead), "support": json.loads(support)},
                    "heading": heading, "mentions": json.loads(mentions), "order": order,
                    "diseases": json.loads(diseases),
                })
        return {"doc_id": doc_id, "document": json.loads(row[0]), "clauses": clauses, "text": row[1]}

    def directory_rows(self) -> tuple[int, list[tuple]]:
        """(generation, rows) of every letter's directory fields, newest first, read in one
        transaction: ``(doc_id, number, subject, issuer, province, doc_type, year, month, day,
        metadata JSON)``."""
        with self.read() as conn:
            generation = int(conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0])
            rows = conn.execute(
                "SELECT doc_id, number, subject, issuer, province, doc_type, year, month, day, metadata "
                "FROM letters ORDER BY added DESC, doc_id").fetchall()
        return generation, rows

    def clause_doc_id(self, clause_id: str) -> str | None:
        """The ``doc_id`` of the letter holding ``clause_id`` (None if unknown)."""
        row = self.conn.execute("SELECT doc_id FROM clauses WHERE clause_id = ?", (clause_id,)).fetchone()
        return None if row is None else row[0]

    def list_letters(self) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT doc_id, source, subject, issuer, number, year, month, day, n_clauses "
            "FROM letters ORDER BY added, doc_id").fetchall()
        cols = ("doc_id", "source", "subject", "issuer", "number", "year", "month", "day", "clauses")
        return [dict(zip(cols, r)) for r in rows]

    # ------------------------------------------------------------------ writes
    def put_letter(self, letter: Letter, rows: Sequence[ClauseRow], replace_source: bool = False,
                   fingerprint: str | None = None) -> list[str]:
        """Store a letter and its clauses in one transaction; returns the doc ids it replaced.

        A letter with the same ``doc_id`` (same content, possibly retagged) is replaced. Letters
        with the same ``source`` are replaced only when ``replace_source`` (``congvan ingest`` of a
        file path: a changed version of that file); an upload's bare file name ("scan.pdf") says
        nothing about identity, so a different letter under a known name never deletes one.
        ``fingerprint`` is what a later ingest of the same letter compares (default: this
        letter's; the collection passes the tagger output's, before staff corrections).
        """
        replaced: list[str] = []
        with self.write() as conn:
            old = {letter.doc_id}
            if letter.source and replace_source:
                old.update(r[0] for r in conn.execute(
                    "SELECT doc_id FROM letters WHERE source = ?", (letter.source,)))
            for doc_id in sorted(old):
                if self._delete(conn, doc_id):
                    replaced.append(doc_id)
            self._changes().letters.add(letter.doc_id)
            date = letter.date
            document = letter.document_dict()
            conn.execute(
                """INSERT INTO letters(doc_id, source, year, month, day, province, issuer, doc_type,
                                       number, subject, n_clauses, fingerprint, metadata, body, added,
                                       header, header_folded)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (letter.doc_id, letter.source, date.year, date.month, date.day, letter.province,
                 letter.issuer, letter.doc_type, letter.number, letter.subject, len(rows),
                 fingerprint or letter_fingerprint(letter), _json(document), letter.text, time.time(),
                 *_stored_header(document)))
            streams = [(" ".join(r.tokens), " ".join(r.tokens_folded)) for r in rows]
            conn.executemany(
                """INSERT INTO clauses(doc_id, clause_id, path, kind, ord, text, heading, themes, lead,
                                       support, mentions, tokens, tokens_folded, embedding, diseases,
                                       windows)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [(letter.doc_id, r.clause.clause_id, r.clause.path, r.clause.kind, r.clause.order,
                  r.clause.text, r.clause.heading, _json([asdict(t) for t in r.clause.themes]),
                  _json(list(r.clause.agencies.lead)), _json(list(r.clause.agencies.support)),
                  _json([asdict(m) for m in r.clause.mentions]), *stream, _blob(r.embedding, self.dim),
                  _json(list(r.clause.diseases)), pack_windows(r.windows, self.dim))
                 for r, stream in zip(rows, streams)])
            self._count_tokens(conn, streams, +1)
            self._changes().rows.update(
                r[0] for r in conn.execute("SELECT id FROM clauses WHERE doc_id = ?", (letter.doc_id,)))
        return replaced

    def _count_tokens(self, conn: sqlite3.Connection, streams: Iterable[tuple[str, str]], sign: int) -> None:
        """Add (+1) or remove (-1) some clauses' (accented, folded) tokens in ``token_counts``; a
        store that does not keep the counts marks them stale instead, so the next one that does
        recounts on open."""
        if not self.token_counts:
            conn.execute("DELETE FROM meta WHERE key = 'token_counts'")
            return
        counts = _token_counts(streams)
        if not counts:
            return
        if sign > 0:
            conn.executemany("INSERT INTO token_counts(token, folded, n) VALUES (?, ?, ?) "
                             "ON CONFLICT(token, folded) DO UPDATE SET n = n + excluded.n",
                             ((t, f, n) for (t, f), n in counts.items()))
        else:
            conn.executemany("UPDATE token_counts SET n = n - ? WHERE token = ? AND folded = ?",
                             ((n, t, f) for (t, f), n in counts.items()))
            conn.executemany("DELETE FROM token_counts WHERE token = ? AND folded = ? AND n <= 0", counts)

    def token_doc_freq(self, tokens: Sequence[str], folded: bool = False) -> np.ndarray:
        """Clauses holding each search token of the accented (or ``folded``) stream
        (``token_counts`` stores only; else 0s)."""
        out = np.zeros(len(tokens), np.int64)
        if not self.token_counts or not len(tokens):
            return out
        found: dict[str, int] = {}
        for chunk in _chunks(list(dict.fromkeys(tokens))):
            marks = ",".join("?" * len(chunk))
            found.update(self.conn.execute(
                f"SELECT token, n FROM token_counts WHERE folded = ? AND token IN ({marks})", [int(folded), *chunk]))
        for i, t in enumerate(tokens):
            out[i] = found.get(t, 0)
        return out

    def _delete(self, conn: sqlite3.Connection, doc_id: str) -> bool:
        changes = self._changes()
        changes.rows.update(r[0] for r in conn.execute("SELECT id FROM clauses WHERE doc_id = ?", (doc_id,)))
        changes.letters.add(doc_id)
        if self.token_counts:
            self._count_tokens(conn, conn.execute("SELECT tokens, tokens_folded FROM clauses WHERE doc_id = ?",
                                                  (doc_id,)).fetchall(), -1)
        else:
            self._count_tokens(conn, (), -1)  # marks the counts stale
        cur = conn.execute("DELETE FROM letters WHERE doc_id = ?", (doc_id,))
        conn.execute("DELETE FROM clauses WHERE doc_id = ?", (doc_id,))
        return cur.rowcount > 0

    def delete_letter(self, doc_id: str) -> None:
        """Remove a letter and its clauses; ``DocumentNotFound`` if it is not stored."""
        with self.write() as conn:
            if not self._delete(conn, doc_id):
                raise DocumentNotFound(doc_id)

    def set_clause_labels(self, clause_id: str, themes: Sequence[str], lead: Sequence[str],
                          support: Sequence[str]) -> dict[str, Any]:
        """Overwrite one clause's themes and agencies (a staff correction, score 1.0).

        Returns the clause's ``doc_id``, ``text`` and previous labels; ``ClauseNotFound`` if unknown.
        """
        with self.write() as conn:
            row = conn.execute("SELECT doc_id, text, themes, lead, support FROM clauses WHERE clause_id = ?",
                               (clause_id,)).fetchone()
            if row is None:
                raise ClauseNotFound(clause_id)
            self._changes().rows.update(
                r[0] for r in conn.execute("SELECT id FROM clauses WHERE clause_id = ?", (clause_id,)))
            conn.execute("UPDATE clauses SET themes = ?, lead = ?, support = ? WHERE clause_id = ?",
                         (_json([{"id": t, "score": 1.0} for t in themes]), _json(list(lead)),
                          _json(list(support)), clause_id))
        return {"doc_id": row[0], "text": row[1], "themes": json.loads(row[2]),
                "lead": json.loads(row[3]), "support": json.loads(row[4])}

    def directive_clauses(self) -> list[tuple[str, str, str | None, str | None]]:
        """``(clause_id, text, heading, letter subject)`` of every directive clause, letter by
        letter (re-tagging with a new tagger: a letter's subject decides the themes it is about)."""
        rows = self.conn.execute(
            "SELECT c.clause_id, c.text, c.heading, l.subject FROM clauses c "
            "LEFT JOIN letters l ON l.doc_id = c.doc_id WHERE c.kind = 'directive' ORDER BY c.id").fetchall()
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    def set_clause_themes(self, themes: dict[str, list[dict[str, Any]]]) -> int:
        """Overwrite the themes (``[{"id", "score"}]``) of many clauses in one transaction; agencies
        stay. Returns how many rows changed."""
        if not themes:
            return 0
        with self.write() as conn:
            rows = self._changes().rows
            for chunk in _chunks(list(themes)):
                rows.update(r[0] for r in conn.execute(
                    f"SELECT id FROM clauses WHERE clause_id IN ({','.join('?' * len(chunk))})", chunk))
            cur = conn.executemany("UPDATE clauses SET themes = ? WHERE clause_id = ?",
                                   [(_json(v), k) for k, v in themes.items()])
            return int(cur.rowcount or 0)

    def clause_texts(self) -> tuple[np.ndarray, list[str]]:
        rows = self.conn.execute("SELECT id, text FROM clauses ORDER BY id").fetchall()
        return np.array([r[0] for r in rows], dtype=np.int64), [r[1] for r in rows]


def _default_changed(stored: str, configured: str) -> str:
    """Why an index of the bundled model meets another encoder after an upgrade, when that is why."""
    from congvan.models.encoder import BUNDLED_MODEL, DIRECTIVES_MODEL

    if stored == BUNDLED_MODEL and configured.startswith(DIRECTIVES_MODEL + "@"):
        return " (congvan's default search model is now the bundled model plus a search adapter)"
    return ""
