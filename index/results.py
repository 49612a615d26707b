"""Search and ingest results, serialising to the JSON of ``shared/spec/interface.md``."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Hit:
    doc_id: str
    clause_id: str
    path: str
    kind: str
    text: str
    snippet: str
    score: float
    themes: list[dict[str, Any]]  # [{"id", "score"}]
    lead: list[str]
    support: list[str]
    document: dict[str, Any]  # Letter.document_dict()
    heading: str | None = None
    order: int = 0
    diseases: list[str] = field(default_factory=list)  # disease ids (interface v2)
    #: Why the hit ranks where it does (``search(..., explain=True)``); omitted from JSON otherwise.
    explain: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        doc = self.document
        out = {
            "doc_id": self.doc_id,
            "clause_id": self.clause_id,
            "path": self.path,
            "kind": self.kind,
            "text": self.text,
            "snippet": self.snippet,
            "score": round(float(self.score), 4),
            "themes": [t["id"] for t in self.themes],
            "theme_scores": self.themes,
            "agencies": {"lead": list(self.lead), "support": list(self.support)},
            "diseases": list(self.diseases),
            "heading": self.heading,
            "document": {
                "subject": doc.get("subject"),
                "issuer": doc.get("issuer"),
                "province": doc.get("province"),
                "number": doc.get("number"),
                "date": doc.get("date") or {"year": None, "month": None, "day": None},
                "doc_type": doc.get("doc_type"),
                "source": doc.get("source"),
                # interface v2: the province the area belongs to since 2025, the letter's diseases
                "province_now": doc.get("province_now"),
                "diseases": list(doc.get("diseases") or []),
            },
        }
        if self.explain is not None:
            out["explain"] = self.explain
        return out


@dataclass
class SearchResult:
    query: str
    total: int
    hits: list[Hit] = field(default_factory=list)
    top_k: int = 10
    offset: int = 0
    mode: str = "hybrid"
    filters: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "total": self.total, "hits": [h.to_dict() for h in self.hits],
                "top_k": self.top_k, "offset": self.offset, "mode": self.mode,
                "filters": self.filters}


@dataclass
class IngestResult:
    doc_id: str
    source: str | None
    clauses: int
    #: "added"; "replaced" (a changed version of the same source file); "updated" (same content,
    #: new tags); "unchanged" (same content and tags: skipped)
    status: str
    replaced: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"doc_id": self.doc_id, "path": self.source, "clauses": self.clauses,
                "status": self.status, "replaced": self.replaced}
