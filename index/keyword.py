"""Keyword search: BM25 over two token streams of every clause, updated incrementally.

- accented: ``search_tokens(text)``: syllables with canonical tones and abbreviations, document
  codes whole, plus underthesea compound words;
- folded: the same tokens without tone marks (``search_tokens(text, folded=True)``), so a query
  typed without diacritics ("bien phap tiem vet") still finds "biện pháp tiêm vét".

Postings live in immutable segments (term-major ``.npy`` arrays, memory-mapped on load): an
ingest appends one small segment for its letters and a delete records tombstones, so a write
touches only its own letters' postings; segments are merged when the small ones exceed a share of
the main one (``MergePolicy``). Scores use statistics over all live clauses, so they equal one
index built from scratch (the formula of bm25s' default "lucene" method, which this replaces:
rebuilding it from SQLite took 6–10 s per write at 100k clauses).
"""
from __future__ import annotations

import hashlib
import json
import math
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np

from congvan.index.filters import folded_canonical, sorted_isin
from congvan.letters.text import (
    canonical_abbreviations,
    expand_shorthands,
    fold,
    has_diacritics,
    match_key,
    spelling_variants,
)
from congvan.letters.tokenize import find_codes, search_tokens
from congvan.models.artifacts import ArtifactError, link_or_write, read_json

PARAMS_FILE = "bm25.json"
DELETED_FILE = "deleted.npy"
#: ``bm25.json``'s format name and version (an older folder holds one bm25s index).
SEGMENTS_FORMAT = "congvan-bm25-segments"
#: v1: postings by document within a term; v2: by tf, then document (v1 re-sorted on load).
SEGMENTS_VERSION = 2
READABLE_SEGMENTS_VERSIONS = (1, 2)
#: Terms whose live document frequency an index remembers between calls.
DF_CACHE_TERMS = 65_536
#: Postings with tf 1 … TF_CLASSES are summed per tf class (see ``BM25Index.scores``).
TF_CLASSES = 3
#: A tf class is summed per document when it holds at least 1/SUMMED_CLASS_SHARE postings per
#: document (then its pass over every document costs less than scoring its postings one by one).
SUMMED_CLASS_SHARE = 5


def clause_tokens(text: str) -> tuple[list[str], list[str]]:
    """(accented, folded) search tokens of a clause: one segmentation, folded from the same list.

    Equal to ``search_tokens(text)`` and ``search_tokens(text, folded=True)``.
    """
    accented = search_tokens(text)
    return accented, [fold(t) for t in accented]


_DOC_NUMBER = re.compile(r"\d.*/|/.*\d")


def code_tokens(text: str) -> list[str]:
    """Document numbers in ``text`` ("2116/BYT-DP", "557-QĐ/TU") as search tokens.

    Only codes with a digit and a slash count (dates such as "12/4/2023" too, they are as exact);
    "COVID-19" is a code to the tokenizer but not a document number.
    """
    key = match_key(text)
    out = []
    for start, end in find_codes(key):
        span = key[start:end]
        if "/" in span and _DOC_NUMBER.search(span) and any(ch.isalpha() for ch in span):
            out.append(canonical_abbreviations(span))
    return list(dict.fromkeys(out))


@dataclass(frozen=True)
class QueryTerms:
    """A query as the keyword indexes see it."""

    text: str
    accented: list[str]
    folded: list[str]
    has_diacritics: bool
    codes: list[str]  # document numbers, accented-stream tokens
    #: syllables the user typed (a spelled-out shorthand does not make a short query long); -1: all
    typed: int = -1

    @property
    def empty(self) -> bool:
        return not self.accented

    @property
    def n_syllables(self) -> int:
        """Query length in syllables as typed (compound-word tokens not counted twice)."""
        if self.typed >= 0:
            return self.typed
        return sum("_" not in t for t in self.accented)


#: Queries up to this many syllables are keyword queries: their shorthand and spelling variants
#: are searched too. Longer questions keep their own words (UIT-ViCoV19QA test hybrid MRR@10 0.407
#: → 0.394 when "covid", "vaccine" in every question also searched "covid-19", "vắc xin").
SHORT_QUERY_SYLLABLES = 12


