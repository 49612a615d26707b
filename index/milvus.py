"""The scale-out backend: clauses in a Milvus collection, letters still in SQLite.

``MilvusCollection`` is a ``Collection`` (same methods, same search JSON) whose search structures
live in Milvus instead of the ``derived/`` folder. It talks to Milvus through ``pymilvus``'s
``MilvusClient`` only, so a ``milvus-lite server`` on this machine and a Milvus cluster on
Kubernetes are reached the same way, by URI (+ token).

Why it looks like this:

- SQLite stays the source of truth (letters for the page, tags, embeddings): Milvus can always be
  rebuilt from it (``rebuild``), and a crash between a SQLite commit and a Milvus write is
  repaired on the next open by comparing clause ids (see ``_reconcile``).
- Keyword search uses Milvus' BM25 function over the project's own analysed tokens
  (``keyword.clause_tokens``): lower-cased, each token escaped to letters and digits
  (``milvus_token``) and joined by spaces, so Milvus' ``standard`` analyzer (the one Lite and a
  cluster both have) splits exactly where we did: "2116/byt-dp" and "vắc_xin" stay one token.
- Ranking: by default Milvus returns candidates (top ``depth`` of accented BM25, folded BM25 and
  dense) under the filter expression, and ``ranking.rank`` fuses them with the tuned weights the
  embedded backend uses (cosines are exact, from SQLite), so evaluation numbers are comparable.
  ``ranker="rrf"``/``"weighted"`` let Milvus fuse server-side (``hybrid_search``) instead.
- Filters become Milvus expressions (``array_contains_any(themes, …)``, the same over
  ``diseases`` and ``agencies``, year and date ranges, province equality); the province is the
  partition key, so a province filter reads one partition.
- A collection made by an older version (e.g. without the ``diseases`` field, schema 2) is
  found at open by comparing its fields with ``FIELDS`` (Milvus Lite keeps no description to
  read a version from) and recreated from SQLite, with a warning naming the missing fields: no
  re-embedding, the stored vectors are copied, as long as ``congvan rebuild`` takes. Recreating
  beats failing searches or a disease filter that silently matches nothing; adding the field in
  place would leave every existing row without its diseases until rewritten from SQLite anyway.
- A tone-less query is embedded with its tones restored (``index.tones``), as on the embedded
  backend; the syllable counts that choose the tones come from a ``token_counts`` table SQLite keeps
  in step with every write (``Store(token_counts=True)``), not from one Milvus query per syllable.
- Facets and browsing still use a ``ClauseTable`` of filter metadata built from SQLite (a few
  bytes per clause), so the web page works unchanged.
"""
from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from congvan.index.collection import Collection
from congvan.index.derived import IndexOptions, current_table
from congvan.index.filters import KINDS, SearchFilters, issuer_key, province_key
from congvan.index.keyword import QueryTerms, analyze_query, matching_tokens
from congvan.index.ranking import MODES, Ranked, RankingParams, keyword_scores, params_for, rank
from congvan.index.store import DB_NAME, Store
from congvan.letters.provinces import province_now
from congvan.models.artifacts import ArtifactError, read_manifest, write_manifest

log = logging.getLogger(__name__)

#: Folder (a manifest) written next to SQLite after every successful sync: which Milvus
#: collection holds this collection's clauses and at which SQLite generation they were in step.
SYNC_DIR = "milvus"
SYNC_KIND = "milvus-sync"
SYNC_VERSION = 1
#: Bump when the Milvus schema changes; an older collection is rebuilt from SQLite.
#: 3: ``diseases`` (taxonomy v2).
SCHEMA_VERSION = 3
INSERT_BATCH = 2000
FIELDS = ("id", "doc_id", "province", "province_now", "issuer", "kind", "year", "date_lo", "date_hi", "themes", "agencies",
          "diseases", "text_acc", "bm25_acc", "text_fold", "bm25_fold", "dense")
MAX_TEXT = 65535


