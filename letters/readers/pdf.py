"""PDF → text: its text layer (pypdf), or OCR of the pages for scans (``ocr.py``, when Tesseract
is installed); clear errors for broken files and for scans OCR cannot read."""
from __future__ import annotations

import io
import logging
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from congvan.letters.readers.common import LetterReadError, _sniff
from congvan.letters.readers.ocr import ocr_missing, ocr_pdf
from congvan.letters.readers.plausibility import _plausibility, _Score

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
    text = "\n\n".join(page.strip("\n") for page in pages)
    if sum(ch.isalpha() for ch in text) < 20:  # a scan with no text layer
        if ocr_missing():
            raise LetterReadError(f"{_NO_TEXT_LAYER}; OCR: {ocr_missing()}", code="no_text_layer")
        text = ocr_pdf(data)
        if sum(ch.isalpha() for ch in text) < 20:
            raise LetterReadError("PDF là bản quét, OCR không đọc được chữ nào; hãy dùng bản quét rõ hơn "
                                  "hoặc bản có văn bản (scanned PDF, OCR found no text)", code="no_text_layer")
        return text
    layer = _plausibility(text[:20000])
    if _garbled(layer) and not ocr_missing():  # a scanner's text layer in a broken font
        read = ocr_pdf(data)
        if _plausibility(read[:20000]).total > layer.total:
            return read
    return text


def _garbled(score: _Score) -> bool:
    """Is a text layer not Vietnamese at all ("Ldm D6ng, ngdy l0thdng 9 ndm2025")? Real letters'
    layers, born digital or OCR'd, have ≥ 0.85 well-formed syllables; broken fonts < 0.45."""
    return score.words >= 30 and score.valid < 0.6 and score.common < 0.2
