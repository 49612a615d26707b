"""Search index: SQLite store, BM25 + vector indexes, hybrid ranking, the ``Collection`` facade."""
from congvan.index.collection import Collection
from congvan.index.filters import SearchFilters
from congvan.index.results import Hit, IngestResult, SearchResult
from congvan.index.store import DocumentNotFound

__all__ = ["Collection", "DocumentNotFound", "Hit", "IngestResult", "SearchFilters", "SearchResult"]