@dataclass(frozen=True)
class MilvusOptions:
    """Where and how the clauses are kept in Milvus (plain values; ``Settings`` fills them)."""

    uri: str
    token: str | None = None
    #: Collection name; default ``congvan_<folder name>_<hash of the folder path>``.
    collection: str | None = None
    #: "project" (Milvus finds candidates, ``ranking.rank`` fuses), "rrf" or "weighted" (Milvus
    #: ``hybrid_search`` fuses).
    ranker: str = "project"
    #: Dense index: "HNSW" (Lite and clusters); "AUTOINDEX" on Zilliz Cloud.
    index_type: str = "HNSW"
    hnsw_m: int = 32
    ef_construction: int = 80
    ef_search: int = 384
    num_partitions: int = 16
    timeout: float = 60.0
    #: Count every keyword match in Milvus (TEXT_MATCH, one count per new query token and one per
    #: query) for ``total``. Off: ``total`` counts the matching candidates (at most 3 × depth);
    #: Milvus Lite needs ~0.5 s per count, a cluster milliseconds.
    exact_total: bool = False


_SAFE = re.compile(r"[^\W_]")


def milvus_token(token: str) -> str:
    """``token`` in letters and digits only ('2116/byt-dp' → '2116q2fqbytq2dqdp').

    Milvus' standard analyzer splits on punctuation; escaping keeps our tokens whole. Injective:
    'q' is written 'qq' and every other non-alphanumeric character as 'q<hex code>q'.
    """
    out = []
    for ch in token.lower():
        if ch == "q":
            out.append("qq")
        elif _SAFE.match(ch):
            out.append(ch)
        else:
            out.append(f"q{ord(ch):x}q")
    return "".join(out)


def milvus_text(tokens: list[str]) -> str:
    """Analysed tokens as one space-separated string for Milvus' BM25 (cut at the field limit)."""
    text = " ".join(milvus_token(t) for t in tokens if t)
    if len(text.encode("utf-8")) > MAX_TEXT:
        text = text.encode("utf-8")[:MAX_TEXT].decode("utf-8", "ignore").rsplit(" ", 1)[0]
    return text


def _quote(value: str) -> str:
    return json.dumps(str(value), ensure_ascii=False)


def filter_expression(filters: SearchFilters | None) -> str:
    """A Milvus boolean expression for ``filters`` ('' when nothing is filtered)."""
    if filters is None or filters.is_empty():
        return ""
    parts = []
    if filters.year is not None:
        parts.append(f"year == {int(filters.year)}")
    lo, hi = filters.date_range()
    if lo is not None:
        parts.append(f"(date_hi >= {lo} and date_lo >= 0)")
    if hi is not None:
        parts.append(f"(date_lo <= {hi} and date_lo >= 0)")
    if filters.province:  # the letter's province, or the one its area belongs to today
        want = _quote(province_key(filters.province))
        parts.append(f"(province == {want} or province_now == {want})")
    if filters.issuer:
        want = issuer_key(filters.issuer).replace("%", "").replace("_", "")
        parts.append(f"issuer like {_quote('%' + want + '%')}")
    if filters.doc_id:
        parts.append(f"doc_id == {_quote(filters.doc_id)}")
    if filters.kind:
        parts.append(f"kind in [{', '.join(_quote(k) for k in filters.kind)}]")
    for field, wanted in (("themes", filters.theme), ("agencies", filters.agency), ("diseases", filters.disease)):
        if wanted:
            parts.append(f"array_contains_any({field}, [{', '.join(_quote(v) for v in wanted)}])")
    return " and ".join(parts)


class MilvusSnapshot:
    """What a Milvus-backed search reads locally: the SQLite generation and the filter table."""

    stale = 0

    def __init__(self, generation: int, data_hash: str, table) -> None:
        self.generation = generation
        self.data_hash = data_hash
        self.table = table

    def __len__(self) -> int:
        return len(self.table)


_ROW_SQL = """
SELECT c.id, c.doc_id, c.kind, c.themes, c.lead, c.support, c.tokens, c.tokens_folded, c.embedding,
       l.year, l.month, l.day, l.province, l.issuer, c.diseases
FROM clauses c JOIN letters l ON l.doc_id = c.doc_id
"""


