"""Letter file (or uploaded bytes) → clean text for the parser, with clear errors for bad input.

Supported: ``.txt``, ``.md`` (any of the encodings below), ``.docx`` (python-docx) and ``.pdf``
with a text layer (pypdf). Every failure is a :class:`LetterReadError` whose message is
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
"""
from __future__ import annotations

import codecs
import io
import logging
import re
import threading
import unicodedata
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from congvan.letters.text import clean_text

__all__ = [
    "SUPPORTED_SUFFIXES",
    "LetterReadError",
    "decode_text_bytes",
    "read_letter_bytes",
    "read_letter_file",
    "repair_legacy_mojibake",
]

SUPPORTED_SUFFIXES = (".txt", ".md", ".docx", ".pdf")

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
    elif suffix == ".docx":
        text = _read_docx(data)
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
    if suffix in (".doc", ".rtf", ".odt"):
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


# =========================================================================== PDF
_PYPDF_LOCK = threading.Lock()
_pypdf_quiet_depth = 0
_pypdf_saved_level = logging.NOTSET


@contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """Silence pypdf's log records and warnings while reading (so the CLI prints only ours)."""
    global _pypdf_quiet_depth, _pypdf_saved_level
    logger = logging.getLogger("pypdf")
    with _PYPDF_LOCK:
        if _pypdf_quiet_depth == 0:
            _pypdf_saved_level = logger.level
            logger.setLevel(logging.CRITICAL + 1)
        _pypdf_quiet_depth += 1
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        with _PYPDF_LOCK:
            _pypdf_quiet_depth -= 1
            if _pypdf_quiet_depth == 0:
                logger.setLevel(_pypdf_saved_level)


def _corrupt_pdf(detail_vi: str, detail_en: str) -> LetterReadError:
    return LetterReadError(f"Tệp PDF bị hỏng: {detail_vi} ({detail_en})", code="corrupt_pdf")


_NO_TEXT_LAYER = ("PDF là bản quét, không có lớp văn bản; hãy dùng bản có văn bản hoặc chạy "
                  "OCR trước (scanned PDF, no text layer)")


def _read_pdf(data: bytes) -> str:
    start = data.find(b"%PDF-", 0, 1024)
    if start < 0:
        kind = _sniff(data)
        what = f"nội dung là {kind}" if kind else "nội dung là dữ liệu nhị phân không rõ"
        raise _corrupt_pdf(
            f"không phải tệp PDF thật ({what}, thiếu chữ ký %PDF-); hãy kiểm tra lại tệp",
            "not a PDF: missing %PDF- header")
    if b"%%EOF" not in data:
        raise _corrupt_pdf("tệp bị cắt cụt (thiếu phần cuối %%EOF), có thể tải lên chưa hết; "
                           "hãy tải lại tệp đầy đủ", "truncated PDF")
    with _quiet_pypdf():
        try:
            from pypdf import PdfReader

            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                ok = False
                try:
                    ok = bool(reader.decrypt(""))
                except Exception:  # noqa: BLE001 - unsupported cipher, missing crypto lib, …
                    ok = False
                if not ok:
                    raise LetterReadError(
                        "Tệp PDF được bảo vệ bằng mật khẩu; hãy gỡ mật khẩu (hoặc in lại ra PDF) "
                        "rồi tải lại (encrypted PDF, password required)", code="corrupt_pdf")
            pages = []
            for page in reader.pages:
                pages.append(page.extract_text() or "")
        except LetterReadError:
            raise
        except Exception as exc:  # noqa: BLE001 - pypdf raises many types on bad files
            raise _corrupt_pdf(
                "không đọc được cấu trúc PDF (bảng xref/đối tượng hỏng); hãy xuất lại PDF "
                "từ phần mềm gốc", f"unreadable PDF structure: {type(exc).__name__}") from None
    if not pages:
        raise _corrupt_pdf("tệp không có trang nào", "PDF has no pages")
    letters = sum(ch.isalpha() for text in pages for ch in text)
    if letters < 20:
        raise LetterReadError(_NO_TEXT_LAYER, code="no_text_layer")
    return "\n\n".join(text.strip("\n") for text in pages)


# =========================================================================== DOCX
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MAX_DOCX_XML = 200 * 1024 * 1024  # uncompressed document.xml guard (zip bombs)


