"""Letter file (or uploaded bytes) → clean text for the parser, with clear errors for bad input.

Supported: ``.txt``, ``.md`` (any of the encodings below), ``.docx`` (python-docx), ``.doc``
(Word 97-2003, through Debian's ``antiword``: ``doc.py``) and ``.pdf`` (its text layer with pypdf,
or OCR of scans where Tesseract is installed: ``ocr.py``). Every failure is a :class:`LetterReadError` whose message is
Vietnamese followed by a short English gloss in parentheses, with a machine ``code`` and the
HTTP ``status`` the API should answer with. No traceback ever escapes for a bad file.

Text encodings
--------------
* UTF-8 (with or without BOM), UTF-16/UTF-32 with BOM, BOM-less UTF-16 when it is obvious.
* Legacy Vietnamese encodings, told apart by a plausibility score (share of common Vietnamese
  syllables, of well-formed syllables and of valid Vietnamese characters) and converted:

  - **Windows-1258** (Python codec ``cp1258``): tones are *combining* marks after the base
    letter, so the result is NFC-normalised.
  - **TCVN3 (ABC)**, the ``.VnTime`` font encoding: one byte per lower-case letter. TCVN3 has
    no upper-case toned letters in one font: capitals are typed with the same byte values in a
    separate "H" font (``.VnTimeH``), so text typed in capitals comes back **lower-case** (and
    only Ă Â Ê Ô Ơ Ư Đ keep their case). Case may therefore be lost; the words are right.
  - **VNI-Windows**: a base letter followed by modifier bytes (``Vieät`` = Việt,
    ``ñöôïc`` = được); converted, upper case included.

* The same TCVN3/VNI conversion repairs *mojibake lines* in UTF-8 text, DOCX and PDF output
  (a DOCX typed in a ``.VnTime`` font stores "§¶ng Céng s¶n" as those very Unicode
  characters): a line is converted only when it is pure Windows-1252 characters and the
  converted line is clearly more Vietnamese than the original.

Anything that no candidate decodes plausibly is refused (``undecodable``, naming what was
tried); a legacy encoding that is recognisable but whose conversion is not trustworthy is
refused by name (``legacy_encoding``) with the advice to convert it with Unikey.

The package splits by format and encoding: ``common``, ``encodings`` (plain text),
``plausibility``, ``legacy``
(TCVN3, VNI, Windows-1258 tables and mojibake repair), ``pdf`` and ``docx``; this module
dispatches by suffix and content.
"""
from __future__ import annotations

import re
from pathlib import Path

from congvan.letters.readers.common import SUPPORTED_SUFFIXES, LetterReadError
from congvan.letters.readers.doc import OLE_SIGNATURE, _read_doc
from congvan.letters.readers.docx import _read_docx
from congvan.letters.readers.encodings import _SAMPLE_BYTES as _SAMPLE_BYTES
from congvan.letters.readers.encodings import decode_text_bytes
from congvan.letters.readers.legacy import TCVN3_TO_UNICODE as TCVN3_TO_UNICODE
from congvan.letters.readers.legacy import _decode_cp1258 as _decode_cp1258
from congvan.letters.readers.legacy import _decode_tcvn3 as _decode_tcvn3
from congvan.letters.readers.legacy import _decode_vni as _decode_vni
from congvan.letters.readers.legacy import repair_legacy_mojibake
from congvan.letters.readers.pdf import _read_pdf
from congvan.letters.text import clean_text

__all__ = [
    "SUPPORTED_SUFFIXES",
    "LetterReadError",
    "decode_text_bytes",
    "read_letter_bytes",
    "read_letter_file",
    "repair_legacy_mojibake",
]