def _entity(row: tuple) -> dict[str, Any]:
    (cid, doc_id, kind, themes, lead, support, tokens, folded, blob, year, month, day, province,
     issuer, diseases) = row
    if year is None:
        lo = hi = -1
    else:
        lo = year * 10000 + (month or 1) * 100 + (day or 1)
        hi = year * 10000 + (month or 12) * 100 + (day or 31)
    return {
        "id": int(cid), "doc_id": doc_id, "kind": kind if kind in KINDS else "directive",
        "province": province_key(province), "province_now": province_key(province_now(province)),
        "issuer": issuer_key(issuer)[:1000],
        "year": int(year) if year is not None else -1, "date_lo": lo, "date_hi": hi,
        "themes": sorted({t["id"] for t in json.loads(themes)})[:64],
        "agencies": sorted({*json.loads(lead), *json.loads(support)})[:64],
        "diseases": sorted(set(json.loads(diseases)))[:64],
        "text_acc": milvus_text(tokens.split()), "text_fold": milvus_text(folded.split()),
        "dense": np.frombuffer(blob, dtype="<f4").tolist(),
    }


def default_collection_name(folder: Path) -> str:
    import hashlib

    folder = Path(folder).expanduser().resolve()
    tag = re.sub(r"[^0-9A-Za-z_]", "_", folder.name)[:40]
    return f"congvan_{tag}_{hashlib.sha1(str(folder).encode()).hexdigest()[:8]}"


