"""Request and response bodies of the HTTP API and the page's JSON calls, in one place
(kept apart from the library dataclasses).

The JSON shapes are the ones of ``shared/spec/interface.md``; fields may be added, never renamed.
"""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class TextLetter(BaseModel):
    """A letter sent as JSON text instead of an uploaded file."""

    text: str = Field(..., min_length=1, max_length=2_000_000, description="Toàn văn công văn (letter text)")
    filename: str | None = Field(None, description="Optional name shown as the letter's source")


class DateOut(BaseModel):
    year: int | None = None
    month: int | None = None
    day: int | None = None


class SignerOut(BaseModel):
    name: str | None = None
    title: str | None = None


class ReferenceOut(BaseModel):
    model_config = ConfigDict(extra="allow")  # a stored letter's references add "doc_ids"

    type: str | None = None
    number: str | None = None
    date: str | None = None
    issuer: str | None = None
    text: str = ""


class DocumentOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    doc_id: str
    doc_type: str | None = None
    issuer: str | None = None
    province: str | None = None
    number: str | None = None
    place: str | None = None
    date: DateOut = DateOut()
    subject: str | None = None
    recipients: list[str] = []
    signer: SignerOut = SignerOut()
    references: list[ReferenceOut] = []


class ThemeOut(BaseModel):
    id: str
    score: float


class AgenciesOut(BaseModel):
    lead: list[str] = []
    support: list[str] = []


class ClauseOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    clause_id: str
    path: str
    kind: str
    text: str
    themes: list[ThemeOut] = []
    agencies: AgenciesOut = AgenciesOut()
    diseases: list[str] = Field([], description="disease ids (letters/data/diseases.json)")


class TaggerOut(BaseModel):
    """Which theme tagger answered: ``provisional`` until the fine-tuned one is trained."""

    name: str
    provisional: bool


class TagResponse(BaseModel):
    tagger: TaggerOut | None = None
    document: DocumentOut
    clauses: list[ClauseOut]


class StoredLetterResponse(TagResponse):
    model_config = ConfigDict(extra="allow")

    doc_id: str


class IngestResponse(StoredLetterResponse):
    """``POST /api/documents``: the tag JSON plus what storing did."""

    status: str = Field(..., description="added (new letter), unchanged (same content already stored: "
                                         "same doc_id), updated (same content, new labels), replaced")
    status_text: str = Field("", description="the status in the words the page shows")
    replaced: list[str] = Field([], description="doc_ids this letter replaced")


class HitDocumentOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    subject: str | None = None
    issuer: str | None = None
    province: str | None = None
    number: str | None = None
    date: DateOut = DateOut()


class HitOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    doc_id: str
    clause_id: str
    path: str
    kind: str
    text: str
    snippet: str
    score: float
    themes: list[str] = []
    agencies: AgenciesOut = AgenciesOut()
    diseases: list[str] = Field([], description="disease ids (letters/data/diseases.json)")
    document: HitDocumentOut
    # With ``explain=true`` a hit also carries ``explain`` (extra field, absent otherwise):
    # keyword, dense (cosine), coverage, adjacency, window, match_boost, code_boost, kind_factor
    # and ``matched`` (the query words and phrases the clause contains).


class SearchResponse(BaseModel):
    model_config = ConfigDict(extra="allow")

    query: str
    total: int
    hits: list[HitOut]


class HealthResponse(BaseModel):
    """Liveness; the counts, model and tagger only for callers who may read (PROTECT_SEARCH)."""

    status: str
    ready: bool = False
    documents: int | None = None
    clauses: int | None = None
    model: str | None = None
    tagger: str | None = None


class DeleteResponse(BaseModel):
    deleted: str


class ErrorResponse(BaseModel):
    detail: Any


class FacetValueOut(BaseModel):
    value: str
    label: str
    count: int
    selected: bool


class FacetOut(BaseModel):
    name: str
    title: str
    multi: bool
    values: list[FacetValueOut]


class FacetedSearchResponse(SearchResponse):
    facets: list[FacetOut] = Field([], description="with facets=true: counts per year, province, issuer, "
                                                   "theme, disease and agency over every match")


class LabelsIn(BaseModel):
    """New labels of a clause; a field left out keeps its current value."""

    model_config = ConfigDict(extra="forbid")

    themes: list[str] | None = Field(None, max_length=64, description="theme ids (taxonomy), e.g. [\"vaccination\"]")
    lead: list[str] | None = Field(None, max_length=64, description="lead agency ids, e.g. [\"so_y_te\"]")
    support: list[str] | None = Field(None, max_length=64, description="support agency ids")


class LabelSet(BaseModel):
    themes: list[str] = []
    lead: list[str] = []
    support: list[str] = []


class CorrectionOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    timestamp: str
    clause_id: str
    doc_id: str
    path: str | None = None
    kind: str | None = None
    text: str
    heading: str | None = None
    old: LabelSet
    new: LabelSet
    applied_to_index: bool