def analyze_query(query: str) -> QueryTerms:
    """The query's tokens; a short query's shorthand ("sxh", "tcm") is searched with its full
    form too, and its words written two ways ("covid", "vaccine") match the other spelling."""
    typed = -1
    spelled = expand_shorthands(query)
    variants = spelling_variants(query)
    if spelled != query or variants:
        n = sum("_" not in t for t in dict.fromkeys(search_tokens(query)))
        if n > SHORT_QUERY_SYLLABLES:
            variants = []
        else:
            typed, query = n, spelled
    accented = list(dict.fromkeys(search_tokens(query)))
    extra = [t for t in dict.fromkeys(search_tokens(" ".join(variants))) if t not in accented]
    accented += extra
    tone_marks = has_diacritics(query)
    if tone_marks:
        folded = list(dict.fromkeys(fold(t) for t in accented))
    else:
        # Letters' full forms are indexed as their abbreviation ("Trung tâm Kiểm soát bệnh tật"
        # → "cdc"), which a tone-less query's syllables cannot match: spell its full forms the
        # same way (``folded_canonical``).
        folded = list(dict.fromkeys([*search_tokens(folded_canonical(query)), *map(fold, extra)]))
    return QueryTerms(query, accented, folded, tone_marks, code_tokens(query), typed)


def matching_tokens(tokens: list[str], df: Iterable[int], n_docs: int, common_ratio: float) -> list[str]:
    """The query tokens that make a clause count as a keyword match: not the commonest (held by
    more than ``common_ratio`` of the clauses) and held by some clause (a spelling searched along
    that no clause has decides nothing); all of them when none is left."""
    limit = common_ratio * max(n_docs, 1)
    return [t for t, f in zip(tokens, df) if 0 < f <= limit] or list(tokens)


_HASH_BYTES = 8


def term_hash(token: str) -> int:
    """Stable 64-bit key of a token (blake2b); segments store keys, not strings, so a big
    vocabulary is one memory-mapped ``uint64`` array instead of a dict built at every load.
    Two tokens sharing a key (odds ≈ 10⁻⁷ for 10⁶ distinct tokens) would share postings."""
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=_HASH_BYTES).digest(), "little")


def _hashes(tokens: Iterable[str]) -> np.ndarray:
    return np.fromiter((term_hash(t) for t in tokens), dtype=np.uint64)


