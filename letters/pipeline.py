"""File or bytes → parsed ``Letter``: the one path every entry point (CLI, API, ingest) takes."""
from __future__ import annotations

from pathlib import Path

from letters.parse import parse_letter
from letters.readers import LetterReadError, read_letter_bytes, read_letter_file
from letters.schema import Letter

__all__ = ["LetterReadError", "letter_from_bytes", "letter_from_file", "letter_from_text"]


def letter_from_text(text: str, source: str | None = None) -> Letter:
    """Parse already-decoded text (a pasted excerpt, a JSON ``{"text": …}`` body)."""
    from letters.text import clean_text

    cleaned = clean_text(text)
    if not any(ch.isalpha() for ch in cleaned):
        raise LetterReadError("Văn bản rỗng: không có nội dung để đọc (empty text)", code="empty")
    return parse_letter(cleaned, source=source)


def letter_from_file(path: Path, max_bytes: int | None = None) -> Letter:
    """Read a .txt/.md/.docx/.pdf letter from disk and parse it."""
    return parse_letter(read_letter_file(Path(path), max_bytes=max_bytes), source=Path(path).name)


def letter_from_bytes(data: bytes, filename: str, max_bytes: int | None = None) -> Letter:
    """Parse an uploaded letter."""
    return parse_letter(read_letter_bytes(data, filename, max_bytes=max_bytes), source=filename)