def _corrupt_docx(detail_vi: str, detail_en: str) -> LetterReadError:
    return LetterReadError(f"Tệp DOCX bị hỏng: {detail_vi} ({detail_en})", code="corrupt_docx")


def _read_docx(data: bytes) -> str:
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise _corrupt_docx(
            "đây là tệp Word 97-2003 (.doc) bị đặt tên .docx; hãy mở bằng Word và lưu lại dưới "
            "dạng .docx", "legacy .doc renamed to .docx")
    if not data.startswith(b"PK"):
        kind = _sniff(data)
        what = f"nội dung là {kind}" if kind else "không phải tệp nén ZIP của Word"
        raise _corrupt_docx(f"không phải tệp DOCX thật ({what}); hãy mở bằng Word và lưu lại",
                            "not a DOCX: not a zip archive")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            if "word/document.xml" not in names:
                raise _corrupt_docx(
                    "tệp ZIP không chứa word/document.xml (có thể là .xlsx/.pptx/.odt đổi tên); "
                    "hãy lưu lại dưới dạng .docx", "zip without word/document.xml")
            if zf.getinfo("word/document.xml").file_size > _MAX_DOCX_XML:
                raise LetterReadError(
                    "Nội dung DOCX sau khi giải nén quá lớn; hãy tách nhỏ tài liệu "
                    "(DOCX content too large when uncompressed)", code="too_large")
            has_media = any(n.startswith("word/media/") for n in names)
    except LetterReadError:
        raise
    except Exception:  # noqa: BLE001 - BadZipFile, truncated central directory, …
        raise _corrupt_docx("tệp nén ZIP bị hỏng hoặc bị cắt cụt; hãy mở bằng Word và lưu lại",
                            "corrupt zip archive") from None
    try:
        import docx

        document = docx.Document(io.BytesIO(data))
        blocks = list(_docx_blocks(document.element.body))
    except Exception as exc:  # noqa: BLE001 - lxml, KeyError, ValueError, …
        raise _corrupt_docx("không đọc được nội dung Word; hãy mở bằng Word và lưu lại",
                            f"unreadable Word content: {type(exc).__name__}") from None
    text = "\n\n".join(blocks)
    if not any(ch.isalpha() for ch in text) and has_media:
        raise LetterReadError(
            "Tệp DOCX không có chữ, chỉ có hình ảnh (bản quét dán vào Word); hãy dùng bản có văn "
            "bản hoặc chạy OCR trước (empty: DOCX has only images, no text)", code="empty")
    return text


_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
#: Subtrees whose text is not part of the visible paragraph: properties, deleted or moved-away
#: text (tracked changes), field codes, and the VML fallback copy of a text box.
_SKIP = frozenset(f"{_W}{t}" for t in ("pPr", "rPr", "del", "delText", "moveFrom", "instrText",
                                        "delInstrText")) | {_MC_FALLBACK}


def _walk_paragraph(el, parts: list[str], boxes: list[str]) -> None:  # noqa: ANN001
    for child in el:
        tag = child.tag
        if not isinstance(tag, str) or tag in _SKIP:
            continue
        if tag == f"{_W}t":
            parts.append(child.text or "")
        elif tag in (f"{_W}tab", f"{_W}ptab"):
            parts.append("\t")
        elif tag in (f"{_W}br", f"{_W}cr"):
            parts.append("\n")
        elif tag == f"{_W}noBreakHyphen":
            parts.append("-")
        elif tag == f"{_W}txbxContent":
            boxes.extend(_docx_blocks(child))
        else:
            _walk_paragraph(child, parts, boxes)


def _paragraph_blocks(p_el) -> list[str]:  # noqa: ANN001 - lxml element
    """Text of a <w:p> (runs, hyperlinks, tracked insertions, field results, tabs, breaks) and
    then the paragraphs of any text box anchored in it, as separate blocks."""
    parts: list[str] = []
    boxes: list[str] = []
    _walk_paragraph(p_el, parts, boxes)
    text = "".join(parts)
    return ([text] if text.strip() else []) + boxes