class Segment:
    """Immutable postings of consecutive clauses (ascending SQLite row ids), term-major (CSC):
    for term ``terms[i]`` (sorted keys), local documents ``docs[indptr[i]:indptr[i+1]]`` with term
    frequencies ``tf[...]``, ordered by tf then document (format v2: a term's tf-1 postings, most
    of them, are one slice that scoring adds up without per-posting arithmetic, see
    ``BM25Index.scores``); ``dl`` token counts and ``rowids`` per document.

    ``path`` is the folder its files were saved in or loaded from (arrays then memory-mapped),
    so the next save hard-links them instead of writing them again."""

    ARRAYS = ("terms", "indptr", "docs", "tf", "dl", "rowids")

    def __init__(self, name: str, terms: np.ndarray, indptr: np.ndarray, docs: np.ndarray,
                 tf: np.ndarray, dl: np.ndarray, rowids: np.ndarray, path: Path | None = None) -> None:
        self.name = name
        self.terms, self.indptr, self.docs, self.tf = terms, indptr, docs, tf
        self.dl, self.rowids = dl, rowids
        self.path = path

    def __len__(self) -> int:
        return int(self.rowids.shape[0])

    @property
    def n_postings(self) -> int:
        return int(self.docs.shape[0])

    def span(self, key: int) -> tuple[int, int] | None:
        """Positions ``lo:hi`` of a term key's postings, or None."""
        i = int(np.searchsorted(self.terms, np.uint64(key)))
        if i >= self.terms.shape[0] or int(self.terms[i]) != key:
            return None
        return int(self.indptr[i]), int(self.indptr[i + 1])

    @classmethod
    def build(cls, docs: Sequence[Sequence[str]], rowids: np.ndarray) -> Segment:
        """Postings of tokenised documents (``rowids`` ascending, one per document)."""
        vocab: dict[str, int] = {}
        flat = np.fromiter((vocab.setdefault(t, len(vocab)) for d in docs for t in d), dtype=np.int64)
        dl = np.fromiter((len(d) for d in docs), dtype=np.int32, count=len(docs))
        n = max(len(docs), 1)
        terms, rank = np.unique(_hashes(vocab), return_inverse=True)  # rank: vocab id → term
        pairs, tf = np.unique(rank.astype(np.int64)[flat] * n
                              + np.repeat(np.arange(len(docs), dtype=np.int64), dl), return_counts=True)
        term_of = pairs // n
        indptr = np.zeros(terms.shape[0] + 1, np.int64)
        np.cumsum(np.bincount(term_of, minlength=terms.shape[0]), out=indptr[1:])
        return cls._make(terms, indptr, pairs % n, tf, dl, np.asarray(rowids, np.int64))

    @classmethod
    def _make(cls, terms: np.ndarray, indptr: np.ndarray, docs: np.ndarray, tf: np.ndarray,
              dl: np.ndarray, rowids: np.ndarray, ordered: bool = False) -> Segment:
        """A segment from term-major postings (``ordered``: already by tf, then document, within
        each term; else by document, and sorted here)."""
        tf = np.minimum(tf, np.iinfo(np.uint16).max).astype(np.uint16)
        indptr = np.asarray(indptr, np.int64)
        if not ordered and tf.shape[0]:
            order = _tf_order(np.repeat(np.arange(indptr.shape[0] - 1, dtype=np.int64), np.diff(indptr)), tf)
            docs, tf = np.asarray(docs)[order], tf[order]
        return cls(f"seg-{secrets.token_hex(6)}", terms.astype(np.uint64), indptr,
                   np.asarray(docs).astype(np.int32), tf, dl.astype(np.int32), rowids.astype(np.int64))

    def reordered(self) -> Segment:
        """This segment's postings in the v2 order (tf, then document), from a v1 segment (by
        document): a new segment, written in full by the next save."""
        return Segment._make(np.asarray(self.terms), np.asarray(self.indptr), np.asarray(self.docs),
                             np.asarray(self.tf), np.asarray(self.dl), np.asarray(self.rowids))

    @classmethod
    def merge(cls, parts: Sequence[tuple[Segment, np.ndarray | None]]) -> Segment:
        """One segment from consecutive segments, without the documents whose keep-mask is False.

        Each part is ordered by (term, tf, document) and parts follow each other in document
        order, so a stable sort by (term, tf) keeps documents ascending within each tf."""
        terms = np.unique(np.concatenate([np.asarray(seg.terms) for seg, _ in parts]))
        ranks, docs, tfs, dls, rowids = [], [], [], [], []
        base = 0
        for seg, keep in parts:
            rank = np.repeat(np.searchsorted(terms, np.asarray(seg.terms)), np.diff(seg.indptr))
            d = np.asarray(seg.docs, np.int64)
            t = np.asarray(seg.tf)
            dl, ids = np.asarray(seg.dl), np.asarray(seg.rowids)
            if keep is not None:
                live = keep[d]
                rank, d, t = rank[live], (np.cumsum(keep) - 1)[d[live]], t[live]
                dl, ids = dl[keep], ids[keep]
            ranks.append(rank)
            docs.append(d + base)
            tfs.append(t)
            dls.append(dl)
            rowids.append(ids)
            base += int(dl.shape[0])
        rank = np.concatenate(ranks)
        tf = np.concatenate(tfs)
        order = _tf_order(rank, tf)
        counts = np.bincount(rank, minlength=terms.shape[0])
        used = counts > 0  # terms whose every posting was deleted disappear
        indptr = np.zeros(int(used.sum()) + 1, np.int64)
        np.cumsum(counts[used], out=indptr[1:])
        return cls._make(terms[used], indptr, np.concatenate(docs)[order], tf[order],
                         np.concatenate(dls), np.concatenate(rowids), ordered=True)

    def save(self, folder: Path) -> None:
        """Write (or hard-link, when already on disk) the arrays into ``folder/<name>``."""
        out = Path(folder) / self.name
        out.mkdir(parents=True)
        for array in self.ARRAYS:
            link_or_write(self.path / f"{array}.npy" if self.path is not None else None, out / f"{array}.npy",
                          lambda dst, a=array: np.save(dst, np.asarray(getattr(self, a)), allow_pickle=False))

    @classmethod
    def load(cls, folder: Path, name: str) -> Segment:
        path = Path(folder) / name
        arrays = {a: _load_array(path / f"{a}.npy") for a in cls.ARRAYS}
        seg = cls(name, **arrays, path=path)
        n_terms, n_docs = seg.terms.shape[0], seg.rowids.shape[0]
        if (seg.indptr.shape[0] != n_terms + 1 or int(seg.indptr[-1]) != seg.docs.shape[0]
                or seg.tf.shape != seg.docs.shape or seg.dl.shape[0] != n_docs):
            raise ArtifactError(f"{path}: the keyword segment's arrays disagree in length "
                                f"(damaged); it will be rebuilt from SQLite.")
        return seg


