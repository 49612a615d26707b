"""Letter files → clean text: encodings, DOCX, PDF, and a clear error for each kind of bad input."""
from __future__ import annotations

import io
import os
import random
import re
import unicodedata
import zipfile
from pathlib import Path

import pytest

from congvan.letters import readers
from congvan.letters.readers import (
    SUPPORTED_SUFFIXES,
    TCVN3_TO_UNICODE,
    LetterReadError,
    read_letter_bytes,
    read_letter_file,
)
from congvan.letters.text import _split_tone, has_diacritics

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

SENTENCE = ("Ủy ban nhân dân tỉnh Thái Bình yêu cầu các sở, ban, ngành thực hiện nghiêm túc "
            "chỉ thị của Thủ tướng Chính phủ về phòng, chống dịch bệnh.")
LETTER = (
    "ỦY BAN NHÂN DÂN\nTỈNH THÁI BÌNH\n\n"
    "Số: 123/UBND-VX\n\n"
    "V/v tăng cường phòng, chống dịch bệnh\n\n"
    "Kính gửi: Các sở, ban, ngành; Ủy ban nhân dân các huyện, thành phố.\n\n"
    + SENTENCE + "\n\nNơi nhận:\n- Như trên;\n- Lưu: VT."
)


# --------------------------------------------------------------------------- helpers
def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def assert_good_message(err: LetterReadError) -> None:
    """Vietnamese message followed by a short English gloss in parentheses."""
    msg = str(err)
    assert msg and msg == err.message
    assert has_diacritics(msg), msg
    gloss = re.search(r"\(([^()]*)\)$", msg)
    assert gloss, f"no English gloss at the end: {msg!r}"
    assert gloss.group(1).isascii() and re.search(r"[a-z]{3}", gloss.group(1)), msg
    assert msg.index(gloss.group(0)) > 10  # Vietnamese text first
    assert err.status in (400, 413, 415)
    assert "Traceback" not in msg


def read_error(data: bytes, name: str, **kw) -> LetterReadError:
    with pytest.raises(LetterReadError) as info:
        read_letter_bytes(data, name, **kw)
    assert_good_message(info.value)
    return info.value


def encode_cp1258(text: str) -> bytes:
    """What Windows writes: precomposed where cp1258 has the letter, else base + combining tone.

    Python's cp1258 codec only encodes the precomposed letters that exist in the code page
    (á, â, ă, đ, ơ, ư …); 'ủ', 'ỉ', 'ệ', 'ì', 'ã' must be split into base + tone mark first.
    """
    out = bytearray()
    for ch in text:
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            base, tone = _split_tone(ch)
            out += base.encode("cp1258") + tone.encode("cp1258")
    return bytes(out)


_UNICODE_TO_TCVN3 = {ch: byte for byte, ch in TCVN3_TO_UNICODE.items()}


def encode_tcvn3(text: str) -> bytes:
    return bytes(_UNICODE_TO_TCVN3[ch] if ch in _UNICODE_TO_TCVN3 else ord(ch) for ch in text)


# VNI-Windows, written out by hand (Windows-1252 glyphs of the VNI bytes).
_VNI = {
    "á": "aù", "à": "aø", "ả": "aû", "ã": "aõ", "ạ": "aï", "â": "aâ", "ấ": "aá", "ầ": "aà",
    "ẩ": "aå", "ẫ": "aã", "ậ": "aä", "ă": "aê", "ắ": "aé", "ằ": "aè", "ẳ": "aú", "ẵ": "aü",
    "ặ": "aë", "é": "eù", "è": "eø", "ẻ": "eû", "ẽ": "eõ", "ẹ": "eï", "ê": "eâ", "ế": "eá",
    "ề": "eà", "ể": "eå", "ễ": "eã", "ệ": "eä", "í": "í", "ì": "ì", "ỉ": "æ", "ĩ": "ó",
    "ị": "ò", "ó": "où", "ò": "oø", "ỏ": "oû", "õ": "oõ", "ọ": "oï", "ô": "oâ", "ố": "oá",
    "ồ": "oà", "ổ": "oå", "ỗ": "oã", "ộ": "oä", "ơ": "ô", "ớ": "ôù", "ờ": "ôø", "ở": "ôû",
    "ỡ": "ôõ", "ợ": "ôï", "ú": "uù", "ù": "uø", "ủ": "uû", "ũ": "uõ", "ụ": "uï", "ư": "ö",
    "ứ": "öù", "ừ": "öø", "ử": "öû", "ữ": "öõ", "ự": "öï", "ý": "yù", "ỳ": "yø", "ỷ": "yû",
    "ỹ": "yõ", "ỵ": "î", "đ": "ñ",
}
_VNI.update({k.upper(): v.upper() for k, v in list(_VNI.items())})


