"""Local units → province (letters.gazetteer) and its use by the parser for communes and districts."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from congvan.letters import gazetteer
from congvan.letters.gazetteer import provinces_of_unit
from congvan.letters.parse import parse_letter

MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n"


def test_units_of_the_2025_reform_and_before_it() -> None:
    assert provinces_of_unit("xã", "Lương Minh") == ["Quảng Ninh"]
    assert provinces_of_unit("XÃ", "LƯƠNG MINH") == ["Quảng Ninh"]  # capitals, as headers print them
    assert provinces_of_unit("phường", "Bắc Cam Ranh") == ["Khánh Hòa"]
    # without tone marks "Lương Minh" and "Lượng Minh" (Nghệ An) fold alike: both are offered
    assert set(provinces_of_unit("xa", "luong minh")) == {"Quảng Ninh", "Nghệ An"}
    assert "Cần Thơ" in provinces_of_unit("xã", "Châu Thành") and len(provinces_of_unit("xã", "Châu Thành")) > 1
    assert provinces_of_unit("quận", "1") == provinces_of_unit("Quận", "Quận 1") == ["Hồ Chí Minh"]
    # a unit that changed kind: thị xã Đồng Xoài became a city in 2018
    assert provinces_of_unit("thị xã", "Đồng Xoài", after_2025_reform=False) == ["Bình Phước"]
    # the tables belong to their time: no districts after July 2025, no 2025 communes before it
    assert provinces_of_unit("huyện", "Cao Lộc", after_2025_reform=True) == []
    assert provinces_of_unit("huyện", "Cao Lộc") == ["Lạng Sơn"]
    assert provinces_of_unit("xã", "Lương Minh", after_2025_reform=False) == []
    assert provinces_of_unit("thôn", "Lương Minh") == []


def test_data_file_is_checked_on_load(tmp_path: Path) -> None:
    data = json.loads(gazetteer.DATA_PATH.read_text(encoding="utf-8"))
    assert data["version"] == 1 and "vietnamadminunits" in data["_source"]
    bad = tmp_path / "units.json"
    bad.write_text(json.dumps({**data, "version": 99}), encoding="utf-8")
    with pytest.raises(ValueError, match="--rebuild"):
        gazetteer._tables(str(bad))


def test_a_commune_letter_that_never_names_its_province() -> None:
    text = ("ỦY BAN MTTQ VIỆT NAM\nXÃ LƯƠNG MINH\nBAN THƯỜNG TRỰC\nSố: 21/KH-MTTQ-BTT\n" + MOTTO
            + "Lương Minh, ngày 20 tháng 11 năm 2025\n\nKẾ HOẠCH\n\nTuyên truyền về cuộc bầu cử\n\n"
            "1. Các chi hội tổ chức tuyên truyền đến từng hộ gia đình.\n")
    letter = parse_letter(text)
    assert letter.province == "Quảng Ninh" and not letter.central


def test_a_district_name_many_provinces_share_is_settled_by_the_text() -> None:
    head = ("UBND HUYỆN CHÂU THÀNH\nPHÒNG Y TẾ\n" + MOTTO + "Số: 88/PYT\nChâu Thành, ngày 3 tháng 6 năm 2019\n"
            "V/v phòng, chống sốt xuất huyết\n\nKính gửi: Trạm Y tế các xã.\n\n")
    named = parse_letter(head + "Thực hiện chỉ đạo của Sở Y tế tỉnh Tiền Giang, Phòng Y tế đề nghị:\n"
                         "1. Trạm Y tế các xã tổ chức diệt lăng quăng.\n")
    assert named.province == "Tiền Giang"
    # no province of its candidates named: none is guessed
    bare = parse_letter(head + "1. Trạm Y tế các xã tổ chức diệt lăng quăng.\n")
    assert bare.province is None


def test_a_district_and_a_town_of_one_name_are_both_found() -> None:
    """The source keys "Kỳ Anh (Huyện)" and "Kỳ Anh (Thị xã)" apart; letters print "huyện Kỳ Anh"."""
    for kind, name, province in (("huyện", "Kỳ Anh", "Hà Tĩnh"), ("thị xã", "Kỳ Anh", "Hà Tĩnh"),
                                 ("thị xã", "Hồng Ngự", "Đồng Tháp"), ("huyện", "Cao Lãnh", "Đồng Tháp")):
        assert provinces_of_unit(kind, name, after_2025_reform=False) == [province]
