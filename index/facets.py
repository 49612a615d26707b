"""Facet counts (year, province, issuer, theme, disease, agency) for the current query and filters.

Counts are of matching clauses, like the result total. Each facet is counted with every *other*
filter applied but not its own ("disjunctive" facets), so the values of a facet you already
picked stay visible with honest counts and picking a second theme, disease or agency (which the
search ORs) shows what it would add. The clauses matching the query come from ``Collection.rank``
over the whole snapshot (no filter), intersected with the filter masks of
``snapshot.table`` — the same masks ``Collection.search`` applies, so a single-valued facet's
selected count equals the result total.

``search_with_facets`` is what the page and ``GET /api/search?facets=true`` call: one page of
``Collection.search`` plus the facets, over one snapshot, embedding the query once.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from congvan.index.directory import LetterDirectory, letter_directory
from congvan.index.filters import SearchFilters, issuer_key, province_key
from congvan.index.keyword import analyze_query
from congvan.index.results import SearchResult
from congvan.letters.diseases import disease_labels

#: Facets are counted over at most this many best matches (the whole index below it).
FACET_DEPTH = 50_000
DIMENSIONS = ("year", "province", "issuer", "theme", "disease", "agency")
TITLES = {"year": "Năm ban hành", "province": "Tỉnh, thành phố", "issuer": "Cơ quan ban hành",
          "theme": "Chủ đề", "disease": "Bệnh", "agency": "Cơ quan thực hiện"}
#: multi-valued dimensions (a clause has several; the search ORs the picked ones): their slots
MULTI = {"theme": "theme_slots", "disease": "disease_slots", "agency": "agency_slots"}


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class Facet:
    name: str
    title: str
    values: list[FacetValue]
    multi: bool

    @property
    def selected(self) -> list[FacetValue]:
        return [v for v in self.values if v.selected]


def _dimension_filters(filters: dict[str, Any], dim: str) -> dict[str, Any]:
    """The part of ``filters`` that belongs to one facet (the date range goes with every facet)."""
    return {dim: filters.get(dim)}


def matched_mask(collection, query, snapshot, query_vector=None) -> np.ndarray:
    """Bool mask over the snapshot's slots of clauses matching ``query`` (a string or
    ``QueryTerms``; no filters). ``query_vector`` saves embedding the query again."""
    n = len(snapshot)
    text = query if isinstance(query, str) else query.text
    if not text.strip() or n == 0:
        return np.ones(n, bool)
    ranked = collection.rank(query, filters=None, depth=min(n, FACET_DEPTH), snapshot=snapshot,
                             query_vector=query_vector)
    mask = np.zeros(n, bool)
    mask[ranked.slots] = True
    return mask


def compute_facets(collection, query, filters: dict[str, Any], snapshot, directory,
                   theme_labels: dict[str, str], agency_labels: dict[str, str],
                   limit: int = 12, query_vector=None, disease_names: dict[str, str] | None = None) -> list[Facet]:
    """The facets of ``DIMENSIONS``; disease labels default to the names of the builtin
    ``letters/data/diseases.json``."""
    table = snapshot.table
    multi_labels = {"theme": theme_labels, "agency": agency_labels,
                    "disease": disease_labels() if disease_names is None else disease_names}
    n = len(snapshot)
    base = matched_mask(collection, query, snapshot, query_vector)
    # Filters that are not facets (the date range) apply to every facet.
    common = table.mask(SearchFilters.from_mapping({"from": filters.get("from"), "to": filters.get("to")}))
    if common is not None:
        base &= common
    masks = {dim: table.mask(SearchFilters.from_mapping(_dimension_filters(filters, dim)))
             for dim in DIMENSIONS if filters.get(dim)}

    def scope(dim: str) -> np.ndarray:
        m = base.copy()
        for other, mk in masks.items():
            if other != dim and mk is not None:
                m &= mk
        return m

    doc_ids = table.doc_ids
    out: list[Facet] = []
    for dim in DIMENSIONS:
        m = scope(dim)
        wanted = filters.get(dim)
        chosen = {str(v) for v in (wanted if isinstance(wanted, (list, tuple)) else [wanted])
                  if v not in (None, "")}
        values: list[FacetValue] = []
        if dim in MULTI:
            slots, labels = getattr(table, MULTI[dim]), multi_labels[dim]
            for key, idx in slots.items():
                count = int(m[idx].sum()) if n else 0
                if count or key in chosen:
                    values.append(FacetValue(key, labels.get(key, key), count, key in chosen))
            for key in chosen - {v.value for v in values}:
                values.append(FacetValue(key, labels.get(key, key), 0, True))
        else:
            per_doc = np.bincount(table.doc_index[m], minlength=len(doc_ids)) if n else np.zeros(0, int)
            counts: Counter = Counter()
            spellings: dict[str, Counter] = defaultdict(Counter)
            for i in np.flatnonzero(per_doc):
                info = directory.letters.get(doc_ids[i])
                if dim == "year":
                    year = int(table.year[i])
                    if year < 0:
                        continue
                    key, label = str(year), str(year)
                else:
                    raw = getattr(info, dim, None) if info else None
                    if not raw:
                        continue
                    key = province_key(raw) if dim == "province" else issuer_key(raw)
                    label = raw
                counts[key] += int(per_doc[i])
                spellings[key][label] += int(per_doc[i])
            chosen_keys = {province_key(c) if dim == "province" else issuer_key(c) if dim == "issuer" else c
                           for c in chosen}
            for key, count in counts.items():
                label = spellings[key].most_common(1)[0][0]
                values.append(FacetValue(label, label, count, key in chosen_keys))
            for c in chosen:
                ck = province_key(c) if dim == "province" else issuer_key(c) if dim == "issuer" else c
                if ck not in counts:
                    values.append(FacetValue(c, c, 0, True))
        if dim == "year":
            values.sort(key=lambda v: v.value, reverse=True)
        else:
            values.sort(key=lambda v: (-v.count, v.label))
        # Keep the selected ones even past the limit.
        shown = values[:limit] + [v for v in values[limit:] if v.selected]
        out.append(Facet(dim, TITLES[dim], shown, dim in MULTI))
    return out


@dataclass
class FacetedResult:
    """A page of results, the facets of the whole match set and the letter directory."""

    result: SearchResult
    facets: list[Facet]
    directory: LetterDirectory

    def facets_dict(self) -> list[dict[str, Any]]:
        return [{"name": f.name, "title": f.title, "multi": f.multi,
                 "values": [{"value": v.value, "label": v.label, "count": v.count, "selected": v.selected}
                            for v in f.values]} for f in self.facets]


def search_with_facets(collection, query: str, filters: dict[str, Any], *, top_k: int, offset: int,
                       theme_labels: dict[str, str] | None = None, agency_labels: dict[str, str] | None = None,
                       mode: str = "hybrid", facet_limit: int = 15, snippet_width: int = 240) -> FacetedResult:
    """One page of ``Collection.search`` for ``query`` and ``filters`` plus its facet counts."""
    flt = SearchFilters.from_mapping(filters)  # ValueError for bad values, like search()
    collection.refresh()
    snap = collection.snapshot
    directory = letter_directory(collection)
    themes, agencies = theme_labels or {}, agency_labels or {}
    if not query.strip():
        result = collection.search(query, top_k=top_k, offset=offset, filters=flt, mode=mode, snapshot=snap)
        facets = compute_facets(collection, query, filters, snap, directory, themes, agencies, limit=facet_limit)
        return FacetedResult(result, facets, directory)
    terms = analyze_query(query)
    # the same text the search would embed (a tone-less query with its tones put back)
    qv = collection.query_vector(collection.dense_text(terms, snap)) if len(snap) and mode != "bm25" else None
    result = collection.search(query, top_k=top_k, offset=offset, filters=flt, mode=mode, query_vector=qv,
                               snapshot=snap, snippet_width=snippet_width)
    facets = compute_facets(collection, terms, filters, snap, directory, themes, agencies,
                            limit=facet_limit, query_vector=qv)
    return FacetedResult(result, facets, directory)
