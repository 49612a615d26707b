"""Search index: SQLite store, BM25 + vector indexes, hybrid ranking, the ``Collection`` facade."""
from index.collection import Collection
from index.filters import SearchFilters
from index.results import Hit, IngestResult, SearchResult
from index.store import DocumentNotFound

__all__ = ["Collection", "DocumentNotFound", "Hit", "IngestResult", "SearchFilters", "SearchResult"]
