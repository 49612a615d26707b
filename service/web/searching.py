"""One page of results plus facet counts, embedding the query once.

The facet counts need a second ranking (without filters), so embedding the query in each
would cost twice (~50 ms each on a 2-core office PC). Here the query is embedded once and passed
to both ``Collection.search`` (the same code as ``GET /api/search``, so the page shows what the
API returns) and the facet ranking, over one snapshot. Recent query vectors are kept (LRU), so
paging and facet clicks, which repeat the query, skip the encoder.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import numpy as np

from congvan.index.filters import SearchFilters
from congvan.index.keyword import analyze_query
from congvan.index.results import SearchResult
from congvan.service.web.facets import compute_facets

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
    collection.refresh()
    snap = collection.snapshot
    terms = analyze_query(query)
    qv = query_vector(collection, terms) if len(snap) else None
    result = collection.search(query, top_k=top_k, offset=offset, filters=flt, query_vector=qv,
                               snapshot=snap, snippet_width=snippet_width)
    facets = compute_facets(collection, terms, filters, snap, directory, theme_labels, agency_labels,
                            limit=facet_limit, query_vector=qv)
    return result, facets