try:  # SciPy's compiled sparse matrix-vector product (SciPy comes with sentence-transformers)
    from scipy.sparse._sparsetools import csc_matvec as _csc_matvec
except ImportError:  # pragma: no cover - an install without SciPy scores with numpy alone
    _csc_matvec = None

_ONES = np.ones(0, np.float32)
_ONES_LOCK = threading.Lock()


def _ones(n: int) -> np.ndarray:
    global _ONES
    with _ONES_LOCK:
        if _ONES.shape[0] < n:
            _ONES = np.ones(max(n, 2 * _ONES.shape[0]), np.float32)
        return _ONES[:n]


def scatter_add(out: np.ndarray, docs: np.ndarray, values: np.ndarray | np.float32,
                compiled: bool = True) -> None:
    """``out[docs] += values`` for distinct ``docs`` (a scalar adds the same to each).

    ``np.add.at`` does it at ~1.5 ns per posting; SciPy's CSC matrix-vector kernel, called on
    the postings as one sparse column, at ~0.6 ns, which matters with millions of postings per
    query. ``out`` must be a contiguous float32 array (or view)."""
    if docs.shape[0] == 0:
        return
    if _csc_matvec is None or not compiled or not out.flags.c_contiguous or out.dtype != np.float32:
        np.add.at(out, docs, values)
        return
    docs = np.ascontiguousarray(docs)
    index_type = np.int32 if docs.dtype == np.int32 else np.int64
    docs = docs.astype(index_type, copy=False)
    bounds = np.array([0, docs.shape[0]], index_type)
    if np.ndim(values) == 0:
        data, x = _ones(docs.shape[0]), np.array([values], np.float32)
    else:
        data, x = np.ascontiguousarray(values, np.float32), np.ones(1, np.float32)
    _csc_matvec(out.shape[0], 1, bounds, docs, data, x, out)


def _tf_order(term_of: np.ndarray, tf: np.ndarray) -> np.ndarray:
    """Stable order of postings by (term, tf): documents stay ascending within each pair."""
    return np.argsort(term_of.astype(np.int64) * 65536 + tf, kind="stable")


def _load_array(path: Path) -> np.ndarray:
    """A ``.npy`` file memory-mapped read-only (shared between processes); small or empty arrays
    that cannot be mapped are read."""
    try:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError:
        return np.load(path, allow_pickle=False)


@dataclass(frozen=True)
class MergePolicy:
    """When segments are merged (on the write that crosses a limit)."""

    #: Merge everything into one segment when the segments after the first hold more than this
    #: share of the first one's documents, or deleted documents are this share of all.
    ratio: float = 0.1
    #: At most this many segments after the first: the smaller ones are merged together.
    max_segments: int = 8


