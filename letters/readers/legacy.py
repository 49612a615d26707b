"""Legacy Vietnamese encodings (Windows-1258, TCVN3/ABC, VNI-Windows) and the repair of mojibake lines they leave in Unicode text."""
from __future__ import annotations

import codecs
import re
import unicodedata

from congvan.letters.readers.plausibility import _is_vietnamese, _plausibility, _suspicious_words


# --------------------------------------------------------------------------- legacy tables
def _single_byte_table(codec: str) -> str:
    """256-char decode table; bytes the codec leaves undefined fall back to Latin-1."""
    out = []
    for b in range(256):
        try:
            out.append(bytes([b]).decode(codec))
        except UnicodeDecodeError:
            out.append(chr(b) if b >= 0xA0 or b < 0x80 else "\ufffd")
    return "".join(out)


_CP1252 = _single_byte_table("cp1252")
_CP1258 = _single_byte_table("cp1258")

#: TCVN3 (ABC, TCVN 5712:1993 VN3) byte → character. Verified on "Uû ban nh©n d©n tØnh",
#: "§¶ng Céng s¶n ViÖt Nam", "Hµ Néi", "ChÝnh phñ", "thùc hiÖn".
TCVN3_TO_UNICODE: dict[int, str] = {
    0xA1: "Ă", 0xA2: "Â", 0xA3: "Ê", 0xA4: "Ô", 0xA5: "Ơ", 0xA6: "Ư", 0xA7: "Đ",
    0xA8: "ă", 0xA9: "â", 0xAA: "ê", 0xAB: "ô", 0xAC: "ơ", 0xAD: "ư", 0xAE: "đ",
    0xB5: "à", 0xB6: "ả", 0xB7: "ã", 0xB8: "á", 0xB9: "ạ",
    0xBB: "ằ", 0xBC: "ẳ", 0xBD: "ẵ", 0xBE: "ắ", 0xC6: "ặ",
    0xC7: "ầ", 0xC8: "ẩ", 0xC9: "ẫ", 0xCA: "ấ", 0xCB: "ậ",
    0xCC: "è", 0xCE: "ẻ", 0xCF: "ẽ", 0xD0: "é", 0xD1: "ẹ",
    0xD2: "ề", 0xD3: "ể", 0xD4: "ễ", 0xD5: "ế", 0xD6: "ệ",
    0xD7: "ì", 0xD8: "ỉ", 0xDC: "ĩ", 0xDD: "í", 0xDE: "ị",
    0xDF: "ò", 0xE1: "ỏ", 0xE2: "õ", 0xE3: "ó", 0xE4: "ọ",
    0xE5: "ồ", 0xE6: "ổ", 0xE7: "ỗ", 0xE8: "ố", 0xE9: "ộ",
    0xEA: "ờ", 0xEB: "ở", 0xEC: "ỡ", 0xED: "ớ", 0xEE: "ợ",
    0xEF: "ù", 0xF1: "ủ", 0xF2: "ũ", 0xF3: "ú", 0xF4: "ụ",
    0xF5: "ừ", 0xF6: "ử", 0xF7: "ữ", 0xF8: "ứ", 0xF9: "ự",
    0xFA: "ỳ", 0xFB: "ỷ", 0xFC: "ỹ", 0xFD: "ý", 0xFE: "ỵ",
}
#: Output table: a byte TCVN3 leaves unused shows as its Windows-1252 glyph (what a user sees).
_TCVN3 = "".join(TCVN3_TO_UNICODE.get(b, _CP1252[b]) for b in range(256))
#: Scoring table: unused bytes 0xA1-0xFF count as wrong (their glyphs, e.g. "À", would look
#: like valid Vietnamese letters and hide a damaged or different-variant file).
_TCVN3_SCORING = "".join(
    TCVN3_TO_UNICODE.get(b, "\ufffd" if b > 0xA0 else _CP1252[b]) for b in range(256))

# VNI-Windows: base letter + modifier byte(s), shown here as their Windows-1252 glyphs.
_VNI_MODIFIERS = {
    # plain vowels: acute, grave, hook, tilde, dot below
    "a": {"ù": "á", "ø": "à", "û": "ả", "õ": "ã", "ï": "ạ",
          "â": "â", "á": "ấ", "à": "ầ", "å": "ẩ", "ã": "ẫ", "ä": "ậ",
          "ê": "ă", "é": "ắ", "è": "ằ", "ú": "ẳ", "ü": "ẵ", "ë": "ặ"},
    "e": {"ù": "é", "ø": "è", "û": "ẻ", "õ": "ẽ", "ï": "ẹ",
          "â": "ê", "á": "ế", "à": "ề", "å": "ể", "ã": "ễ", "ä": "ệ"},
    "o": {"ù": "ó", "ø": "ò", "û": "ỏ", "õ": "õ", "ï": "ọ",
          "â": "ô", "á": "ố", "à": "ồ", "å": "ổ", "ã": "ỗ", "ä": "ộ"},
    "ô": {"ù": "ớ", "ø": "ờ", "û": "ở", "õ": "ỡ", "ï": "ợ"},   # ô = ơ in VNI
    "u": {"ù": "ú", "ø": "ù", "û": "ủ", "õ": "ũ", "ï": "ụ"},
    "ö": {"ù": "ứ", "ø": "ừ", "û": "ử", "õ": "ữ", "ï": "ự"},   # ö = ư in VNI
    "y": {"ù": "ý", "ø": "ỳ", "û": "ỷ", "õ": "ỹ"},
}
_VNI_SINGLES = {"ô": "ơ", "ö": "ư", "ñ": "đ", "í": "í", "ì": "ì", "æ": "ỉ", "ó": "ĩ",
                "ò": "ị", "î": "ỵ"}