def _docx_blocks(container) -> Iterator[str]:  # noqa: ANN001 - lxml element
    """Non-empty text blocks of a body/cell in document order (a table is one block)."""
    for child in container.iterchildren():
        tag = child.tag
        if tag == f"{_W}p":
            yield from _paragraph_blocks(child)
        elif tag == f"{_W}tbl":
            text = _table_text(child)
            if text.strip():
                yield text
        elif tag in (f"{_W}sdt", f"{_W}customXml"):  # content controls wrapping blocks
            content = child.find(f"{_W}sdtContent")
            yield from _docx_blocks(content if content is not None else child)


def _table_text(tbl_el) -> str:  # noqa: ANN001 - lxml element
    """Rows top to bottom, cells left to right, each cell on its own line(s).

    Merged cells are emitted once (python-docx repeats them for every grid position).
    """
    from docx.table import Table

    table = Table(tbl_el, None)
    seen: list = []  # the <w:tc> elements themselves: kept alive, compared by identity
    lines: list[str] = []
    for row in table.rows:
        for cell in row.cells:
            if any(cell._tc is tc for tc in seen):
                continue
            seen.append(cell._tc)
            cell_text = "\n".join(b.strip("\n") for b in _docx_blocks(cell._tc))
            if cell_text.strip():
                lines.append(cell_text)
    return "\n".join(lines)


# =========================================================================== text decoding
def _binary(detail_vi: str, detail_en: str, suffix: str) -> LetterReadError:
    return LetterReadError(
        f"Tệp {suffix} chứa dữ liệu nhị phân, không phải văn bản{detail_vi}; hãy kiểm tra lại "
        f"tệp (binary data, not text{detail_en})", code="binary")