def encode_vni(text: str) -> bytes:
    return "".join(_VNI.get(ch, ch) for ch in text).encode("cp1252")


def docx_bytes(build) -> bytes:  # noqa: ANN001 - callable(Document)
    import docx

    document = docx.Document()
    build(document)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def pdf_bytes(pages: list[str]) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("dejavu", fname=str(DEJAVU))
    pdf.set_font("dejavu", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


needs_dejavu = pytest.mark.skipif(
    not DEJAVU.is_file(), reason=f"TTF font {DEJAVU} not installed (apt install fonts-dejavu-core)")


# --------------------------------------------------------------------------- plain text
@pytest.mark.parametrize("suffix", [".txt", ".md", ".TXT"])
def test_utf8_text_and_markdown(tmp_path: Path, suffix: str) -> None:
    path = write(tmp_path, "cong-van" + suffix, LETTER.replace("\n", "\r\n").encode("utf-8"))
    assert read_letter_file(path) == LETTER


def test_markdown_bold_markers_and_odd_spaces_are_cleaned() -> None:
    raw = "**ỦY BAN NHÂN DÂN**\u00a0TỈNH\u200b THÁI BÌNH  \n\n" + SENTENCE
    expected = "ỦY BAN NHÂN DÂN TỈNH THÁI BÌNH\n\n" + SENTENCE
    assert read_letter_bytes(raw.encode(), "a.md") == expected


def test_nfd_input_comes_back_nfc() -> None:
    nfd = unicodedata.normalize("NFD", SENTENCE)
    assert read_letter_bytes(nfd.encode(), "a.txt") == SENTENCE


def test_utf8_with_bom(tmp_path: Path) -> None:
    path = write(tmp_path, "bom.txt", b"\xef\xbb\xbf" + LETTER.encode("utf-8"))
    text = read_letter_file(path)
    assert text == LETTER and not text.startswith("\ufeff")


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le-bom", "utf-16-be-bom"])
def test_utf16_with_bom(tmp_path: Path, codec: str) -> None:
    if codec == "utf-16":
        data = LETTER.encode("utf-16")
    elif codec == "utf-16-le-bom":
        data = b"\xff\xfe" + LETTER.encode("utf-16-le")
    else:
        data = b"\xfe\xff" + LETTER.encode("utf-16-be")
    assert read_letter_file(write(tmp_path, "u16.txt", data)) == LETTER


def test_utf16_without_bom_is_recognised() -> None:
    assert read_letter_bytes(LETTER.encode("utf-16-le"), "a.txt") == LETTER


def test_mostly_utf8_with_a_stray_windows_byte() -> None:
    data = SENTENCE.encode() + b" \x93ok\x94"  # Windows-1252 curly quotes pasted into UTF-8
    assert read_letter_bytes(data, "a.txt") == SENTENCE + " “ok”"


# --------------------------------------------------------------------------- legacy encodings
def test_cp1258_is_decoded_to_nfc(tmp_path: Path) -> None:
    data = encode_cp1258(LETTER)
    # Sanity: really Windows-1258 with combining tones, not UTF-8.
    assert b"\xd2" in data  # combining hook above (ủ = u + D2)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    text = read_letter_file(write(tmp_path, "cp1258.txt", data))
    assert text == LETTER
    assert unicodedata.is_normalized("NFC", text)


def test_cp1258_short_line() -> None:
    assert read_letter_bytes(encode_cp1258("Hà Nội, ngày 5 tháng 3 năm 2024"), "a.txt") == (
        "Hà Nội, ngày 5 tháng 3 năm 2024")


@pytest.mark.parametrize(("mojibake", "expected"), [
    ("Uû ban nh©n d©n tØnh", "Uỷ ban nhân dân tỉnh"),
    ("§¶ng Céng s¶n ViÖt Nam", "Đảng Cộng sản Việt Nam"),
    ("Hµ Néi", "Hà Nội"),
    ("ChÝnh phñ", "Chính phủ"),
    ("thùc hiÖn", "thực hiện"),
])
def test_tcvn3_table_matches_known_mojibake(mojibake: str, expected: str) -> None:
    raw = mojibake.encode("cp1252")  # how TCVN3 bytes look in a Western font
    assert readers._decode_tcvn3(raw) == expected
    assert encode_tcvn3(expected) == raw
    assert read_letter_bytes(raw, "a.txt") == expected


def test_tcvn3_bytes_are_decoded(tmp_path: Path) -> None:
    lower = LETTER.lower()  # one TCVN3 font has no upper-case toned letters
    data = encode_tcvn3(lower)
    assert read_letter_file(write(tmp_path, "tcvn3.txt", data)) == lower


def test_tcvn3_short_text() -> None:
    assert read_letter_bytes(encode_tcvn3("kính gửi: giám đốc sở y tế"), "a.md") == (
        "kính gửi: giám đốc sở y tế")


def test_vni_is_converted(tmp_path: Path) -> None:
    data = encode_vni(LETTER)
    assert "UÛy ban nhaân daân".encode("cp1252") in data
    assert read_letter_file(write(tmp_path, "vni.txt", data)) == LETTER


@pytest.mark.parametrize(("vni", "expected"), [
    ("Vieät Nam", "Việt Nam"),
    ("UÛy ban nhaân daân", "Ủy ban nhân dân"),
    ("ñöôïc", "được"),
    ("COÄNG HOØA XAÕ HOÄI CHUÛ NGHÓA VIEÄT NAM", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
    ("Ñoäc laäp - Töï do - Haïnh phuùc", "Độc lập - Tự do - Hạnh phúc"),
    ("Nghò ñònh veà tænh", "Nghị định về tỉnh"),
])
def test_vni_known_samples(vni: str, expected: str) -> None:
    assert read_letter_bytes(vni.encode("cp1252"), "a.txt") == expected
    assert encode_vni(expected) == vni.encode("cp1252")


def test_every_vietnamese_letter_round_trips_through_each_legacy_encoding() -> None:
    letters = "aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵđ"
    words = " ".join(f"b{ch}n" for ch in letters)
    assert readers._decode_cp1258(encode_cp1258(words)) == words
    assert readers._decode_cp1258(encode_cp1258(words.upper())) == words.upper()
    assert readers._decode_tcvn3(encode_tcvn3(words)) == words
    assert readers._decode_vni(encode_vni(words)) == words
    assert readers._decode_vni(encode_vni(words.upper())) == words.upper()


def test_big_legacy_file_is_judged_on_a_sample_and_decoded_whole() -> None:
    text = (LETTER + "\n\n") * 3000  # ~1 MB: over the scoring sample
    data = encode_cp1258(text)
    assert len(data) > readers._SAMPLE_BYTES
    assert read_letter_bytes(data, "a.txt") == text.strip("\n")


def test_damaged_tcvn3_is_refused_by_name() -> None:
    """TCVN3 text with many bytes outside the table (another font variant, a damaged file):
    recognisably TCVN3, but the conversion cannot be trusted."""
    data = bytearray(encode_tcvn3(LETTER.lower()))
    high = [i for i, b in enumerate(data) if b > 0x7F]
    for i in high[::5]:
        data[i] = 0xC0  # unused in TCVN3
    err = read_error(bytes(data), "a.txt")
    assert err.code == "legacy_encoding" and err.status == 400
    assert "TCVN3" in str(err) and "Unikey" in str(err)


def test_unknown_encoding_is_undecodable() -> None:
    err = read_error(("中文文本测试，这是一个政府文件。" * 5).encode("gbk"), "a.txt")
    assert err.code == "undecodable" and err.status == 400
    for name in ("UTF-8", "Windows-1258", "TCVN3", "VNI"):
        assert name in str(err)


def test_tcvn3_mojibake_lines_in_utf8_text_are_repaired() -> None:
    text = "§¶ng Céng s¶n ViÖt Nam\nHµ Néi, ngµy 5 th¸ng 3 n¨m 2024\nCafé sáng\nTháng 3"
    assert read_letter_bytes(text.encode(), "a.txt") == (
        "Đảng Cộng sản Việt Nam\nHà Nội, ngày 5 tháng 3 năm 2024\nCafé sáng\nTháng 3")


def test_unicode_vietnamese_is_never_touched_by_the_repair() -> None:
    text = "Tháng 3\nCafé sáng\nCác\nChào bác\nÔng Tô\n" + LETTER
    assert readers.repair_legacy_mojibake(text) == text


# --------------------------------------------------------------------------- binary / empty
def test_nul_bytes_in_text_file_are_binary(tmp_path: Path) -> None:
    data = b"\x00\x01\x02binary\x00\xff\xfe\x00" * 50
    with pytest.raises(LetterReadError) as info:
        read_letter_file(write(tmp_path, "a.txt", os.urandom(8) + data))
    assert info.value.code == "binary"
    assert_good_message(info.value)


def test_control_heavy_text_file_is_binary() -> None:
    rnd = random.Random(3)
    data = bytes(rnd.randrange(1, 256) for _ in range(2000))
    assert read_error(data, "a.md").code == "binary"


def test_stray_control_characters_are_dropped() -> None:
    data = ("Hà Nội\x1a, ngày 5\x07 tháng 3\x00"[:-1] + "\x0c").encode()
    assert read_letter_bytes(data, "a.txt") == "Hà Nội, ngày 5 tháng 3"


def test_rtf_named_txt_is_refused() -> None:
    err = read_error(b"{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 Times;}} Hello}", "a.txt")
    assert err.code == "unsupported_type" and "RTF" in str(err)


def test_image_renamed_to_txt_is_binary() -> None:
    err = read_error(b"\x89PNG\r\n\x1a\n" + b"IHDR" + bytes(range(1, 200)), "scan.txt")
    assert err.code == "binary" and "PNG" in str(err)


@pytest.mark.parametrize(("name", "data"), [
    ("empty.txt", b""), ("empty.md", b""), ("empty.pdf", b""), ("empty.docx", b""),
    ("space.txt", b"  \r\n\t\n   \n"), ("punct.txt", "- … ; 1. 2. 3 / «»".encode()),
    ("space16.txt", "   \n\n ".encode("utf-16")),
])
def test_empty_and_whitespace_only(tmp_path: Path, name: str, data: bytes) -> None:
    with pytest.raises(LetterReadError) as info:
        read_letter_file(write(tmp_path, name, data))
    assert info.value.code == "empty" and info.value.status == 400
    assert_good_message(info.value)


def test_pipeline_style_construction_defaults_status() -> None:
    err = LetterReadError("Văn bản rỗng: không có nội dung để đọc (empty text)", code="empty")
    assert err.status == 400 and str(err).startswith("Văn bản rỗng")
    assert LetterReadError("x (y)", code="too_large").status == 413
    assert LetterReadError("x (y)", code="unsupported_type").status == 415
    assert isinstance(err, ValueError)


# --------------------------------------------------------------------------- type / size
@pytest.mark.parametrize("name", ["bang-tinh.xlsx", "setup.exe", "cong-van.odt", "README",
                                  "anh.jpg"])
def test_unsupported_type(tmp_path: Path, name: str) -> None:
    with pytest.raises(LetterReadError) as info:
        read_letter_file(write(tmp_path, name, b"PK\x03\x04whatever"))
    err = info.value
    assert err.code == "unsupported_type" and err.status == 415
    for suffix in SUPPORTED_SUFFIXES:
        assert suffix in str(err)
    assert_good_message(err)


def test_too_large_bytes() -> None:
    err = read_error(b"a" * 3 * 1024 * 1024, "a.txt", max_bytes=2 * 1024 * 1024)
    assert err.code == "too_large" and err.status == 413
    assert "2 MB" in str(err)


def test_too_large_file_is_refused_before_reading(tmp_path: Path, monkeypatch) -> None:
    path = write(tmp_path, "big.pdf", b"%PDF-1.4\n" + b"0" * 5000)

    def no_read(self):  # noqa: ANN001
        raise AssertionError("file was read although it is over the limit")

    monkeypatch.setattr(Path, "read_bytes", no_read)
    with pytest.raises(LetterReadError) as info:
        read_letter_file(path, max_bytes=1000)
    assert info.value.code == "too_large" and info.value.status == 413
    assert "MB" in str(info.value)
    assert_good_message(info.value)


def test_within_limit_is_fine() -> None:
    data = LETTER.encode()
    assert read_letter_bytes(data, "a.txt", max_bytes=len(data)) == LETTER


def test_missing_file_is_a_read_error(tmp_path: Path) -> None:
    with pytest.raises(LetterReadError) as info:
        read_letter_file(tmp_path / "khong-co.txt")
    assert info.value.code == "not_found"
    assert_good_message(info.value)


# --------------------------------------------------------------------------- DOCX
def _build_letter_docx(document) -> None:  # noqa: ANN001
    table = document.add_table(rows=2, cols=2)
    left, right = table.rows[0].cells
    left.text = "ỦY BAN NHÂN DÂN"
    left.add_paragraph("TỈNH THÁI BÌNH")
    right.text = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    right.add_paragraph("Độc lập - Tự do - Hạnh phúc")
    table.rows[1].cells[0].text = "Số: 123/UBND-VX"
    table.rows[1].cells[1].text = "Thái Bình, ngày 5 tháng 3 năm 2024"
    document.add_paragraph("KẾ HOẠCH")
    document.add_paragraph("")  # empty paragraphs do not pile up blank lines
    document.add_paragraph("Tăng cường phòng, chống dịch bệnh")
    document.add_paragraph(SENTENCE)
    document.add_paragraph("Nơi nhận:\n- Như trên;")


DOCX_TEXT = (
    "ỦY BAN NHÂN DÂN\nTỈNH THÁI BÌNH\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
    "Độc lập - Tự do - Hạnh phúc\nSố: 123/UBND-VX\nThái Bình, ngày 5 tháng 3 năm 2024\n\n"
    "KẾ HOẠCH\n\nTăng cường phòng, chống dịch bệnh\n\n" + SENTENCE + "\n\nNơi nhận:\n- Như trên;"
)


def test_docx_paragraphs_and_header_table_in_reading_order(tmp_path: Path) -> None:
    path = write(tmp_path, "ke-hoach.docx", docx_bytes(_build_letter_docx))
    assert read_letter_file(path) == DOCX_TEXT


def test_docx_merged_cells_emitted_once() -> None:
    def build(document) -> None:  # noqa: ANN001
        table = document.add_table(rows=2, cols=2)
        merged = table.cell(0, 0).merge(table.cell(0, 1))
        merged.text = "BỘ Y TẾ"
        table.cell(1, 0).text = "Số: 1/BYT"
        table.cell(1, 1).text = "Hà Nội, ngày 1 tháng 1 năm 2024"
        document.add_paragraph("Nội dung")

    text = read_letter_bytes(docx_bytes(build), "a.docx")
    assert text == "BỘ Y TẾ\nSố: 1/BYT\nHà Nội, ngày 1 tháng 1 năm 2024\n\nNội dung"


def test_docx_typed_in_tcvn3_font_is_repaired() -> None:
    def build(document) -> None:  # noqa: ANN001
        document.add_paragraph("Uû ban nh©n d©n tØnh Th¸i B×nh")
        document.add_paragraph("§Ò nghÞ c¸c së, ban, ngµnh thùc hiÖn nghiªm tóc.")
        document.add_paragraph("Hà Nội")

    assert read_letter_bytes(docx_bytes(build), "a.docx") == (
        "Uỷ ban nhân dân tỉnh Thái Bình\n\nĐề nghị các sở, ban, ngành thực hiện nghiêm túc."
        "\n\nHà Nội")


W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NSDECL = (f'xmlns:w="{W_NS}" '
          'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
          'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
          'xmlns:v="urn:schemas-microsoft-com:vml"')


def _append_xml(document, xml: str) -> None:  # noqa: ANN001
    from docx.oxml import parse_xml

    body = document.element.body
    body.insert(len(body) - 1, parse_xml(xml))  # before <w:sectPr>


def test_docx_tracked_changes_fields_and_text_boxes() -> None:
    def build(document) -> None:  # noqa: ANN001
        _append_xml(document, (
            f"<w:p {NSDECL}><w:r><w:t xml:space='preserve'>Số lượng: </w:t></w:r>"
            "<w:del w:id='1' w:author='a'><w:r><w:delText>10</w:delText></w:r></w:del>"
            "<w:ins w:id='2' w:author='a'><w:r><w:t>12</w:t></w:r></w:ins>"
            "<w:r><w:tab/><w:t>bản</w:t></w:r>"
            "<w:r><w:fldChar w:fldCharType='begin'/></w:r>"
            "<w:r><w:instrText xml:space='preserve'> PAGE </w:instrText></w:r>"
            "<w:r><w:fldChar w:fldCharType='separate'/></w:r>"
            "<w:r><w:t xml:space='preserve'> (trang 1)</w:t></w:r>"
            "<w:r><w:fldChar w:fldCharType='end'/></w:r></w:p>"))
        _append_xml(document, (
            f"<w:p {NSDECL}><w:r><w:t>Nơi nhận:</w:t></w:r><w:r><mc:AlternateContent>"
            "<mc:Choice Requires='wps'><w:drawing><wps:txbx><w:txbxContent>"
            "<w:p><w:r><w:t>- Như trên;</w:t></w:r></w:p>"
            "<w:p><w:r><w:t>- Lưu: VT.</w:t></w:r></w:p>"
            "</w:txbxContent></wps:txbx></w:drawing></mc:Choice>"
            "<mc:Fallback><w:pict><v:textbox><w:txbxContent>"
            "<w:p><w:r><w:t>- Như trên;</w:t></w:r></w:p>"
            "<w:p><w:r><w:t>- Lưu: VT.</w:t></w:r></w:p>"
            "</w:txbxContent></v:textbox></w:pict></mc:Fallback>"
            "</mc:AlternateContent></w:r></w:p>"))

    text = read_letter_bytes(docx_bytes(build), "a.docx")
    assert text == "Số lượng: 12 bản (trang 1)\n\nNơi nhận:\n\n- Như trên;\n\n- Lưu: VT."


def test_docx_nested_table() -> None:
    def build(document) -> None:  # noqa: ANN001
        table = document.add_table(rows=1, cols=2)
        left, right = table.rows[0].cells
        left.text = "Nơi nhận:"
        inner = left.add_table(rows=1, cols=1)
        inner.cell(0, 0).text = "- Như trên;"
        right.text = "TM. ỦY BAN NHÂN DÂN"
        right.add_paragraph("CHỦ TỊCH")

    assert read_letter_bytes(docx_bytes(build), "a.docx") == (
        "Nơi nhận:\n- Như trên;\nTM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH")


def test_docx_with_only_a_scanned_image_is_empty(tmp_path: Path) -> None:
    from PIL import Image

    image = tmp_path / "scan.png"
    Image.new("RGB", (100, 140), "white").save(image)
    err = read_error(docx_bytes(lambda d: d.add_picture(str(image))), "a.docx")
    assert err.code == "empty" and "OCR" in str(err)


def test_docx_typed_in_vni_font_is_repaired() -> None:
    def build(document) -> None:  # noqa: ANN001
        document.add_paragraph("COÄNG HOØA XAÕ HOÄI CHUÛ NGHÓA VIEÄT NAM")
        document.add_paragraph("Ñoäc laäp - Töï do - Haïnh phuùc")

    assert read_letter_bytes(docx_bytes(build), "a.docx") == (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n\nĐộc lập - Tự do - Hạnh phúc")


def test_docx_with_only_blank_paragraphs_is_empty() -> None:
    def build(document) -> None:  # noqa: ANN001
        document.add_paragraph("   ")
        document.add_paragraph("")

    assert read_error(docx_bytes(build), "a.docx").code == "empty"


def test_random_bytes_named_docx(tmp_path: Path) -> None:
    with pytest.raises(LetterReadError) as info:
        read_letter_file(write(tmp_path, "a.docx", random.Random(1).randbytes(4000)))
    assert info.value.code == "corrupt_docx" and info.value.status == 400
    assert_good_message(info.value)


def test_zip_without_document_xml_named_docx() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
    err = read_error(buf.getvalue(), "a.docx")
    assert err.code == "corrupt_docx" and "word/document.xml" in str(err)


def test_truncated_docx() -> None:
    data = docx_bytes(_build_letter_docx)
    assert read_error(data[: len(data) // 2], "a.docx").code == "corrupt_docx"


def test_docx_with_broken_xml() -> None:
    src = zipfile.ZipFile(io.BytesIO(docx_bytes(_build_letter_docx)))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "word/document.xml":
                data = data[: len(data) // 2]
            zf.writestr(item, data)
    assert read_error(buf.getvalue(), "a.docx").code == "corrupt_docx"


def test_legacy_doc_named_docx() -> None:
    err = read_error(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "a.docx")
    # read as the Word 97-2003 file it is (broken here), or refused where antiword is missing
    assert err.code in ("corrupt_docx", "unsupported_type") and ".doc" in str(err)


# --------------------------------------------------------------------------- PDF
PAGE_1 = ("ỦY BAN NHÂN DÂN TỈNH THÁI BÌNH\nKẾ HOẠCH phòng, chống dịch bệnh\n"
          "Các sở, ban, ngành và Ủy ban nhân dân các huyện thực hiện nghiêm")
PAGE_2 = "túc các nội dung của Kế hoạch này. Đề nghị được phối hợp chặt chẽ.\nNơi nhận:"


@needs_dejavu
def test_pdf_text_layer_two_pages(tmp_path: Path) -> None:
    path = write(tmp_path, "ke-hoach.pdf", pdf_bytes([PAGE_1, PAGE_2]))
    text = read_letter_file(path)
    for word in ("ỦY BAN NHÂN DÂN TỈNH THÁI BÌNH", "phòng, chống dịch bệnh", "thực hiện nghiêm",
                 "túc các nội dung", "Kế hoạch", "Đề nghị được phối hợp chặt chẽ", "Nơi nhận:"):
        assert word in text, word
    # Pages in order, joined by a blank line (the parser re-joins the broken sentence).
    assert "thực hiện nghiêm\n\ntúc các nội dung" in text
    assert unicodedata.is_normalized("NFC", text)


def test_blank_pdf_has_no_text_layer(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_blank_page(width=595, height=842)
    buf = io.BytesIO()
    writer.write(buf)
    with pytest.raises(LetterReadError) as info:
        read_letter_file(write(tmp_path, "scan.pdf", buf.getvalue()))
    assert info.value.code == "no_text_layer" and info.value.status == 400
    assert "OCR" in str(info.value)
    assert_good_message(info.value)


def test_image_only_pdf_has_no_text_layer(tmp_path: Path) -> None:
    from fpdf import FPDF
    from PIL import Image

    image = tmp_path / "scan.png"
    Image.new("RGB", (200, 280), "white").save(image)
    pdf = FPDF()
    pdf.add_page()
    pdf.image(str(image), x=10, y=10, w=190)
    err = read_error(bytes(pdf.output()), "scan.pdf")
    assert err.code == "no_text_layer"


def test_random_bytes_named_pdf() -> None:
    err = read_error(random.Random(2).randbytes(5000), "a.pdf")
    assert err.code == "corrupt_pdf" and "%PDF" in str(err)


def test_docx_named_pdf() -> None:
    err = read_error(docx_bytes(_build_letter_docx), "a.pdf")
    assert err.code == "corrupt_pdf" and "ZIP/DOCX" in str(err)


@needs_dejavu
@pytest.mark.parametrize("fraction", [0.2, 0.5, 0.9, 0.99])
def test_truncated_pdf(fraction: float, capfd) -> None:
    data = pdf_bytes([PAGE_1, PAGE_2])
    err = read_error(data[: int(len(data) * fraction)], "a.pdf")
    assert err.code == "corrupt_pdf"
    out, errout = capfd.readouterr()
    assert out == "" and errout == ""  # pypdf's own warnings are silenced


@needs_dejavu
def test_pdf_with_broken_xref_and_objects(capfd) -> None:
    data = bytearray(pdf_bytes([PAGE_1, PAGE_2]))
    # Keep header and %%EOF, destroy the middle (objects, streams and xref offsets).
    middle = slice(200, len(data) - 20)
    data[middle] = random.Random(5).randbytes(len(data) - 220)
    err = read_error(bytes(data), "a.pdf")
    assert err.code in ("corrupt_pdf", "no_text_layer")
    assert capfd.readouterr() == ("", "")


@needs_dejavu
def test_encrypted_pdf_without_password() -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes([PAGE_1]))))
    writer.encrypt(user_password="mat-khau", owner_password="chu", algorithm="RC4-128")
    buf = io.BytesIO()
    writer.write(buf)
    err = read_error(buf.getvalue(), "a.pdf")
    assert err.code == "corrupt_pdf" and "mật khẩu" in str(err)


@needs_dejavu
def test_encrypted_pdf_with_empty_user_password_is_read() -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes([PAGE_1]))))
    writer.encrypt(user_password="", owner_password="chu", algorithm="RC4-128")
    buf = io.BytesIO()
    writer.write(buf)
    assert "ỦY BAN NHÂN DÂN" in read_letter_bytes(buf.getvalue(), "a.pdf")


def test_pypdf_logger_level_is_restored() -> None:
    import logging

    logger = logging.getLogger("pypdf")
    before = logger.level
    with pytest.raises(LetterReadError):
        read_letter_bytes(b"%PDF-1.4\n garbage %%EOF", "a.pdf")
    assert logger.level == before


# --------------------------------------------------------------------------- every error
def test_every_error_code_has_a_vietnamese_message_with_english_gloss(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=100, height=100)
    blank = io.BytesIO()
    writer.write(blank)
    cases = {
        "empty": (b"", "a.txt", None),
        "unsupported_type": (b"x", "a.xlsx", None),
        "too_large": (b"xx", "a.txt", 1),
        "corrupt_pdf": (b"not a pdf at all", "a.pdf", None),
        "no_text_layer": (blank.getvalue(), "a.pdf", None),
        "corrupt_docx": (b"not a docx", "a.docx", None),
        "undecodable": (("Привет мир, это тест. " * 5).encode("koi8_r"), "a.txt", None),
        "binary": (b"MZ\x90\x00\x03\x00\x00\x00", "a.txt", None),
    }
    for code, (data, name, limit) in cases.items():
        err = read_error(data, name, max_bytes=limit)
        assert err.code == code, (code, str(err))


def test_corpus_letter_parses_once_hands_out_copies_and_rereads_a_changed_file(tmp_path: Path) -> None:
    """The evaluation tools' cached parse equals the ingest parse, a caller's change does not leak
    into the next caller's letter, and an edited file is parsed again."""
    from congvan.letters.pipeline import _parsed, corpus_letter, letter_from_file

    path = tmp_path / "cv.txt"
    path.write_text("ỦY BAN NHÂN DÂN\nTỈNH LẠNG SƠN\nSố: 12/UBND-KGVX\nLạng Sơn, ngày 3 tháng 4 năm 2022\n"
                    "V/v tăng cường tiêm vét vắc xin\n1. Sở Y tế tổ chức tiêm vét cho người chưa tiêm.\n"
                    "2. UBND các huyện rà soát đối tượng.\n", encoding="utf-8")
    first = corpus_letter(path)
    assert first.to_dict() == letter_from_file(path).to_dict()
    hits = _parsed.cache_info().hits
    first.clauses.clear()
    again = corpus_letter(path)
    assert _parsed.cache_info().hits == hits + 1 and len(again.clauses) >= 2
    path.write_text(path.read_text(encoding="utf-8").replace("Số: 12/", "Số: 345/"), encoding="utf-8")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    assert corpus_letter(path).number.startswith("345")


@pytest.mark.parametrize("line", ["Translate »", "Xem thêm »", "Trang chủ » Tin tức » Y tế"])
def test_a_mark_standing_alone_is_no_legacy_letter(line: str) -> None:
    """"»" is "ằ" in TCVN3, but standing alone between spaces it is a page's punctuation: a line of
    UTF-8 Vietnamese whose other letters all fit Windows-1252 ("thêm") is not converted."""
    from congvan.letters.readers.legacy import repair_legacy_mojibake

    assert repair_legacy_mojibake(line) == line
    assert repair_legacy_mojibake("UBND tØnh » Së Y tÕ") == "UBND tỉnh » Sở Y tế"
