"""The derived search structures (BM25 ×2, vectors, filter table) and their folder on disk.

A ``Snapshot`` is an immutable, consistent view of one SQLite generation; searches use one
snapshot from start to end while a writer builds the next and swaps it in.

On disk it lives in ``<collection>/derived/``, written with ``atomic_folder`` (the old folder
stays readable until the new one is complete) and described by a versioned manifest: format
version, encoder, dimension, counts, vector index kind, library versions, SQLite generation and
a data hash. If the manifest's generation or hash differ from SQLite's (a crash between a commit
and the save), the folder is brought up to date from SQLite without re-embedding anything.

A write costs its own letters, not the collection:

- the keyword indexes append a segment with the new clauses' postings and tombstone the deleted
  ones (:mod:`index.keyword`);
- the filter table re-reads only the rows and letters the write touched (``Store.changes_since``,
  ``ClauseTable.updated``); it is saved as a base (arrays + strings) and the changes since, so a
  server start loads it instead of reading every clause;
- new vectors go into a small flat index beside the main one (``LayeredIndex``), merged into a
  copy of it once they pass ``VectorOptions.delta_max``;
- the data hash is a few SQL aggregates, not a digest of every row.

Saving hard-links every unchanged file (segments, table base, main vector index) from the
previous folder. Older folders are converted on open: v1 (one bm25s index per stream) gets its
keyword segments built from SQLite, v2 (no saved table) gets the table, v3 (postings by clause)
gets its postings re-ordered by tf; the vectors are kept.
"""
from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from congvan.index.filters import ClauseTable, TableDelta
from congvan.index.keyword import BM25Index, MergePolicy
from congvan.index.store import Store
from congvan.index.vectors import (
    LayeredIndex,
    VectorIndex,
    VectorOptions,
    kind_for_size,
    load_vector_index,
    measure_recall,
    new_vector_index,
)
from congvan.models.artifacts import (
    ArtifactError,
    atomic_folder,
    library_versions,
    read_manifest,
    write_manifest,
)

log = logging.getLogger(__name__)

KIND = "search-index"
FORMAT_VERSION = 4
#: v1: one bm25s index per stream; v2: no saved filter table; v3: keyword postings by document
#: within a term, not by tf (all converted on open, vectors kept).
READABLE_VERSIONS = (1, 2, 3, 4)
#: Versions whose keyword folders are segments (reused when converting).
SEGMENT_VERSIONS = (2, 3, 4)
VECTORS_DIR = "vectors"
TABLE_DIR = "table"
TABLE_BASE_DIR = "base"
TABLE_DELTA_FILE = "delta.json"
ACCENTED_DIR = "bm25_accented"
FOLDED_DIR = "bm25_folded"


@dataclass(frozen=True)
class IndexOptions:
    """How derived structures are built."""

    #: "auto" (FAISS flat below the HNSW threshold, HNSW at/above, HNSW over 8-bit codes from the
    #: SQ8 threshold), "exact", "flat", "hnsw" or "hnsw_sq8".
    vector_kind: str = "auto"
    vectors: VectorOptions = field(default_factory=VectorOptions)
    #: Tuned with index.ranking's weights (see ranking.TUNING_NOTES): k1 1.2 beat bm25s' 1.5.
    bm25_k1: float = 1.2
    bm25_b: float = 0.75
    #: Rebuild an HNSW index once this share of its vectors belong to deleted clauses.
    stale_ratio: float = 0.1
    #: When the keyword indexes' small segments are merged (see ``keyword.MergePolicy``).
    keyword_merge: MergePolicy = field(default_factory=MergePolicy)
    #: The saved filter table is rewritten in full once the changes kept beside it touch more
    #: than this share of its clauses (and more than ``table_delta_min`` rows and letters).
    table_delta_ratio: float = 0.01
    table_delta_min: int = 1024

    @classmethod
    def from_settings(cls, settings) -> IndexOptions:
        """Read optional ``hnsw_threshold`` / ``hnsw_ef_search`` / ``vector_index`` settings."""
        vec = VectorOptions()
        vec_kw = {}
        for name, attr in (("hnsw_threshold", "hnsw_threshold"), ("hnsw_ef_search", "ef_search"),
                           ("hnsw_m", "hnsw_m")):
            value = getattr(settings, name, None)
            if value is not None:
                vec_kw[attr] = int(value)
        if vec_kw:
            vec = VectorOptions(**{**asdict(vec), **vec_kw})
        return cls(vector_kind=getattr(settings, "vector_index", None) or "auto", vectors=vec)


