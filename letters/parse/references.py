"""Documents a letter cites: "Công văn số 2116/BYT-DP ngày 12/4/2023 của Bộ Y tế"."""
from __future__ import annotations

import re

from congvan.letters.parse.common import _UP, _date_parts, _norm_space
from congvan.letters.schema import (
    Reference,
)

# ----------------------------------------------------------------------- references
_REF_TYPES = (
    "Thông tư liên tịch", "Công văn", "Công điện", "Chỉ thị", "Kế hoạch", "Quyết định",
    "Thông báo kết luận", "Thông báo", "Nghị quyết", "Nghị định", "Thông tư", "Luật", "Hướng dẫn",
    "Báo cáo", "Tờ trình", "Chương trình", "Kết luận", "Quy định", "Quy chế", "Văn bản",
    "Pháp lệnh", "Điện", "Giấy mời", "Phương án")
_REF_ABBR = {"CV": "Công văn", "QĐ": "Quyết định", "KH": "Kế hoạch", "CT": "Chỉ thị",
             "TB": "Thông báo", "NQ": "Nghị quyết", "NĐ": "Nghị định", "CĐ": "Công điện"}
_REF_NUMBER = r"(?P<num>\d[\w.&\-]*(?:\s?/\s?[\w.&\-]*[^\W_])+)"
_REF = re.compile(
    r"(?<!\w)(?P<type>" + "|".join(re.escape(t) for t in _REF_TYPES) + r")"
    r"(?:\s+(?:khẩn|hỏa tốc|hoả tốc|liên tịch|kết luận|liên ngành))?"
    r"\s+(?:số\s*:?\s*)?" + _REF_NUMBER, re.IGNORECASE)
_REF_ABBR_RE = re.compile(r"(?<!\w)(?P<type>" + "|".join(_REF_ABBR) + r")\s+số\s*:?\s*" + _REF_NUMBER)
_REF_DATE = re.compile(
    r"\s*,?\s*(?:ban\s+hành\s+)?ngày\s+(?:(?P<d>\d{1,2})\s*[/.-]\s*(?P<m>\d{1,2})\s*[/.-]\s*(?P<y>\d{4})"
    r"|(?P<d2>\d{1,2})\s+tháng\s+(?P<m2>\d{1,2})\s+năm\s+(?P<y2>\d{4}))", re.IGNORECASE)
_REF_ISSUER_START = re.compile(r"\s*,?\s*(?:của|do)\s+", re.IGNORECASE)
# Where an issuer name stops: "của Bộ Y tế về việc …", "… của UBND tỉnh." ("phòng, chống" is
# part of a name).
_ISSUER_STOP = re.compile(
    r"\s+(?:về|v/v|ban\s+hành|hướng\s+dẫn|quy\s+định|triển\s+khai|tại|trong|nhằm|để|theo|đã|được"
    r"|cho|thực\s+hiện|với|và\s+(?=(?:" + "|".join(re.escape(t.lower()) for t in _REF_TYPES) + r")\b)"
    r"|và\s+(?-i:(?![" + _UP + r"\d]))|năm\s+\d|như\s+sau)\b|[;:()\n\"“”]|\.(?:\s|$)|,(?!\s*chống)|$", re.IGNORECASE)
# Issuers implied by a symbol when the letter does not name them ("2116/BYT-DP" → Bộ Y tế).
_SYMBOL_ISSUERS = {"BYT": "Bộ Y tế", "CP": "Chính phủ", "TTg": "Thủ tướng Chính phủ",
                   "VPCP": "Văn phòng Chính phủ", "BGDĐT": "Bộ Giáo dục và Đào tạo",
                   "BLĐTBXH": "Bộ Lao động - Thương binh và Xã hội", "BTTTT": "Bộ Thông tin và Truyền thông",
                   "BCT": "Bộ Công Thương", "BCĐQG": "Ban Chỉ đạo Quốc gia", "BTC": "Bộ Tài chính"}

# =========================================================================== references
def _ref_issuer(text: str, pos: int) -> tuple[str | None, int]:
    m = _REF_ISSUER_START.match(text, pos)
    if not m:
        return None, pos
    stop = _ISSUER_STOP.search(text, m.end())
    end = stop.start() if stop else len(text)
    issuer = _norm_space(text[m.end():end]).strip(" ,.")
    if not issuer or len(issuer.split()) > 14 or not issuer[0].isupper():
        return None, pos
    return issuer, end


# "… của Sở Y tế tại Tờ trình số 286/TTr-SYT": the issuer written before the citation.
_ISSUER_BEFORE = re.compile(rf"(?:của|do)\s+([{_UP}][^;:.()\n]{{1,80}}?)\s+tại\s*$", re.IGNORECASE)


def _issuer_before(text: str, start: int) -> str | None:
    m = _ISSUER_BEFORE.search(text, max(0, start - 120), start)
    return _norm_space(m.group(1)) if m else None


def _symbol_issuer(number: str) -> str | None:
    tail = number.split("/")[-1]
    for part in reversed(tail.split("-")):
        if part in _SYMBOL_ISSUERS:
            return _SYMBOL_ISSUERS[part]
    return None


def _references(text: str) -> list[Reference]:
    """Cited documents, deduplicated by number (later mentions fill missing date/issuer)."""
    found: dict[str, Reference] = {}
    matches = sorted([*_REF.finditer(text), *_REF_ABBR_RE.finditer(text)], key=lambda m: m.start())
    for m in matches:
        raw_type = m.group("type")
        ref_type = _REF_ABBR.get(raw_type) or next(t for t in _REF_TYPES if t.lower() == raw_type.lower())
        if ref_type == "Thông báo kết luận":
            ref_type = "Thông báo"
        number = re.sub(r"\s*/\s*", "/", m.group("num")).strip(" .,;")
        end = m.end()
        date = None
        dm = _REF_DATE.match(text, end)
        if dm:
            parts = _date_parts(dm.group("d") or dm.group("d2"), dm.group("m") or dm.group("m2"),
                                dm.group("y") or dm.group("y2"))
            date = parts.iso()
            end = dm.end()
        issuer, end = _ref_issuer(text, end)
        issuer = issuer or _issuer_before(text, m.start()) or _symbol_issuer(number)
        ref = Reference(ref_type, number, date, issuer, _norm_space(text[m.start():end]))
        old = found.get(number)
        if old is None:
            found[number] = ref
        else:
            old.date = old.date or ref.date
            old.issuer = old.issuer or ref.issuer
    return list(found.values())
