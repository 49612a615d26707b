"""Scanned PDFs read by OCR (letters.readers.ocr): a page image with no text layer, and one whose
text layer a scanner wrote in a broken font. Real Tesseract, real rendering; skipped only where
Tesseract's Vietnamese data is not installed (``./run`` installs it as root)."""
from __future__ import annotations

import io
from pathlib import Path

import pytest

from congvan.letters.parse import parse_letter
from congvan.letters.readers import LetterReadError, read_letter_bytes
from congvan.letters.readers.ocr import ocr_missing
from congvan.letters.text import fold

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
LINES = ["ỦY BAN NHÂN DÂN              CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
         "TỈNH CAO BẰNG                      Độc lập - Tự do - Hạnh phúc",
         "Số: 1520/UBND-VX             Cao Bằng, ngày 14 tháng 8 năm 2023",
         "V/v tổ chức tiêm vét vắc xin sởi cho trẻ em",
         "", "Kính gửi: Sở Y tế tỉnh Cao Bằng.", "",
         "1. Sở Y tế chủ trì tổ chức tiêm vét cho trẻ em chưa được tiêm đủ mũi.",
         "2. Ủy ban nhân dân các huyện rà soát danh sách trẻ em trên địa bàn."]


def _scan(garbled_layer: bool = False) -> bytes:
    if ocr_missing():
        pytest.skip(f"OCR not installed here: {ocr_missing()}")
    if not FONT.is_file():
        pytest.skip(f"{FONT} not found (apt-get install fonts-dejavu-core)")
    from fpdf import FPDF
    from PIL import Image, ImageDraw, ImageFont

    page = Image.new("L", (2480, 1400), 255)  # the top of an A4 page at 300 dpi
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(str(FONT), 40)
    for n, line in enumerate(LINES):
        draw.text((150, 100 + n * 120), line, font=font, fill=0)
    buf = io.BytesIO()
    page.save(buf, format="PNG")
    pdf = FPDF(unit="pt", format=(595, 336))
    pdf.add_page()
    pdf.image(io.BytesIO(buf.getvalue()), x=0, y=0, w=595)
    if garbled_layer:  # what a scanner's broken font gives: ASCII look-alikes of the words
        pdf.set_font("helvetica", size=6)
        pdf.set_text_color(255, 255, 255)
        pdf.multi_cell(0, 8, " ".join(["Cao Bdng, ngdy l4thdng 8 ndm2O23 Sd Y td tinh Cao Bdng td chtc tidm vdt"] * 6))
    return bytes(pdf.output())


def test_a_scan_without_a_text_layer_is_read_by_ocr() -> None:
    text = read_letter_bytes(_scan(), "scan.pdf")
    assert "tiem vet" in fold(text) and "cao bang" in fold(text)
    letter = parse_letter(text)
    assert letter.number == "1520/UBND-VX" and letter.date.year == 2023 and letter.province == "Cao Bằng"
    assert any("tiem vet" in fold(c.text) for c in letter.clauses if c.kind == "directive")


def test_a_text_layer_in_a_broken_font_gives_way_to_ocr() -> None:
    text = read_letter_bytes(_scan(garbled_layer=True), "scan.pdf")
    assert "Bdng" not in text and "tiem vet" in fold(text)


def test_a_blank_scan_still_says_what_is_wrong() -> None:
    if ocr_missing():
        pytest.skip(f"OCR not installed here: {ocr_missing()}")
    from fpdf import FPDF
    from PIL import Image

    buf = io.BytesIO()
    Image.new("L", (600, 800), 255).save(buf, format="PNG")
    pdf = FPDF()
    pdf.add_page()
    pdf.image(io.BytesIO(buf.getvalue()), x=10, y=10, w=190)
    with pytest.raises(LetterReadError) as info:
        read_letter_bytes(bytes(pdf.output()), "blank.pdf")
    assert info.value.code == "no_text_layer" and "OCR" in str(info.value)
