"""DOCX → text: paragraphs, tables and text boxes in reading order, legacy-font mojibake repaired."""
from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

from congvan.letters.readers.common import LetterReadError, _sniff

# =========================================================================== DOCX
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MAX_DOCX_XML = 200 * 1024 * 1024  # uncompressed document.xml guard (zip bombs)


def _corrupt_docx(detail_vi: str, detail_en: str) -> LetterReadError:
    return LetterReadError(f"Tệp DOCX bị hỏng: {detail_vi} ({detail_en})", code="corrupt_docx")


def _read_docx(data: bytes) -> str:
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
