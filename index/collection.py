"""``Collection``: the one object the CLI, the API and the evaluation use to index and search.

    col = Collection.open(folder, encoder)
    col.ingest_letters(letters)            # or upsert_letter(letter)
    col.search("biện pháp tiêm vét", top_k=10, filters={"province": "Lạng Sơn"})
    col.delete(doc_id); col.get_letter(doc_id); col.stats(); col.rebuild()

Folder layout: ``collection.sqlite3`` (source of truth, see :mod:`index.store`), ``derived/``
(BM25 + vectors, see :mod:`index.derived`), ``corrections/`` (staff label corrections, see
:mod:`index.corrections`) and ``write.lock``.

Concurrency: writes (ingest, delete, rebuild) hold an in-process ``RLock`` and an exclusive
``flock`` on ``write.lock`` (other processes); a search takes the current snapshot once and reads
only from it, so it sees one consistent state while a writer builds and swaps in the next.
When another process changed the collection, the next search loads its saved folder.
"""
from __future__ import annotations

import fcntl
import itertools
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from congvan.index.corrections import CorrectionStore, overlay
from congvan.index.derived import (
    IndexOptions,
    Snapshot,
    StaleIndex,
    build_snapshot,
    load_keyword,
    load_snapshot,
    load_vectors,
    read_derived_manifest,
    save_snapshot,
)
from congvan.index.filters import SearchFilters
from congvan.index.keyword import QueryTerms, analyze_query, clause_tokens, matching_tokens
from congvan.index.letter_context import HeaderIndex, LetterHeaders, heading_tokens
from congvan.index.matching import MatchFeatures, match_features, query_words
from congvan.index.ranking import (
    MODES,
    Ranked,
    RankingParams,
    keyword_scores,
    params_for,
    rank,
    top_slots,
    window_rescore,
)
from congvan.index.results import Hit, IngestResult, SearchResult
from congvan.index.snippets import make_snippet
from congvan.index.store import (
    DB_NAME,
    ClauseNotFound,
    ClauseRow,
    DocumentNotFound,
    Store,
    letter_fingerprint,
)
from congvan.index.tones import restore_tones
from congvan.index.windows import best_window, clause_windows, keyword_window_scores
from congvan.letters.schema import Letter
from congvan.models.artifacts import ArtifactError

log = logging.getLogger(__name__)

DERIVED_DIR = "derived"
LOCK_FILE = "write.lock"
#: Clauses embedded per encoder call during ingest; letters are committed after each chunk, so
#: an interrupted ingest loses at most one chunk of work.
INGEST_CHUNK = 64
MAX_TOP_K = 1000
#: Clauses per encoder call while ingesting (a concurrent search waits at most one such call).
EMBED_SLICE = 16
#: Recent query vectors: paging and facet clicks repeat the query, so they skip the encoder.
QUERY_CACHE_SIZE = 512
#: Worker threads for the dense side of searches (each search uses one while it scores keywords).
DENSE_THREADS = 4

__all__ = ["Collection", "ClauseNotFound", "DocumentNotFound", "SearchFilters", "SearchResult", "IngestResult"]


_DENSE_POOL: ThreadPoolExecutor | None = None
_DENSE_POOL_LOCK = threading.Lock()


def _dense_pool() -> ThreadPoolExecutor:
    """Threads that run searches' dense side (created on first use, shared by collections)."""
    global _DENSE_POOL
    with _DENSE_POOL_LOCK:
        if _DENSE_POOL is None:
            _DENSE_POOL = ThreadPoolExecutor(max_workers=DENSE_THREADS, thread_name_prefix="congvan-dense")
        return _DENSE_POOL


def _window_matrix(texts: list[str], vectors: Mapping[str, np.ndarray]) -> np.ndarray | None:
    """The (k, dim) vectors of a clause's window texts (None when it has none)."""
    return np.stack([vectors[t] for t in texts]).astype(np.float32) if texts else None


def _with_end(items: Iterable[Letter]) -> Iterator[Letter | None]:
    """``items`` then ``None`` (marks the end of the last partial chunk)."""
    yield from items
    yield None