@dataclass
class Snapshot:
    generation: int
    data_hash: str
    table: ClauseTable
    accented: BM25Index
    folded: BM25Index
    vectors: VectorIndex
    encoder: str
    dim: int
    #: The table as last saved in full (later saves hard-link its files) and the changes since
    #: (saved beside it); None: ``table`` itself is the base.
    table_base: ClauseTable | None = None
    table_delta: TableDelta = field(default_factory=TableDelta)

    def __post_init__(self) -> None:
        if self.table_base is None:
            self.table_base = self.table
        rowids = self.table.rowids
        ids = self.vectors.ids
        slot = np.searchsorted(rowids, ids)
        slot = np.minimum(slot, max(len(rowids) - 1, 0))
        live = (rowids[slot] == ids) if len(rowids) else np.zeros(len(ids), bool)
        #: position in the vector index → slot (-1: a deleted clause still in an HNSW graph)
        self.pos_slot = np.where(live, slot, -1).astype(np.int64)
        #: slot → position
        self.slot_pos = np.full(len(rowids), -1, np.int64)
        self.slot_pos[self.pos_slot[live]] = np.flatnonzero(live)
        if (self.slot_pos < 0).any():
            raise ArtifactError("vector index misses clauses of the store; rebuild the index")
        self.stale = int((~live).sum())

    def __len__(self) -> int:
        return len(self.table)

    def position_mask(self, slot_mask: np.ndarray | None) -> np.ndarray | None:
        """Allowed vector positions for a slot mask (None: everything, no stale vectors)."""
        if slot_mask is None and not self.stale:
            return None
        live = self.pos_slot >= 0
        if slot_mask is None:
            return live
        out = np.zeros(len(self.pos_slot), bool)
        out[live] = slot_mask[self.pos_slot[live]]
        return out

    def manifest_fields(self) -> dict:
        return {
            "encoder": self.encoder, "dim": self.dim, "generation": self.generation,
            "data_hash": self.data_hash,
            "counts": {"documents": len(self.table.doc_ids), "clauses": len(self.table),
                       "vectors": len(self.vectors), "stale_vectors": self.stale},
            "vector_index": self.vectors.kind,
            "bm25": {"k1": self.accented.k1, "b": self.accented.b,
                     "segments": [len(s) for s in self.accented.segments],
                     "tombstones": int(self.accented.deleted.shape[0])},
            "libraries": library_versions("faiss-cpu", "numpy"),
        }


def _table(store: Store, conn) -> ClauseTable:
    meta = store.clause_meta(conn)
    return ClauseTable(
        rowids=np.array([m.id for m in meta], np.int64), clause_docs=[m.doc_id for m in meta],
        kinds=[m.kind for m in meta], themes=[m.themes for m in meta],
        agencies=[[*m.lead, *m.support] for m in meta], letters=store.letter_meta(conn),
        diseases=[m.diseases for m in meta])


