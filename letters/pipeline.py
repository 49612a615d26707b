"""File or bytes → parsed ``Letter``: the one path every entry point (CLI, API, ingest) takes."""
from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path

from congvan.letters.parse import parse_letter
from congvan.letters.readers import LetterReadError, read_letter_bytes, read_letter_file
from congvan.letters.schema import Letter

__all__ = ["LetterReadError", "corpus_letter", "letter_from_bytes", "letter_from_file", "letter_from_text"]


def letter_from_text(text: str, source: str | None = None) -> Letter:
    """Parse already-decoded text (a pasted excerpt, a JSON ``{"text": …}`` body)."""
    from congvan.letters.text import clean_text

    cleaned = clean_text(text)
    if not any(ch.isalpha() for ch in cleaned):
        raise LetterReadError("Văn bản rỗng: không có nội dung để đọc (empty text)", code="empty")
    return parse_letter(cleaned, source=source)


def letter_from_file(path: Path, max_bytes: int | None = None) -> Letter:
    """Read a .txt/.md/.docx/.doc/.pdf letter from disk and parse it."""
    return parse_letter(read_letter_file(Path(path), max_bytes=max_bytes), source=Path(path).name)


def corpus_letter(path: Path) -> Letter:
    """``letter_from_file`` for evaluation and training tools that read the same corpus file
    several times in one process (the real letters: training data, the agency-rule scorer, the
    staff benchmark): parsed once per file version, each caller gets its own copy to change.
    Raises ``LetterReadError`` as ``letter_from_file`` does (a failure is not cached)."""
    st = Path(path).stat()
    return copy.deepcopy(_parsed(str(Path(path).resolve()), st.st_mtime_ns, st.st_size))


@lru_cache(maxsize=512)
def _parsed(path: str, _mtime_ns: int, _size: int) -> Letter:
    return letter_from_file(Path(path))


def letter_from_bytes(data: bytes, filename: str, max_bytes: int | None = None) -> Letter:
    """Parse an uploaded letter."""
    return parse_letter(read_letter_bytes(data, filename, max_bytes=max_bytes), source=filename)


def iter_letter_files(paths: list[Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Expand files and folders (recursively) into letter files, sorted.

    Returns ``(files, problems)``: a path that does not exist, or a file with an unsupported
    suffix named explicitly, is a problem to report; unsupported files found while walking a
    folder are silently passed over (folders hold other things too).
    """
    from congvan.letters.readers import SUPPORTED_SUFFIXES

    files: list[Path] = []
    problems: list[tuple[Path, str]] = []
    for path in map(Path, paths):
        if path.is_dir():
            files += sorted(p for p in path.rglob("*")
                            if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
                            and not p.name.startswith("."))
        elif path.is_file():
            if path.suffix.lower() in SUPPORTED_SUFFIXES:
                files.append(path)
            else:
                problems.append((path, f"Định dạng không hỗ trợ; dùng {', '.join(SUPPORTED_SUFFIXES)} "
                                       f"(unsupported file type)"))
        else:
            problems.append((path, "Không tìm thấy tệp hoặc thư mục (no such file or folder)"))
    return list(dict.fromkeys(files)), problems
