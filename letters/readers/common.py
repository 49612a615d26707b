"""What every reader shares: the supported suffixes, the one error type (Vietnamese message, English gloss, code, HTTP status) and format sniffing by magic bytes."""
from __future__ import annotations

SUPPORTED_SUFFIXES = (".txt", ".md", ".docx", ".doc", ".pdf")

_STATUS_BY_CODE = {"unsupported_type": 415, "too_large": 413}


class LetterReadError(ValueError):
    """A letter file that cannot be read: Vietnamese message + English gloss, ``code``, ``status``.

    ``code`` is one of "empty", "unsupported_type", "too_large", "corrupt_pdf",
    "no_text_layer", "corrupt_docx", "legacy_encoding", "undecodable", "binary" (plus
    "not_found"/"unreadable" for a path that cannot be opened). ``status`` is the HTTP status
    the API should use: 415 for an unsupported type, 413 for too large, 400 otherwise.
    """

    def __init__(self, message: str, code: str = "invalid", status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status if status is not None else _STATUS_BY_CODE.get(code, 400)

    def __str__(self) -> str:
        return self.message


# Magic numbers of formats people rename by mistake.
_MAGIC = (
    (b"%PDF-", "PDF"),
    (b"PK\x03\x04", "ZIP/DOCX/XLSX"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Word/Excel 97-2003 (.doc/.xls)"),
    (b"\x89PNG", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF8", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"MZ", "EXE"),
    (b"\x7fELF", "ELF"),
    (b"Rar!", "RAR"),
    (b"7z\xbc\xaf", "7z"),
    (b"\x1f\x8b", "gzip"),
    (b"{\\rtf", "RTF"),
)


def _sniff(data: bytes) -> str | None:
    for magic, name in _MAGIC:
        if data.startswith(magic):
            return name
    return None
