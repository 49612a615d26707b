"""Header fields of portal copies that have no header: news-style reposts open with the facts.

Why: provincial portals and news pages republish a letter as prose ("Ngày 13/9/2021, Ủy ban
nhân dân tỉnh ban hành Công văn số 2383/UBND-KGVX về …"). With no "Số:" line, no date line and
no issuer block, the first sentences are the only place the number, date and issuer are given.
Only used when the layout gave none of them, and only from the opening sentences, so a letter's
own citations further down are never taken for its header.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice

from congvan.letters.parse.common import _UP, _canonical_province, _date_parts, _norm_space
from congvan.letters.parse.references import _symbol_issuer
from congvan.letters.schema import DateParts
from congvan.letters.taxonomy import Taxonomy, load_taxonomy

__all__ = ["PortalHeader", "opening_speaker", "portal_header"]

_TYPES = ("Công văn", "Công điện", "Chỉ thị", "Kế hoạch", "Quyết định", "Thông báo", "Hướng dẫn",
          "Kết luận", "Nghị quyết", "Quy định", "Phương án", "Văn bản")
# "ngày 13/9/2021", "ngày 15-2", "ngày 29 tháng 12 năm 2020", "ngày 29 tháng 12/2020"; "chiều nay 8/10/2020"
_DATE = (r"(?:[Nn]gày|(?:[Ss]áng|[Cc]hiều|[Tt]rưa|[Tt]ối)\s+(?:nay|ngày))\s+"
         r"(?:(?P<d>\d{1,2})\s*[/.-]\s*(?P<m>\d{1,2})(?:\s*[/.-]\s*(?P<y>\d{4}))?(?![\d/.-]*\d)"
         r"|(?P<d2>\d{1,2})\s+tháng\s+(?P<m2>\d{1,2})\s*(?:năm\s+|/\s*)(?P<y2>\d{4}))")
_UPPER = f"[{_UP}]"
# the bodies (and the office holders who sign for them) that issue letters; a comma may only
# go on to a capitalised word, as in "Sở Văn hóa, Thể thao và Du lịch"
_ISSUER = (r"(?P<issuer>(?:Ủy ban nhân dân|Uỷ ban nhân dân|UBND|Hội đồng nhân dân|HĐND|Sở|Bộ|Văn phòng|Thường trực"
           r"|(?:Phó\s+)?Thủ tướng|Chính phủ|Ban|Tỉnh [uủ]y|Thành [uủ]y|Huyện [uủ]y|Thị [uủ]y|Quận [uủ]y"
           r"|Đảng [uủ]y|(?:Phó\s+)?Chủ tịch|Trung tâm|Phòng|Cục|Tổng cục|Bảo hiểm xã hội|BHXH|Ngân hàng Nhà nước"
           r"|Kiểm toán Nhà nước|Tòa án|Viện kiểm sát|Giám đốc|BCĐ|(?:Phó\s+)?Bí\s+thư)\b"
           r"(?:[^,.;:()\n*#|“”\"]|,\s(?=" + _UPPER + r"|chống\b))"
           r"{0,70}?(?:\s\((?:Bộ|Sở|UBND|Tỉnh|Thành)[^()\n]{1,40}\))?)")  # "Cục An toàn thực phẩm (Bộ Y tế)"
# a party number may be printed with a spaced hyphen: "04 -CT/TU", "48 - CT/TW"
_NUMBER = r"(?P<num>\d[\w.&\-]*(?:\s?-\s?(?=[A-ZĐ])[\w.&\-]*)?(?:\s?/\s?[\w.&\-]*[^\W_])+)"
_TYPE_WORDS = "|".join(_TYPES)
_TYPE = r"(?P<type>(?i:" + _TYPE_WORDS + r"))"
# "vừa ban hành", "đã ký ban hành", "mới đây đã ký", "đã có", "gửi"
_VERB = (r"\s+(?P<tense>(?:cũng\s+)?(?:vừa\s+(?:mới\s+)?|đã\s+|mới\s+(?:đây\s+)?(?:đã\s+)?))?"
         # "… vừa công điện khẩn yêu cầu …": the kind itself as the verb
         r"(?:ký\s+(?:ban\s+hành\s+)?|ban\s+hành\s+|có\s+|gửi\s+|ra\s+|(?<=vừa\s)(?=công\s+điện\b))")
# what may follow the number: "năm 2025", a page's "Tải về" link, the date
_AFTER_NUMBER = (r"(?:\s+năm\s+\d{4})?(?:\s*\**\s*(?i:tải(?=\s+về\s+việc)|tải\s+về)(?:\s*\*+)?)?"
                 rf"(?:\s*,?\s*{_DATE.replace('?P<', '?P<x')})?")
# the subject as the sentence gives it: "… về việc phòng, chống dịch sởi.", "… phê duyệt Kế hoạch …"
# (a plan's name too: "Kế hoạch triển khai Tháng hành động …", "… thực hiện Chương trình …")
_SUBJECT = (r"(?:\s*,?\s+(?P<subject>(?i:về|v/v|phê duyệt|ban hành|quy định|hướng dẫn|sửa đổi|thông báo|kết luận"
            r"|triển khai|thực hiện|tổ chức|phòng,? chống|tăng cường)(?=[\s,])[^\n]{5,300}?)"
            r"(?=\.\s|\.?$|\n|\.(?=" + _UPPER + r")))?")
# "Ngày 13/9/2021, UBND tỉnh ban hành Công văn số 2383/UBND-KGVX về …"; "Ngày 25/9/2025, Thủ tướng
# Chính phủ đã có Công điện 172/CĐ-TTg năm 2025 về …"; "Thủ tướng … mới đây đã ký Công điện về …"
_ISSUED = re.compile(rf"(?:{_DATE}\s*[,.]?\s*)?{_ISSUER}{_VERB}{_TYPE}(?:\s+(?:khẩn|hỏa\s+tốc))?"
                     # a news item may shorten a party number to its digits: "Chỉ thị số 17 về việc …"
                     rf"(?:\s+(?:số\s*:?\s*)?(?:{_NUMBER}|(?<=số )(?P<bare>\d{{1,5}})(?=\s)){_AFTER_NUMBER})?"
                     # whose it is, or whom it went to, before what it is about: "… Chỉ thị số 11 của Ban
                     # Bí thư về việc …" (the signer's office said first), "… công văn gửi UBND các tỉnh về việc …"
                     r"(?:\s+của\s+(?P<owner>[^,.;:\n]{3,80}?)(?=\s+(?:về|v/v)\s)"
                     r"|\s+gửi\s+[^.;:\n]{1,200}?(?=\s+về\s+việc\s))?"
                     rf"{_SUBJECT}")
# "Ngày 11/8/2020, thay mặt UBND tỉnh, Phó Chủ tịch UBND tỉnh … đã ký ban hành văn bản số …"
_SIGNED_FOR = re.compile(rf"(?:{_DATE}\s*,\s*)?(?:thay\s+mặt|TM\.?)\s+{_ISSUER}\s*,[^.;]{{0,120}}?"
                         rf"(?:ký(?:\s+ban\s+hành)?|ban\s+hành)\s+{_TYPE}\s+(?:khẩn\s+)?số\s*:?\s*{_NUMBER}"
                         rf"{_AFTER_NUMBER}{_SUBJECT}")
# "Công văn số 2383/UBND-KGVX ngày 13/9/2021 của UBND tỉnh …" opening the text
# (not after "Thực hiện", "Căn cứ", "Theo", "Triển khai": that cites another body's letter, which this
# one carries out — "Thực hiện Công văn số 3711/UBND-KGVX … của UBND tỉnh …, Sở GDĐT yêu cầu …")
_CITED = re.compile(rf"^(?![^.]{{0,80}}?\b(?i:thực\s+hiện|căn\s+cứ|theo|triển\s+khai|tiếp\s+theo|trên\s+cơ\s+sở)\s+(?i:{_TYPE_WORDS}))"
                    rf"[^.]{{0,80}}?{_TYPE}\s+(?:khẩn\s+)?số\s*:?\s*{_NUMBER}\s*,?\s*{_DATE}\s*,?\s+"
                    rf"(?:của|do)\s+{_ISSUER}(?=\s+(?:về|v/v|yêu cầu|đề nghị|chỉ đạo)|[,.;:(]|$)")
# News wording with the number first: "Văn bản số 822/UBND-KTN vừa được UBND tỉnh ban hành gửi …",
# "… văn bản hỏa tốc số 5508/UBND-NNTN của Ủy ban nhân dân tỉnh Quảng Ngãi gửi các địa phương …"
_NUMBER_HEAD = (rf"{_TYPE}\s+(?:(?:khẩn|hỏa\s+tốc)\s+)?số\s*:?\s*{_NUMBER}"
                rf"(?:\s*,?\s*{_DATE.replace('?P<', '?P<x')})?\s*,?\s+")
_NUMBER_FIRST = (re.compile(rf"{_NUMBER_HEAD}(?:vừa|mới|đã)\s+(?:mới\s+)?được\s+{_ISSUER}\s+(?:ký\s+)?ban\s+hành"),
                 re.compile(rf"{_NUMBER_HEAD}(?:của|do)\s+{_ISSUER}"
                            r"(?=\s+(?:gửi|vừa|đã|ban\s+hành|yêu\s+cầu|chỉ\s+đạo)\b)"))
# A letter named after these words is one this copy's letter carries out, not the copy's own.
_CITING = re.compile(r"(?i:thực\s+hiện|căn\s+cứ|theo|triển\s+khai|tiếp\s+theo|trên\s+cơ\s+sở|tại)\s*$")
# "Công điện số 128/CĐ-TTg ngày 8/12/2024 gửi Bộ trưởng các Bộ …" opening a sentence: the body is
# the one the number's symbol names (TTg, BYT, VPCP …), or none
_SENT = re.compile(rf"{_TYPE}\s+(?:(?:khẩn|hỏa\s+tốc)\s+)?số\s*:?\s*{_NUMBER}\s*,?\s*{_DATE}\s*,?\s+gửi\b")
# "Theo Công văn số 3517/UBND ngày 18/7/2022, UBND huyện đề nghị …": a news item reporting what
# the letter it names asks (no "của": the body after the comma is the one that wrote it)
_ACCORDING = re.compile(rf"(?:Theo|Tại|Trong(?:\s+nội\s+dung)?)\s+{_TYPE}\s+(?:khẩn\s+)?(?:số\s*:?\s*)?{_NUMBER}"
                        rf"\s*,?\s*(?:ban\s+hành\s+)?{_DATE}\s*,\s*"
                        rf"{_ISSUER}\s+(?:đã\s+|cũng\s+)?(?:đề\s+nghị|yêu\s+cầu|chỉ\s+đạo|giao)\b")

# Common Vietnamese family names: a name after an office ("Thủ tướng Chính phủ Phạm Minh Chính")
# is the signer, not part of the issuing body.
_SURNAMES = frozenset(("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi",
                        "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Đào", "Trịnh", "Mai", "Lương", "Cao",
                        "Chu", "Hà", "Lâm", "Tạ", "Thái", "Tô", "Triệu", "Đoàn", "Vương", "Quách", "Kiều",
                        "Lò", "Hầu", "Lục", "Nông", "Lại", "Giang", "Phùng", "Doãn", "Khổng", "Tăng",
                        "Mạc", "Châu", "Thân", "Văn", "La", "Tôn", "Trương", "Hứa", "Từ"))
_PLACE_WORDS = frozenset(("tỉnh", "thành", "phố", "huyện", "quận", "xã", "phường", "thị", "trấn", "tp", "tp.", "tt"))
# an office holder stands for the body whose letter it is
_OFFICE = re.compile(r"^(?:(?:Phó\s+)?Thủ\s+tướng(?:\s+Chính\s+phủ)?)$|^(?:Bộ|Thứ)\s+trưởng\s+(?=Bộ\s)"
                     # "Phó Bí thư Thường trực Thành ủy Hà Nội" signs for the Thành ủy's standing body
                     r"|^(?:Phó\s+)?Bí\s+thư\s+(?=Thường\s+trực\s)"
                     r"|^(?:Phó\s+)?(?:Cục|Tổng\s+cục)\s+trưởng\s+(?=(?:Tổng\s+)?[Cc]ục\s)"
                     r"|^(?:Phó\s+)?Giám\s+đốc\s+(?=Sở\s|Bảo\s+hiểm|Trung\s+tâm)")


# what a reporting sentence says between the body and its verb: "Bộ Y tế cho biết Bộ đã ban hành …"
_SAYS = re.compile(r"\s+(?:cho\s+biết|cho\s+hay|nêu(?:\s+rõ)?|quy\s+định|khẳng\s+định|số)\b.*$")


def _body_of(issuer: str, tax: Taxonomy | None = None) -> str:
    """The issuing body in a news sentence's subject: the signer's name dropped, an office holder
    read as the office ("Bộ trưởng Bộ Tài chính" → "Bộ Tài chính", "Thủ tướng" → "Thủ tướng
    Chính phủ"). A place that looks like a name ("UBND tỉnh Hà Tĩnh", "Sở Y tế Lâm Đồng") stays."""
    words = _SAYS.sub("", issuer).split()
    # a province named after "tỉnh" / "thành phố" is no part of the signer's name ("Chủ tịch UBND
    # tỉnh Hà Giang Nguyễn Văn An": "Giang" is a surname too)
    first = 1
    for p, w in enumerate(words):
        if w.lower() in ("tỉnh", "phố"):
            m = next((m for m in (3, 2, 1) if p + m < len(words)
                      and _is_place(" ".join(words[p + 1:p + 1 + m]), tax)), 0)
            first = max(first, p + 1 + m)
    for k in range(max(first, len(words) - 4), len(words) - 1):
        tail = words[k:]
        # after "tỉnh" only a province may follow, and the gazetteer knows them all ("Chủ tịch UBND
        # tỉnh Lê Văn An" is a signer); after "huyện", "xã", "thành phố" a surname may start a
        # place's name ("thành phố Hà Tiên")
        place_word = words[k - 1].lower() in _PLACE_WORDS and words[k - 1].lower() != "tỉnh"
        if (tail[0] in _SURNAMES and all(w[:1].isupper() for w in tail) and 2 <= len(tail) <= 4
                and not place_word and not _is_place(" ".join(tail), tax)):
            words = words[:k]
            break
    body = " ".join(words)
    if _OFFICE.match(body):
        body = _OFFICE.sub("", body) or "Thủ tướng Chính phủ"
    return body


def _is_place(name: str, tax: Taxonomy | None) -> bool:
    return _canonical_province(name, tax or load_taxonomy()) is not None  # "Hồ Chí Minh", "Hà Tĩnh"


# "… đã ký ban hành công điện yêu cầu các bộ, ngành …": a news item that gives neither number nor
# subject still says what was issued, and by whom
_ORDER_AFTER = re.compile(r"\s+(?:gửi\s*:?\s+[^.]{1,240}?[\s,]+)?(?:yêu\s+cầu|đề\s+nghị|chỉ\s+đạo|về\s+việc)\b")


def _opens_sentence(before: str) -> bool:
    """Whether a match after ``before`` starts a sentence (or a news item: "(Chinhphu.vn) - …")."""
    before = before.rstrip(" *")
    return not before or before[-1] in ".!?:;-–)\n" or before.endswith(("Mới đây,", "Vừa qua,", "Theo đó,")) \
        or bool(re.search(r"[Nn]gày\s+\d{1,2}\s*[/.-]\s*\d{1,2}(?:\s*[/.-]\s*\d{4})?,$", before))  # "…, ngày 14/11, Thủ tướng …"


def _news_clause(before: str, m: re.Match[str]) -> bool:
    """A news sentence may open with its reason or time: "Trước tình hình …, ngày 29/3/2017, UBND
    tỉnh có công điện …", "Thực hiện chỉ đạo của Tỉnh ủy, UBND tỉnh vừa ban hành Công văn số …".
    After a comma the body that issues is the sentence's subject, so the letter is the copy's own;
    a citation has none before its issuer ("Thực hiện Kế hoạch … của Thủ tướng Chính phủ ban hành
    …"). A match that begins with its date and says "vừa / đã" is one too, whatever is before it."""
    dated = bool(_group(m, "d") or _group(m, "d2"))
    return before.rstrip(" *").endswith(",") \
        or (dated and bool(_group(m, "tense")))  # "Vào lúc 10h00 ngày 21/7, Chủ tịch UBND tỉnh vừa có …"


def _overlapping(regex: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """Matches at every start, not only after the previous one ends: an issuer run on from a cited
    body ("… của Thường trực Ban Bí thư, Ban Thường vụ Đảng ủy Khối đã ban hành …") must not hide
    the one that starts later."""
    pos = 0
    while (m := regex.search(text, pos)) is not None:
        yield m
        pos = m.start() + 1


# A full date anywhere on the page: a dateline ("10:48, 21/07/2018"), the letter's own
_FULL_DATE = re.compile(r"(?<![\d/.-])(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*((?:19|20)\d{2})(?![\d/.-]*\d)")


def _year_for(text: str, day: str, month: str) -> str | None:
    """The year of a date a news sentence gives without one ("Ngày 04/9, UBND tỉnh …"): that of
    the first full date on the page on or after it (the article's dateline comes after the
    letter), else the first "năm 2024" the text names; none is guessed."""
    want = (int(month), int(day))
    for m in _FULL_DATE.finditer(text):
        if (int(m.group(2)), int(m.group(1))) >= want:
            return m.group(3)
    named = re.search(r"\bnăm\s+((?:19|20)\d{2})\b", text)
    return named.group(1) if named else None


@dataclass
class PortalHeader:
    number: str | None = None
    doc_type: str | None = None
    date: DateParts | None = None
    issuer: str | None = None
    subject: str | None = None


def _group(m: re.Match[str], name: str) -> str | None:
    return m.groupdict().get(name)


def portal_header(opening: str, taxonomy: Taxonomy | None = None, page: str | None = None) -> PortalHeader | None:
    """Number, type, date, issuer and subject stated in the opening sentences, if they are stated
    (a news copy of a công điện may give no number: "Thủ tướng … đã ký Công điện về …").
    ``page``: the whole text as it came, site lines included, where a date with no year finds its
    year (the article's dateline is dropped from the letter's lines)."""
    # spaces folded line by line: a page's title line is no part of the sentence below it
    text = "\n".join(_norm_space(line) for line in opening[:1600].splitlines())
    # a sentence that names neither a number nor a subject ("… đã có văn bản gửi …") says nothing,
    # and one in the middle of a sentence ("Thực hiện … của Thủ tướng Chính phủ ban hành Kế
    # hoạch về …") is a citation, not the news of this letter
    found = list(islice((m for m in _overlapping(_ISSUED, text)
                         if (m.group("num") or m.group("bare") or m.group("subject") or _ORDER_AFTER.match(text, m.end()))
                         and (_opens_sentence(text[:m.start()]) or _news_clause(text[:m.start()], m))), 8))
    # a headline ("Thủ tướng ra công điện khẩn chỉ đạo …") gives way to the sentence that numbers it
    issued = next((m for m in found if m.group("num")), found[0] if found else None)
    according = next((m for m in _ACCORDING.finditer(text) if _opens_sentence(text[:m.start()])), None)
    m = _SIGNED_FOR.search(text) or issued or _CITED.search(text) or according \
        or next((m for r in _NUMBER_FIRST for m in r.finditer(text) if not _CITING.search(text[:m.start()])), None) \
        or next((m for m in _SENT.finditer(text) if _opens_sentence(text[:m.start()])), None)
    if m is None:
        return None
    d = _group(m, "d") or _group(m, "d2") or _group(m, "xd") or _group(m, "xd2")
    mo = _group(m, "m") or _group(m, "m2") or _group(m, "xm") or _group(m, "xm2")
    y = _group(m, "y") or _group(m, "y2") or _group(m, "xy") or _group(m, "xy2")
    y = y or (_year_for(page[:3000] if page else text, d, mo) if d and mo else None)
    date = _date_parts(d, mo, y) if y else None
    num = _group(m, "num") or _group(m, "bare")
    number = re.sub(r"\s*([/-])\s*", r"\1", num).strip(" .,;") if num else None
    said = _group(m, "owner") or _group(m, "issuer")
    issuer = _body_of(_norm_space(said).strip(" ,"), taxonomy) if said \
        else (_symbol_issuer(number) if number else None)
    doc_type = m.group("type")[:1].upper() + m.group("type")[1:].lower()
    doc_type = None if doc_type == "Văn bản" else doc_type  # "văn bản số …": the number's code says
    subject = _group(m, "subject")
    if subject:
        subject = subject.strip(" ,;*")
        subject = subject[:1].upper() + subject[1:]
    return PortalHeader(number, doc_type, date, issuer or None, subject or None)


# The words a copy may put before the body that orders: "Theo đó, …", "Mới đây, …", "Ngày 6/4, …".
_SPEAKER_OPENS = r"(?:Theo đó,\s*|Mới đây,\s*|Ngày [\d/]+,\s*)?"


# A national body that orders something in the opening lines of a copy with no header: "(SKTE) -
# Thủ tướng Chính phủ yêu cầu Chủ tịch UBND các tỉnh …", "Bộ Y tế đề nghị UBND các tỉnh …".
_CENTRAL_SPEAKER = re.compile(
    rf"(?:^|[.:;,\-–)]\s+|\n){_SPEAKER_OPENS}"
    r"(?P<issuer>(?:Phó\s+)?Thủ\s+tướng(?:\s+Chính\s+phủ)?|Chính\s+phủ|Văn\s+phòng\s+Chính\s+phủ"
    r"|Ban\s+Bí\s+thư|Bộ\s+Chính\s+trị|(?:Bộ\s+trưởng\s+)?Bộ\s+(?!trưởng\b)[A-ZĐ][\w&]*(?:\s+[\w&]+){0,7}?)"
    r"(?:\s+[A-ZĐ]\w*){0,4}"  # the person's name after a title: "Phó Thủ tướng Trần Hồng Hà"
    r"\s+(?:vừa\s+|đã\s+|mới\s+)?(?:có\s+(?:văn\s+bản|công\s+văn|công\s+điện|chỉ\s+thị)\s+)?"
    r"(?:yêu\s+cầu|đề\s+nghị|chỉ\s+đạo|giao)\b")


# A provincial or local body ordering at the head of a sentence: "Sở Giáo dục và Đào tạo yêu cầu
# các phòng GDĐT …", "Chi cục Chăn nuôi và Thú y đề nghị …", "Ủy ban nhân dân xã đề nghị …".
_LOCAL_SPEAKER = re.compile(
    rf"(?:^|[.:;\-–)]\s+|\n){_SPEAKER_OPENS}(?:Giám\s+đốc\s+|Chủ\s+tịch\s+)?"
    r"(?P<issuer>(?:Sở|Chi\s+cục|Trung\s+tâm|Ban\s+Chỉ\s+đạo|Ủy\s+ban\s+nhân\s+dân|Uỷ\s+ban\s+nhân\s+dân|UBND)"
    r"(?:\s+(?:[\w&-]+)){1,8}?)"
    r"\s+(?:vừa\s+|đã\s+|cũng\s+)?(?:có\s+(?:văn\s+bản|công\s+văn|công\s+điện)\s+)?(?:yêu\s+cầu|đề\s+nghị|chỉ\s+đạo)\b")


def opening_speaker(opening: str) -> str | None:
    """The body ordering in a header-less copy's opening lines, if one does: the copy is then that
    body's letter. A national one first (a central letter: its "UBND các tỉnh" are the provinces it
    addresses), else a province's, district's or commune's body ("Sở Y tế Hà Tĩnh đề nghị …")."""
    m = _CENTRAL_SPEAKER.search(opening[:400]) or _LOCAL_SPEAKER.search(opening[:400])
    return _norm_space(m.group("issuer")) if m else None
