"""Vietnamese text pipeline: NFC, tone placement, folding, codes, abbreviations."""
from __future__ import annotations

import unicodedata

import pytest

from congvan.letters.text import (
    abbreviation_variants,
    canonical_abbreviations,
    clean_text,
    fold,
    has_diacritics,
    match_key,
)
from congvan.letters.tokenize import find_codes, search_tokens, segment, syllable_tokens, word_tokens


@pytest.mark.parametrize(
    ("old", "new"),
    [("hòa bình", "hoà bình"), ("thủy lợi", "thuỷ lợi"), ("khỏe mạnh", "khoẻ mạnh"),
     ("tùy", "tuỳ"), ("Hòa", "Hoà"), ("CỘNG HÒA", "CỘNG HOÀ"), ("Thủy", "Thuỷ"), ("họa", "hoạ")],
)
def test_old_and_new_tone_placement_are_equal(old: str, new: str) -> None:
    assert old != new
    assert match_key(old) == match_key(new)


@pytest.mark.parametrize("word", ["quý", "quà", "quỷ", "ngoài", "hoàng", "thuyết", "khuyến"])
def test_tone_placement_leaves_other_syllables_alone(word: str) -> None:
    assert match_key(word) == word.lower()


def test_nfd_input_is_normalised_to_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "Tiêm vét vắc xin")
    assert decomposed != "Tiêm vét vắc xin"
    assert clean_text(decomposed) == "Tiêm vét vắc xin"
    assert match_key(decomposed) == "tiêm vét vắc xin"


def test_fold_maps_d_stroke_and_strips_marks() -> None:
    assert fold("Đắk Lắk") == "dak lak"
    assert fold("đề nghị Ủy ban") == "de nghi uy ban"
    assert fold("Biện pháp TIÊM VÉT") == "bien phap tiem vet"


@pytest.mark.parametrize("text", ["Hoà Bình, Đắk Nông: tiêm vét mũi 3!", "Thuỷ sản", "UBND tỉnh Lạng Sơn"])
def test_fold_and_match_key_preserve_length(text: str) -> None:
    assert len(fold(text)) == len(text)
    assert len(match_key(text)) == len(text)


def test_clean_text_handles_crlf_nbsp_zero_width_and_bold() -> None:
    raw = "**ỦY BAN NHÂN DÂN**\r\nTỈNH\u00a0LẠNG SƠN\u200b  \r\n"
    assert clean_text(raw) == "ỦY BAN NHÂN DÂN\nTỈNH LẠNG SƠN"


def test_has_diacritics() -> None:
    assert has_diacritics("biện pháp tiêm vét")
    assert has_diacritics("đi")
    assert not has_diacritics("bien phap tiem vet")


@pytest.mark.parametrize(
    "code",
    ["4968/BYT-DP", "2116/BYT-DP", "38/NQ-CP", "557-QĐ/TU", "01-QĐ/BCĐ", "12/4/2023", "01/2022",
     "COVID-19", "SARS-CoV-2", "A/H5N1", "12/CT-TTg", "/UBND-KGVX", "-CV/BCĐ"],
)
def test_document_codes_stay_single_tokens(code: str) -> None:
    text = f"Thực hiện văn bản {code} của cơ quan cấp trên."
    spans = [text[a:b] for a, b in find_codes(text)]
    assert code.lstrip("-") in spans or code in spans
    toks = search_tokens(text)
    assert match_key(code).lstrip("-") in toks or match_key(code) in toks
    seg = [t.text for t in segment(text) if t.is_code]
    assert any(code.endswith(s) for s in seg)


def test_hyphenated_prose_is_not_a_code() -> None:
    text = "phục hồi kinh tế - xã hội, chính trị-xã hội và Lao động - Thương binh"
    assert find_codes(text) == []


def test_segmentation_groups_multi_syllable_words() -> None:
    words = word_tokens("Tăng cường biện pháp tiêm vét vắc xin tại cửa khẩu")
    assert "biện_pháp" in words
    assert "vắc_xin" in words
    assert "cửa_khẩu" in words


def test_segment_offsets_point_into_original_text() -> None:
    text = "Giao Sở Y tế chủ trì, phối hợp với UBND các huyện theo Công văn 2116/BYT-DP."
    for tok in segment(text):
        assert text[tok.start:tok.end] == tok.text


def test_tone_less_query_tokens_match_folded_document_tokens() -> None:
    doc = set(search_tokens("Biện pháp tiêm vét vắc xin phòng COVID-19", folded=True))
    query = search_tokens("bien phap tiem vet", folded=True)
    assert set(query) <= doc


@pytest.mark.parametrize(
    ("short", "full"),
    [("UBND tỉnh", "Ủy ban nhân dân tỉnh"), ("UBND tỉnh", "Uỷ ban nhân dân tỉnh"),
     ("BCĐ tỉnh", "Ban Chỉ đạo tỉnh"), ("Ủy ban MTTQ", "Ủy ban Mặt trận Tổ quốc"),
     ("Sở TT&TT", "Sở Thông tin và Truyền thông"), ("Sở TTTT", "Sở Thông tin và Truyền thông"),
     ("Sở LĐ-TB&XH", "Sở Lao động - Thương binh và Xã hội"),
     ("Sở GD&ĐT", "Sở Giáo dục và Đào tạo"), ("Chỉ thị của TTg", "Chỉ thị của Thủ tướng Chính phủ"),
     ("văn bản của BYT", "văn bản của Bộ Y tế")],
)
def test_abbreviations_match_both_ways(short: str, full: str) -> None:
    assert canonical_abbreviations(match_key(short)) == canonical_abbreviations(match_key(full))
    assert syllable_tokens(short) == syllable_tokens(full)


def test_abbreviation_inside_a_code_is_left_alone() -> None:
    toks = syllable_tokens("Chỉ thị 12/CT-TTg và Công văn 2116/BYT-DP")
    assert "12/ct-ttg" in toks and "2116/byt-dp" in toks


def test_abbreviation_variants_for_suggestions() -> None:
    assert "ủy ban nhân dân tỉnh" in abbreviation_variants("UBND tỉnh")
    assert "ubnd tỉnh" in abbreviation_variants("Ủy ban nhân dân tỉnh")