def _keyword(store: Store, conn, rowids: np.ndarray, options: IndexOptions,
             base: tuple[BM25Index, BM25Index] | None) -> tuple[BM25Index, BM25Index]:
    """(accented, folded) BM25 of the clauses ``rowids``: ``base`` plus the new clauses minus the
    deleted ones when it was built with the same parameters, else built from every stored clause."""
    if base is not None and all((b.k1, b.b) == (options.bm25_k1, options.bm25_b) for b in base):
        plans = [b.changes(rowids) for b in base]
        if plans[0] is not None and plans[1] is not None:
            added, removed = plans[0]
            tokens = store.tokens_by_id(added.tolist())
            return (base[0].updated(added, [tokens[int(r)][0] for r in added], removed, options.keyword_merge),
                    base[1].updated(added, [tokens[int(r)][1] for r in added], removed, options.keyword_merge))
    return tuple(BM25Index.build(list(store.iter_tokens(folded, conn)), k1=options.bm25_k1,  # type: ignore[return-value]
                                 b=options.bm25_b, rowids=rowids) for folded in (False, True))


def _table_delta(store: Store, conn, rows: set[int], letters: set[str]) -> TableDelta:
    """The current state of the given clause rows and letters (those still stored)."""
    return TableDelta(
        tuple(sorted(rows)),
        tuple((m.id, m.doc_id, m.kind, tuple(m.themes), (*m.lead, *m.support), tuple(m.diseases))
              for m in store.clause_meta_by_id(rows, conn)),
        tuple(sorted(letters)), tuple(store.letter_meta(conn, sorted(letters))))


def current_table(store: Store, conn, previous: tuple[ClauseTable, int] | None,
                  generation: int) -> tuple[ClauseTable, TableDelta | None]:
    """The filter table at ``generation``: the ``(table, its generation)`` given, updated with
    what this store's writes changed since (and that change), else one read from every row
    (and None)."""
    changes = store.changes_since(previous[1], generation) if previous is not None else None
    if previous is not None and changes is not None:
        delta = _table_delta(store, conn, changes.rows, changes.letters)
        try:
            return previous[0].updated(delta), delta
        except ValueError as exc:  # not expected: the change log missed something
            log.warning("rebuilding the filter table from SQLite: %s", exc)
    return _table(store, conn), None


def _tables(store: Store, conn, options: IndexOptions, previous: Snapshot | None,
            generation: int) -> tuple[ClauseTable, ClauseTable | None, TableDelta]:
    """(table, saved base, changes since the base); the base is rewritten (None) once the
    changes kept beside it grow past ``options.table_delta_*``."""
    table, delta = current_table(store, conn, (previous.table, previous.generation) if previous else None,
                                 generation)
    if previous is not None and delta is not None:
        pending = previous.table_delta.then(delta)
        if len(pending) <= max(options.table_delta_min, options.table_delta_ratio * len(table)):
            return table, previous.table_base, pending
    return table, None, TableDelta()


def _wanted_kind(options: IndexOptions, n: int) -> str:
    if options.vector_kind != "auto":
        return options.vector_kind
    return kind_for_size(n, options.vectors)


def _reused_vectors(store: Store, conn, options: IndexOptions, base: VectorIndex | None, kind: str,
                    rowids: np.ndarray) -> LayeredIndex | None:
    """``base`` plus the vectors of clauses added since, in its delta layer (merged into a copy
    of the main index once the delta is large); None when a rebuild is due (other kind, or too
    many vectors of deleted clauses). Row ids only grow (AUTOINCREMENT) and the index holds
    them in ascending order, so the new clauses are the row ids above its last one."""
    if base is None or base.kind != kind or base.dim != store.dim:
        return None
    layered = base if isinstance(base, LayeredIndex) else LayeredIndex(base, options=options.vectors)
    ids = layered.ids
    fresh = rowids[int(np.searchsorted(rowids, ids[-1], side="right")):] if ids.shape[0] else rowids
    stale = len(layered) - (rowids.shape[0] - fresh.shape[0])
    if stale < 0 or not (stale == 0 or (kind.startswith("hnsw") and stale <= options.stale_ratio * max(len(base), 1))):
        return None
    vectors = layered.copy()
    if fresh.shape[0]:
        vectors.add(*store.embeddings(fresh, conn))
    if len(vectors.delta) > options.vectors.delta_max:
        vectors = vectors.merged()
    return vectors