# =========================================================================== public API
def read_letter_file(path: Path, max_bytes: int | None = None) -> str:
    """Read a letter from disk (size checked via ``stat`` before reading) → cleaned text."""
    path = Path(path)
    _check_suffix(path.name)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise LetterReadError(
            f"Không tìm thấy tệp “{path.name}”; hãy kiểm tra lại đường dẫn (file not found)",
            code="not_found") from None
    except OSError as exc:
        raise LetterReadError(
            f"Không mở được tệp “{path.name}”: {exc.strerror or exc} (cannot open file)",
            code="unreadable") from None
    if not path.is_file():
        raise LetterReadError(
            f"“{path.name}” không phải là tệp (có thể là thư mục); hãy chọn một tệp công văn "
            "(not a regular file)", code="not_found")
    _check_size(st.st_size, max_bytes)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LetterReadError(
            f"Không đọc được tệp “{path.name}”: {exc.strerror or exc} (cannot read file)",
            code="unreadable") from None
    return read_letter_bytes(data, path.name, max_bytes=max_bytes)


def read_letter_bytes(data: bytes, filename: str, max_bytes: int | None = None) -> str:
    """Uploaded bytes + their file name → cleaned text (dispatch by suffix, magic bytes checked)."""
    suffix = _check_suffix(filename)
    data = bytes(data)
    _check_size(len(data), max_bytes)
    if not data.strip():
        raise LetterReadError("Tệp rỗng: không có nội dung để đọc (empty file)", code="empty")
    if suffix == ".pdf":
        text = _read_pdf(data)
    elif suffix in (".doc", ".docx"):  # by what the bytes are: offices rename one as the other
        text = _read_doc(data) if data.startswith(OLE_SIGNATURE) or (suffix == ".doc" and not data.startswith(b"PK")) \
            else _read_docx(data)
    else:
        text = decode_text_bytes(data, suffix=suffix)
    text = clean_text(repair_legacy_mojibake(_strip_controls(text)))
    if not any(ch.isalpha() for ch in text):
        raise LetterReadError(
            "Tệp không có chữ nào để đọc, chỉ có khoảng trắng hoặc dấu câu "
            "(empty: no letters, only whitespace or punctuation)", code="empty")
    return text


_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f\ufffe\uffff]")


def _strip_controls(text: str) -> str:
    """Drop control characters (stray PDF font bytes, DOS EOF marks); keep tab, newlines, FF."""
    return _CONTROLS.sub("", text)


# =========================================================================== checks
def _supported_list() -> str:
    return ", ".join(SUPPORTED_SUFFIXES)


def _check_suffix(filename: str) -> str:
    name = Path(filename or "").name.lower()
    suffix = Path(name).suffix or (name if name in SUPPORTED_SUFFIXES else "")
    if suffix in SUPPORTED_SUFFIXES:
        return suffix
    hint = ""
    if suffix in (".rtf", ".odt"):
        hint = "; hãy mở bằng Word và lưu lại dưới dạng .docx"
    elif suffix in (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".gif", ".heic"):
        hint = "; ảnh chụp/bản quét cần chạy OCR trước"
    what = (f"Định dạng tệp “{suffix}” không được hỗ trợ" if suffix else
            "Tệp không có phần mở rộng (đuôi) nên không biết định dạng")
    raise LetterReadError(
        f"{what}; chỉ nhận {_supported_list()}{hint} "
        f"(unsupported file type; supported: {_supported_list()})",
        code="unsupported_type")


def _format_mb(n_bytes: float) -> str:
    mb = n_bytes / (1024 * 1024)
    if mb >= 10:
        text = f"{mb:.0f}"
    elif mb >= 0.1:
        text = f"{mb:.1f}"
    else:
        text = f"{mb:.2g}" if mb >= 1e-4 else f"{mb:.1e}"
    if "." in text and "e" not in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")  # Vietnamese decimal comma


def _check_size(size: int, max_bytes: int | None) -> None:
    if max_bytes is not None and size > max_bytes:
        limit = _format_mb(max_bytes)
        raise LetterReadError(
            f"Tệp quá lớn ({_format_mb(size)} MB), vượt giới hạn {limit} MB; "
            f"hãy tải tệp nhỏ hơn (file too large: limit is {limit.replace(',', '.')} MB)",
            code="too_large")