class BM25Index:
    """BM25 (Lucene idf, Robertson tf, as bm25s) of every live clause, over segments.

    Documents are clauses in ascending SQLite row id: the first (main) segment, then small
    segments appended by later ingests; deleted clauses are tombstones until a merge drops them.
    Scores use global statistics (live documents, their mean length, document frequencies
    counted over live postings), so they equal those of one index built from scratch.
    Results are indexed by *slot*, the rank of the row id among live clauses (the snapshot's
    table order).
    """

    def __init__(self, segments: Sequence[Segment] = (), deleted: np.ndarray | None = None,
                 k1: float = 1.5, b: float = 0.75) -> None:
        self.segments = tuple(segments)
        self.k1, self.b = float(k1), float(b)
        self._starts = np.cumsum([0, *(len(s) for s in self.segments)]).astype(np.int64)
        n_all = int(self._starts[-1])
        #: row ids of tombstoned documents (sorted)
        self.deleted = np.zeros(0, np.int64) if deleted is None else np.asarray(deleted, np.int64)
        self._live: np.ndarray | None = None
        if self.deleted.shape[0]:
            self._live = ~sorted_isin(self.all_rowids(), self.deleted)
        self.n_docs = n_all if self._live is None else int(self._live.sum())
        self._norm: np.ndarray | None = None
        self._shares: list[np.ndarray] = []
        self._dead: np.ndarray | None = None
        self._lock = threading.Lock()
        #: term key → live document frequency (a query asks for the same terms' several times)
        self._df: OrderedDict[int, int] = OrderedDict()

    # ---------------------------------------------------------------- building
    @classmethod
    def build(cls, docs: Sequence[Sequence[str]], k1: float = 1.5, b: float = 0.75,
              rowids: np.ndarray | None = None) -> BM25Index:
        """One segment over ``docs`` (row ids default to 0..n-1)."""
        if not len(docs):
            return cls((), None, k1, b)
        ids = np.arange(len(docs), dtype=np.int64) if rowids is None else np.asarray(rowids, np.int64)
        return cls((Segment.build(docs, ids),), None, k1, b)

    def all_rowids(self) -> np.ndarray:
        """Row ids of every document, tombstones included (ascending)."""
        if not self.segments:
            return np.zeros(0, np.int64)
        return np.concatenate([np.asarray(s.rowids) for s in self.segments])

    def rowids(self) -> np.ndarray:
        """Row ids of the live documents: slot → row id."""
        ids = self.all_rowids()
        return ids if self._live is None else ids[self._live]

    def changes(self, target: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """(row ids to add, row ids to delete) to index exactly ``target`` (ascending row ids);
        None when the additions are not all newer than every indexed row id (then rebuild)."""
        have = self.all_rowids()
        live = have if self._live is None else have[self._live]
        target = np.asarray(target, np.int64)
        added = target[~sorted_isin(target, live)]
        removed = live[~sorted_isin(live, target)]
        if added.shape[0] and have.shape[0] and int(added[0]) <= int(have[-1]):
            return None
        return added, removed

    def updated(self, added: np.ndarray, docs: Sequence[Sequence[str]], removed: np.ndarray,
                policy: MergePolicy = MergePolicy()) -> BM25Index:
        """A new index with ``docs`` (row ids ``added``, newer than all) appended and ``removed``
        tombstoned; this one is unchanged (searches may still use it). Touches only the new
        letters' postings unless ``policy`` asks for a merge."""
        segments = list(self.segments)
        if len(docs):
            segments.append(Segment.build(docs, added))
        deleted = np.union1d(self.deleted, removed) if removed.shape[0] else self.deleted
        out = BM25Index(segments, deleted, self.k1, self.b)
        return out.compacted(policy)

    def compacted(self, policy: MergePolicy) -> BM25Index:
        """This index, or one with segments merged where ``policy`` says so."""
        if not self.segments:
            return self
        sizes = [len(s) for s in self.segments]
        n_all = sum(sizes)
        if (len(self.segments) > 1 and sum(sizes[1:]) > policy.ratio * sizes[0]) \
                or len(self.deleted) > policy.ratio * n_all:
            return self._merged(0, len(self.segments))
        if len(self.segments) - 1 > policy.max_segments:
            # merge the newest segments until one of them is bigger than their sum
            lo = len(self.segments) - 1
            total = sizes[lo]
            while lo > 1 and sizes[lo - 1] <= 2 * total:
                lo -= 1
                total += sizes[lo]
            lo = min(lo, len(self.segments) - 2)
            return self._merged(max(lo, 1), len(self.segments))
        return self

    def _merged(self, lo: int, hi: int) -> BM25Index:
        """Segments ``lo:hi`` merged into one, dropping their tombstones."""
        live = self._live
        parts = []
        for i in range(lo, hi):
            keep = None if live is None else live[self._starts[i]:self._starts[i + 1]]
            parts.append((self.segments[i], keep if keep is not None and not keep.all() else None))
        merged = Segment.merge(parts)
        segments = [*self.segments[:lo], *([merged] if len(merged) else []), *self.segments[hi:]]
        dropped = np.concatenate([np.asarray(s.rowids) for s in self.segments[lo:hi]])
        deleted = np.setdiff1d(self.deleted, dropped, assume_unique=True)
        return BM25Index(segments, deleted, self.k1, self.b)

    # ---------------------------------------------------------------- scoring
    def _spans(self, key: int) -> list[tuple[Segment, int, int, int]]:
        """(segment, its first document number, lo, hi) of each segment holding the term."""
        out = []
        for seg, start in zip(self.segments, self._starts):
            found = seg.span(key)
            if found is not None:
                out.append((seg, int(start), *found))
        return out

    def _doc_freq(self, key: int, spans: list[tuple[Segment, int, int, int]] | None = None) -> int:
        """Live documents containing the term, cached."""
        with self._lock:
            hit = self._df.get(key)
            if hit is not None:
                self._df.move_to_end(key)
                return hit
        spans = self._spans(key) if spans is None else spans
        if self._live is None:
            df = sum(hi - lo for _, _, lo, hi in spans)
        else:
            df = sum(int(np.count_nonzero(self._live[start:start + len(seg)][np.asarray(seg.docs[lo:hi])]))
                     for seg, start, lo, hi in spans)
        with self._lock:
            self._df[key] = df
            while len(self._df) > DF_CACHE_TERMS:
                self._df.popitem(last=False)
        return df

    def _length_norm(self) -> tuple[np.ndarray, list[np.ndarray]]:
        """k1·(1 − b + b·dl/avgdl) of every document (live mean length), and ``k / (k + norm)``
        for tf k = 1 … ``TF_CLASSES`` (a tf-k posting's share of its term's idf), computed once."""
        with self._lock:
            if self._norm is None:
                dl = np.concatenate([np.asarray(s.dl) for s in self.segments]).astype(np.float64)
                live_dl = dl if self._live is None else dl[self._live]
                avgdl = float(live_dl.mean()) if live_dl.shape[0] else 1.0
                norm = self.k1 * ((1 - self.b) + self.b * dl / avgdl)
                self._norm = norm.astype(np.float32)
                self._shares = [(k / (k + norm)).astype(np.float32) for k in range(1, TF_CLASSES + 1)]
            return self._norm, self._shares

    def _slots(self, values: np.ndarray) -> np.ndarray:
        """Per-document values → per live document (slot)."""
        if self._live is None:
            return values
        dead = self._dead_positions()
        if dead.shape[0] > 4096:
            return values[self._live]
        # few tombstones: copy the runs between them (memcpy speed; a boolean mask is 2× slower)
        bounds = [-1, *dead.tolist(), values.shape[0]]
        return np.concatenate([values[a + 1:b] for a, b in pairwise(bounds)])

    def _dead_positions(self) -> np.ndarray:
        with self._lock:
            if self._dead is None:
                self._dead = np.flatnonzero(~self._live) if self._live is not None else np.zeros(0, np.int64)
            return self._dead

    def scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 score of every document (float32, zeros where nothing matches).

        A posting adds ``idf · tf / (tf + norm)``. A term's postings are ordered by tf, so its
        tf-k postings are one slice. For a tf class with many postings (tf 1 holds most), each
        term adds its idf to the slice's documents (no per-posting arithmetic) and the sum is
        multiplied once by every document's ``k / (k + norm)``; that pass over all documents
        costs more than scoring a few postings one by one, which the other classes and tf above
        ``TF_CLASSES`` do."""
        keys = [term_hash(t) for t in dict.fromkeys(tokens) if t]
        if not keys or not self.n_docs:
            return np.zeros(self.n_docs, np.float32)
        norm, shares = self._length_norm()
        n_all = int(self._starts[-1])
        cuts = np.arange(2, TF_CLASSES + 2, dtype=np.uint16)
        work = []  # (idf, segment, first document, docs, tf, tf-class bounds)
        counts = [0] * (TF_CLASSES + 1)
        for key in keys:
            spans = self._spans(key)
            df = self._doc_freq(key, spans)
            if not df:
                continue
            idf = np.float32(math.log(1 + (self.n_docs - df + 0.5) / (df + 0.5)))
            for seg, start, lo, hi in spans:
                tf = np.asarray(seg.tf[lo:hi])
                bounds = [0, *np.searchsorted(tf, cuts).tolist(), hi - lo]
                for k in range(TF_CLASSES + 1):
                    counts[k] += bounds[k + 1] - bounds[k]
                work.append((idf, seg, start, np.asarray(seg.docs[lo:hi]), tf, bounds))
        summed = [counts[k] * SUMMED_CLASS_SHARE >= n_all for k in range(TF_CLASSES)]
        sums = [np.zeros(n_all, np.float32) if use else None for use in summed]
        for idf, seg, start, docs, _, bounds in work:
            for k, total in enumerate(sums):
                if total is not None and bounds[k + 1] > bounds[k]:
                    scatter_add(total[start:start + len(seg)], docs[bounds[k]:bounds[k + 1]], idf)
        out = None
        for total, share in zip(sums, shares):
            if total is not None:
                total *= share
                if out is None:
                    out = total
                else:
                    out += total
        if out is None:
            out = np.zeros(n_all, np.float32)
        for idf, seg, start, docs, tf, bounds in work:  # the postings scored one by one
            for k in range(TF_CLASSES + 1):
                a, b = bounds[k], bounds[k + 1]
                if b > a and (k == TF_CLASSES or not summed[k]):
                    local = docs[a:b]
                    freq = tf[a:b].astype(np.float32)
                    part = np.take(norm[start:start + len(seg)], local)
                    part += freq
                    np.divide(freq, part, out=part)
                    part *= idf
                    scatter_add(out[start:start + len(seg)], local, part)
        return self._slots(out)

    def postings_count(self, tokens: list[str]) -> np.ndarray:
        """Postings of each token, deleted documents included: an upper bound of ``doc_freq``
        that costs one binary search per segment and no pass over the postings (for choosing
        among spellings, where the exact count does not matter)."""
        out = np.zeros(len(tokens), dtype=np.int64)
        for i, t in enumerate(tokens):
            if t:
                out[i] = sum(hi - lo for _, _, lo, hi in self._spans(term_hash(t)))
        return out

    def doc_freq(self, tokens: list[str]) -> np.ndarray:
        """Number of live documents containing each token (0 for unknown tokens)."""
        return np.array([self._doc_freq(term_hash(t)) if t else 0 for t in tokens], dtype=np.int64)

    def containing(self, tokens: list[str]) -> np.ndarray:
        """Bool mask of documents that contain at least one of ``tokens``."""
        mask = np.zeros(int(self._starts[-1]), bool)
        for t in dict.fromkeys(tokens):
            if t:
                for seg, start, lo, hi in self._spans(term_hash(t)):
                    mask[start:start + len(seg)][np.asarray(seg.docs[lo:hi])] = True
        return self._slots(mask)

    # ---------------------------------------------------------------- disk
    def save(self, folder: Path) -> dict:
        """Write the index into the new folder ``folder`` (inside an atomic save: segments already
        on disk are hard-linked, so a save writes only new segments and the tombstones)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for seg in self.segments:
            seg.save(folder)
        np.save(folder / DELETED_FILE, self.deleted, allow_pickle=False)
        info = {"format": SEGMENTS_FORMAT, "version": SEGMENTS_VERSION, "k1": self.k1, "b": self.b,
                "n_docs": self.n_docs, "deleted": int(self.deleted.shape[0]),
                "segments": [{"name": s.name, "docs": len(s), "postings": s.n_postings}
                             for s in self.segments]}
        (folder / PARAMS_FILE).write_text(json.dumps(info), encoding="utf-8")
        return info

    def saved_in(self, folder: Path) -> None:
        """Record that the segments now live in ``folder`` (after the atomic rename)."""
        for seg in self.segments:
            seg.path = Path(folder) / seg.name

    @classmethod
    def load(cls, folder: Path) -> BM25Index:
        """Open a saved index, memory-mapping its arrays."""
        folder = Path(folder)
        info = read_json(folder / PARAMS_FILE, "run `congvan rebuild`.")
        if info.get("format") != SEGMENTS_FORMAT:
            raise ArtifactError(
                f"{folder} holds a keyword index of an older congvan (one bm25s index rebuilt on "
                f"every change); open the collection with this version to convert it, or run "
                f"`congvan rebuild`.")
        version = info.get("version")
        if version not in READABLE_SEGMENTS_VERSIONS:
            raise ArtifactError(f"{folder}: keyword index format v{version}, this version "
                                f"reads v{SEGMENTS_VERSION}; run `congvan rebuild`.")
        segments = [Segment.load(folder, s["name"]) for s in info["segments"]]
        if version == 1:  # postings by document: re-sorted by tf (written in full by the next save)
            segments = [seg.reordered() for seg in segments]
        deleted = np.load(folder / DELETED_FILE, allow_pickle=False)
        out = cls(segments, deleted, info["k1"], info["b"])
        if out.n_docs != info["n_docs"]:
            raise ArtifactError(f"{folder}: {out.n_docs} live clauses, the manifest says "
                                f"{info['n_docs']}; run `congvan rebuild`.")
        return out
