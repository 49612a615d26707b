"""Read a letter request's body (multipart file or JSON text) on the event loop: bytes only.

Both ``POST /api/tag`` and ``POST /api/documents`` (and the page's upload form) accept a file;
the API also ``{"text": …}``. The file is read in chunks and refused with 413 as soon as it
passes the size limit, before the whole upload sits in memory. Parsing and tagging are CPU
work: ``LetterInput.prepare`` runs in the worker pool (``service.workers``), never here.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from fastapi import HTTPException, Request, UploadFile
from pydantic import ValidationError
from starlette.datastructures import UploadFile as StarletteUploadFile

from congvan.letters.sanity import prose_problem
from congvan.letters.schema import Letter
from congvan.service.config import Settings
from congvan.service.core import AppCore, CoreError
from congvan.service.http.schemas import TextLetter
from congvan.service.parsing import parse_job
from congvan.service.workers import WorkPool

#: OpenAPI description of the two accepted request bodies.
LETTER_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {"type": "object", "required": ["file"],
                           "properties": {"file": {"type": "string", "format": "binary"}}}
            },
            "application/json": {"schema": TextLetter.model_json_schema()},
        },
    }
}


async def _read_limited(upload: UploadFile, limit: int) -> bytes:
    chunks, size = [], 0
    while chunk := await upload.read(1 << 20):
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"Tệp quá lớn: giới hạn {limit / 1048576:.0f} MB (file too large)")
        chunks.append(chunk)
    return b"".join(chunks)


@dataclass(frozen=True)
class LetterInput:
    """An uploaded file's bytes or a JSON body's text, not parsed yet."""

    filename: str | None
    data: bytes | None = None
    text: str | None = None

    async def prepare(self, core: AppCore, pool: WorkPool) -> Letter:
        """Parse (worker process) and tag (worker thread); call inside ``pool.slot()``.
        Unreadable input raises ``CoreError`` with its 4xx status."""
        letter, status, message = await pool.in_process(parse_job, self.filename, self.data, self.text,
                                                         core.settings.max_upload_bytes)
        if letter is None:
            raise CoreError(status, message)
        problem = prose_problem(letter.text or "")
        if problem:  # junk is refused before it costs a tagging run or a place in the index
            raise CoreError(422, problem)
        return await pool.in_thread(core.prepare, letter)


def _too_large(limit: int, what: str = "Tệp") -> HTTPException:
    return HTTPException(413, f"{what} quá lớn: giới hạn {limit / 1048576:.0f} MB "
                              f"({'file' if what == 'Tệp' else 'text'} too large)")


async def read_upload_field(upload: object, settings: Settings) -> LetterInput:
    """The ``file`` field of a form already read (the page's upload form)."""
    if not isinstance(upload, StarletteUploadFile):
        raise HTTPException(422, "Thiếu trường 'file' trong biểu mẫu (multipart field 'file' is required)")
    data = await _read_limited(upload, settings.max_upload_bytes)
    return LetterInput(upload.filename or "upload.txt", data=data)


async def read_letter_input(request: Request, settings: Settings) -> LetterInput:
    """The request's letter as bytes or text; every bad body becomes a 4xx."""
    limit = settings.max_upload_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + 65536:
        raise _too_large(limit)
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=10, max_part_size=limit + 1)
        return await read_upload_field(form.get("file"), settings)
    if ctype.startswith("application/json"):
        raw = await request.body()
        if len(raw) > limit:
            raise _too_large(limit, "Văn bản")
        try:
            body = TextLetter.model_validate(json.loads(raw or b"null"))
        except (ValueError, ValidationError) as exc:
            raise HTTPException(422, f'Cần JSON dạng {{"text": "…"}} (expected {{"text": …}}): {exc}') from exc
        return LetterInput(body.filename, text=body.text)
    raise HTTPException(415, "Gửi tệp dạng multipart/form-data (trường 'file') hoặc JSON "
                             '{"text": "…"} (unsupported content type)')
