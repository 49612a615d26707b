"""The application core: the one object every front end (CLI, JSON API, staff page) calls.

It owns the settings, the encoder, the collection (with its corrections) and the tagger, and
offers the operations the front ends share — read and tag a letter, ingest files or an upload,
search with facets and paging, read a letter with its references and citing letters, delete,
correct labels, stats — so "read → identify → tag → refuse if empty → upsert" is written once.
Front ends only translate: arguments/requests in, ``CoreError`` → exit code / HTTP status out.

Everything here is blocking CPU or disk work; the HTTP front ends run it in the bounded pool of
:mod:`service.workers`, never on the event loop.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from congvan.index.collection import Collection
from congvan.index.corrections import NoChange, UnknownLabels, record_correction
from congvan.index.directory import LetterInfo, letter_directory
from congvan.index.facets import FacetedResult, search_with_facets
from congvan.index.identity import with_content_identity
from congvan.index.results import IngestResult, SearchResult
from congvan.index.store import ClauseNotFound, DocumentNotFound
from congvan.letters.pipeline import (
    LetterReadError,
    iter_letter_files,
    letter_from_bytes,
    letter_from_file,
    letter_from_text,
)
from congvan.letters.schema import Letter
from congvan.service.config import Settings

__all__ = ["AppCore", "CoreError", "IngestOutcome", "LetterRead", "STATUS_TEXT", "prepare_letter"]

#: What an ingest did, in the words the page and the CLI show.
STATUS_TEXT = {"added": "Đã thêm vào kho", "unchanged": "Đã có trong kho (nội dung không đổi)",
               "replaced": "Đã thay bản cũ của cùng tệp", "updated": "Đã cập nhật nhãn của văn bản đã có"}

MSG_NO_CLAUSES = "Không tách được điều khoản nào từ văn bản (no clauses found)"


def prepare_letter(letter: Letter, settings: Settings) -> Letter:
    """A parsed letter with its content identity (``index.identity``) and its tags: what
    ``congvan tag`` prints and what every ingest stores (no index needed)."""
    from congvan.service.tagging import tag_letter

    return tag_letter(with_content_identity(letter), settings)


class CoreError(Exception):
    """A request the core refuses; ``status`` is the HTTP status a front end answers with."""

    def __init__(self, status: int, detail: Any) -> None:
        super().__init__(detail if isinstance(detail, str) else str(detail))
        self.status = status
        self.detail = detail


def not_found_letter(doc_id: str) -> CoreError:
    return CoreError(404, f"Không có văn bản mã {doc_id!r} (unknown doc_id)")


@dataclass
class IngestOutcome:
    """A stored letter and what storing it did (``added``/``unchanged``/``replaced``/``updated``)."""

    letter: Letter
    result: IngestResult

    @property
    def doc_id(self) -> str:
        return self.result.doc_id

    @property
    def status(self) -> str:
        return self.result.status

    def to_dict(self) -> dict[str, Any]:
        """The tag JSON plus ``doc_id``, ``status``, ``status_text`` and ``replaced``."""
        return {**self.letter.to_dict(), "doc_id": self.doc_id, "status": self.status,
                "status_text": STATUS_TEXT.get(self.status, self.status),
                "replaced": list(self.result.replaced)}


@dataclass
class LetterRead:
    """A stored letter with its references resolved to indexed letters and the letters citing it."""

    doc_id: str
    stored: dict[str, Any]
    references: list[tuple[dict[str, Any], list[LetterInfo]]]
    cited_by: list[LetterInfo]
    #: clause_id → when staff last corrected its labels (ISO time)
    corrected_at: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """``GET /api/documents/{id}``: the stored letter plus ``cited_by`` and each reference's
        ``doc_ids`` in the index (fields added to the contract's, none changed)."""
        doc = dict(self.stored.get("document") or {})
        doc["references"] = [{**ref, "doc_ids": [t.doc_id for t in targets]} for ref, targets in self.references]
        clauses = [{**c, "corrected_at": self.corrected_at.get(c["clause_id"])} for c in self.stored["clauses"]]
        return {**self.stored, "doc_id": self.doc_id, "document": doc, "clauses": clauses,
                "cited_by": [_info_dict(t) for t in self.cited_by]}


def _info_dict(info: LetterInfo) -> dict[str, Any]:
    return {"doc_id": info.doc_id, "number": info.number, "subject": info.subject, "issuer": info.issuer,
            "date": {"year": info.year, "month": info.month, "day": info.day}}


class AppCore:
    """Settings + encoder + collection (+ corrections) + tagger, and the operations on them."""

    def __init__(self, settings: Settings, collection: Collection) -> None:
        self.settings = settings
        self.collection = collection
        self._migrate_legacy_corrections()

    @classmethod
    def open(cls, settings: Settings, show_progress: bool = False) -> AppCore:
        """Load the encoder and open (or create) the index of ``settings``."""
        from congvan.index.milvus import open_collection
        from congvan.models.encoder import load_encoder

        # the embedded index, or Milvus (CONGVAN_BACKEND=milvus) behind the same Collection interface
        collection = open_collection(settings.index_dir, load_encoder(settings), show_progress=show_progress,
                                     **settings.backend_options())
        return cls(settings, collection)

    def close(self) -> None:
        self.collection.close()

    def __enter__(self) -> AppCore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def encoder(self):
        return self.collection.encoder

    def _migrate_legacy_corrections(self) -> None:
        from congvan.service.storage import migrate_legacy_corrections

        migrate_legacy_corrections(self.settings, self.collection.corrections)

    # ------------------------------------------------------------------ reading and tagging
    def load_tagger(self) -> None:
        """Load (on a fresh home: train first) the tagger now rather than on the first letter."""
        from congvan.service.tagging import get_default_tagger

        get_default_tagger(self.settings)

    def prepare(self, letter: Letter) -> Letter:
        """A parsed letter with its content identity and its tags."""
        return prepare_letter(letter, self.settings)

    def read_bytes(self, data: bytes, filename: str) -> Letter:
        """An uploaded file, parsed and tagged (``CoreError`` 4xx when it cannot be read)."""
        try:
            letter = letter_from_bytes(data, filename, max_bytes=self.settings.max_upload_bytes)
        except LetterReadError as exc:
            raise CoreError(exc.status, str(exc)) from exc
        return self.prepare(letter)

    def read_text(self, text: str, filename: str | None = None) -> Letter:
        """Pasted or JSON text, parsed and tagged."""
        try:
            letter = letter_from_text(text, source=filename)
        except LetterReadError as exc:
            raise CoreError(exc.status, str(exc)) from exc
        return self.prepare(letter)

    def read_file(self, path: Path) -> Letter:
        """A letter file on disk, parsed and tagged (``LetterReadError`` passes through)."""
        return self.prepare(letter_from_file(Path(path), max_bytes=self.settings.max_upload_bytes))

    # ------------------------------------------------------------------ writing
    def ingest(self, letter: Letter, replace_source: bool = False) -> IngestOutcome:
        """Store one prepared letter; an upload (``replace_source`` False) never replaces a
        letter just because it has the same file name."""
        if not letter.clauses:
            raise CoreError(422, MSG_NO_CLAUSES)
        return IngestOutcome(letter, self.collection.upsert_letter(letter, replace_source=replace_source))

    def ingest_files(self, paths: Iterable[Path], show_progress: bool = False,
                     on_read: Callable[[Iterable[Path]], Iterable[Path]] | None = None,
                     on_stored: Callable[[Any], None] | None = None) -> dict[str, list]:
        """``congvan ingest``: read, tag and store every letter file under ``paths``.

        A file path is the identity of a file on disk, so a changed version of an ingested file
        replaces the old one (the contract's "ingesting the same file again replaces it").
        Files are read and tagged lazily, chunk by chunk, each chunk committed before the next
        files are read (``Collection.ingest_stream``): a kill loses at most one chunk.
        ``on_read`` wraps the file list (a progress bar); ``on_stored`` sees each stored
        result after its commit (the audit log). Returns the contract's
        ``{"ingested": [...], "skipped": [{"path", "error"}]}``.
        """
        files, problems = iter_letter_files(list(paths))
        skipped = [{"path": str(p), "error": why} for p, why in problems]

        def letters() -> Iterator[Letter]:
            for path in (on_read(files) if on_read else files):
                try:
                    letter = self.read_file(path)
                except LetterReadError as exc:
                    skipped.append({"path": str(path), "error": str(exc)})
                    continue
                if not letter.clauses:
                    skipped.append({"path": str(path), "error": "Không tách được điều khoản nào (no clauses found)"})
                    continue
                letter.source = str(path)
                yield letter

        results = self.collection.ingest_stream(letters(), replace_source=True, on_stored=on_stored)
        return {"ingested": [r.to_dict() for r in results], "skipped": skipped}

    def delete(self, doc_id: str) -> None:
        try:
            self.collection.delete(doc_id)
        except DocumentNotFound as exc:
            raise not_found_letter(doc_id) from exc

    def correct(self, clause_id: str, themes: list[str] | None = None, lead: list[str] | None = None,
                support: list[str] | None = None) -> dict[str, Any]:
        """Record a staff correction and apply it to the index (422 unknown ids or no change,
        404 unknown clause)."""
        try:
            return record_correction(self.collection, self.collection.corrections, clause_id,
                                     themes=themes, lead=lead, support=support)
        except UnknownLabels as exc:
            raise CoreError(422, exc.problems) from exc
        except NoChange as exc:
            raise CoreError(422, str(exc)) from exc
        except ClauseNotFound as exc:
            raise CoreError(404, f"Không có điều khoản mã {clause_id!r} (unknown clause_id)") from exc

    # ------------------------------------------------------------------ reading
    def search(self, query: str, *, top_k: int = 10, offset: int = 0, filters: dict[str, Any] | None = None,
               mode: str = "hybrid", explain: bool = False) -> SearchResult:
        try:
            return self.collection.search(query, top_k=top_k, offset=offset, filters=filters, mode=mode,
                                          explain=explain)
        except ValueError as exc:
            raise CoreError(400, str(exc)) from exc

    def query_as_read(self, query: str) -> str:
        """The query as search reads it (a tone-less query with its tones restored, shorthand
        spelled out): what a letter page marks, as the result snippets do."""
        from congvan.index.keyword import analyze_query

        return self.collection.dense_text(analyze_query(query)) if query.strip() else query

    def search_faceted(self, query: str, *, top_k: int = 10, offset: int = 0,
                       filters: dict[str, Any] | None = None, mode: str = "hybrid",
                       facet_limit: int = 15) -> FacetedResult:
        """A page of results plus facet counts (labels from the taxonomy)."""
        from congvan.letters.taxonomy import load_taxonomy

        tax = load_taxonomy()
        try:
            return search_with_facets(self.collection, query, filters or {}, top_k=top_k, offset=offset,
                                      mode=mode, theme_labels=tax.theme_labels, agency_labels=tax.agency_names,
                                      facet_limit=facet_limit)
        except ValueError as exc:
            raise CoreError(400, str(exc)) from exc

    def recent_letters(self, limit: int = 8) -> list[LetterInfo]:
        return list(letter_directory(self.collection).letters.values())[:limit]

    def read_letter(self, doc_id: str) -> LetterRead:
        """The stored letter (its labels as search sees them), references and citing letters."""
        try:
            stored = self.collection.get_letter(doc_id)
        except DocumentNotFound as exc:
            raise not_found_letter(doc_id) from exc
        directory = letter_directory(self.collection)
        doc = stored.get("document") or {}
        refs = [(ref, directory.resolve(ref, exclude=doc_id)) for ref in doc.get("references") or []]
        from congvan.index.corrections import text_key

        fixes = self.collection.corrections.latest_for_doc(doc_id)
        corrected = {c["clause_id"]: fixes[text_key(c["text"])]["timestamp"]
                     for c in stored["clauses"] if text_key(c["text"]) in fixes}
        return LetterRead(doc_id, stored, refs, directory.cited_by(doc_id), corrected)

    def stats(self) -> dict[str, Any]:
        return self.collection.stats()

    def health(self) -> dict[str, Any]:
        docs, clauses = self.collection.store.counts()
        return {"status": "ok", "documents": docs, "clauses": clauses, "model": self.encoder.name}
