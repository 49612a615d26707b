"""Tagging and stored letters: ``/api/tag`` and ``/api/documents``."""
from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool

from congvan.index.store import DocumentNotFound
from congvan.service.api.schemas import (
    DeleteResponse,
    ErrorResponse,
    StoredLetterResponse,
    TagResponse,
)
from congvan.service.http.deps import CollectionDep, SettingsDep
from congvan.service.http.security import require_writer
from congvan.service.http.uploads import LETTER_BODY, letter_from_request

router = APIRouter(prefix="/api", tags=["letters"])
ERRORS = {code: {"model": ErrorResponse} for code in (400, 404, 413, 415, 422)}


@router.post("/tag", response_model=TagResponse, responses=ERRORS, openapi_extra=LETTER_BODY,
             summary="Parse and tag a letter without storing it")
async def tag(request: Request, settings: SettingsDep) -> dict:
    letter = await letter_from_request(request, settings)
    return letter.to_dict()


@router.post("/documents", response_model=StoredLetterResponse, responses=ERRORS,
             openapi_extra=LETTER_BODY, summary="Upload, parse, tag and index a letter",
             dependencies=[Depends(require_writer)])
async def add_document(request: Request, settings: SettingsDep, collection: CollectionDep) -> dict:
    letter = await letter_from_request(request, settings)
    if not letter.clauses:
        raise HTTPException(422, "Không tách được điều khoản nào từ văn bản (no clauses found)")
    # Embedding is CPU-bound: keep the event loop free for searches meanwhile.
    result = await run_in_threadpool(collection.upsert_letter, letter)
    return {**letter.to_dict(), "doc_id": result.doc_id, "status": result.status}


@router.get("/documents/{doc_id}", response_model=StoredLetterResponse, responses=ERRORS,
            summary="A stored letter with its clauses and tags")
def get_document(doc_id: str, collection: CollectionDep) -> dict:
    try:
        stored = collection.get_letter(doc_id)
    except DocumentNotFound as exc:
        raise HTTPException(404, f"Không có văn bản mã {doc_id!r} (unknown doc_id)") from exc
    return {**stored, "doc_id": doc_id}


@router.delete("/documents/{doc_id}", response_model=DeleteResponse, responses=ERRORS,
               summary="Remove a letter from every index", dependencies=[Depends(require_writer)])
async def delete_document(doc_id: str, collection: CollectionDep) -> DeleteResponse:
    try:
        await run_in_threadpool(collection.delete, doc_id)
    except DocumentNotFound as exc:
        raise HTTPException(404, f"Không có văn bản mã {doc_id!r} (unknown doc_id)") from exc
    return DeleteResponse(deleted=doc_id)
