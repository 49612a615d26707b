"""Parsing a letter as a job for a worker process: plain data in, a ``Letter`` or the reason out.

Only ``letters`` is imported here, so a spawned worker process starts in a second and holds no
models. ``LetterReadError`` carries a status that does not survive pickling, so the reason comes
back as ``(status, message)`` instead of an exception.
"""
from __future__ import annotations

from congvan.letters.pipeline import LetterReadError, letter_from_bytes, letter_from_text
from congvan.letters.schema import Letter

__all__ = ["parse_job"]


def parse_job(filename: str | None, data: bytes | None, text: str | None,
              max_bytes: int) -> tuple[Letter | None, int, str]:
    """``(letter, 200, "")``, or ``(None, status, message)`` when the input cannot be read."""
    try:
        if data is not None:
            return letter_from_bytes(data, filename or "upload.txt", max_bytes=max_bytes), 200, ""
        return letter_from_text(text or "", source=filename), 200, ""
    except LetterReadError as exc:
        return None, exc.status, str(exc)
