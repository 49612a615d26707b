"""Scanned PDFs → text with Tesseract's Vietnamese model, when it is installed.

Why: many letters reach a province as scans. Some have no text layer; others carry one that a
scanner's software wrote in a broken font ("Ldm D6ng, ngdy l0thdng 9 ndm2025"), which reads as
text but is not Vietnamese. Both are rendered page by page (pypdfium2, no system library) and
read by the ``tesseract`` program with the ``vie`` language data (Debian: ``apt-get install
tesseract-ocr tesseract-ocr-vie``; ``./run`` installs them when it can). Without them, a scan is
refused with a message that says so, as before.
"""
from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

from congvan.letters.readers.common import LetterReadError

__all__ = ["OCR_DPI", "OCR_MAX_PAGES", "ocr_missing", "ocr_pdf"]

OCR_DPI = 300            # Tesseract reads 10-12 pt print best at about 300 dpi
OCR_MAX_PAGES = 40       # a letter with its annexes; ~10 s a page on 2 cores
_PAGE_TIMEOUT_S = 180
log = logging.getLogger(__name__)  # "OCR trang 3/12": a scan takes seconds a page, so say so


@lru_cache(maxsize=1)
def ocr_missing() -> str | None:
    """None when scans can be read; else what is missing, in Vietnamese, with how to install it."""
    try:
        import pypdfium2  # noqa: F401
    except ImportError:
        return "thiếu gói Python pypdfium2 (pip install pypdfium2)"
    exe = shutil.which("tesseract")
    if exe is None:
        return "chưa cài Tesseract OCR (apt-get install tesseract-ocr tesseract-ocr-vie)"
    try:
        langs = subprocess.run([exe, "--list-langs"], check=False, capture_output=True, text=True,
                               timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return "không chạy được tesseract (hãy cài lại: apt-get install tesseract-ocr)"
    if "vie" not in langs.split():
        return "Tesseract chưa có dữ liệu tiếng Việt (apt-get install tesseract-ocr-vie)"
    return None


def ocr_pdf(data: bytes, max_pages: int = OCR_MAX_PAGES) -> str:
    """The text Tesseract reads on each page of a PDF (pages joined by a blank line).

    Raises ``LetterReadError`` (code ``no_text_layer``) when OCR is not installed, and
    (``corrupt_pdf``) when the file cannot be rendered.
    """
    missing = ocr_missing()
    if missing:
        raise LetterReadError(f"PDF là bản quét nhưng không đọc được bằng OCR: {missing} "
                              "(scanned PDF; OCR not available)", code="no_text_layer")
    import pypdfium2 as pdfium

    start = data.find(b"%PDF-", 0, 1024)  # junk some scanners write before the header
    try:
        doc = pdfium.PdfDocument(data[max(start, 0):])
    except pdfium.PdfiumError as exc:
        raise LetterReadError(f"Tệp PDF bị hỏng: không dựng được trang để OCR ({exc}) "
                              "(corrupt PDF: cannot render pages)", code="corrupt_pdf") from None
    pages: list[str] = []
    env = {**os.environ, "OMP_THREAD_LIMIT": os.environ.get("OMP_THREAD_LIMIT", "2")}
    total = min(len(doc), max_pages)
    if len(doc) > max_pages:
        log.warning("OCR: tệp có %d trang, chỉ đọc %d trang đầu (scan has %d pages; reading the first %d)",
                    len(doc), max_pages, len(doc), max_pages)
    try:
        with tempfile.TemporaryDirectory(prefix="congvan-ocr-") as tmp:
            for i in range(total):
                log.info("OCR trang %d/%d (bản quét, khoảng 10 giây mỗi trang)", i + 1, total)
                image = Path(tmp) / f"p{i}.png"
                doc[i].render(scale=OCR_DPI / 72, grayscale=True).to_pil().save(image)
                try:
                    run = subprocess.run(["tesseract", str(image), "-", "-l", "vie", "--psm", "3"], check=False,
                                         capture_output=True, text=True, timeout=_PAGE_TIMEOUT_S, env=env)
                except subprocess.TimeoutExpired:
                    raise LetterReadError(
                        f"OCR trang {i + 1} quá {_PAGE_TIMEOUT_S} giây; hãy tách tệp hoặc dùng bản có văn bản "
                        "(OCR timed out)", code="no_text_layer") from None
                if run.returncode != 0:
                    detail = (run.stderr or "").strip().splitlines()[-1:] or ["?"]
                    raise LetterReadError(f"OCR trang {i + 1} lỗi: {detail[0]}; hãy thử lại hoặc dùng bản có "
                                          "văn bản (OCR failed)", code="no_text_layer")
                pages.append(run.stdout.strip("\n"))
                image.unlink()
    finally:
        doc.close()
    return "\n\n".join(pages)
