"""One page of results plus facet counts, embedding the query once.

``Collection.search`` embeds the query itself and has no way to take a ready vector, and the
facet counts need a second ranking (without filters), so calling both would embed the query
twice (~50 ms each on a 2-core office PC). Here the query is analysed and embedded once and
both rankings use that vector through the public ``Collection.rank``; the page is then built
exactly as ``Collection.search`` builds it (same depth, same snippets, same ``Hit`` objects), so
the page shows what ``GET /api/search`` returns. Recent query vectors are kept (LRU), so
paging and facet clicks, which repeat the query, skip the encoder. An empty query (browsing by
filters) goes through ``Collection.search`` unchanged.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import numpy as np

from index.filters import SearchFilters
from index.keyword import analyze_query
from index.results import Hit, SearchResult
from index.snippets import make_snippet
from service.web.facets import compute_facets


#: Recent query vectors: paging and facet clicks repeat the query, so they skip the encoder.
QUERY_CACHE_SIZE = 512
_vectors: OrderedDict[tuple[int, str, str], np.ndarray] = OrderedDict()
_vectors_lock = threading.Lock()


def query_vector(collection, terms) -> np.ndarray:
    """The embedding of ``terms.text`` (what ``Collection.rank`` would compute), cached."""
    encoder = collection.encoder
    key = (id(encoder), getattr(encoder, "name", ""), terms.text)
    with _vectors_lock:
        cached = _vectors.get(key)
        if cached is not None:
            _vectors.move_to_end(key)
            return cached
    vector = np.asarray(encoder.encode_queries([terms.text])[0], np.float32)
    vector.setflags(write=False)
    with _vectors_lock:
        _vectors[key] = vector
        while len(_vectors) > QUERY_CACHE_SIZE:
            _vectors.popitem(last=False)
    return vector


def _refresh(collection) -> None:
    # Collection.search does this first: pick up letters another process (``congvan ingest``)
    # committed since our snapshot. No public name for it yet.
    refresh = getattr(collection, "_maybe_refresh", None)
    if callable(refresh):
        refresh()


def search_with_facets(collection, query: str, filters: dict[str, Any], *, top_k: int, offset: int,
                       directory, theme_labels: dict[str, str], agency_labels: dict[str, str],
                       facet_limit: int = 15, snippet_width: int = 240) -> tuple[SearchResult, list]:
    """(the page of results, the facets) for ``query`` and ``filters``."""
    flt = SearchFilters.from_mapping(filters)  # ValueError for bad values, like search()
    if not query.strip():
        result = collection.search(query, top_k=top_k, offset=offset, filters=flt)
        facets = compute_facets(collection, query, filters, collection.snapshot, directory,
                                theme_labels, agency_labels, limit=facet_limit)
        return result, facets
    _refresh(collection)
    snap = collection.snapshot
    terms = analyze_query(query)
    qv = query_vector(collection, terms) if len(snap) else None
    depth = max(collection.params.depth, offset + top_k)
    ranked = collection.rank(terms, filters=flt, depth=depth, query_vector=qv, snapshot=snap)
    page = ranked.slots[offset:offset + top_k]
    scores = ranked.scores[offset:offset + top_k]
    rowids = snap.table.rowids[page]
    rows = collection.store.clauses_by_id(rowids.tolist())
    hits = []
    for rowid, score in zip(rowids.tolist(), scores):
        row = rows.get(rowid)
        if row is None:  # deleted after this snapshot was taken
            continue
        hits.append(Hit(
            doc_id=row["doc_id"], clause_id=row["clause_id"], path=row["path"], kind=row["kind"],
            text=row["text"], snippet=make_snippet(row["text"], query, snippet_width),
            score=float(score), themes=row["themes"], lead=row["lead"], support=row["support"],
            document=row["document"], heading=row["heading"], order=row["order"]))
    result = SearchResult(query=query, total=ranked.total, hits=hits, top_k=top_k, offset=offset,
                          mode="hybrid", filters=flt.to_dict())
    facets = compute_facets(collection, terms, filters, snap, directory, theme_labels, agency_labels,
                            limit=facet_limit, query_vector=qv)
    return result, facets
