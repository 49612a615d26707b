"""Turn an API request (multipart file or JSON text) into a parsed, tagged ``Letter``.

Both ``POST /api/tag`` and ``POST /api/documents`` accept either form, so the body is read by
hand: the file is read in chunks and refused with 413 as soon as it passes the size limit,
before the whole upload sits in memory.
"""
from __future__ import annotations

import json

from fastapi import HTTPException, Request, UploadFile
from pydantic import ValidationError
from starlette.datastructures import UploadFile as StarletteUploadFile

from congvan.letters.pipeline import (
    LetterReadError,
    letter_from_bytes,
    letter_from_text,
)
from congvan.letters.schema import Letter
from congvan.service.api.schemas import TextLetter
from congvan.service.config import Settings
from congvan.service.tagging import tag_letter

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


async def letter_from_request(request: Request, settings: Settings) -> Letter:
    """Parse the request body into a tagged letter; every bad input becomes a 4xx."""
    limit = settings.max_upload_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + 65536:
        raise HTTPException(413, f"Tệp quá lớn: giới hạn {limit / 1048576:.0f} MB (file too large)")
    ctype = request.headers.get("content-type", "")
    try:
        if ctype.startswith("multipart/form-data"):
            form = await request.form(max_files=1, max_fields=10, max_part_size=limit + 1)
            upload = form.get("file")
            if not isinstance(upload, StarletteUploadFile):
                raise HTTPException(422, "Thiếu trường 'file' trong biểu mẫu (multipart field 'file' is required)")
            data = await _read_limited(upload, limit)
            letter = letter_from_bytes(data, upload.filename or "upload.txt", max_bytes=limit)
        elif ctype.startswith("application/json"):
            raw = await request.body()
            if len(raw) > limit:
                raise HTTPException(413, f"Văn bản quá lớn: giới hạn {limit / 1048576:.0f} MB (text too large)")
            try:
                body = TextLetter.model_validate(json.loads(raw or b"null"))
            except (ValueError, ValidationError) as exc:
                raise HTTPException(422, f'Cần JSON dạng {{"text": "…"}} (expected {{"text": …}}): {exc}') from exc
            letter = letter_from_text(body.text, source=body.filename)
        else:
            raise HTTPException(415, "Gửi tệp dạng multipart/form-data (trường 'file') hoặc JSON "
                                     '{"text": "…"} (unsupported content type)')
    except LetterReadError as exc:
        raise HTTPException(exc.status, str(exc)) from exc
    return tag_letter(letter, settings)
