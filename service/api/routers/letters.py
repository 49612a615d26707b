"""Tagging and stored letters: ``/api/tag`` and ``/api/documents`` (thin: the work is in
``service.core``, run in the worker pool)."""
from __future__ import annotations

from fastapi import APIRouter, Request

from congvan.service.http.access import require_tag_access
from congvan.service.http.calls import in_pool, in_threads, pool_slot
from congvan.service.http.deps import CoreDep, PoolDep, SettingsDep
from congvan.service.http.routing import write_router
from congvan.service.http.schemas import (
    DeleteResponse,
    ErrorResponse,
    IngestResponse,
    StoredLetterResponse,
    TagResponse,
)
from congvan.service.http.uploads import LETTER_BODY, read_letter_input

ERRORS = {code: {"model": ErrorResponse} for code in (400, 401, 403, 404, 413, 415, 422, 429)}

#: Reads (the app adds the read check); writes and tagging carry their own checks.
router = APIRouter(prefix="/api", tags=["letters"])
writes = write_router(prefix="/api", tags=["letters"])
tagging = write_router(require_tag_access, prefix="/api", tags=["letters"])


@tagging.post("/tag", response_model=TagResponse, responses=ERRORS, openapi_extra=LETTER_BODY,
              summary="Parse and tag a letter without storing it")
async def tag(request: Request, settings: SettingsDep, core: CoreDep, pool: PoolDep) -> dict:
    given = await read_letter_input(request, settings)
    async with pool_slot(pool):
        letter = await given.prepare(core, pool)
    return letter.to_dict()


@writes.post("/documents", response_model=IngestResponse, responses=ERRORS, openapi_extra=LETTER_BODY,
             summary="Upload, parse, tag and index a letter")
async def add_document(request: Request, settings: SettingsDep, core: CoreDep, pool: PoolDep) -> dict:
    """The same content again gives the same ``doc_id`` (``status: unchanged``); another letter
    under a file name already stored is a new letter (``added``), never a replacement."""
    given = await read_letter_input(request, settings)
    async with pool_slot(pool):
        outcome = await pool.in_thread(core.ingest, await given.prepare(core, pool))
    request.state.audit_target = outcome.doc_id  # for the audit log (service/http/auditing.py)
    request.state.audit_detail = f"{outcome.status}: {given.filename or ''}"
    return outcome.to_dict()


@router.get("/documents/{doc_id}", response_model=StoredLetterResponse, responses=ERRORS,
            summary="A stored letter with its clauses and tags, resolved references and citing letters")
async def get_document(doc_id: str, core: CoreDep) -> dict:
    read = await in_threads(core.read_letter, doc_id)
    return read.to_dict()


@writes.delete("/documents/{doc_id}", response_model=DeleteResponse, responses=ERRORS,
               summary="Remove a letter from every index")
async def delete_document(doc_id: str, core: CoreDep, pool: PoolDep) -> DeleteResponse:
    await in_pool(pool, core.delete, doc_id)
    return DeleteResponse(deleted=doc_id)
