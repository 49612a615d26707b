"""Header capitals to running-text case: "SỞ Y TẾ" → "Sở Y tế", signer titles, known names."""
from __future__ import annotations

import re
from functools import lru_cache

from congvan.letters.parse.common import _is_upper_line, _norm_space
from congvan.letters.taxonomy import load_taxonomy
from congvan.letters.text import fold, match_key

# ----------------------------------------------------------------------- casing
# Header words kept or written as abbreviations.
_ABBREVIATIONS = {"ubnd": "UBND", "hdnd": "HĐND", "mttq": "MTTQ", "bcd": "BCĐ", "covid-19": "COVID-19",
                  "covid": "COVID", "tw": "TW", "cdc": "CDC", "bhxh": "BHXH", "qltt": "QLTT",
                  "tt&tt": "TT&TT", "gd&dt": "GD&ĐT", "ld-tb&xh": "LĐ-TB&XH", "ubmttq": "UBMTTQ",
                  "sars-cov-2": "SARS-CoV-2", "vn": "VN", "tp.": "TP.", "tp": "TP", "tx.": "TX."}
# Words that always take a capital ("Đảng", proper nouns of institutions).
_ALWAYS_CAP = {"đảng", "việt", "nam"}
# Organisation heads: the word after them starts the proper part ("Sở Y tế", "Ban Chỉ đạo").
_ORG_HEADS = ("ủy ban", "ban", "sở", "bộ", "phòng", "trung tâm", "văn phòng", "chi cục", "cục",
              "tổng cục", "bệnh viện", "hội đồng", "đảng bộ", "đảng ủy", "công an", "bộ chỉ huy",
              "kho bạc", "thanh tra", "đài", "báo", "viện", "trường", "hội", "liên đoàn", "đoàn",
              "mặt trận", "tỉnh ủy", "thành ủy", "huyện ủy", "quận ủy", "thuế", "tiểu ban",
              "tổ công tác", "tổ giúp việc", "chi bộ")
_UNIT_WORD_SET = {"tỉnh", "thành", "phố", "huyện", "quận", "thị", "xã", "phường", "trấn"}
_LOCATION = re.compile(r"\b(tỉnh|thành phố|tp\.|tp(?=\s)|tx\.|huyện|quận|thị xã|xã|phường|thị trấn)\s+(?!ủy\b|hội\b)(\S.*)$")
_PARTY_COMMITTEE = re.compile(r"^(tỉnh|thành|huyện|quận|thị)\s+ủy\s+(\S.*)$")


# =========================================================================== casing
def _cap(word: str) -> str:
    return word[:1].upper() + word[1:] if word else word


def _proper_name(text: str) -> str:
    """'LẠNG SƠN' → 'Lạng Sơn', 'BÀ RỊA - VŨNG TÀU' → 'Bà Rịa - Vũng Tàu'."""
    return " ".join(_cap(w.lower()) for w in text.split())


def _org_case(text: str) -> str:
    """An all-caps organisation name in running-text case: 'SỞ Y TẾ' → 'Sở Y tế',
    'ỦY BAN NHÂN DÂN TỈNH LẠNG SƠN' → 'UBND tỉnh Lạng Sơn'. Mixed-case input is kept."""
    text = _norm_space(text)
    if not _is_upper_line(text):
        return text
    low = text.lower()
    low = re.sub(r"\bủy ban nhân dân\b|\buỷ ban nhân dân\b", "ubnd", low)
    low = re.sub(r"\bhội đồng nhân dân\b", "hđnd", low)
    place = ""
    loc = _LOCATION.search(low)
    party = _PARTY_COMMITTEE.match(low)
    if party:
        place = party.group(2)
        low = low[:party.start(2)].rstrip()
    elif loc:
        place = loc.group(2)
        low = low[:loc.start(2)].rstrip()
    words = low.split()
    out: list[str] = []
    cap_next = True
    for i, word in enumerate(words):
        key = fold(word)
        if key in _ABBREVIATIONS:
            out.append(_ABBREVIATIONS[key])
            cap_next = False
            continue
        if (cap_next and (i == 0 or word not in _UNIT_WORD_SET)) or word in _ALWAYS_CAP:
            out.append(_cap(word))
        else:
            out.append(word)
        two = " ".join(words[max(0, i - 1):i + 1])
        cap_next = (i == 0 and word in _ORG_HEADS) or (two in _ORG_HEADS and i == 1) or word in ("và", "-")
        if word in ("và", "-") and i + 1 < len(words) and words[i + 1] in ("các",):
            cap_next = False
    result = " ".join(out)
    if party:
        result = _cap(result)
    if place:
        result = f"{result} {_proper_name(place)}"
    return _known_casing(result)


@lru_cache(maxsize=4)
def _casing_table(tax_path: str) -> tuple[re.Pattern[str], dict[str, str]]:
    """Proper names from the taxonomy ('Sở Thông tin và Truyền thông', 'Ủy ban Mặt trận Tổ quốc
    Việt Nam tỉnh' …) as one regex over match_key text: they fix what generic casing gets wrong."""
    tax = load_taxonomy(tax_path)
    names = {a for group in (tax.agencies, tax.sources, tax.other_bodies) for body in group
             for a in (*body.aliases, *(x for _, al in body.members for x in al))
             if a[:1].isupper() and " " in a}
    names |= {"Mặt trận Tổ quốc Việt Nam", "Ban Chỉ đạo", "Ban Cán sự Đảng", "Ban Thường vụ"}
    by_key = {match_key(n): n for n in sorted(names, key=len)}
    alternation = "|".join(re.escape(k) for k in sorted(by_key, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternation})(?!\w)"), by_key


def _known_casing(text: str) -> str:
    """Replace (case-insensitively) known proper names by their canonical casing."""
    regex, by_key = _casing_table(load_taxonomy().path)
    out, pos = [], 0
    for m in regex.finditer(match_key(text)):  # match_key keeps offsets
        out += [text[pos:m.start()], by_key[m.group(0)]]
        pos = m.end()
    return "".join(out) + text[pos:]


def _title_case(text: str) -> str:
    """'PHÓ TRƯỞNG BAN THƯỜNG TRỰC' → 'Phó Trưởng ban Thường trực', 'THỨ TRƯỞNG' → 'Thứ trưởng',
    'CHÁNH VĂN PHÒNG' → 'Chánh Văn phòng', 'CHỦ TỊCH UBND TỈNH' → 'Chủ tịch UBND tỉnh'."""
    out: list[str] = []
    for i, word in enumerate(_norm_space(text).split()):
        low = word.lower()
        if fold(word) in _ABBREVIATIONS:
            out.append(_ABBREVIATIONS[fold(word)])
        elif i == 0 or (out and out[-1] in ("Phó", "Quyền")) or low in _TITLE_CAPS:
            out.append(_cap(low))
        else:
            out.append(low)
    return " ".join(out)


# Title words written with a capital inside a title: "… Thường trực", "Chánh Văn phòng",
# "Tổng Biên tập"; "Phó"/"Quyền" capitalise the word after them ("Phó Chủ tịch").
_TITLE_CAPS = {"thường", "văn", "biên"}