def build_snapshot(store: Store, options: IndexOptions, base: VectorIndex | None = None,
                   keyword: tuple[BM25Index, BM25Index] | None = None,
                   previous: Snapshot | None = None) -> Snapshot:
    """A snapshot of SQLite's current state; vectors come from ``base`` plus what is new when
    that is cheaper than a rebuild, else from every stored embedding (never re-embedding); the
    (accented, folded) keyword indexes from ``keyword`` updated with what changed, else built;
    the filter table from ``previous``'s updated with what this store's writes changed since,
    else read from every row."""
    with store.read() as conn:
        generation = store.generation()
        data_hash = store.data_hash(conn)
        table, table_base, table_delta = _tables(store, conn, options, previous, generation)
        accented, folded = _keyword(store, conn, table.rowids, options, keyword)
        n = len(table)
        kind = _wanted_kind(options, n)
        vectors = _reused_vectors(store, conn, options, base, kind, table.rowids)
        if vectors is not None:
            try:
                return Snapshot(generation, data_hash, table, accented, folded, vectors, store.encoder_name,
                                store.dim, table_base, table_delta)
            except ArtifactError as exc:  # not expected: the base misses clauses
                log.warning("rebuilding the vector index: %s", exc)
        ids, vecs = store.embeddings(None, conn)
        vectors = new_vector_index(kind, store.dim, n, options.vectors)
        vectors.add(ids, vecs)
        if kind.startswith("hnsw"):  # approximate: record how close to exact it is
            vectors.recall_at_10 = measure_recall(vectors, vecs, options.vectors.recall_queries)
    return Snapshot(generation, data_hash, table, accented, folded, vectors, store.encoder_name, store.dim,
                    table_base, table_delta)


def save_snapshot(snapshot: Snapshot, folder: Path) -> dict:
    """Write the derived folder atomically, hard-linking the files that did not change since
    the last save (keyword segments, the table's base, the main vector index); returns the
    manifest."""
    folder = Path(folder)
    base = snapshot.table_base if snapshot.table_base is not None else snapshot.table
    with atomic_folder(folder) as tmp:
        (tmp / VECTORS_DIR).mkdir()
        vec_info = snapshot.vectors.save(tmp / VECTORS_DIR)
        snapshot.accented.save(tmp / ACCENTED_DIR)
        snapshot.folded.save(tmp / FOLDED_DIR)
        base.save(tmp / TABLE_DIR / TABLE_BASE_DIR)
        (tmp / TABLE_DIR / TABLE_DELTA_FILE).write_text(
            json.dumps(snapshot.table_delta.to_json(), ensure_ascii=False), encoding="utf-8")
        manifest = write_manifest(tmp, KIND, FORMAT_VERSION, **snapshot.manifest_fields(),
                                  vectors=vec_info, table={"base_clauses": len(base),
                                                           "delta": len(snapshot.table_delta)})
    # the next save links these files
    snapshot.accented.saved_in(folder / ACCENTED_DIR)
    snapshot.folded.saved_in(folder / FOLDED_DIR)
    base.path = folder / TABLE_DIR / TABLE_BASE_DIR
    if isinstance(snapshot.vectors, LayeredIndex):
        snapshot.vectors.saved_in(folder / VECTORS_DIR)
    else:
        snapshot.vectors.path = folder / VECTORS_DIR  # type: ignore[attr-defined]
    return manifest


def load_table(folder: Path) -> tuple[ClauseTable, ClauseTable, TableDelta]:
    """(table, its saved base, the changes since) from a format-v3 folder."""
    base = ClauseTable.load(Path(folder) / TABLE_DIR / TABLE_BASE_DIR)
    data = json.loads((Path(folder) / TABLE_DIR / TABLE_DELTA_FILE).read_text(encoding="utf-8"))
    delta = TableDelta.from_json(data)
    return (base.updated(delta) if len(delta) else base), base, delta


