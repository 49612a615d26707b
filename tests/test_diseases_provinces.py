"""Diseases (dictionary + context) and provinces after the 2025 merger, both read from data files."""
from __future__ import annotations

import json

from congvan.letters.diseases import BUILTIN_DISEASES, find_diseases, load_diseases
from congvan.letters.parse import parse_letter
from congvan.letters.provinces import BUILTIN_PROVINCES, province_now, same_area
from congvan.letters.taxonomy import load_taxonomy


def test_dictionary_with_and_without_tones_longest_name_wins() -> None:
    assert find_diseases("Phòng, chống dịch tả lợn châu Phi và bệnh dại trên đàn chó") == \
        ["african_swine_fever", "rabies"]
    assert find_diseases("phong chong sot xuat huyet va benh soi") == ["dengue", "measles"]
    # one-word names are not matched alone: "mô tả", "người lao động", "soi chiếu" name nothing
    assert find_diseases("Mô tả nhiệm vụ của người lao động; soi chiếu hành lý.") == []
    assert find_diseases("Giám sát ca bệnh SXH và HIV/AIDS") == ["dengue", "hiv"]
    # swine fevers are no cholera, however they are written ("heo" in the South, "dịch bệnh tả lợn")
    assert find_diseases("khống chế dịch bệnh tả lợn châu Phi") == ["african_swine_fever"]
    assert find_diseases("phòng, chống dịch tả heo châu Phi") == ["african_swine_fever"]
    assert find_diseases("tiêm phòng bệnh tả heo cổ điển") == ["classical_swine_fever"]
    assert find_diseases("phòng, chống dịch bệnh tả ở người") == ["cholera"]


def test_clause_inherits_letter_diseases_when_it_names_none() -> None:
    text = ("V/v phòng, chống bệnh sốt xuất huyết\n\nKính gửi: Sở Y tế.\n\n"
            "1. Tổ chức chiến dịch diệt lăng quăng tại các xã có ổ dịch.\n"
            "2. Giám sát chặt chẽ ca bệnh tay chân miệng tại trường mầm non.\n")
    letter = parse_letter(text)
    paths = {c.path: c.diseases for c in letter.clauses}
    assert paths["1"] == ["dengue", "hfmd"]  # names none: the letter's
    assert paths["2"] == ["hfmd"]
    assert letter.diseases == ["dengue", "hfmd"] or set(letter.diseases) == {"dengue", "hfmd"}
    assert letter.document_dict()["diseases"] == letter.diseases


def test_disease_file_is_consistent() -> None:
    ids = [d.id for d in load_diseases()]
    assert len(ids) == len(set(ids))
    required = {"covid19", "dengue", "measles", "diphtheria", "pertussis", "hfmd", "rabies",
                "avian_influenza", "seasonal_influenza", "mpox", "cholera", "japanese_encephalitis",
                "zika", "ebola", "mers", "anthrax", "streptococcus_suis", "malaria", "tuberculosis",
                "hiv", "food_poisoning", "african_swine_fever"}
    assert required <= set(ids)
    assert "_doc" in json.loads(BUILTIN_DISEASES.read_text(encoding="utf-8"))


def test_provinces_after_2025_merger() -> None:
    raw = json.loads(BUILTIN_PROVINCES.read_text(encoding="utf-8"))
    assert "202/2025/QH15" in raw["_source"]
    assert len(raw["provinces_now"]) == 34
    known = {p.name for p in load_taxonomy().provinces}
    formed = [old for p in raw["provinces_now"] for old in p["formed_from"]]
    assert sorted(formed) == sorted(set(formed)) and set(formed) == known
    assert province_now("Hà Nam") == "Ninh Bình" and province_now("Lạng Sơn") == "Lạng Sơn"
    assert {"Hà Nam", "Nam Định", "Ninh Bình"} <= same_area("Ninh Bình")
    assert "Ninh Bình" in same_area("Hà Nam")


def test_letter_gets_province_now() -> None:
    letter = parse_letter("ỦY BAN NHÂN DÂN TỈNH HÀ GIANG\nSố: 16/KH-UBND\nHà Giang, ngày 11 tháng 1 năm 2017\n"
                          "KẾ HOẠCH\nPhòng, chống dịch bệnh gia súc năm 2017\n\n1. Tiêm phòng lở mồm long móng.\n")
    assert letter.province == "Hà Giang" and letter.province_now == "Tuyên Quang"
    assert letter.document_dict()["province_now"] == "Tuyên Quang"
    assert letter.diseases == ["foot_and_mouth_disease"]


def test_province_filter_matches_province_or_province_now() -> None:
    import numpy as np

    from congvan.index.filters import ClauseTable, SearchFilters

    letters = [{"doc_id": d, "year": 2024, "month": 1, "day": 1, "province": p, "issuer": None}
               for d, p in (("a", "Hà Nam"), ("b", "Nam Định"), ("c", "Ninh Bình"), ("d", "Lạng Sơn"))]
    table = ClauseTable(np.arange(4), ["a", "b", "c", "d"], ["directive"] * 4, [[]] * 4, [[]] * 4, letters)

    def docs(province: str) -> list[str]:
        mask = table.mask(SearchFilters(province=province))
        return [d for d, keep in zip("abcd", mask) if keep]

    assert docs("Ninh Bình") == ["a", "b", "c"]  # today's province finds the former ones
    assert docs("Hà Nam") == ["a"]  # the former name still finds its own letters
    assert docs("tinh lang son") == ["d"]
