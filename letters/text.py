"""Vietnamese text normalisation: NFC, tone placement, diacritic folding, abbreviations.

Why length-preserving: ``match_key`` and ``fold`` map every character of NFC text to exactly one
character, so an offset found in the folded text is the same offset in the original. Snippet
highlighting for tone-less queries relies on that.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

# Combining tone marks (the five Vietnamese tones other than level).
_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACES = dict.fromkeys(map(ord, "\u00a0\u2007\u202f\u2002\u2003\u2009\u3000\t\v\f"), " ")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def clean_text(raw: str) -> str:
    """Normalise extracted letter text for parsing (keeps case, tones and line structure).

    NFC; CRLF/CR → LF; non-breaking and odd spaces → space; zero-width characters and soft
    hyphens removed; markdown bold ``**`` markers removed; trailing spaces trimmed.
    """
    text = nfc(raw).replace("\r\n", "\n").replace("\r", "\n")
    text = text.translate(_ZERO_WIDTH).translate(_SPACES)
    text = text.replace("**", "")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return text.strip("\n")


def _split_tone(ch: str) -> tuple[str, str]:
    """('ả' → 'a', '\u0309'): base letter (keeping hat/breve/horn) and its tone mark or ''."""
    decomposed = unicodedata.normalize("NFD", ch)
    tone = "".join(c for c in decomposed if c in _TONES)
    base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
    return base, tone


# New-style placement puts the tone on the 2nd vowel of open "oa", "oe", "uy" (hoà, thuỷ);
# old style on the first (hòa, thủy). Canonical form here: old style, the more common one in
# government letters. "qu" is a consonant, so "quý", "quà" are left alone.
_NEW_STYLE = re.compile(r"([oOuU])([àáảãạÀÁẢÃẠèéẻẽẹÈÉẺẼẸỳýỷỹỵỲÝỶỸỴ])(?![\w])")
_VALID_PAIR = {("o", "a"), ("o", "e"), ("u", "y")}


def _move_tone(match: re.Match[str]) -> str:
    first, second = match.group(1), match.group(2)
    start = match.start(1)
    text = match.string
    # "qu" + vowel: the u belongs to the consonant, tone stays on the vowel.
    if first in "uU" and start > 0 and text[start - 1] in "qQ":
        return match.group(0)
    base, tone = _split_tone(second)
    if (first.lower(), base.lower()) not in _VALID_PAIR or not tone:
        return match.group(0)
    return nfc(first + tone) + base


def canonical_tones(text: str) -> str:
    """Old and new tone placement made equal: hoà → hòa, thuỷ → thủy, khoẻ → khỏe."""
    return _NEW_STYLE.sub(_move_tone, text)


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    if ch in "đĐ":
        return "d"
    low = ch.lower()
    if len(low) != 1:
        low = ch
    stripped = "".join(c for c in unicodedata.normalize("NFD", low) if not unicodedata.combining(c))
    return stripped if len(stripped) == 1 else low


@lru_cache(maxsize=4096)
def _lower_char(ch: str) -> str:
    low = ch.lower()
    return low if len(low) == 1 else ch


class _CharTable(dict):
    """``str.translate`` table filled on first sight of each character: a C-speed loop over the
    text (snippets fold whole articles per hit) with the per-character rule written once."""

    def __init__(self, rule) -> None:
        super().__init__()
        self._rule = rule

    def __missing__(self, code: int) -> str:
        out = self[code] = self._rule(chr(code))
        return out


_LOWER = _CharTable(_lower_char)


def lower(text: str) -> str:
    """Length-preserving lowercase."""
    return text.translate(_LOWER)


def match_key(text: str) -> str:
    """Lowercase, canonical tone placement; same length as the NFC input."""
    return canonical_tones(lower(nfc(text)))


_FOLD = _CharTable(_fold_char)


def fold(text: str) -> str:
    """Tone-less, lowercase form ('Đắk Lắk' → 'dak lak'); same length as the NFC input."""
    return nfc(text).translate(_FOLD)


_VIETNAMESE_MARKED = re.compile(
    "[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]", re.IGNORECASE
)


def has_diacritics(text: str) -> bool:
    """True if the text carries any Vietnamese mark (then exact-accent matches rank first)."""
    return bool(_VIETNAMESE_MARKED.search(text))


# --------------------------------------------------------------------------- abbreviations
#: abbreviation → full forms, as they appear in letters. Matching is on ``match_key`` text.
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "UBND": ("ủy ban nhân dân",),
    "HĐND": ("hội đồng nhân dân",),
    "BCĐ": ("ban chỉ đạo",),
    "MTTQ": ("mặt trận tổ quốc",),
    "TT&TT": ("thông tin và truyền thông",),
    "LĐ-TB&XH": ("lao động - thương binh và xã hội", "lao động thương binh và xã hội",
                 "lao động, thương binh và xã hội"),
    "GD&ĐT": ("giáo dục và đào tạo",),
    "TTg": ("thủ tướng chính phủ", "thủ tướng"),
    "BYT": ("bộ y tế",),
    "VPCP": ("văn phòng chính phủ",),
    "CDC": ("trung tâm kiểm soát bệnh tật",),
    "QLTT": ("quản lý thị trường",),
    "PT-TH": ("phát thanh và truyền hình", "phát thanh - truyền hình"),
    "KT-XH": ("kinh tế - xã hội", "kinh tế xã hội"),
    "CTXH": ("chính trị - xã hội", "chính trị xã hội"),
    "ATTP": ("an toàn thực phẩm",),
    "BHXH": ("bảo hiểm xã hội",),
    "V/v": ("về việc",),
}
#: spelling variants of the same abbreviation, mapped to the key above.
_ABBREV_VARIANTS: dict[str, str] = {
    "TTTT": "TT&TT", "TT-TT": "TT&TT", "LĐTBXH": "LĐ-TB&XH", "LĐ-TBXH": "LĐ-TB&XH",
    "GDĐT": "GD&ĐT", "GD-ĐT": "GD&ĐT", "PTTH": "PT-TH", "KTXH": "KT-XH", "BCD": "BCĐ",
}


def _abbr_token(abbr: str) -> str:
    """The single search token an abbreviation stands for (lowercase, no punctuation)."""
    return re.sub(r"[^\w]", "", match_key(abbr))


@lru_cache(maxsize=1)
def _abbreviation_patterns() -> list[tuple[re.Pattern[str], str]]:
    """Regexes (on match_key text) for full forms and abbreviation spellings → canonical token."""
    pairs: list[tuple[str, str]] = []
    for abbr, fulls in ABBREVIATIONS.items():
        token = _abbr_token(abbr)
        pairs.append((match_key(abbr), token))
        pairs.extend((match_key(f), token) for f in fulls)
    for variant, abbr in _ABBREV_VARIANTS.items():
        pairs.append((match_key(variant), _abbr_token(abbr)))
    pairs.sort(key=lambda p: -len(p[0]))  # longest first
    out = []
    for phrase, token in pairs:
        body = r"\s*".join(re.escape(part) for part in phrase.split())
        out.append((re.compile(rf"(?<![\w&/-]){body}(?![\w&])"), token))
    return out


def canonical_abbreviations(key_text: str) -> str:
    """Replace full forms and abbreviation spellings by one token (both directions match).

    Input must already be ``match_key`` text. "ủy ban nhân dân tỉnh" and "ubnd tỉnh" both
    become "ubnd tỉnh"; "sở tt&tt" and "sở thông tin và truyền thông" both "sở tttt".
    """
    for pattern, token in _abbreviation_patterns():
        key_text = pattern.sub(token, key_text)
    return key_text


#: Staff shorthand that letters spell out (the index keeps the full form's syllables, unlike
#: ``ABBREVIATIONS``): a query "tcm trường mầm non" also searches "tay chân miệng".
QUERY_SHORTHANDS: dict[str, str] = {
    "sxh": "sốt xuất huyết", "tcm": "tay chân miệng", "syt": "sở y tế", "ttyt": "trung tâm y tế",
    "tyt": "trạm y tế", "vsmt": "vệ sinh môi trường", "atvstp": "an toàn vệ sinh thực phẩm",
    "thpt": "trung học phổ thông", "thcs": "trung học cơ sở", "mtqg": "mục tiêu quốc gia",
    "nnptnt": "nông nghiệp và phát triển nông thôn", "nn&ptnt": "nông nghiệp và phát triển nông thôn",
    "tnmt": "tài nguyên và môi trường", "tn&mt": "tài nguyên và môi trường",
    "dtlcp": "dịch tả lợn châu phi", "lmlm": "lở mồm long móng", "pccc": "phòng cháy chữa cháy",
    "pctt": "phòng chống thiên tai", "tkcn": "tìm kiếm cứu nạn", "cv": "công văn", "qđ": "quyết định",
    "qd": "quyết định", "kh": "kế hoạch", "cđ": "công điện",
}


def expand_shorthands(query: str) -> str:
    """The query with each staff shorthand followed by what it stands for ("tcm" → "tcm tay chân
    miệng"); tone-less queries get the tone-less full form, so they stay tone-less. A shorthand
    inside a document number ("58/KH-UBND") or already spelled out in the query is left alone."""
    marked = has_diacritics(query)
    key = fold(match_key(query))

    def spell(m: re.Match[str]) -> str:
        full = QUERY_SHORTHANDS[m.group(0).lower()]
        if fold(full) in key:
            return m.group(0)
        return f"{m.group(0)} {full if marked else fold(full)}"

    return _SHORTHAND.sub(spell, query)


#: Words written two ways that the index keeps apart: "COVID-19" is one token and "covid" another;
#: letters write "vắc xin", health answers "vaccine". A query holding one also matches the other
#: by keyword (not by meaning: the encoder knows both).
SPELLING_VARIANTS: dict[str, str] = {
    "covid": "covid-19", "vaccine": "vắc xin", "vacxin": "vắc xin", "vaccin": "vắc xin",
    "vắc xin": "vaccine", "vắc-xin": "vaccine", "vac xin": "vaccine",
}


def spelling_variants(query: str) -> list[str]:
    """The other spellings of the words ``query`` holds ("covid" → ["covid-19"]), tone-less for a
    tone-less query."""
    marked = has_diacritics(query)
    return [v if marked else fold(v) for v in dict.fromkeys(
        SPELLING_VARIANTS[m.group(0).lower()] for m in _VARIANT.finditer(query))]


def _whole_words(phrases: Iterable[str]) -> re.Pattern[str]:
    """Any of ``phrases`` standing alone (not inside a code such as "58/KH-UBND"), longest first."""
    alternatives = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
    return re.compile(rf"(?<![\w/&-])(?:{alternatives})(?![\w/&-])", re.IGNORECASE)


_SHORTHAND = _whole_words(QUERY_SHORTHANDS)
_VARIANT = _whole_words(SPELLING_VARIANTS)


def abbreviation_variants(text: str) -> list[str]:
    """Other spellings of a phrase (for display/query suggestions): 'UBND' ↔ 'Ủy ban nhân dân'."""
    key = match_key(text)
    out: list[str] = []
    for abbr, fulls in ABBREVIATIONS.items():
        forms = [match_key(abbr), *map(match_key, fulls)]
        for form in forms:
            if re.search(rf"(?<!\w){re.escape(form)}(?!\w)", key):
                out.extend(re.sub(rf"(?<!\w){re.escape(form)}(?!\w)", other, key)
                           for other in forms if other != form)
    return list(dict.fromkeys(out))