def read_derived_manifest(folder: Path) -> dict:
    return read_manifest(folder, KIND, READABLE_VERSIONS)


def load_keyword(folder: Path, manifest: dict) -> tuple[BM25Index, BM25Index] | None:
    """The saved (accented, folded) keyword indexes, to bring a stale folder up to date; None
    when the folder predates the segmented format."""
    if manifest.get("format_version") not in SEGMENT_VERSIONS:
        return None
    return BM25Index.load(Path(folder) / ACCENTED_DIR), BM25Index.load(Path(folder) / FOLDED_DIR)


def load_vectors(folder: Path, manifest: dict, options: IndexOptions) -> VectorIndex:
    return load_vector_index(Path(folder) / VECTORS_DIR, manifest["vectors"], options.vectors)


def load_snapshot(folder: Path, store: Store, options: IndexOptions) -> Snapshot:
    """Load the derived folder; ``ArtifactError`` if it is unreadable, from another format
    version or encoder, or was built from a different SQLite state than the current one."""
    folder = Path(folder)
    manifest = read_derived_manifest(folder)
    if manifest.get("encoder") != store.encoder_name or manifest.get("dim") != store.dim:
        raise ArtifactError(f"{folder} was built for encoder {manifest.get('encoder')!r} "
                            f"(dim {manifest.get('dim')}), the collection uses {store.encoder_name!r}.")
    with store.read() as conn:
        generation = store.generation()
        data_hash = store.data_hash(conn)
    version = manifest.get("format_version")
    if version == 1:
        raise StaleIndex(folder, manifest, generation, reason=(
            "holds keyword indexes in format v1 (rebuilt on every write); converting them to "
            "segments (the vectors are kept)"))
    if version == 2:
        raise StaleIndex(folder, manifest, generation, reason=(
            "has no saved filter table (format v2); adding it (the vectors and keyword segments "
            "are kept)"))
    if version == 3:
        raise StaleIndex(folder, manifest, generation, reason=(
            "holds keyword postings ordered by clause (format v3); re-ordering them by term "
            "frequency for faster scoring (the vectors are kept)"))
    if manifest.get("generation") != generation or manifest.get("data_hash") != data_hash:
        raise StaleIndex(folder, manifest, generation)
    try:
        table, table_base, table_delta = load_table(folder)
    except (OSError, EOFError, ValueError, KeyError, RuntimeError) as exc:  # the rest is reused
        raise StaleIndex(folder, manifest, generation, reason=f"has an unreadable filter table ({exc})") from exc
    try:
        accented = BM25Index.load(folder / ACCENTED_DIR)
        folded = BM25Index.load(folder / FOLDED_DIR)
        vectors = load_vectors(folder, manifest, options)
    except (OSError, EOFError, ValueError, KeyError, RuntimeError) as exc:
        raise ArtifactError(f"{folder} is damaged ({exc}); it will be rebuilt from SQLite.") from exc
    if not (np.array_equal(accented.rowids(), table.rowids) and np.array_equal(folded.rowids(), table.rowids)):
        raise ArtifactError(f"{folder}: BM25 holds {accented.n_docs} clauses, the filter table {len(table)}; "
                            f"it will be rebuilt from SQLite.")
    if ((accented.k1, accented.b) != (options.bm25_k1, options.bm25_b)
            or vectors.kind != _wanted_kind(options, len(table))):
        raise StaleIndex(folder, manifest, generation, reason="was built with other index options")
    return Snapshot(generation, data_hash, table, accented, folded, vectors, store.encoder_name, store.dim,
                    table_base, table_delta)


class StaleIndex(ArtifactError):
    """The derived folder is intact but older than SQLite (e.g. a crash after a commit)."""

    def __init__(self, folder: Path, manifest: dict, generation: int, reason: str | None = None) -> None:
        why = reason or (f"was built at generation {manifest.get('generation')}, SQLite is at "
                         f"{generation}")
        super().__init__(f"{folder} {why}: bringing it up to date.")
        self.manifest = manifest