class Collection:
    """A searchable set of letters in one folder."""

    def __init__(self, folder: Path, encoder, store: Store, options: IndexOptions,
                 params: RankingParams) -> None:
        self.folder = Path(folder)
        self.encoder = encoder
        self.store = store
        self.options = options
        self.params = params
        self._lock = threading.RLock()
        self._lock_depth = 0
        self._lock_fd: int | None = None
        self._snap: Snapshot | None = None
        #: Staff corrections beside the collection (``<folder>/corrections``).
        self.corrections = CorrectionStore.for_index(self.folder)
        self._query_vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._query_vectors_lock = threading.Lock()
        self._header_index = HeaderIndex()

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(cls, folder: Path | str, encoder, *, options: IndexOptions | None = None,
             params: RankingParams | None = None, reembed: bool = False,
             show_progress: bool = False) -> Collection:
        """Open (or create) the collection in ``folder``, searching with ``encoder``.

        A derived folder that is missing, damaged, from another format version or older than
        SQLite is rebuilt from SQLite (no re-embedding). ``reembed=True`` re-embeds every clause
        with ``encoder`` when the collection was built with another model.
        """
        folder = Path(folder).expanduser()
        folder.mkdir(parents=True, exist_ok=True)
        store = Store(folder / DB_NAME, encoder_name=encoder.name, dim=encoder.dim)
        col = cls(folder, encoder, store, options or IndexOptions(), params or params_for(encoder))
        try:
            if reembed and store.stored_encoder != (encoder.name, encoder.dim):
                col.rebuild(reembed=True, show_progress=show_progress)
            else:
                store.check_encoder()
                col._snap = col._load_or_sync(save=True)
        except BaseException:
            store.close()
            raise
        return col

    def close(self) -> None:
        self.store.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> Collection:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def derived_dir(self) -> Path:
        return self.folder / DERIVED_DIR

    @contextmanager
    def _write_lock(self, blocking: bool = True) -> Iterator[bool]:
        """In-process RLock + inter-process flock; yields False if not blocking and busy."""
        if not self._lock.acquire(blocking=blocking):
            yield False
            return
        try:
            if self._lock_depth == 0:
                if self._lock_fd is None:
                    self._lock_fd = os.open(self.folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
                try:
                    fcntl.flock(self._lock_fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
                except BlockingIOError:
                    yield False
                    return
            self._lock_depth += 1
            try:
                yield True
            finally:
                self._lock_depth -= 1
                if self._lock_depth == 0:
                    fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
        finally:
            self._lock.release()

    def _load_or_sync(self, save: bool) -> Snapshot:
        """The saved snapshot if it matches SQLite; else one brought up to date from SQLite
        (saved when ``save`` and no other process is writing)."""
        try:
            return load_snapshot(self.derived_dir, self.store, self.options)
        except StaleIndex as exc:
            log.info("%s", exc)
            base, keyword = None, None
            try:
                base = load_vectors(self.derived_dir, exc.manifest, self.options)
            except (ArtifactError, OSError, RuntimeError, KeyError, ValueError):
                base = None
            try:  # the saved keyword segments + what changed since (a crash after a commit)
                keyword = load_keyword(self.derived_dir, exc.manifest)
            except (ArtifactError, OSError, KeyError, ValueError):
                keyword = None
        except ArtifactError as exc:
            if self.derived_dir.exists():
                log.warning("rebuilding the search index from SQLite: %s", exc)
            base, keyword = None, None
        with self._write_lock(blocking=False) as locked:
            snap = build_snapshot(self.store, self.options, base, keyword)
            if save and locked:
                save_snapshot(snap, self.derived_dir)
        return snap

    def _commit_snapshot(self, base_ok: bool = True) -> None:
        """After writes (lock held): bring the derived structures up to date (only what changed
        when ``base_ok``), save, swap."""
        old = self._snap if base_ok else None
        snap = build_snapshot(self.store, self.options, old.vectors if old else None,
                              (old.accented, old.folded) if old else None, previous=old)
        save_snapshot(snap, self.derived_dir)
        self._snap = snap

    def refresh(self) -> None:
        """Pick up changes another process committed (or repair after its crash)."""
        snap = self._snap
        try:
            generation = self.store.generation()
        except Exception:  # noqa: BLE001 - a busy/locked database must not fail a search
            return
        if snap is not None and generation == snap.generation:
            return
        with self._write_lock(blocking=False) as locked:
            if not locked or (self._snap is not None and self.store.generation() == self._snap.generation):
                return
            try:
                self._snap = load_snapshot(self.derived_dir, self.store, self.options)
            except ArtifactError:
                # Nobody else holds the write lock, so no writer is about to save: repair.
                self._commit_snapshot()

    # ------------------------------------------------------------------ writing
    def ingest_letters(self, letters: Iterable[Letter], show_progress: bool = False,
                       replace_source: bool = False,
                       vectors: Mapping[str, np.ndarray] | None = None) -> list[IngestResult]:
        """Index letters, committing one letter per transaction.

        ``vectors``: clause text → embedding already computed elsewhere (distributed ingest
        embeds on Ray workers); texts missing from it are embedded here.

        - new content: embedded and stored ("added"); with ``replace_source`` (``congvan ingest``
          of file paths) a changed version of an already indexed source file replaces it
          ("replaced"); without it letters that share a file name all stay;
        - the same content with the same tags: skipped ("unchanged"), so re-running an
          interrupted ingest resumes where it stopped;
        - the same content with other tags (a retrained tagger): stored again reusing the
          stored embeddings ("updated");
        - another copy of a stored letter (same ``doc_id``, text read from another encoding):
          the better-cased copy is kept (see ``_keeps_stored_copy``).

        The fingerprint compared is the tagger's output; staff corrections of the letter's clauses
        (``self.corrections``) are then laid over it, so a re-ingest keeps them. The search
        indexes are updated once, at the end of the batch.
        """
        letters = list(letters)
        results: list[IngestResult | None] = [None] * len(letters)
        self._given_vectors = dict(vectors or {})
        with self._write_lock():
            todo: list[int] = []
            seen: set[str] = set()
            prints = [letter_fingerprint(letter) for letter in letters]
            for i, letter in enumerate(letters):
                stored = self.store.fingerprint(letter.doc_id)
                if letter.doc_id in seen or (stored is not None and (
                        stored == prints[i] or self._keeps_stored_copy(letter))):
                    results[i] = IngestResult(letter.doc_id, letter.source, len(letter.clauses), "unchanged")
                else:
                    seen.add(letter.doc_id)
                    todo.append(i)
            if todo:
                try:
                    fixes = self._corrections_for([letters[i] for i in todo], replace_source)
                    items = [(i, overlay(letters[i], fix), prints[i]) for i, fix in zip(todo, fixes)]
                    self._embed_and_store(items, results, show_progress, replace_source)
                finally:  # whatever was committed becomes searchable, even if a later letter failed
                    self._given_vectors = {}
                    if any(results[i] is not None for i in todo):
                        self._commit_snapshot()
        return [r for r in results if r is not None]

    def _keeps_stored_copy(self, letter: Letter) -> bool:
        """Another copy of a stored letter (same content id, other text: a TCVN3 or VNI file,
        other spacing) keeps the stored copy unless it has more upper-case letters (legacy fonts
        lose case, so the better-cased copy is the better reading)."""
        text = self.store.letter_text(letter.doc_id)
        if text is None or text == letter.text:
            return False
        return sum(ch.isupper() for ch in letter.text) <= sum(ch.isupper() for ch in text)

    def _corrections_for(self, letters: list[Letter], replace_source: bool) -> list[dict[str, dict[str, Any]]]:
        """Per letter: clause text key → the latest staff correction to lay over it — those of
        the letter itself and, when it replaces an earlier version of its file, of that version
        (clauses whose text did not change keep their corrections)."""
        wanted: list[list[str]] = []
        for letter in letters:
            earlier = self.store.doc_ids_for_source(letter.source) if (replace_source and letter.source) else []
            wanted.append([d for d in earlier if d != letter.doc_id] + [letter.doc_id])
        by_doc = self.corrections.latest_by_doc({d for ids in wanted for d in ids})
        out = []
        for ids in wanted:
            merged: dict[str, dict[str, Any]] = {}
            for doc_id in ids:  # the letter's own corrections last: they win
                merged.update(by_doc.get(doc_id, {}))
            out.append(merged)
        return out

    def _embed_and_store(self, items: list[tuple[int, Letter, str]], results: list, show_progress: bool,
                         replace_source: bool) -> None:
        from tqdm.auto import tqdm

        total = sum(len(letter.clauses) for _, letter, _ in items)
        with tqdm(total=total, unit="clause", desc="ingest", disable=not show_progress) as bar:
            chunk: list[tuple[int, Letter, str]] = []
            size = 0
            for item in [*items, None]:
                if item is not None:
                    chunk.append(item)
                    size += len(item[1].clauses)
                if chunk and (item is None or size >= INGEST_CHUNK):
                    self._store_chunk(chunk, results, replace_source)
                    bar.update(sum(len(letter.clauses) for _, letter, _ in chunk))
                    chunk, size = [], 0

    def _store_chunk(self, chunk: list[tuple[int, Letter, str]], results: list, replace_source: bool) -> None:
        """Embed the clauses of a few letters in one encoder call, then commit letter by letter."""
        known: dict[str, np.ndarray] = dict(getattr(self, "_given_vectors", None) or {})
        for _, letter, _ in chunk:  # retagged letters: reuse their stored embeddings
            known.update(self.store.embeddings_by_text(letter.doc_id))
        texts = [c.text for _, letter, _ in chunk for c in letter.clauses]
        windows = {t: clause_windows(t) for t in texts}
        texts += [w for t in windows.values() for w in t]
        missing = list(dict.fromkeys(t for t in texts if t not in known))
        for start in range(0, len(missing), EMBED_SLICE):  # the encoder's lock is freed between
            part = missing[start:start + EMBED_SLICE]       # slices, so a search's query waits one slice
            known.update(zip(part, self.encoder.encode_passages(part, show_progress=False)))
        for i, letter, fingerprint in chunk:
            existed = self.store.has_letter(letter.doc_id)
            rows = [ClauseRow(c, *clause_tokens(c.text), known[c.text], _window_matrix(windows[c.text], known))
                    for c in letter.clauses]
            replaced = [d for d in self.store.put_letter(letter, rows, replace_source=replace_source,
                                                         fingerprint=fingerprint) if d != letter.doc_id]
            status = "updated" if existed else ("replaced" if replaced else "added")
            results[i] = IngestResult(letter.doc_id, letter.source, len(rows), status, replaced)

    def ingest_stream(self, letters: Iterable[Letter], replace_source: bool = False,
                      on_stored: Callable[[IngestResult], None] | None = None) -> list[IngestResult]:
        """``ingest_letters`` over a lazy iterable, one chunk (~``INGEST_CHUNK`` clauses) at a
        time: each chunk is committed (and made searchable) before later letters are read or
        tagged, so a kill loses at most the chunk in progress. ``on_stored`` sees each chunk's
        results right after their commit (the CLI's audit log)."""
        results: list[IngestResult] = []
        chunk: list[Letter] = []
        size = 0
        for letter in [*letters, None] if isinstance(letters, list) else _with_end(letters):
            if letter is not None:
                chunk.append(letter)
                size += len(letter.clauses)
            if chunk and (letter is None or size >= INGEST_CHUNK):
                done = self.ingest_letters(chunk, replace_source=replace_source)
                results.extend(done)
                for result in done:
                    if on_stored is not None and result.status != "unchanged":
                        on_stored(result)
                chunk, size = [], 0
        return results

    def upsert_letter(self, letter: Letter, replace_source: bool = False) -> IngestResult:
        """Index one letter (same rules as ``ingest_letters``)."""
        return self.ingest_letters([letter], replace_source=replace_source)[0]

    def delete(self, doc_id: str) -> None:
        """Remove a letter from every index; ``DocumentNotFound`` (a ``KeyError``) if unknown."""
        with self._write_lock():
            self.store.delete_letter(doc_id)
            self._commit_snapshot()

    def update_clause_labels(self, clause_id: str, themes: list[str], lead: list[str],
                             support: list[str]) -> dict[str, Any]:
        """Apply a staff correction so search results and filters show it at once.

        Returns the clause's ``doc_id``, ``text`` and previous labels (``ClauseNotFound`` if unknown).
        """
        with self._write_lock():
            old = self.store.set_clause_labels(clause_id, themes, lead, support)
            self._commit_snapshot()
        return old

    def retag_themes(self, tagger: Any, keep: Callable[[str, str], bool] | None = None,
                     batch: int = 64, progress: Callable[[int, int], None] | None = None) -> int:
        """Re-tag the themes of stored directive clauses with ``tagger`` (anything with
        ``tag_clauses``), e.g. after a better tagger was trained. ``keep(clause_id, text)`` true
        leaves a clause as it is (staff corrections). Works in batches so searches and uploads
        interleave; returns the number of clauses re-tagged."""
        from congvan.letters.schema import Clause

        todo = [row for row in self.store.directive_clauses() if keep is None or not keep(row[0], row[1])]
        themes: dict[str, list[dict[str, Any]]] = {}
        for s in range(0, len(todo), batch):
            # one call per letter subject within the batch (rows come letter by letter)
            for subject, rows in itertools.groupby(todo[s:s + batch], key=lambda row: row[3]):
                clauses = [Clause(clause_id=cid, path="", kind="directive", text=text, heading=heading)
                           for cid, text, heading, _ in rows]
                tagger.tag_clauses(clauses, subject)
                themes.update({c.clause_id: [{"id": t.id, "score": t.score} for t in c.themes] for c in clauses})
            if progress is not None:
                progress(len(themes), len(todo))
        texts = {cid: text for cid, text, _, _ in todo}
        with self._write_lock():
            if keep is not None:  # a correction saved while we were tagging wins
                themes = {cid: v for cid, v in themes.items() if not keep(cid, texts[cid])}
            done = self.store.set_clause_themes(themes)
            self._commit_snapshot()
        return done

    def rebuild(self, reembed: bool = False, show_progress: bool = False) -> None:
        """Rebuild every derived structure from SQLite; ``reembed`` also recomputes embeddings
        with the current encoder (after changing the model)."""
        with self._write_lock():
            if reembed:
                self._reembed_stored(show_progress)
            self._commit_snapshot(base_ok=False)

    def _reembed_stored(self, show_progress: bool = False) -> None:
        """Embed every stored clause again with the current encoder (lock held)."""
        ids, texts = self.store.clause_texts()
        windows = [clause_windows(t) for t in texts]
        every = texts + [w for ws in windows for w in ws]
        vectors = self.encoder.encode_passages(every, show_progress=show_progress) if every \
            else np.zeros((0, self.encoder.dim), np.float32)
        at = len(texts)
        matrices: list[np.ndarray | None] = []
        for ws in windows:
            matrices.append(np.asarray(vectors[at:at + len(ws)], np.float32) if ws else None)
            at += len(ws)
        self.store.reembed(ids, vectors[:len(texts)], matrices)

    def reconfigure(self, options: IndexOptions, save: bool = False) -> None:
        """Rebuild the derived structures from SQLite with other options (e.g. BM25 k1/b while
        tuning; vectors are reused when their kind doesn't change). Saved only if ``save``."""
        with self._write_lock():
            self.options = options
            old = self._snap
            snap = build_snapshot(self.store, options, old.vectors if old else None,
                                  (old.accented, old.folded) if old else None, previous=old)
            if save:
                save_snapshot(snap, self.derived_dir)
            self._snap = snap

    # ------------------------------------------------------------------ reading
    @property
    def snapshot(self) -> Snapshot:
        assert self._snap is not None
        return self._snap

    def get_letter(self, doc_id: str) -> dict[str, Any]:
        """The stored letter (tag JSON + ``doc_id`` and ``text``); ``DocumentNotFound`` if unknown."""
        return self.store.get_letter(doc_id)

    def letters(self) -> list[dict[str, Any]]:
        return self.store.list_letters()

    def stats(self) -> dict[str, Any]:
        snap = self.snapshot
        docs, clauses = self.store.counts()
        size = sum(p.stat().st_size for p in self.folder.rglob("*") if p.is_file())
        return {"documents": docs, "clauses": clauses, "generation": snap.generation,
                "indexed_clauses": len(snap), "vector_index": snap.vectors.kind,
                "vectors": len(snap.vectors), "stale_vectors": snap.stale,
                "encoder": self.encoder.name, "dim": self.encoder.dim, "disk_bytes": size}

    def rank(self, query: str | QueryTerms, *, filters: Mapping[str, Any] | SearchFilters | None = None,
             mode: str = "hybrid", params: RankingParams | None = None, depth: int | None = None,
             query_vector: np.ndarray | None = None, snapshot: Snapshot | None = None) -> Ranked:
        """Ranked slots of the snapshot for a query (what ``search`` pages through).

        ``query_vector`` skips embedding the query (evaluation embeds all queries at once).
        """
        if mode not in MODES:
            raise ValueError(f"unknown search mode {mode!r}; use one of {', '.join(MODES)}")
        params = params or self.params
        snap = snapshot or self.snapshot
        terms = query if isinstance(query, QueryTerms) else analyze_query(query)
        depth = max(depth or params.depth, 1)
        flt = SearchFilters.from_mapping(filters)
        allowed = snap.table.mask(flt)
        n = len(snap)
        # The dense side (query embedding, HNSW search, the count above the floor) runs in a
        # worker thread while this one scores keywords: the encoder and FAISS release the GIL.
        dense = None
        if mode != "bm25" and n:
            dense = _dense_pool().submit(self._dense, snap, terms, query_vector, depth, allowed, params)
        zeros = np.zeros(n, np.float32)
        try:
            if mode != "dense" and n:
                acc = snap.accented.scores(terms.accented) if terms.has_diacritics else zeros
                fold = snap.folded.scores(terms.folded)
                if params.keyword_window_share(terms.n_syllables) > 0:
                    acc, fold = self._keyword_windows(
                        terms, acc, fold, params, depth, allowed, len(snap), snap.table.rowids,
                        snap.accented.doc_freq if terms.has_diacritics else snap.folded.doc_freq)
                kw = keyword_scores(acc, fold, terms.has_diacritics, params, allowed)
                keyword_match = snap.folded.containing(self._match_tokens(snap, terms, params))
                if allowed is not None:
                    keyword_match &= allowed
            else:
                kw, keyword_match = zeros, np.zeros(n, bool)
            code_match = None
            if terms.codes and n:
                code_match = snap.accented.containing(terms.codes)
                if allowed is not None:
                    code_match &= allowed
                if not code_match.any():
                    code_match = None
        finally:
            found = dense.result() if dense is not None else None
        dense_match = np.zeros(n, bool)
        dense_top = (np.zeros(0, np.int64), np.zeros(0, np.float32))

        def dense_at(slots: np.ndarray) -> np.ndarray:
            return np.zeros(len(slots), np.float32)

        dense_query = None
        if found is not None:
            qv, dense_top, above_slots, dense_query = found
            dense_match[above_slots] = True

            def dense_at(slots: np.ndarray) -> np.ndarray:  # noqa: F811
                whole = snap.vectors.scores_at(qv, snap.slot_pos[slots])
                return self._with_windows(qv, snap.table.rowids[slots], whole, params, terms.n_syllables)

        match_at, extra = None, None
        if mode == "hybrid":
            match_at, extra = self._matching(snap, terms, params, allowed, snap.folded.doc_freq)
        ranked = rank(kw=kw, dense_top=dense_top, dense_at=dense_at, kinds=snap.table.kind,
                      keyword_match=keyword_match, dense_match=dense_match, code_match=code_match,
                      params=params, mode=mode, depth=depth, n_terms=terms.n_syllables,
                      match_at=match_at, extra=extra, letters=snap.table.doc_index,
                      diseases_at=snap.table.diseases_at)
        ranked.dense_query = dense_query
        return ranked

    def _matching(self, snap: Snapshot, terms: QueryTerms, params: RankingParams, allowed: np.ndarray | None,
                  doc_freq: Callable[[list[str]], np.ndarray]
                  ) -> tuple[Callable[[np.ndarray], MatchFeatures] | None, np.ndarray | None]:
        """(the query-word features of candidate slots, clauses of letters whose header covers
        the query) for hybrid ranking of a short query (``index.matching``); ``doc_freq``: folded
        document frequencies, from whichever index the backend keeps."""
        n = len(snap)
        if not (params.uses_matching and n and params.match_ramp(terms.n_syllables) > 0):
            return None, None
        words = query_words(terms.text, terms.has_diacritics, doc_freq, n)
        headers = self._headers(snap)
        extra = self._letter_candidates(snap, headers, words, params, allowed)

        def match_at(slots: np.ndarray) -> MatchFeatures:
            rowids = snap.table.rowids[slots].tolist()
            rows = self.store.match_inputs_by_id(rowids)
            found = [rows.get(r, ([], [], None)) for r in rowids]
            headings = [heading_tokens(h) if h else None for _, _, h in found] if params.heading_context else None
            return match_features(words, [row[:2] for row in found],
                                  fold_credit=params.fold_credit, window_pad=params.window_pad,
                                  headers=[headers.pair(d) for d in snap.table.doc_index[slots]],
                                  headings=headings)

        return match_at, extra

    def _with_windows(self, qv: np.ndarray, rowids: np.ndarray, whole: np.ndarray, params: RankingParams,
                      n_terms: int) -> np.ndarray:
        """Cosines of candidate clauses, a long clause scored by its best window as well as as a
        whole (long queries only, see ``index.windows``)."""
        share = params.window_share(n_terms)
        if share <= 0 or not len(rowids):
            return whole
        stored = self.store.windows_by_id(rowids.tolist())
        if not stored:
            return whole
        empty = np.zeros((0, qv.shape[0]), np.float32)
        best = best_window(qv, [stored.get(int(r), empty) for r in rowids])
        return window_rescore(np.asarray(whole, np.float64), best, share).astype(np.float32)

    def _keyword_windows(self, terms: QueryTerms, acc: np.ndarray, fold: np.ndarray, params: RankingParams,
                         depth: int, allowed: np.ndarray | None, n_docs: int, rowids: np.ndarray,
                         doc_freq: Callable[[list[str]], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """(acc, fold) BM25 streams of a long query with the best keyword window of each of the
        ``keyword_window_depth`` best candidates counted (``index.windows.keyword_window_scores``).
        Only one stream is rescored, since each window costs a pass over the candidate's tokens:
        the accented one for a query typed with tones (it weighs most), else the folded one. That
        stream comes back divided by its best score. ``doc_freq``: that stream's document
        frequencies, from whichever index the backend keeps; ``rowids``: the clause id per slot."""
        accented = terms.has_diacritics
        x, query = (acc, terms.accented) if accented else (fold, terms.folded)
        best = float(x.max(initial=0.0))
        words = [t for t in dict.fromkeys(query) if t]
        top = top_slots(x, min(depth, params.keyword_window_depth), within=allowed)
        if best <= 0 or not words or not len(top):
            return acc, fold
        ids = rowids[top]
        tokens = self.store.tokens_by_id(ids.tolist())
        df = np.asarray(doc_freq(words), np.float64)
        idf = np.log1p((n_docs - df + 0.5) / (df + 0.5))
        docs = [tokens.get(int(r), ([], []))[0 if accented else 1] for r in ids]
        win = keyword_window_scores(docs, words, idf, size=params.keyword_window_tokens,
                                    k1=self.options.bm25_k1, b=self.options.bm25_b)
        scaled = (x / best).astype(np.float32)
        if win.max(initial=0.0) > 0:
            share = params.keyword_window_share(terms.n_syllables)
            scaled[top] = np.maximum(scaled[top], share * win / win.max())
        return (scaled, fold) if accented else (acc, scaled)

    def _dense(self, snap: Snapshot, terms: QueryTerms, query_vector: np.ndarray | None, depth: int,
               allowed: np.ndarray | None, params: RankingParams
               ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray], np.ndarray]:
        """(query vector, (slots, cosines) of the best ``depth`` allowed neighbours, slots whose
        cosine passes the floor that makes a clause match by meaning, the text embedded or None)."""
        text = None
        if query_vector is None:
            text = self.dense_text(terms, snap)
            query_vector = self.query_vector(text)
        qv = np.asarray(query_vector, np.float32)
        pos_allowed = snap.position_mask(allowed)
        scores, pos = snap.vectors.search(qv, depth + snap.stale, pos_allowed)
        slots = snap.pos_slot[pos]
        keep = slots >= 0
        above = snap.pos_slot[snap.vectors.count_above(qv, params.dense_floor_for(terms.n_syllables), pos_allowed)]
        return qv, (slots[keep][:depth], scores[keep][:depth]), above[above >= 0], text

    def _headers(self, snap: Snapshot) -> LetterHeaders:
        """Letter-header tokens of the snapshot's letters (built once per snapshot, from headers
        analysed once per letter: the first search after a write analyses only new letters)."""
        headers = getattr(snap, "_letter_headers", None)
        if headers is None:
            headers = self._header_index.headers(snap.table.doc_ids, self.store.letter_stamps(),
                                                 self.store.letter_headers)
            snap._letter_headers = headers  # type: ignore[attr-defined]
        return headers

    @staticmethod
    def _letter_candidates(snap: Snapshot, headers: LetterHeaders, words, params: RankingParams,
                           allowed: np.ndarray | None) -> np.ndarray | None:
        """Clauses of the letters whose header covers enough of the query (best letters first)."""
        if words.empty:
            return None
        cov = headers.coverage(words.terms_folded, words.weights, len(snap.table.doc_ids))
        good = np.flatnonzero(cov >= params.letter_min_coverage)
        if not good.shape[0]:
            return None
        good = good[np.argsort(-cov[good], kind="stable")][:params.letter_candidates]
        slots = np.flatnonzero(np.isin(snap.table.doc_index, good))
        if allowed is not None:
            slots = slots[allowed[slots]]
        return slots

    def dense_text(self, terms: QueryTerms, snap: Snapshot | None = None) -> str:
        """What the encoder reads for a query: a tone-less query with the tones the collection
        makes most likely put back (``index.tones``); any other query as typed."""
        if terms.has_diacritics:
            return terms.text
        counts = self._accented_counts(snap or self.snapshot)
        if counts is None:
            return terms.text
        return restore_tones(terms.text, counts) or terms.text

    def _accented_counts(self, snap: Snapshot) -> Callable[[list[str]], np.ndarray] | None:
        """How many clauses hold each accented token (an upper bound will do), for choosing a
        tone-less query's tones; None for an empty collection."""
        accented = getattr(snap, "accented", None)
        return accented.postings_count if accented is not None and len(snap) else None

    def query_vector(self, text: str) -> np.ndarray:
        """The query embedding of ``text``, cached (paging and facets repeat the query)."""
        with self._query_vectors_lock:
            cached = self._query_vectors.get(text)
            if cached is not None:
                self._query_vectors.move_to_end(text)
                return cached
        vector = np.asarray(self.encoder.encode_queries([text])[0], np.float32)
        vector.setflags(write=False)
        with self._query_vectors_lock:
            self._query_vectors[text] = vector
            while len(self._query_vectors) > QUERY_CACHE_SIZE:
                self._query_vectors.popitem(last=False)
        return vector

    def use_encoder(self, encoder) -> bool:
        """Serve with ``encoder`` from now on: the same model on a faster runtime (the ONNX
        export a first start makes in the background). Refused (False) unless it has the index's
        model name and dimension, so stored vectors and new ones stay comparable."""
        if (getattr(encoder, "name", None), getattr(encoder, "dim", None)) != (self.encoder.name, self.encoder.dim):
            return False
        self.encoder = encoder  # one reference: a search in flight keeps the encoder it started with
        self.forget_query_vectors()
        return True

    def forget_query_vectors(self) -> None:
        """Empty the query-embedding cache (benchmarks time each query's embedding)."""
        with self._query_vectors_lock:
            self._query_vectors.clear()

    @staticmethod
    def _match_tokens(snap: Snapshot, terms: QueryTerms, params: RankingParams) -> list[str]:
        """Folded query tokens that make a clause count as a keyword match (not the commonest; a
        token no clause holds, such as another spelling searched along, decides nothing)."""
        if not terms.folded:
            return []
        return matching_tokens(terms.folded, snap.folded.doc_freq(terms.folded), len(snap), params.common_token_ratio)

    def search(self, query: str, top_k: int = 10, offset: int = 0,
               filters: Mapping[str, Any] | SearchFilters | None = None, mode: str = "hybrid",
               params: RankingParams | None = None, snippet_width: int = 240,
               query_vector: np.ndarray | None = None, snapshot: Snapshot | None = None,
               explain: bool = False) -> SearchResult:
        """Search clauses. ``total`` counts every clause that matches the filters and the query
        (a keyword match, or a dense score above the calibrated floor); ``hits`` is the page
        ``[offset, offset + top_k)`` of them, best first. ``explain`` adds to each hit the parts of
        its score (keyword, cosine, query-word features, boosts) and the query words it matched."""
        if not isinstance(query, str):
            raise TypeError("query must be a string")
        if not 1 <= int(top_k) <= MAX_TOP_K:
            raise ValueError(f"top_k must be between 1 and {MAX_TOP_K}")
        if int(offset) < 0:
            raise ValueError("offset must be ≥ 0")
        top_k, offset = int(top_k), int(offset)
        flt = SearchFilters.from_mapping(filters)
        if snapshot is None:
            self.refresh()
        snap = snapshot or self.snapshot
        if not query.strip():  # browse: every clause the filters allow, in index order
            allowed = snap.table.mask(flt)
            slots = np.flatnonzero(allowed) if allowed is not None else np.arange(len(snap))
            page, scores, total = slots[offset:offset + top_k], np.zeros(top_k), int(slots.shape[0])
            ranked = None
        else:
            ranked = self.rank(query, filters=flt, mode=mode, params=params, query_vector=query_vector,
                               depth=max((params or self.params).depth, offset + top_k), snapshot=snap)
            page = ranked.slots[offset:offset + top_k]
            scores, total = ranked.scores[offset:offset + top_k], ranked.total
        # what the encoder read, when it is not what was typed (tones restored, shorthand spelled out)
        dense_query = ranked.dense_query if ranked is not None and ranked.dense_query != query else None
        # Snippets mark the words of that text: its tones say which "chan" was meant ("chân", not
        # "chẩn"); a word the clause lacks in those tones is still found without them.
        marked = dense_query or query
        rowids = snap.table.rowids[page]
        rows = self.store.clauses_by_id(rowids.tolist())
        hits = []
        for i, (rowid, score) in enumerate(zip(rowids.tolist(), scores)):
            row = rows.get(rowid)
            if row is None:  # deleted after this snapshot was taken
                continue
            hits.append(Hit(
                doc_id=row["doc_id"], clause_id=row["clause_id"], path=row["path"], kind=row["kind"],
                text=row["text"], snippet=make_snippet(row["text"], marked, snippet_width),
                score=float(score), themes=row["themes"], lead=row["lead"], support=row["support"],
                document=row["document"], heading=row["heading"], order=row["order"],
                diseases=row["diseases"],
                explain=_explanation(ranked, offset + i, mode, dense_query) if explain and ranked is not None
                else None))
        return SearchResult(query=query, total=total, hits=hits, top_k=top_k, offset=offset,
                            mode=mode, filters=flt.to_dict())

    def slot_keys(self, snapshot: Snapshot | None = None) -> list[tuple[str, str]]:
        """(doc_id, path) of every slot (evaluation maps ranked slots to gold items)."""
        snap = snapshot or self.snapshot
        rows = self.store.conn.execute("SELECT id, doc_id, path FROM clauses ORDER BY id").fetchall()
        by_id = {r[0]: (r[1], r[2]) for r in rows}
        return [by_id[int(i)] for i in snap.table.rowids]

    def __repr__(self) -> str:
        snap = self._snap
        return (f"Collection({str(self.folder)!r}, clauses={len(snap) if snap else '?'}, "
                f"encoder={self.encoder.name!r})")


def _explanation(ranked: Ranked, i: int, mode: str, dense_query: str | None = None) -> dict[str, Any]:
    """The parts of the ``i``-th ranked score, rounded, for ``explain``."""
    out: dict[str, Any] = {"mode": mode}
    if dense_query:
        out["dense_query"] = dense_query
    for name, values in ranked.parts.items():
        if i < len(values):
            out[name] = round(float(values[i]), 4)
    if mode == "bm25":
        out.pop("dense", None)
    elif mode == "dense":
        out.pop("keyword", None)
    if i < len(ranked.matched):
        out["matched"] = list(ranked.matched[i])
    return out


def read_stats(folder: Path) -> dict[str, Any]:
    """The derived folder's manifest (counts, index kind…) without opening the collection."""
    return read_derived_manifest(Path(folder) / DERIVED_DIR)
