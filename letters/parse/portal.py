"""Header fields of portal copies that have no header: news-style reposts open with the facts.

Why: provincial portals and news pages republish a letter as prose ("Ngày 13/9/2021, Ủy ban
nhân dân tỉnh ban hành Công văn số 2383/UBND-KGVX về …"). With no "Số:" line, no date line and
no issuer block, the first sentences are the only place the number, date and issuer are given.
Only used when the layout gave none of them, and only from the opening sentences, so a letter's
own citations further down are never taken for its header.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from congvan.letters.parse.common import _date_parts, _norm_space
from congvan.letters.schema import DateParts

__all__ = ["PortalHeader", "opening_speaker", "portal_header"]

_TYPES = ("Công văn", "Công điện", "Chỉ thị", "Kế hoạch", "Quyết định", "Thông báo", "Hướng dẫn",
          "Kết luận", "Nghị quyết", "Quy định", "Phương án", "Văn bản")
_DATE = (r"[Nn]gày\s+(?:(?P<d>\d{1,2})\s*[/.-]\s*(?P<m>\d{1,2})\s*[/.-]\s*(?P<y>\d{4})"
         r"|(?P<d2>\d{1,2})\s+tháng\s+(?P<m2>\d{1,2})\s+năm\s+(?P<y2>\d{4}))")
_ISSUER = (r"(?P<issuer>(?:Ủy ban nhân dân|Uỷ ban nhân dân|UBND|Sở|Bộ|Văn phòng|Thủ tướng|Ban|Tỉnh ủy"
           r"|Thành ủy|Chủ tịch|Trung tâm|Cục)\b[^,.;:()\n]{0,70}?)")
_NUMBER = r"(?P<num>\d[\w.&\-]*(?:\s?/\s?[\w.&\-]*[^\W_])+)"
_TYPE = r"(?P<type>(?i:" + "|".join(_TYPES) + r"))"
# "Ngày 13/9/2021, UBND tỉnh ban hành Công văn số 2383/UBND-KGVX …"
_ISSUED = re.compile(rf"(?:{_DATE}\s*,\s*)?{_ISSUER}\s+(?:vừa\s+|đã\s+|mới\s+)?(?:ban\s+hành|có|gửi)\s+"
                     rf"{_TYPE}\s+(?:khẩn\s+)?số\s*:?\s*{_NUMBER}(?:\s*,?\s*{_DATE.replace('?P<', '?P<x')})?")
# "Ngày 11/8/2020, thay mặt UBND tỉnh, Phó Chủ tịch UBND tỉnh … đã ký ban hành văn bản số …"
_SIGNED_FOR = re.compile(rf"(?:{_DATE}\s*,\s*)?(?:thay\s+mặt|TM\.?)\s+{_ISSUER}\s*,[^.;]{{0,120}}?"
                         rf"(?:ký(?:\s+ban\s+hành)?|ban\s+hành)\s+{_TYPE}\s+(?:khẩn\s+)?số\s*:?\s*{_NUMBER}")
# "Công văn số 2383/UBND-KGVX ngày 13/9/2021 của UBND tỉnh …" opening the text
_CITED = re.compile(rf"^[^.]{{0,80}}?{_TYPE}\s+(?:khẩn\s+)?số\s*:?\s*{_NUMBER}\s*,?\s*{_DATE}\s*,?\s+"
                    rf"(?:của|do)\s+{_ISSUER}(?=\s+(?:về|v/v|yêu cầu|đề nghị|chỉ đạo)|[,.;:(]|$)")


@dataclass
class PortalHeader:
    number: str | None = None
    doc_type: str | None = None
    date: DateParts | None = None
    issuer: str | None = None


def _group(m: re.Match[str], name: str) -> str | None:
    return m.groupdict().get(name)


def portal_header(opening: str) -> PortalHeader | None:
    """Number, type, date and issuer stated in the opening sentences, if they are stated."""
    text = _norm_space(opening[:700])
    m = _SIGNED_FOR.search(text) or _ISSUED.search(text) or _CITED.search(text)
    if m is None:
        return None
    d = _group(m, "d") or _group(m, "d2") or _group(m, "xd") or _group(m, "xd2")
    mo = _group(m, "m") or _group(m, "m2") or _group(m, "xm") or _group(m, "xm2")
    y = _group(m, "y") or _group(m, "y2") or _group(m, "xy") or _group(m, "xy2")
    date = _date_parts(d, mo, y) if y else None
    number = re.sub(r"\s*/\s*", "/", m.group("num")).strip(" .,;")
    issuer = _norm_space(m.group("issuer")).strip(" ,")
    doc_type = m.group("type")[:1].upper() + m.group("type")[1:].lower()
    doc_type = None if doc_type == "Văn bản" else doc_type  # "văn bản số …": the number's code says
    return PortalHeader(number, doc_type, date, issuer or None)


# A national body that orders something in the opening lines of a copy with no header: "(SKTE) -
# Thủ tướng Chính phủ yêu cầu Chủ tịch UBND các tỉnh …", "Bộ Y tế đề nghị UBND các tỉnh …".
_CENTRAL_SPEAKER = re.compile(
    r"(?:^|[.:;,\-–)]\s+|\n)(?:Theo đó,\s*|Mới đây,\s*|Ngày [\d/]+,\s*)?"
    r"(?P<issuer>(?:Phó\s+)?Thủ\s+tướng(?:\s+Chính\s+phủ)?|Chính\s+phủ|Văn\s+phòng\s+Chính\s+phủ"
    r"|Ban\s+Bí\s+thư|Bộ\s+Chính\s+trị|(?:Bộ\s+trưởng\s+)?Bộ\s+(?!trưởng\b)[A-ZĐ][\w&]*(?:\s+[\w&]+){0,7}?)"
    r"(?:\s+[A-ZĐ]\w*){0,4}"  # the person's name after a title: "Phó Thủ tướng Trần Hồng Hà"
    r"\s+(?:vừa\s+|đã\s+|mới\s+)?(?:có\s+(?:văn\s+bản|công\s+văn|công\s+điện|chỉ\s+thị)\s+)?"
    r"(?:yêu\s+cầu|đề\s+nghị|chỉ\s+đạo|giao)\b")


def opening_speaker(opening: str) -> str | None:
    """The national body ordering in a header-less copy's opening lines, if one does: the copy is
    then that body's letter (a central one: its "UBND các tỉnh" are the provinces it addresses).
    Provincial speakers are left to the province rules: their copies say less about the level."""
    m = _CENTRAL_SPEAKER.search(opening[:400])
    return _norm_space(m.group("issuer")) if m else None
