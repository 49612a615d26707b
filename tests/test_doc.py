"""Word 97-2003 files (letters.readers.doc). No .doc writer exists here to make a test file, so
the table order is tested on antiword's own output format (written in the genre) and the error
paths on real byte patterns; real .doc letters are measured with `congvan evaluate parser` (README)."""
from __future__ import annotations

import pytest

from congvan.letters.parse import parse_letter
from congvan.letters.readers import LetterReadError, read_letter_bytes
from congvan.letters.readers.doc import doc_missing, tables_in_reading_order

ANTIWORD = """
|UBND TỈNH CAO BẰNG        |CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM         |
|SỞ Y TẾ                   |Độc lập - Tự do - Hạnh phúc                |
|Số:                       |Cao Bằng, ngày 12 tháng 5 năm 2024         |
|/SYT-NVY                  |                                           |
|V/v tổ chức tiêm vét vắc  |                                           |
|xin sởi cho trẻ em        |                                           |

                  Kính gửi: Trung tâm Y tế các huyện

      Thực hiện Kế hoạch số 90/KH-UBND ngày 02/5/2024 của UBND tỉnh, Sở Y tế đề nghị:
      1. Trung tâm Y tế các huyện tổ chức tiêm vét cho trẻ em chưa được tiêm đủ mũi.
|STT |Nội dung                      |Cơ quan chủ trì |Thời gian   |
|1   |Rà soát danh sách trẻ em chưa |Trung tâm Y tế  |Tháng 5     |
|    |tiêm đủ mũi                   |huyện           |            |
|2   |Tổ chức tiêm vét              |Trạm Y tế xã    |Tháng 6     |

      |Nơi nhận:                         |KT. GIÁM ĐỐC                     |
|- Như trên;                         |PHÓ GIÁM ĐỐC                     |
|- Lưu: VT, NVY.                     |                                 |
|                                    |Nông Văn Hòa                     |
"""


def test_tables_come_back_in_reading_order() -> None:
    text = tables_in_reading_order(ANTIWORD)
    lines = [ln for ln in text.split("\n") if ln.strip()]
    # the two-column header block is read column by column, as Word shows it
    assert lines[:6] == ["UBND TỈNH CAO BẰNG", "SỞ Y TẾ", "Số:", "/SYT-NVY", "V/v tổ chức tiêm vét vắc",
                         "xin sởi cho trẻ em"]
    assert lines[6:9] == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                          "Cao Bằng, ngày 12 tháng 5 năm 2024"]
    # a task table keeps one row per line, its wrapped cells joined
    assert "| 1 | Rà soát danh sách trẻ em chưa tiêm đủ mũi | Trung tâm Y tế huyện | Tháng 5 |" in lines
    assert "| 2 | Tổ chức tiêm vét | Trạm Y tế xã | Tháng 6 |" in lines
    letter = parse_letter(text)
    assert letter.issuer_header == "UBND TỈNH CAO BẰNG / SỞ Y TẾ" and letter.province == "Cao Bằng"
    assert letter.number == "/SYT-NVY" and (letter.date.year, letter.date.month) == (2024, 5)
    assert letter.subject == "V/v tổ chức tiêm vét vắc xin sởi cho trẻ em"
    assert any("tiêm vét" in c.text for c in letter.clauses if c.kind == "directive")


@pytest.mark.parametrize("data,code", [
    (b"{\\rtf1\\ansi Ban quet}", "unsupported_type"),        # RTF saved as .doc
    (b"GIF89a" + bytes(64), "corrupt_docx"),                # not a Word file at all
])
def test_files_named_doc_that_are_not_word_97(data: bytes, code: str) -> None:
    with pytest.raises(LetterReadError) as info:
        read_letter_bytes(data, "cong-van.doc")
    assert info.value.code == code and ".docx" in str(info.value)


def test_a_broken_word_97_file_says_how_to_fix_it() -> None:
    if doc_missing():
        pytest.skip(f".doc reader not installed here: {doc_missing()}")
    with pytest.raises(LetterReadError) as info:
        read_letter_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "cong-van.doc")
    assert info.value.code == "corrupt_docx" and "lưu lại" in str(info.value)


def test_a_docx_saved_with_the_old_name_is_read_as_docx() -> None:
    import io

    from docx import Document

    doc = Document()
    doc.add_paragraph("UBND TỈNH CAO BẰNG")
    doc.add_paragraph("1. Sở Y tế tổ chức tiêm vét cho trẻ em.")
    buf = io.BytesIO()
    doc.save(buf)
    assert "tiêm vét" in read_letter_bytes(buf.getvalue(), "cong-van.doc")