def _looks_utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when every other byte is mostly NUL (BOM-less UTF-16)."""
    if len(data) < 8 or len(data) % 2:
        return None
    even, odd = data[0::2], data[1::2]
    z_even, z_odd = even.count(0) / len(even), odd.count(0) / len(odd)
    if z_odd > 0.3 and z_even < 0.05:
        return "utf-16-le"
    if z_even > 0.3 and z_odd < 0.05:
        return "utf-16-be"
    return None


_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 11, 12, 13, 26, 27))

_TRIED = "UTF-8, UTF-16, Windows-1258, TCVN3/ABC, VNI-Windows"


def decode_text_bytes(data: bytes, suffix: str = ".txt") -> str:
    """Bytes of a .txt/.md letter → str (not yet cleaned). Raises LetterReadError."""
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", "utf-32"),
                       (b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe", "utf-16"),
                       (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                raise LetterReadError(
                    f"Tệp có dấu BOM {codec.upper()} nhưng nội dung không giải mã được; hãy lưu "
                    f"lại tệp dưới dạng Unicode UTF-8 (invalid {codec.upper()} text)",
                    code="undecodable") from None
            if _control_share(text) > 0.05:
                raise _binary("", "", suffix)
            return text

    if b"\x00" in data:
        codec = _looks_utf16_without_bom(data)
        if codec:
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                text = ""
            if text and _control_share(text) < 0.01:
                return text
        kind = _sniff(data)
        raise _binary(f" (nội dung là {kind})" if kind else " (có byte NUL)",
                      f": looks like {kind}" if kind else ": contains NUL bytes", suffix)
    kind = _sniff(data)
    if kind == "RTF":
        raise LetterReadError(
            f"Tệp {suffix} thực chất là văn bản RTF; hãy mở bằng Word và lưu lại dưới dạng .docx "
            "(RTF content is not supported; save as .docx)", code="unsupported_type")
    if kind and kind != "EXE":  # "MZ" alone could begin a text; real EXEs have NUL bytes
        raise _binary(f" (nội dung là {kind}, hãy đổi đuôi tệp cho đúng)",
                      f": looks like {kind}", suffix)
    if sum(data.count(b) for b in _CONTROL_BYTES) > 0.05 * len(data):
        raise _binary(" (nhiều ký tự điều khiển)", ": many control bytes", suffix)

    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    return _decode_legacy(data)


def _control_share(text: str) -> float:
    if not text:
        return 0.0
    bad = sum(1 for ch in text if (ord(ch) < 32 and ch not in "\t\n\r\f\v\x1a\x1b")
              or ch == "\ufffd")
    return bad / len(text)


# --------------------------------------------------------------------------- legacy tables
def _single_byte_table(codec: str) -> str:
    """256-char decode table; bytes the codec leaves undefined fall back to Latin-1."""
    out = []
    for b in range(256):
        try:
            out.append(bytes([b]).decode(codec))
        except UnicodeDecodeError:
            out.append(chr(b) if b >= 0xA0 or b < 0x80 else "\ufffd")
    return "".join(out)


_CP1252 = _single_byte_table("cp1252")
_CP1258 = _single_byte_table("cp1258")

#: TCVN3 (ABC, TCVN 5712:1993 VN3) byte → character. Verified on "Uû ban nh©n d©n tØnh",
#: "§¶ng Céng s¶n ViÖt Nam", "Hµ Néi", "ChÝnh phñ", "thùc hiÖn".
TCVN3_TO_UNICODE: dict[int, str] = {
    0xA1: "Ă", 0xA2: "Â", 0xA3: "Ê", 0xA4: "Ô", 0xA5: "Ơ", 0xA6: "Ư", 0xA7: "Đ",
    0xA8: "ă", 0xA9: "â", 0xAA: "ê", 0xAB: "ô", 0xAC: "ơ", 0xAD: "ư", 0xAE: "đ",
    0xB5: "à", 0xB6: "ả", 0xB7: "ã", 0xB8: "á", 0xB9: "ạ",
    0xBB: "ằ", 0xBC: "ẳ", 0xBD: "ẵ", 0xBE: "ắ", 0xC6: "ặ",
    0xC7: "ầ", 0xC8: "ẩ", 0xC9: "ẫ", 0xCA: "ấ", 0xCB: "ậ",
    0xCC: "è", 0xCE: "ẻ", 0xCF: "ẽ", 0xD0: "é", 0xD1: "ẹ",
    0xD2: "ề", 0xD3: "ể", 0xD4: "ễ", 0xD5: "ế", 0xD6: "ệ",
    0xD7: "ì", 0xD8: "ỉ", 0xDC: "ĩ", 0xDD: "í", 0xDE: "ị",
    0xDF: "ò", 0xE1: "ỏ", 0xE2: "õ", 0xE3: "ó", 0xE4: "ọ",
    0xE5: "ồ", 0xE6: "ổ", 0xE7: "ỗ", 0xE8: "ố", 0xE9: "ộ",
    0xEA: "ờ", 0xEB: "ở", 0xEC: "ỡ", 0xED: "ớ", 0xEE: "ợ",
    0xEF: "ù", 0xF1: "ủ", 0xF2: "ũ", 0xF3: "ú", 0xF4: "ụ",
    0xF5: "ừ", 0xF6: "ử", 0xF7: "ữ", 0xF8: "ứ", 0xF9: "ự",
    0xFA: "ỳ", 0xFB: "ỷ", 0xFC: "ỹ", 0xFD: "ý", 0xFE: "ỵ",
}
#: Output table: a byte TCVN3 leaves unused shows as its Windows-1252 glyph (what a user sees).
_TCVN3 = "".join(TCVN3_TO_UNICODE.get(b, _CP1252[b]) for b in range(256))
#: Scoring table: unused bytes 0xA1-0xFF count as wrong (their glyphs, e.g. "À", would look
#: like valid Vietnamese letters and hide a damaged or different-variant file).
_TCVN3_SCORING = "".join(
    TCVN3_TO_UNICODE.get(b, "\ufffd" if b > 0xA0 else _CP1252[b]) for b in range(256))

# VNI-Windows: base letter + modifier byte(s), shown here as their Windows-1252 glyphs.
_VNI_MODIFIERS = {
    # plain vowels: acute, grave, hook, tilde, dot below
    "a": {"ù": "á", "ø": "à", "û": "ả", "õ": "ã", "ï": "ạ",
          "â": "â", "á": "ấ", "à": "ầ", "å": "ẩ", "ã": "ẫ", "ä": "ậ",
          "ê": "ă", "é": "ắ", "è": "ằ", "ú": "ẳ", "ü": "ẵ", "ë": "ặ"},
    "e": {"ù": "é", "ø": "è", "û": "ẻ", "õ": "ẽ", "ï": "ẹ",
          "â": "ê", "á": "ế", "à": "ề", "å": "ể", "ã": "ễ", "ä": "ệ"},
    "o": {"ù": "ó", "ø": "ò", "û": "ỏ", "õ": "õ", "ï": "ọ",
          "â": "ô", "á": "ố", "à": "ồ", "å": "ổ", "ã": "ỗ", "ä": "ộ"},
    "ô": {"ù": "ớ", "ø": "ờ", "û": "ở", "õ": "ỡ", "ï": "ợ"},   # ô = ơ in VNI
    "u": {"ù": "ú", "ø": "ù", "û": "ủ", "õ": "ũ", "ï": "ụ"},
    "ö": {"ù": "ứ", "ø": "ừ", "û": "ử", "õ": "ữ", "ï": "ự"},   # ö = ư in VNI
    "y": {"ù": "ý", "ø": "ỳ", "û": "ỷ", "õ": "ỹ"},
}
_VNI_SINGLES = {"ô": "ơ", "ö": "ư", "ñ": "đ", "í": "í", "ì": "ì", "æ": "ỉ", "ó": "ĩ",
                "ò": "ị", "î": "ỵ"}


def _build_vni() -> tuple[dict[str, str], re.Pattern[str]]:
    table: dict[str, str] = {}
    for base, mods in _VNI_MODIFIERS.items():
        for mod, out in mods.items():
            for b in (base, base.upper()):
                for m in (mod, mod.upper()):
                    table[b + m] = out.upper() if b.isupper() else out
    for glyph, out in _VNI_SINGLES.items():
        table[glyph] = out
        table[glyph.upper()] = out.upper()
    keys = sorted(table, key=len, reverse=True)
    return table, re.compile("|".join(map(re.escape, keys)))


_VNI_TABLE, _VNI_PATTERN = _build_vni()


def _vni_from_glyphs(text: str) -> str:
    """VNI-Windows text seen as Windows-1252 glyphs → Unicode."""
    return _VNI_PATTERN.sub(lambda m: _VNI_TABLE[m.group(0)], text)


def _decode_cp1258(data: bytes) -> str:
    return unicodedata.normalize("NFC", codecs.charmap_decode(data, "strict", _CP1258)[0])


def _decode_tcvn3(data: bytes, table: str = _TCVN3) -> str:
    return codecs.charmap_decode(data, "strict", table)[0]


def _decode_vni(data: bytes) -> str:
    return _vni_from_glyphs(codecs.charmap_decode(data, "strict", _CP1252)[0])


_STRAY_BYTES_HANDLER = "congvan-stray-cp1252"


def _stray_bytes_as_cp1252(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start:exc.end]
    return "".join(_CP1252[b] for b in bad), exc.end


codecs.register_error(_STRAY_BYTES_HANDLER, _stray_bytes_as_cp1252)


# --------------------------------------------------------------------------- plausibility
_VI_LOWER = ("aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợ"
             "uùúủũụưừứửữựyỳýỷỹỵđ")
_VI_LETTERS = frozenset(_VI_LOWER + _VI_LOWER.upper() + "bcdfghjklmnpqrstvwxz"
                        + "BCDFGHJKLMNPQRSTVWXZ")
_GOOD_PUNCT = frozenset("“”‘’–—…•·°€₫")

_COMMON_SYLLABLES = frozenset("""
của và các được ngày tháng năm tỉnh thành phố huyện xã phường thị trấn phòng sở ban nhân dân
ủy uỷ hội đồng thực hiện theo quy định về việc có không cho với trong những này đã để đến người
là một tại trên từ số công văn quyết chỉ thị kế hoạch tổ chức cơ quan đơn vị địa phương triển
khai báo cáo đề nghị yêu cầu nội dung bản thông tin tư pháp kinh tế giáo dục đào tạo y lao bảo
hiểm chính phủ thủ tướng bộ trưởng giám đốc chủ tịch phó trách nhiệm vụ quản lý hướng dẫn kiểm
tra giải hồ sơ hành cải cách an toàn chống dịch bệnh tác tăng cường đảm đảng cộng sản việt nam
độc lập tự do hạnh phúc hà nội lực lượng nơi nhận lưu như kính gửi căn cứ luật điều khoản mục
tiêu giai đoạn phát xây dựng môi trường tài nguyên sách hỗ trợ học sinh đất đai nông nghiệp
thương mại ngân vốn đầu dự án thời gian hạn trước sau khi các cấp ngành liên phối hợp trì tham
mưu tổng kết quả xuất ra vào lên bị sẽ đang cũng nhằm đối tượng trình nước quốc gia trung ương
văn hóa hoá xã biết sự năng hiệu còn hơn nhiều mới làm tình hình năm nay toàn trọng trân tất
cả hoặc mà nên vì nếu đó thì phải cần đúng đủ kịp thời rà soát đánh giá thống kê khẩn
""".split())

_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")
_VOWEL_CLUSTERS = sorted("""
a ă â e ê i o ô ơ u ư y ai ao au ay âu ây eo êu ia iê iu oa oă oe oi ôi ơi ua uâ uê ui uô uơ
uy ưa ưi ưu ươ yê iêu yêu oai oay oeo uây uôi uya uyê uyu ươi ươu
""".split(), key=len, reverse=True)
_SYLLABLE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnpqrstvx])?"
    rf"(?:{'|'.join(_VOWEL_CLUSTERS)})(?:ng|nh|ch|[cmnpt])?")


def _valid_syllable(word: str) -> bool:
    decomposed = unicodedata.normalize("NFD", word)
    if sum(ch in _TONE_MARKS for ch in decomposed) > 1:
        return False
    base = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONE_MARKS))
    return bool(base) and _SYLLABLE.fullmatch(base) is not None


@dataclass(frozen=True)
class _Score:
    good: float     # share of non-space characters that are plausible in a Vietnamese letter
    valid: float    # share of words that are well-formed Vietnamese syllables
    common: float   # share of words that are frequent syllables of administrative Vietnamese
    words: int

    @property
    def total(self) -> float:
        return 2.0 * self.good + 0.5 * self.valid + 1.0 * self.common


def _plausibility(text: str) -> _Score:
    chars = [ch for ch in text if not ch.isspace()]
    if not chars:
        return _Score(0.0, 0.0, 0.0, 0)
    good = sum(ch in _VI_LETTERS or (ch.isascii() and ch.isprintable()) or ch in _GOOD_PUNCT
               for ch in chars) / len(chars)
    words = re.findall(r"[^\W\d_]+", text.lower())
    if not words:
        return _Score(good, 0.0, 0.0, 0)
    valid = sum(_valid_syllable(w) for w in words) / len(words)
    common = sum(w in _COMMON_SYLLABLES for w in words) / len(words)
    return _Score(good, valid, common, len(words))


def _is_vietnamese(score: _Score) -> bool:
    return score.good >= 0.97 and (score.valid >= 0.6 or score.common >= 0.15)


_ENCODING_NAMES = {"utf-8": "UTF-8", "cp1258": "Windows-1258", "tcvn3": "TCVN3/ABC",
                   "vni": "VNI-Windows"}


def _decode_utf8_stray(data: bytes) -> str:
    return data.decode("utf-8", errors=_STRAY_BYTES_HANDLER)


_DECODERS = {"utf-8": _decode_utf8_stray, "cp1258": _decode_cp1258, "tcvn3": _decode_tcvn3,
             "vni": _decode_vni}
_SAMPLE_BYTES = 512 * 1024


def _decode_legacy(data: bytes) -> str:
    """Not UTF-8: score each candidate decoding (on a sample of a big file), keep the best."""
    names = ["cp1258", "tcvn3", "vni"]
    # Mostly UTF-8 with a few stray Windows bytes (text pasted from an old editor): keep the
    # UTF-8 and read each invalid byte as Windows-1252.
    replaced = data.decode("utf-8", errors="replace")
    n_bad = replaced.count("\ufffd")
    n_multi = len(replaced) - len(replaced.encode("ascii", "ignore")) - n_bad
    if n_multi >= 10 * max(n_bad, 1):
        names.insert(0, "utf-8")
    sample = data
    if len(data) > _SAMPLE_BYTES:
        cut = data.rfind(b"\n", 0, _SAMPLE_BYTES)
        sample = data[: cut if cut > 0 else _SAMPLE_BYTES]
    scored = []
    for name in names:
        # Judge on the non-ASCII words only: that is where the candidates differ.
        decoded = (_decode_tcvn3(sample, _TCVN3_SCORING) if name == "tcvn3"
                   else _DECODERS[name](sample))
        score = _plausibility(_suspicious_words(decoded))
        scored.append((score.total, name, score))
    # max() keeps the first of equal totals: UTF-8, then cp1258 (a real code page) win ties.
    _, best_name, best = max(scored, key=lambda s: s[0])
    if _is_vietnamese(best) or (best_name in ("cp1258", "utf-8") and best.good >= 0.99):
        # The second case: clean text in a Windows code page, just not very Vietnamese.
        return _DECODERS[best_name](data)
    if best_name in ("tcvn3", "vni") and best.good >= 0.75 and best.common >= 0.1:
        # Common Vietnamese syllables do come out, but too many bytes make no sense.
        raise LetterReadError(
            f"Tệp dùng bảng mã {_ENCODING_NAMES[best_name]} (bảng mã cũ) và không chuyển đổi "
            "được chắc chắn; hãy chuyển sang Unicode (ví dụ bằng Unikey) rồi tải lại "
            f"(legacy {_ENCODING_NAMES[best_name]} encoding; convert to Unicode first)",
            code="legacy_encoding")
    raise LetterReadError(
        f"Không nhận ra bảng mã của tệp văn bản (đã thử {_TRIED}); hãy lưu lại tệp dưới dạng "
        "Unicode UTF-8 (undecodable text: unknown encoding, save it as UTF-8)",
        code="undecodable")


_SCORE_SAMPLE = 200_000  # characters; enough to tell encodings apart, keeps big files fast


def _suspicious_words(text: str) -> str:
    """The words of ``text`` that contain non-ASCII characters (ASCII words score the same
    under every candidate and would only dilute the difference), at most a sample of them."""
    words = [w for w in text[: 4 * _SCORE_SAMPLE].split() if not w.isascii()]
    return (" ".join(words) if words else text)[:_SCORE_SAMPLE]


# --------------------------------------------------------------------------- mojibake repair
_CP1252_ENCODABLE = frozenset(_CP1252) - {"\ufffd"}
# Characters that make a line a suspect (no-break space and soft hyphen alone do not).
_HIGH_GLYPHS = frozenset(ch for ch in _CP1252_ENCODABLE if ord(ch) > 0x7F) - {"\xa0", "\xad"}
_CP1252_ENCODE = {ch: i for i, ch in enumerate(_CP1252) if ch != "\ufffd"}
_HIGH_GLYPH_RE = re.compile("[" + re.escape("".join(sorted(_HIGH_GLYPHS))) + "]")


def _glyphs_to_bytes(line: str) -> bytes | None:
    try:
        return bytes(_CP1252_ENCODE[ch] for ch in line)
    except KeyError:
        return None


def repair_legacy_mojibake(text: str) -> str:
    """Convert lines that are TCVN3/VNI text seen through Windows-1252 glyphs ("§¶ng Céng
    s¶n" → "Đảng Cộng sản"). Lines with any character outside Windows-1252 (i.e. real
    Unicode Vietnamese) are never touched; a line changes only if it becomes clearly more
    Vietnamese.
    """
    if not _HIGH_GLYPH_RE.search(text):
        return text
    lines = text.split("\n")
    suspects: list[tuple[int, bytes]] = []
    for i, line in enumerate(lines):
        if _HIGH_GLYPH_RE.search(line):
            raw = _glyphs_to_bytes(unicodedata.normalize("NFC", line))
            if raw is not None:
                suspects.append((i, raw))
    if not suspects:
        return text
    joined = b"\n".join(raw for _, raw in suspects)
    original = "\n".join(lines[i] for i, _ in suspects)
    best_name, best_total = None, _plausibility(_suspicious_words(original)).total + 0.3
    for name, decode in (("tcvn3", lambda b: _decode_tcvn3(b, _TCVN3_SCORING)),
                         ("vni", _decode_vni)):
        score = _plausibility(_suspicious_words(decode(joined)))
        if score.total > best_total and score.words and _is_vietnamese(score):
            best_name, best_total = name, score.total
    if best_name is None:
        return text
    decode = _decode_tcvn3 if best_name == "tcvn3" else _decode_vni
    for i, raw in suspects:
        converted = decode(raw)
        score = _plausibility(converted)
        if score.words and score.valid >= 0.5 and score.total > _plausibility(lines[i]).total:
            lines[i] = converted
    return "\n".join(lines)