class MilvusCollection(Collection):
    """A ``Collection`` whose clause search runs in Milvus (see the module docstring)."""

    backend = "milvus"

    def __init__(self, folder: Path, encoder, store: Store, options: IndexOptions,
                 params: RankingParams, milvus: MilvusOptions) -> None:
        super().__init__(folder, encoder, store, options, params)
        self.milvus = milvus
        self.name = milvus.collection or default_collection_name(folder)
        if milvus.ranker not in ("project", "rrf", "weighted"):
            raise ValueError(f"unknown Milvus ranker {milvus.ranker!r}; use project, rrf or weighted")
        self.client = _client(milvus)
        self._max_synced = 0

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(cls, folder: Path | str, encoder, *, milvus: MilvusOptions | None = None,
             options: IndexOptions | None = None, params: RankingParams | None = None,
             reembed: bool = False, show_progress: bool = False) -> MilvusCollection:
        """Open (or create) the collection; its clauses are brought in step with SQLite."""
        if milvus is None:
            raise ValueError("the Milvus backend needs a URI: set CONGVAN_MILVUS_URI (e.g. "
                             "http://127.0.0.1:19530) or pass MilvusOptions(uri=...)")
        folder = Path(folder).expanduser()
        folder.mkdir(parents=True, exist_ok=True)
        store = Store(folder / DB_NAME, encoder_name=encoder.name, dim=encoder.dim, token_counts=True)
        try:
            col = cls(folder, encoder, store, options or IndexOptions(), params or params_for(encoder), milvus)
        except BaseException:
            store.close()
            raise
        try:
            if reembed and store.stored_encoder != (encoder.name, encoder.dim):
                col.rebuild(reembed=True, show_progress=show_progress)
            else:
                store.check_encoder()
                with col._write_lock():
                    col._ensure_schema()
                    col._reconcile(show_progress)
                    col._commit_snapshot()
        except BaseException:
            col.close()
            raise
        return col

    def close(self) -> None:
        try:
            self.client.close()
        except Exception:  # noqa: BLE001 - closing a dead connection must not mask the real error
            pass
        super().close()

    # ------------------------------------------------------------------ Milvus schema
    def _ensure_schema(self, drop: bool = False) -> None:
        from pymilvus import DataType, Function, FunctionType

        c = self.client
        if c.has_collection(self.name):
            desc = c.describe_collection(self.name)
            fields = {f.get("name"): f for f in desc.get("fields", [])}
            dim = (fields.get("dense") or {}).get("params", {}).get("dim")
            # Milvus Lite drops collection descriptions: the field set identifies the schema
            # (SCHEMA_VERSION is also kept in the sync manifest, see ``_reconcile``).
            ok = set(fields) == set(FIELDS) and dim is not None and int(dim) == self.encoder.dim
            if ok and not drop:
                c.load_collection(self.name)
                return
            missing = sorted(set(FIELDS) - set(fields))
            log.warning("Milvus collection %s has another schema or dimension%s: recreating it from SQLite "
                        "(no re-embedding; as long as `congvan rebuild`)", self.name,
                        f" (made by an older version, no field {', '.join(missing)})" if missing else "")
            c.drop_collection(self.name)
            self._forget_sync()
        s = c.create_schema(auto_id=False, enable_dynamic_field=False,
                            description=f"congvan schema {SCHEMA_VERSION}")
        s.add_field("id", DataType.INT64, is_primary=True)
        s.add_field("doc_id", DataType.VARCHAR, max_length=512)
        s.add_field("province", DataType.VARCHAR, max_length=128, is_partition_key=True)
        s.add_field("province_now", DataType.VARCHAR, max_length=128)
        s.add_field("issuer", DataType.VARCHAR, max_length=1024)
        s.add_field("kind", DataType.VARCHAR, max_length=16)
        s.add_field("year", DataType.INT32)
        s.add_field("date_lo", DataType.INT64)
        s.add_field("date_hi", DataType.INT64)
        s.add_field("themes", DataType.ARRAY, element_type=DataType.VARCHAR, max_capacity=64, max_length=64)
        s.add_field("agencies", DataType.ARRAY, element_type=DataType.VARCHAR, max_capacity=64, max_length=64)
        s.add_field("diseases", DataType.ARRAY, element_type=DataType.VARCHAR, max_capacity=64, max_length=64)
        for name in ("acc", "fold"):
            s.add_field(f"text_{name}", DataType.VARCHAR, max_length=MAX_TEXT, enable_analyzer=True,
                        enable_match=name == "fold", analyzer_params={"tokenizer": "standard"})
            s.add_field(f"bm25_{name}", DataType.SPARSE_FLOAT_VECTOR)
            s.add_function(Function(name=f"bm25_{name}", function_type=FunctionType.BM25,
                                    input_field_names=[f"text_{name}"], output_field_names=[f"bm25_{name}"]))
        s.add_field("dense", DataType.FLOAT_VECTOR, dim=self.encoder.dim)
        ip = c.prepare_index_params()
        if self.milvus.index_type.upper() == "HNSW":
            ip.add_index("dense", index_type="HNSW", metric_type="IP",
                         params={"M": self.milvus.hnsw_m, "efConstruction": self.milvus.ef_construction})
        else:
            ip.add_index("dense", index_type=self.milvus.index_type, metric_type="IP")
        bm25 = {"bm25_k1": self.options.bm25_k1, "bm25_b": self.options.bm25_b}
        for name in ("acc", "fold"):
            ip.add_index(f"bm25_{name}", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25", params=bm25)
        c.create_collection(self.name, schema=s, index_params=ip, num_partitions=self.milvus.num_partitions)
        c.load_collection(self.name)

    # ------------------------------------------------------------------ syncing SQLite → Milvus
    @property
    def _sync_path(self) -> Path:
        return self.folder / SYNC_DIR

    def _forget_sync(self) -> None:
        (self._sync_path / "manifest.json").unlink(missing_ok=True)

    def _write_sync(self) -> None:
        self._sync_path.mkdir(exist_ok=True)
        write_manifest(self._sync_path, SYNC_KIND, SYNC_VERSION, collection=self.name,
                          uri=self.milvus.uri, generation=self.store.generation(),
                          max_id=self._max_synced, schema=SCHEMA_VERSION)

    def _milvus_ids(self) -> np.ndarray:
        it = self.client.query_iterator(self.name, batch_size=16384, filter="id >= 0", output_fields=["id"])
        ids: list[int] = []
        try:
            while True:
                batch = it.next()
                if not batch:
                    break
                ids.extend(int(r["id"]) for r in batch)
        finally:
            it.close()
        return np.unique(np.asarray(ids, np.int64))

    def _reconcile(self, show_progress: bool = False) -> None:
        """Make Milvus hold exactly SQLite's clauses (after a crash, or another process' writes).

        Skipped when the sync file says Milvus was in step at SQLite's current generation, on
        this server (same URI) and it still holds that many clauses: the folder pointed at another
        or a wiped server must not search an empty collection.
        """
        try:
            sync = read_manifest(self._sync_path, SYNC_KIND, SYNC_VERSION)
        except ArtifactError:
            sync = None
        if (sync and sync.get("collection") == self.name and sync.get("generation") == self.store.generation()
                and sync.get("schema") == SCHEMA_VERSION and sync.get("uri") == self.milvus.uri
                and self._count("id >= 0") == self.store.counts()[1]):
            self._max_synced = int(sync.get("max_id", 0))
            return
        sqlite_ids = self.store.clause_ids()
        milvus_ids = self._milvus_ids()
        gone = np.setdiff1d(milvus_ids, sqlite_ids, assume_unique=True)
        new = np.setdiff1d(sqlite_ids, milvus_ids, assume_unique=True)
        if gone.shape[0]:
            for start in range(0, gone.shape[0], 10000):
                self.client.delete(self.name, ids=gone[start:start + 10000].tolist())
        if new.shape[0]:
            log.info("Milvus %s: adding %d clauses from SQLite", self.name, new.shape[0])
            self._insert_ids(new, show_progress)
        self._max_synced = int(sqlite_ids.max()) if sqlite_ids.shape[0] else 0
        if gone.shape[0] or new.shape[0]:
            self.client.flush(self.name)

    def _insert_rows(self, where: str, args: list, show_progress: bool = False, total: int | None = None,
                     upsert: bool = False) -> int:
        from tqdm.auto import tqdm

        cur = self.store.conn.execute(_ROW_SQL + where, args)
        n = 0
        with tqdm(total=total, unit="clause", desc="milvus", disable=not show_progress) as bar:
            while True:
                rows = cur.fetchmany(INSERT_BATCH)
                if not rows:
                    break
                data = [_entity(r) for r in rows]
                (self.client.upsert if upsert else self.client.insert)(self.name, data)
                n += len(data)
                self._max_synced = max(self._max_synced, max(d["id"] for d in data))
                bar.update(len(data))
        return n

    def _insert_ids(self, ids: np.ndarray, show_progress: bool = False) -> None:
        ids = np.sort(np.asarray(ids, np.int64))
        if ids.shape[0] and ids.shape[0] == int(ids[-1] - ids[0] + 1):  # one contiguous range
            self._insert_rows("WHERE c.id BETWEEN ? AND ? ORDER BY c.id", [int(ids[0]), int(ids[-1])],
                              show_progress, ids.shape[0])
            return
        for start in range(0, ids.shape[0], 900):
            chunk = ids[start:start + 900].tolist()
            self._insert_rows(f"WHERE c.id IN ({','.join('?' * len(chunk))}) ORDER BY c.id", chunk)

    def _delete_docs(self, doc_ids: list[str]) -> None:
        for start in range(0, len(doc_ids), 500):
            part = doc_ids[start:start + 500]
            self.client.delete(self.name, filter=f"doc_id in [{', '.join(_quote(d) for d in part)}]")

    def _store_chunk(self, chunk, results, replace_source: bool = False) -> None:
        """Commit a chunk of letters to SQLite, then write their clauses to Milvus."""
        try:
            super()._store_chunk(chunk, results, replace_source)
        finally:
            done = [results[i] for i, *_ in chunk if results[i] is not None]
            touched = [r.doc_id for r in done if r.status != "added"]
            touched += [d for r in done for d in (r.replaced or [])]
            if touched:
                self._delete_docs(list(dict.fromkeys(touched)))
            if done:
                self._insert_rows("WHERE c.id > ? ORDER BY c.id", [self._max_synced])

    def delete(self, doc_id: str) -> None:
        with self._write_lock():
            self.store.delete_letter(doc_id)
            self._delete_docs([doc_id])
            self._commit_snapshot()

    def update_clause_labels(self, clause_id: str, themes: list[str], lead: list[str],
                             support: list[str]) -> dict[str, Any]:
        with self._write_lock():
            old = self.store.set_clause_labels(clause_id, themes, lead, support)
            self._insert_rows("WHERE c.clause_id = ? AND c.doc_id = ?", [clause_id, old["doc_id"]], upsert=True)
            self._commit_snapshot()
        return old

    def _commit_snapshot(self, base_ok: bool = True) -> None:
        """After writes (lock held): flush Milvus, record the sync, refresh the filter table."""
        self.client.flush(self.name)
        self._write_sync()
        self._snap = self._local_snapshot()

    def _local_snapshot(self) -> MilvusSnapshot:
        """The filter table at SQLite's generation: the current one updated with what this
        process's writes changed, else read from every row."""
        old = self._snap
        with self.store.read() as conn:
            generation = self.store.generation()
            table, _ = current_table(self.store, conn, (old.table, old.generation) if old else None, generation)
            return MilvusSnapshot(generation, self.store.data_hash(conn), table)

    def _load_or_sync(self, save: bool) -> MilvusSnapshot:
        with self._write_lock():
            self._reconcile()
            self._commit_snapshot()
        return self._snap

    def refresh(self) -> None:
        snap = self._snap
        try:
            generation = self.store.generation()
        except Exception:  # noqa: BLE001 - a busy database must not fail a search
            return
        if snap is not None and generation == snap.generation:
            return
        with self._write_lock(blocking=False) as locked:
            if not locked:
                return
            self._reconcile()
            self._commit_snapshot()

    def rebuild(self, reembed: bool = False, show_progress: bool = False) -> None:
        """Recreate the Milvus collection from SQLite (``reembed``: with the current encoder)."""
        with self._write_lock():
            if reembed:
                self._reembed_stored(show_progress)
            self._ensure_schema(drop=True)
            self._max_synced = 0
            self._insert_rows("ORDER BY c.id", [], show_progress, self.store.counts()[1])
            self._commit_snapshot()

    def reconfigure(self, options: IndexOptions, save: bool = False) -> None:
        with self._write_lock():
            changed = (options.bm25_k1, options.bm25_b) != (self.options.bm25_k1, self.options.bm25_b)
            self.options = options
            if changed:
                self.rebuild()

    def stats(self) -> dict[str, Any]:
        snap = self.snapshot
        docs, clauses = self.store.counts()
        size = sum(p.stat().st_size for p in self.folder.rglob("*") if p.is_file())
        try:
            in_milvus = int(self.client.get_collection_stats(self.name).get("row_count", -1))
        except Exception:  # noqa: BLE001 - stats are informative
            in_milvus = -1
        return {"documents": docs, "clauses": clauses, "generation": snap.generation,
                "indexed_clauses": len(snap), "vector_index": f"milvus:{self.milvus.index_type.lower()}",
                "vectors": in_milvus, "stale_vectors": 0, "encoder": self.encoder.name,
                "dim": self.encoder.dim, "disk_bytes": size, "backend": "milvus",
                "milvus_collection": self.name}

    # ------------------------------------------------------------------ reading
    def _search(self, field: str, data: list, limit: int, expr: str) -> tuple[np.ndarray, np.ndarray]:
        """(clause ids, scores ≥ 0, best first) of one Milvus search."""
        if field == "dense":
            params = {"metric_type": "IP", "params": {"ef": max(self.milvus.ef_search, limit)}}
        else:
            params = {"metric_type": "BM25"}
        res = self.client.search(self.name, data=data, anns_field=field, limit=limit, filter=expr,
                                 search_params=params, output_fields=["id"], timeout=self.milvus.timeout)
        hits = res[0] if res else []
        ids = np.fromiter((int(h["id"]) for h in hits), np.int64, len(hits))
        # Milvus Lite reports BM25 as a negative distance, a cluster as a positive score.
        scores = np.fromiter((abs(float(h["distance"])) if field != "dense" else float(h["distance"])
                              for h in hits), np.float64, len(hits))
        return ids, scores

    @staticmethod
    def _slots(snap: MilvusSnapshot, ids: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rowids = snap.table.rowids
        if not rowids.shape[0] or not ids.shape[0]:
            return np.zeros(0, np.int64), np.zeros(0)
        slot = np.minimum(np.searchsorted(rowids, ids), rowids.shape[0] - 1)
        keep = rowids[slot] == ids  # rows written after this snapshot was taken are skipped
        return slot[keep].astype(np.int64), scores[keep]

    def rank(self, query: str | QueryTerms, *, filters: Mapping[str, Any] | SearchFilters | None = None,
             mode: str = "hybrid", params: RankingParams | None = None, depth: int | None = None,
             query_vector: np.ndarray | None = None, snapshot=None) -> Ranked:
        """Ranked slots for a query, from Milvus candidates (see the module docstring)."""
        if mode not in MODES:
            raise ValueError(f"unknown search mode {mode!r}; use one of {', '.join(MODES)}")
        params = params or self.params
        snap = snapshot or self.snapshot
        terms = query if isinstance(query, QueryTerms) else analyze_query(query)
        depth = max(depth or params.depth, 1)
        flt = SearchFilters.from_mapping(filters)
        expr = filter_expression(flt)
        n = len(snap)
        empty = Ranked(np.zeros(0, np.int64), np.zeros(0), 0)
        if not n:
            return empty
        qv, dense_query = None, None
        if mode != "bm25":
            if query_vector is None:
                dense_query = self.dense_text(terms, snap)
                query_vector = self.query_vector(dense_query)
            qv = np.asarray(query_vector, np.float32)
        if self.milvus.ranker != "project" and mode == "hybrid":
            ranked = self._rank_native(terms, qv, expr, depth, params, snap)
            ranked.dense_query = dense_query
            return ranked
        limit = min(depth, 16384)
        zeros = np.zeros(n, np.float32)
        kw, keyword_match = zeros, np.zeros(n, bool)
        keyword_total = 0
        if mode != "dense" and not terms.empty:
            acc = np.zeros(n, np.float32)
            if terms.has_diacritics:
                s, v = self._slots(snap, *self._search("bm25_acc", [milvus_text(terms.accented)], limit, expr))
                acc[s] = v
            fold = np.zeros(n, np.float32)
            s, v = self._slots(snap, *self._search("bm25_fold", [milvus_text(terms.folded)], limit, expr))
            fold[s] = v
            keyword_match = fold > 0
            if params.keyword_window_share(terms.n_syllables) > 0:  # long queries: best passages
                acc, fold = self._keyword_windows(
                    terms, acc, fold, params, depth, None, n, snap.table.rowids,
                    lambda words: self.store.token_doc_freq(words, folded=not terms.has_diacritics))
            kw = keyword_scores(acc, fold, terms.has_diacritics, params)
            if self.milvus.exact_total:
                keyword_total = self._keyword_total(snap, terms, params, expr)
        code_match = None
        if terms.codes:
            s, _ = self._slots(snap, *self._search("bm25_acc", [milvus_text(terms.codes)], limit, expr))
            if s.shape[0]:
                code_match = np.zeros(n, bool)
                code_match[s] = True
        dense_match = np.zeros(n, bool)
        dense_top = (np.zeros(0, np.int64), np.zeros(0, np.float32))
        if mode != "bm25":
            s, v = self._slots(snap, *self._search("dense", [qv.tolist()], limit, expr))
            dense_top = (s, v.astype(np.float32))
            dense_match[s[v >= params.dense_floor]] = True

        def dense_at(slots: np.ndarray) -> np.ndarray:
            if qv is None:
                return np.zeros(len(slots), np.float32)
            want = snap.table.rowids[slots]
            ids, vecs = self.store.embeddings(want)
            out = np.zeros(len(slots), np.float32)
            pos = np.searchsorted(ids, want)
            ok = (pos < ids.shape[0]) & (ids[np.minimum(pos, max(ids.shape[0] - 1, 0))] == want)
            out[ok] = vecs[pos[ok]] @ qv
            return self._with_windows(qv, want, out, params, terms.n_syllables)

        match_at, letter_slots = None, None
        if mode == "hybrid":  # the embedded backend's query-word features, counts from SQLite
            match_at, letter_slots = self._matching(snap, terms, params, snap.table.mask(flt), self._folded_df)
        ranked = rank(kw=kw, dense_top=dense_top, dense_at=dense_at, kinds=snap.table.kind,
                      keyword_match=keyword_match, dense_match=dense_match, code_match=code_match,
                      params=params, mode=mode, depth=depth, n_terms=terms.n_syllables,
                      match_at=match_at, extra=letter_slots, letters=snap.table.doc_index,
                      diseases_at=snap.table.diseases_at)
        # Milvus returns at most ``depth`` candidates per list; the keyword part of the total is
        # counted in Milvus (TEXT_MATCH), meaning-only matches come from the dense candidates.
        if mode != "dense":
            extra = dense_match & ~keyword_match if mode == "hybrid" else np.zeros(n, bool)
            if code_match is not None:
                extra |= code_match & ~keyword_match
            ranked.total = max(ranked.total, keyword_total + int(extra.sum()))
        ranked.dense_query = dense_query
        return ranked

    def _accented_counts(self, snap: MilvusSnapshot):
        """Tone restoration (``Collection.dense_text``) counts from SQLite's ``token_counts``:
        counting in Milvus would cost a server query per candidate syllable."""
        return self.store.token_doc_freq if len(snap) else None

    def _folded_df(self, tokens: list[str]) -> np.ndarray:
        """Clauses holding each folded token, from the counts SQLite keeps for this backend (a
        ``TEXT_MATCH`` count in Milvus costs a server query per token)."""
        return self.store.token_doc_freq(tokens, folded=True)

    def _count(self, expr: str) -> int:
        res = self.client.query(self.name, filter=expr, output_fields=["count(*)"], timeout=self.milvus.timeout)
        return int(res[0]["count(*)"]) if res else 0

    def _keyword_total(self, snap: MilvusSnapshot, terms: QueryTerms, params: RankingParams, expr: str) -> int:
        """Clauses allowed by ``expr`` that contain a query token that is not among the commonest
        (the embedded backend's ``keyword_match``)."""
        if not terms.folded:
            return 0
        rare = matching_tokens(terms.folded, self._folded_df(terms.folded), len(snap), params.common_token_ratio)
        match = f"TEXT_MATCH(text_fold, {_quote(milvus_text(rare))})"
        return self._count(f"{match} and ({expr})" if expr else match)

    def _rank_native(self, terms: QueryTerms, qv: np.ndarray, expr: str, depth: int,
                     params: RankingParams, snap: MilvusSnapshot) -> Ranked:
        """Milvus fuses BM25 (folded, and accented for queries with tone marks) and dense."""
        from pymilvus import AnnSearchRequest, RRFRanker, WeightedRanker

        limit = min(depth, 16384)
        w = params.dense_weight_for(terms.n_syllables)
        reqs, weights = [], []
        if not terms.empty:
            if terms.has_diacritics:
                reqs.append(AnnSearchRequest([milvus_text(terms.accented)], "bm25_acc", {"metric_type": "BM25"},
                                             limit, expr=expr or None))
                weights.append((1 - w) * params.accent_weight)
            reqs.append(AnnSearchRequest([milvus_text(terms.folded)], "bm25_fold", {"metric_type": "BM25"},
                                         limit, expr=expr or None))
            weights.append((1 - w) * (1 - params.accent_weight if terms.has_diacritics else 1.0))
        reqs.append(AnnSearchRequest([qv.tolist()], "dense", {"metric_type": "IP",
                                     "params": {"ef": max(self.milvus.ef_search, limit)}}, limit,
                                     expr=expr or None))
        weights.append(w)
        ranker = RRFRanker(int(params.rrf_k)) if self.milvus.ranker == "rrf" else WeightedRanker(*weights)
        res = self.client.hybrid_search(self.name, reqs, ranker=ranker, limit=limit, output_fields=["id"],
                                        timeout=self.milvus.timeout)
        hits = res[0] if res else []
        ids = np.fromiter((int(h["id"]) for h in hits), np.int64, len(hits))
        scores = np.fromiter((float(h["distance"]) for h in hits), np.float64, len(hits))
        slots, scores = self._slots(snap, ids, scores)
        return Ranked(slots, scores, int(slots.shape[0]))


def _client(options: MilvusOptions):
    from pymilvus import MilvusClient

    try:
        # pymilvus pings idle connections every 10 s; a gRPC server with default policy (Milvus
        # Lite's) answers that with GOAWAY "too many pings" and the client cannot reconnect.
        # Pinging at the gRPC default minimum (5 min), only during calls, suits Lite and clusters.
        grpc_options = {"grpc.keepalive_time_ms": 300_000, "grpc.keepalive_permit_without_calls": False}
        return MilvusClient(uri=options.uri, token=options.token or "", timeout=options.timeout,
                            grpc_options=grpc_options)
    except Exception as exc:  # noqa: BLE001 - pymilvus raises several kinds; say how to fix
        raise ConnectionError(
            f"cannot reach Milvus at {options.uri} ({exc}). Start one (`milvus-lite server --data-dir DIR "
            f"--host 127.0.0.1 --port 19530`, or a cluster) and set CONGVAN_MILVUS_URI / "
            f"CONGVAN_MILVUS_TOKEN.") from exc


def open_collection(folder: Path | str, encoder, *, backend: str = "embedded",
                    milvus: MilvusOptions | None = None, **kwargs) -> Collection:
    """``Collection.open`` for the embedded backend, ``MilvusCollection.open`` for "milvus"."""
    if backend == "embedded":
        return Collection.open(folder, encoder, **kwargs)
    if backend == "milvus":
        return MilvusCollection.open(folder, encoder, milvus=milvus, **kwargs)
    raise ValueError(f"unknown backend {backend!r}; use 'embedded' or 'milvus' (CONGVAN_BACKEND)")


__all__ = ["MilvusCollection", "MilvusOptions", "filter_expression", "milvus_text", "milvus_token",
           "open_collection"]