def _build_vni() -> tuple[dict[str, str], re.Pattern[str]]:
    table: dict[str, str] = {}
    for base, mods in _VNI_MODIFIERS.items():
        for mod, out in mods.items():
            for b in (base, base.upper()):
                for m in (mod, mod.upper()):
                    table[b + m] = out.upper() if b.isupper() else out
    for glyph, out in _VNI_SINGLES.items():
        table[glyph] = out
        table[glyph.upper()] = out.upper()
    keys = sorted(table, key=len, reverse=True)
    return table, re.compile("|".join(map(re.escape, keys)))


_VNI_TABLE, _VNI_PATTERN = _build_vni()


def _vni_from_glyphs(text: str) -> str:
    """VNI-Windows text seen as Windows-1252 glyphs → Unicode."""
    return _VNI_PATTERN.sub(lambda m: _VNI_TABLE[m.group(0)], text)


def _decode_cp1258(data: bytes) -> str:
    return unicodedata.normalize("NFC", codecs.charmap_decode(data, "strict", _CP1258)[0])


def _decode_tcvn3(data: bytes, table: str = _TCVN3) -> str:
    return codecs.charmap_decode(data, "strict", table)[0]


def _decode_vni(data: bytes) -> str:
    return _vni_from_glyphs(codecs.charmap_decode(data, "strict", _CP1252)[0])


_STRAY_BYTES_HANDLER = "congvan-stray-cp1252"


def _stray_bytes_as_cp1252(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start:exc.end]
    return "".join(_CP1252[b] for b in bad), exc.end


codecs.register_error(_STRAY_BYTES_HANDLER, _stray_bytes_as_cp1252)


# --------------------------------------------------------------------------- mojibake repair
_CP1252_ENCODABLE = frozenset(_CP1252) - {"\ufffd"}
# Characters that make a line a suspect (no-break space and soft hyphen alone do not).
_HIGH_GLYPHS = frozenset(ch for ch in _CP1252_ENCODABLE if ord(ch) > 0x7F) - {"\xa0", "\xad"}
_CP1252_ENCODE = {ch: i for i, ch in enumerate(_CP1252) if ch != "\ufffd"}
_HIGH_GLYPH_RE = re.compile("[" + re.escape("".join(sorted(_HIGH_GLYPHS))) + "]")


def _glyphs_to_bytes(line: str) -> bytes | None:
    try:
        return bytes(_CP1252_ENCODE[ch] for ch in line)
    except KeyError:
        return None


def repair_legacy_mojibake(text: str) -> str:
    """Convert lines that are TCVN3/VNI text seen through Windows-1252 glyphs ("§¶ng Céng
    s¶n" → "Đảng Cộng sản"). Lines with any character outside Windows-1252 (i.e. real
    Unicode Vietnamese) are never touched; a line changes only if it becomes clearly more
    Vietnamese.
    """
    if not _HIGH_GLYPH_RE.search(text):
        return text
    lines = text.split("\n")
    suspects: list[tuple[int, bytes]] = []
    marks: dict[int, list[str]] = {}  # per suspect line, its stand-alone marks, kept as they are
    for i, line in enumerate(lines):
        if _HIGH_GLYPH_RE.search(line):
            # a mark standing alone ("Xem thêm »", "Trang chủ » Tin") is punctuation, not a letter
            # of a legacy font: it is neither converted nor counted for the line
            found = _LONE_MARK.findall(line)
            bare = _LONE_MARK.sub("\x00", unicodedata.normalize("NFC", line))
            if not _HIGH_GLYPH_RE.search(bare):
                continue
            raw = _glyphs_to_bytes(bare)
            if raw is not None:
                suspects.append((i, raw))
                marks[i] = found
    if not suspects:
        return text
    joined = b"\n".join(raw for _, raw in suspects)
    original = "\n".join(_LONE_MARK.sub(" ", lines[i]) for i, _ in suspects)
    best_name, best_total = None, _plausibility(_suspicious_words(original)).total + 0.3
    for name, decode in (("tcvn3", lambda b: _decode_tcvn3(b, _TCVN3_SCORING)),
                         ("vni", _decode_vni)):
        score = _plausibility(_suspicious_words(decode(joined)))
        if score.total > best_total and score.words and _is_vietnamese(score):
            best_name, best_total = name, score.total
    if best_name is None:
        return text
    decode = _decode_tcvn3 if best_name == "tcvn3" else _decode_vni
    for i, raw in suspects:
        converted = decode(raw)
        score = _plausibility(converted.replace("\x00", " "))
        if score.words and score.valid >= 0.5 and score.total > _plausibility(_LONE_MARK.sub(" ", lines[i])).total:
            kept = iter(marks[i])
            lines[i] = re.sub("\x00", lambda _m, marks_left=kept: next(marks_left), converted)
    return "\n".join(lines)


# A run of marks with no letter or digit, standing alone between spaces: "»", "«", "·", "§".
_LONE_MARK = re.compile(r"(?<!\S)[^\w\s]+(?!\S)")
