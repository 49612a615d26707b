"""Layout normalising before parsing: real copies put the same letter in many shapes.

Why a step of its own: the header and clause rules should see one shape, whatever the source.
Web copies (legal-document sites) flatten the two-column header into a table whose cells are
separated by lines holding only "|" (or "cell | cell |" rows) and wrap each cell's text at odd
places ("CỘNG HÒA XÃ⏎HỘI CHỦ NGHĨA VIỆT NAM", "Hà Nội, ngày 21⏎tháng 11 năm 2025", "Số:⏎3104/QĐ-UBND");
markdown adds ``**``, ``*…*`` and escapes (``\\*``); PDF/OCR output adds "--- PAGE BREAK ---",
"# Page 0" and glued words ("PHÓ CHỦ NHIỆMNguyễn Khắc Định"). This module turns all of that
into plain lines: one header field per line, table cells as separate blank-separated blocks.
"""
from __future__ import annotations

import re

from congvan.letters.parse.common import (
    _KINH_GUI,
    _MOTTO,
    _NOI_NHAN,
    _NUMBER_LINE,
    _PLACE_DATE,
    _SEPARATOR,
    _SUBJECT_START,
    _TITLES,
    _UP,
    _is_upper_line,
    _motto_in,
    _norm_space,
)
from congvan.letters.parse.issuer import _is_org_head
from congvan.letters.parse.markers import _marker
from congvan.letters.parse.tables import rewrite_task_tables
from congvan.letters.text import fold

__all__ = ["normalise_layout"]

_PIPE_ONLY = re.compile(r"^[\s|]*\|[\s|]*$")
_PAGE_ARTEFACT = re.compile(r"^\s*(?:-{2,}\s*page\s*(?:break|\d+)\s*-{2,}|#+\s*page\s*\d+|\[?\s*page\s*\d+\s*\]?)\s*$",
                            re.IGNORECASE)
_HEADING = re.compile(r"^#{1,6}\s+")
# A news or legal Q&A site's own lines inside the text (folded): its image captions ("… (Hình từ
# Internet)"), its links (">> Xem thêm: …", ">> TẢI VỀ …"), its invitation to ask a question and
# its credit line ("Nguồn: Báo Sức khỏe và Đời sống").
# No letter prints them, so they are dropped wherever they stand.
_SITE_LINE = re.compile(r"^>>|^quy khach can hoi them thong tin\b.*dat cau hoi tai day"
                        r"|^nguon\s*:\s*[^\s:]+(?:\s+[^\s:]+){0,8}$"  # a news item's credit: "Nguồn: suckhoedoisong"
                        r"|^nguon\b[^.]{0,60}https?://"  # "Nguồn SGGP : https://…"
                        # its widgets: share, print, comments and their form, result counters, font size
                        r"|^(?:chia se|bao loi|no comments|\d+ ket qua|tin lien quan|xem them)\s*:?$|^xem voi co chu\b"
                        r"|^(?:binh luan|y kien ban doc)\s*(?:\(?\d+\)?)?(?:\s*binh luan)?\s*(?:cua ban)?[.…\s]*$"
                        r"|^(?:tieu de|nguoi gui|email|ho va ten|ho ten|noi dung binh luan|ma xac nhan)\s*\*?$"
                        r"|^(?:ngay dang|cap nhat(?: luc)?|hotline)\s*:[\s\d/:.,+()-]*$|\d\s*°c\s*/\s*\d"  # dateline, weather bar
                        r"|^(?:toan van|chi tiet|noi dung)\b[^.]{0,80}\bxem (?:tai|o) day\s*[:.]?$"
                        r"|^(?:tai lieu|tep|file|van ban) dinh kem\s*:?$"
                        r"|^(?:gui binh luan|tham do y kien|invalid date|ban in|tim kiem tin tuc|lien ket website)\b"
                        r"|^hay su dung tieng viet co dau|\b\d+\s+luot xem\s*$"
                        # a portal's section names over the item ("VĂN BẢN MỚI", "CHỈ ĐẠO ĐIỀU HÀNH")
                        r"|^(?:van ban moi|tin moi|tin tuc(?: -? ?su kien)?|tin noi bat|tin lien quan|tin dia phuong"
                        r"|(?:thong tin )?chi dao(?:,)? dieu hanh|thoi su|tin trong tinh|van ban chi dao"
                        r"|thong tin van ban)\s*:?$"
                        # a compiler's byline: "Thảo Linh (tổng hợp)"
                        r"|^[^\W\d_]+(?:\s+[^\W\d_]+){0,3}\s*\((?:tong hop|bien tap|suu tam|st|th)\)$"
                        r"|^(?:thu (?:hai|ba|tu|nam|sau|bay)|chu nhat|th \d|cn)\s*[,:]?[\s\d:/,-]*(?:ngay [\d/]+)?"
                        r"\s*(?:\|?\s*\d{1,2}:\d{2}(?:\s*(?:sa|ch|am|pm))?)?\s*(?:\(?gmt\s*\+\s*7\)?)?$"
                        r"|^xem (?:chi tiet )?(?:toan van |noi dung )?(?:chi tiet )?[^.]{0,60}\btai day\s*:?$"
                        r"|^hy vong rang voi noi dung tren\b|\bhotline\b.*°c|°c.*\bhotline\b")
# A tag line ("#phòng chống bệnh dại"), a picture's credit ("Ảnh minh họa: TTXVN", "Ảnh: Thành Nhân")
# and a byline left by a web table's cell ("PV |"), as printed (before folding).
_SITE_RAW = re.compile(r"^\s*#[^\s#]|^[\s|*_-]*Ảnh(?: minh họa| minh hoạ)?\s*:\s*[^.;]{1,40}$"
                       r"|^[\s|*_-]*Ảnh minh h[oọ]ạ?[\s|*_]*$|^\s*(?:PV|CTV|P\.V|TTXVN)\s*\|\s*$"
                       r"|^\s*In\s*$")  # the page's print button
# The caption's mark itself; a caption line is the picture's title, an item's text that ends on the
# mark keeps its words.
_PICTURE_MARK = re.compile(r"\((?:hình|ảnh|hình ảnh)(?: minh họa| minh hoạ)? từ internet\)[*_\s]*$", re.IGNORECASE)


def _site_line(raw: str) -> str:
    """A news or Q&A site's own line → ""; an item that ends on a picture's mark → the item."""
    if _SITE_RAW.search(raw) or _SITE_LINE.search(fold(raw.strip(" *_#|•-+"))):
        return ""
    mark = _PICTURE_MARK.search(raw)
    if mark is None:
        return raw
    return raw[:mark.start()].rstrip() if _marker(raw.strip(" *_")) is not None else ""


# An upper-case run glued to a capitalised name: "PHÓ CHỦ NHIỆMNguyễn Khắc Định".
_GLUED_NAME = re.compile(rf"([{_UP}]{{2,}})([{_UP}][a-zđàáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]+"
                         rf"(?:\s+[{_UP}][^\W\d_]*){{1,4}})\s*$")
_HEADER_WINDOW = 60
_NUMBER_ALONE = re.compile(r"^s[ốo]\s*:?\s*$", re.IGNORECASE)
# "THỦ TƯỚNG CHÍNH PHỦ điện:" already names its sender whole: a short line above it ("THEO", the
# subject's last word) is not the first half of a wrapped "THỦ ⏎ TƯỚNG CHÍNH PHỦ điện:".
_WHOLE_HEAD = re.compile(r"^(?:thu tuong|bo truong|chu tich|pho thu tuong|uy ban|ubnd|bo\s|van phong)")
# A place name wrapped away from its date: "Tây" ⏎ "Ninh, ngày 01 tháng 12 năm 2025".
_PLACE_HEAD = re.compile(rf"^(?:[{_UP}][a-zđà-ỹ]+\s?){{1,2}}$")
_PLACE_TAIL = re.compile(rf"^[{_UP}][a-zđà-ỹ]+\s*,\s*ng[àa]y\b")  # one word: "Lâm Đồng, ngày" is whole
_DATE_OPEN = re.compile(r"(?:,\s*ng[àa]y\b[^\n]*|,\s*)$", re.IGNORECASE)
# A place-date line typed without its comma: "Hà Nội ngày 01" (⏎ "tháng 12 năm 2025").
# Not a time of day or a preposition before the date: "Sáng ngày 09 tháng 4" opens a sentence.
_NO_COMMA_DATE = re.compile(rf"^(\W*(?!(?:Sáng|Chiều|Trưa|Tối|Đêm|Hôm|Vào|Từ|Đến|Trong|Cũng|Và|Cùng|Trước|Sau)\s)"
                            rf"(?:(?:TP|Tp)\.?\s*)?[{_UP}][^\W\d_]*(?:\s+[{_UP}][^\W\d_]*){{0,3}})\s+(ng[àa]y\b)")
# A number wrapped at its hyphen: "Số: 3783/QĐ-" ⏎ "UBND".
_NUMBER_OPEN = re.compile(r"^s[ốo]\s*:?\s*\S*\d\S*[-/]$", re.IGNORECASE)
_CODE_REST = re.compile(r"^[A-ZĐ0-9][A-ZĐ0-9&.\-/]*$")
_YEAR_DONE = re.compile(r"n[ăa]m\s*\d{4}", re.IGNORECASE)
_DATE_REST = re.compile(r"^(?:ng[àa]y\b|th[áa]ng\b|n[ăa]m\b|\d{1,2}\s+th[áa]ng\b)", re.IGNORECASE)


def _markdown(line: str) -> str:
    """Markdown emphasis and escapes out; '* ' bullets and '- ' items kept."""
    line = line.replace("\\*", " ").replace("\\-", "-").replace("\\.", ".").replace("\\_", "_")
    line = _HEADING.sub("", line)
    if not line.replace("*", "").strip():
        return ""
    if re.match(r"^\s*\*\s+\S", line):  # a '* ' bullet
        return "* " + line.lstrip()[1:].replace("*", "").strip()
    if "*" in line:
        line = line.replace("*", "")
    if "__" in line:  # "__Nơi nhận__:" (the other bold), not a form's "______" blank
        line = _UNDERSCORE_BOLD.sub(r"\1", line)
    return line.rstrip()


_UNDERSCORE_BOLD = re.compile(r"(?<!_)__(?=[^\s_])(.+?)(?<=[^\s_])__(?!_)")


def _cells(line: str) -> list[str]:
    """'A | B |' → ['A', 'B']; a pipe-only line → []; a line without pipes → [line]."""
    if "|" not in line:
        return [line]
    if _PIPE_ONLY.match(line):
        return []
    return [c.strip() for c in line.split("|") if c.strip()]


# The recipients' block glued to the body's last sentence by a web copy of a two-column footer:
# "… biết, thực hiện./.Nơi nhận:" (the body ends with "./." or a full stop; capital "Nơi nhận").
_GLUED_RECIPIENTS = re.compile(r"(?<=[.;])\s*(?=(?:Nơi|NƠI)\s+(?:nhận|NHẬN)\s*:)")


# A header cell copied as one line with its rule inside: "CHÍNH PHỦ__________ Số: 170/2025/NĐ-CP".
_GLUED_RULE = re.compile(r"\s*[-_=]{3,}(?![-_=])\s*(?=[^\s|])")
# The number field after the body's name on the same line ("… ĐÀO TẠO Số: 2699/CT-BGDĐT").
_GLUED_NUMBER = re.compile(r"\s+(?=Số\s*:?\s*[\d…._ ]*/)")


def _unglue(line: str) -> list[str]:
    """'PHÓ CHỦ NHIỆMNguyễn Khắc Định' → ['PHÓ CHỦ NHIỆM', 'Nguyễn Khắc Định'];
    '… thực hiện./.Nơi nhận:' → ['… thực hiện./.', 'Nơi nhận:']; 'CHÍNH PHỦ_____ Số: 170/…' →
    ['CHÍNH PHỦ', 'Số: 170/…']."""
    m = _GLUED_RULE.search(line)
    if m and m.start() and _is_upper_line(line[:m.start()]):
        return [line[:m.start()].rstrip(), *_unglue(line[m.end():])]
    m = _GLUED_NUMBER.search(line)
    if m and _is_upper_line(line[:m.start()]) and _is_org_head(line[:m.start()].strip()):
        # a two-column header collapsed onto one line: "BỘ GIÁO DỤC VÀ ĐÀO TẠO Số: 2699/CT-BGDĐT"
        return [line[:m.start()].rstrip(), *_unglue(line[m.start():].lstrip())]
    m = _GLUED_RECIPIENTS.search(line)
    if m and line[:m.start()].strip():
        return [line[:m.start()].rstrip(), *_unglue(line[m.end():])]
    m = _GLUED_NAME.search(line)
    if m and line[:m.start(2)].strip() and line[:m.start(2)].upper() == line[:m.start(2)]:
        return [line[:m.start(2)].rstrip(), m.group(2)]
    return [line]


def _motto_span(lines: list[str], i: int) -> int:
    """How many lines from ``i`` the motto or party banner spans when wrapped (1 = not wrapped)."""
    if _MOTTO.search(fold(lines[i])):
        return 1
    joined = lines[i]
    for k in range(1, 4):
        if i + k >= len(lines) or not lines[i + k].strip():
            return 1
        joined = f"{joined} {lines[i + k].strip()}"
        m = _MOTTO.search(fold(joined))
        if m and m.start() < len(lines[i]):
            return k + 1
    return 1


def _wrapped_field(line: str, nxt: str, adjacent: bool) -> bool:
    """Is ``nxt`` the rest of a header field a narrow cell wrapped after ``line``? "THỦ" ⏎
    "TƯỚNG CHÍNH PHỦ điện:", "Kính" ⏎ "gửi:", "Tây" ⏎ "Ninh, ngày …" (next line only); "Số:" ⏎
    "3104/QĐ-UBND" (a blank line may sit between)."""
    if _NUMBER_ALONE.match(line):
        return True
    if not adjacent:
        return False
    if len(line.split()) <= 3 and line.isupper() and re.search(r"\sđiện\s*:$", nxt):
        return not _WHOLE_HEAD.match(fold(nxt))
    if fold(line) == "kinh":
        return bool(re.match(r"(?i)^g[ửu]i\b", nxt))
    if line.isupper() and len(line.split()) <= 2 and fold(_norm_space(f"{line} {nxt}")).strip("* ") in _TITLES:
        return True  # the title wrapped by a narrow cell: "NGHỊ" ⏎ "QUYẾT"
    return bool(_PLACE_HEAD.match(line) and _PLACE_TAIL.match(nxt))


def _mend_header(lines: list[str]) -> list[str]:
    """Join header fields a web copy wrapped: motto, "Số:⏎…", "<place>, ngày …⏎tháng … năm …"."""
    out: list[str] = []
    lines = list(lines)  # a joined field stands in for its second line, which may join on
    i = 0
    limit = min(len(lines), _HEADER_WINDOW)
    while i < len(lines):
        line = lines[i]
        if i >= limit or not line.strip():
            out.append(line)
            i += 1
            continue
        span = _motto_span(lines, i)
        if span > 1:
            out.append(_norm_space(" ".join(lines[i:i + span])))
            i += span
            continue
        if len(line) < 60 and _NO_COMMA_DATE.match(line.strip()):
            line = _NO_COMMA_DATE.sub(r"\1, \2", line.strip(), count=1)
        nxt = next((j for j in range(i + 1, min(i + 3, len(lines))) if lines[j].strip()), None)
        if nxt is not None and _NUMBER_OPEN.match(line.strip()) and _CODE_REST.match(lines[nxt].strip()):
            lines[nxt], i = f"{line.strip()}{lines[nxt].strip()}", nxt
            continue
        if nxt is not None and _wrapped_field(line.strip(), lines[nxt].strip(), adjacent=nxt == i + 1):
            lines[nxt], i = f"{line.strip()} {lines[nxt].strip()}", nxt
            continue
        if _DATE_OPEN.search(line) and not _YEAR_DONE.search(line) and len(line) < 80:
            joined, j = line.strip(), i + 1
            while j < len(lines) and j <= i + 3 and lines[j].strip() and not _YEAR_DONE.search(joined):
                if not (_DATE_REST.match(lines[j].strip()) or re.match(r"^\d", lines[j].strip())
                        or re.search(r"ng[àa]y\b", joined)):
                    break
                joined = f"{joined} {lines[j].strip()}"
                j += 1
            if _YEAR_DONE.search(joined) and re.search(r",\s*ng[àa]y", joined, re.IGNORECASE):
                out.append(joined)
                i = j
                continue
        out.append(line)
        i += 1
    return out


# OCR-spaced digits in a date: "ngày 2 4 tháng 12" → "ngày 24 tháng 12".
_SPACED_DAY = re.compile(r"(?i)(ng[àa]y|th[áa]ng)\s+(\d)\s(\d)(?=\s+(?:th[áa]ng|n[ăa]m)\b)")


# A PDF's text extracted as one line: where the fields and items of a letter begin.
_RELINE = re.compile(
    r"\s+(?=CỘNG HÒA XÃ HỘI CHỦ NGHĨA|Độc lập\s*[-–—]|Số\s*:|V/v\b|Kính gửi\s*:|Nơi nhận\s*:)"
    r"|(?<=Hạnh phúc)\s+"
    r"|(?<=[.;:])\s+(?=(?:[IVX]{1,4}|\d{1,2})\.\s|[a-zđ]\)\s|(?:TM|KT|TL|TUQ)\.\s)"
    r"|(?<=[;:])\s+(?=[-–+]\s)"
    r"|(?<=\.)\s+(?=(?:Vừa qua|Thực hiện|Căn cứ|Theo|Trước tình hình|Hiện nay|Để|Nhằm|Qua)\b)"
    # the place-date field, the capitals title after it, the title word, the enacting line and
    # the first "Căn cứ" of a decision: "… Hà Nội, ngày 05 tháng 10 năm 2007 QUYẾT ĐỊNH BAN HÀNH
    # … CỦA CẤP TỈNH BỘ TRƯỞNG BỘ LAO ĐỘNG … Căn cứ …"
    rf"|(?<=\d{{4}})\s+(?=[{_UP}]{{2,}}\s+[{_UP}]{{2,}})"
    rf"|(?:(?<=QUYẾT ĐỊNH)|(?<=CHỈ THỊ)|(?<=KẾ HOẠCH)|(?<=THÔNG BÁO)|(?<=CÔNG ĐIỆN)|(?<=HƯỚNG DẪN))\s+(?=[{_UP}]{{2,}}\s)"
    rf"|\s+(?=(?:BỘ TRƯỞNG|CHỦ TỊCH|THỦ TƯỚNG|GIÁM ĐỐC)\s+[{_UP}]{{2,}})"
    rf"|(?<=[{_UP}])\s+(?=Căn cứ\b)")
# The place-date field, split off whole: the place is up to four capitalised words before ", ngày"
# ("Phan Rang-Tháp Chàm, ngày 05 …"). The match consumes the place, so the line breaks once, before
# its first word (a lookahead would break before every word of it: "Phan" ⏎ "Rang-Tháp" ⏎ "Chàm, …").
_RELINE_PLACE = re.compile(rf"\s+((?:[{_UP}][^\s,]*\s){{0,3}}[{_UP}][^\s,]*,\s*ngày\s+\d)")
# Tone marks a PDF extraction left standing alone ("thiêt hai ̀ ̣ ̣"): they belong to no letter.
_LONE_MARKS = re.compile(r"(?:(?<=\s)|^)[\u0300-\u036f]+(?:\s+[\u0300-\u036f]+)*(?=\s|$)")


def _reline(text: str) -> str:
    """A letter whose text came as one or two very long lines (a PDF's text layer) gets its
    line breaks back where fields and items begin; other texts are returned unchanged."""
    if text.count("\n") > 3 or len(text) < 400 or max(len(ln) for ln in text.split("\n")) < 400:
        return text
    if not _MOTTO.search(fold(text[:800])):
        return text  # a paragraph of law or an answer, not a letter's page: its lines stay as they are
    return _RELINE_PLACE.sub(r"\n\1", _RELINE.sub("\n", _LONE_MARKS.sub("", text)))


def normalise_layout(text: str) -> list[str]:
    """Cleaned letter text → plain lines (see the module docstring)."""
    lines: list[str] = []
    if text.count("\\r\\n") >= 3:  # a scrape that kept the page's line breaks escaped: "…\r\n …"
        text = text.replace("\\r\\n", "\n")
    plain = ["" if _PAGE_ARTEFACT.match(raw) or raw.strip() in (".", ",", ";")  # a stray mark of a Word cell
             else _markdown(_SPACED_DAY.sub(r"\1 \2\3", _site_line(raw))) for raw in _reline(text).split("\n")]
    for raw in rewrite_task_tables(plain):
        cells = _cells(raw)
        if not cells:
            lines.append("")
            continue
        for k, cell in enumerate(cells):
            if k:
                lines.append("")
            lines.extend(_unglue(cell.strip()))  # indentation is layout, not content
    mended = _mend_header(_header_first(lines))
    letter = _without_page_chrome(mended)
    if len(letter) < len(mended):  # the page's chrome pushed the header past the mending window
        letter = _mend_header(letter)
    return _mend_footer(_lone_markers(_without_page_tail(letter)))


# What a legal library prints after the letter: its comparison tool ("Văn bản bị thay thế", "Rà
# chuột vào nội dung văn bản để sử dụng"), its notices to members and its log-in messages.
_TAIL_MARKER = re.compile(
    r"^(?:noi dung sua doi,? huong dan|van ban bi thay the|ra chuot vao noi dung van ban"
    r"|click (?:trai|phai) de xem|tat so sanh|ban vua bi dang xuat|cam on da dung thuvienphapluat"
    r"|luoc do|tai ve van ban|van ban lien quan(?: cung noi dung)?|van ban duoc huong dan"
    # a news site's list of its other articles
    r"|(?:mot so |cac )?(?:bai viet|tin|tin bai|bai) (?:khac|lien quan|cung chuyen muc)(?=\s*:?$))\b")
# the library's metadata box just above it ("Ban hành:", "18/06/2022", "Hiệu lực: Đã biết", "734")
_TAIL_META = re.compile(r"^(?:(?:so hieu|loai van ban|noi ban hanh|nguoi ky|ngay ban hanh|ban hanh|ngay hieu luc"
                        r"|hieu luc|tinh trang|cap nhat|ngay cong bao|so cong bao)\s*:.*|[\d/.\s|]*|\|.*)$")


def _without_page_tail(lines: list[str]) -> list[str]:
    """Drop a legal-library page's tail (see ``_TAIL_MARKER``) and the metadata box above it. Only
    in the second half of the text, so a letter that cites "văn bản bị thay thế" keeps its items."""
    half = len(lines) // 2
    cut = next((i for i in range(half, len(lines)) if _TAIL_MARKER.match(fold(lines[i].strip(" *|#")))), None)
    if cut is None:
        return lines
    k = cut
    while k > half and cut - k < 25 and _TAIL_META.match(fold(lines[k - 1].strip(" *"))):
        k -= 1
    return lines[:k]


_SIGNED_OFF = re.compile(r"^n[oơ]i\s*nh[aậ]n\b", re.IGNORECASE)
# How far down a page's chrome may push the letter's motto (non-blank lines, after the table
# cells split: a legal-library page's notices and metadata table take 30 to 90 of them).
_CHROME_WINDOW = 120
_PAGE_MARKER = re.compile(r"^\s*\d{1,3}\.\s+")


def _issuer_like(line: str) -> bool:
    """A line of the issuing-body block above the motto: a body's name in capitals ("ỦY BAN NHÂN
    DÂN", "TỈNH LẠNG SƠN", an urgency stamp) or typed in running case ("Ủy ban nhân dân")."""
    s = line.strip()
    return (_is_upper_line(s) and len(s.split()) <= 12) or (len(s.split()) <= 8 and _is_org_head(s))


def _without_page_chrome(lines: list[str]) -> list[str]:
    """Drop what a web page prints above the letter: the site's name, "Đang tải nội dung …", the
    page title, a metadata table ("Số hiệu: … Ngày ban hành: …"), an introduction or a list of
    related documents. A letter starts with its issuing body, printed beside or above the national
    motto (or the party banner), so lines above that block that are not part of it are not the
    letter's. Only when nothing above the block is a header field or a letter's part of its own
    (a number line, a place and date, "Kính gửi", "Nơi nhận": then the motto belongs to a form
    attached after the letter, or the header is printed out of order, and the lines stay)."""
    filled = [i for i, ln in enumerate(lines) if ln.strip()][:_CHROME_WINDOW]
    motto = next((i for i in filled if _motto_in(lines[i])), None)
    if not motto:
        return lines
    m = _motto_in(lines[motto])
    # the body's name may share the motto's line: "ỦY BAN NHÂN DÂN   CỘNG HÒA XÃ HỘI …"
    beside = bool(m and lines[motto][:m.start()].strip(" |*-"))
    start, k, taken, fields = motto, motto - 1, 0, 0
    while k >= 0 and taken < 6:
        s = lines[k].strip()
        if s and not _SEPARATOR.match(s):
            if not taken and fields < 4 and (_NUMBER_LINE.match(s) or _SUBJECT_START.match(s) or s[:1].islower()):
                # the number and "V/v" lines printed between the body's name and the motto:
                # "HUYỆN KỲ ANH" ⏎ "Số: 13/CĐ-UBND" ⏎ "CỘNG HÒA …"
                fields += 1
                k -= 1
                continue
            if not _issuer_like(s):
                break
            start, taken = k, taken + 1
        k -= 1
    if fields and not taken:
        start, k = motto, -1  # no body's name above them: as before
    if k < 0 or not (taken or beside):
        return lines  # the letter already starts at the top, or no body's name near the motto
    for line in lines[:start]:
        s = line.strip()
        if (_NUMBER_LINE.match(s) and "/" in s) or _KINH_GUI.match(s) or _NOI_NHAN.match(s) \
                or (len(s) < 80 and _PLACE_DATE.search(s)):
            return lines
    top = _PAGE_MARKER.match(lines[start])
    if top and _is_org_head(lines[start][top.end():].strip()):
        # a document viewer numbers its pages: "1. UBND TỈNH …" (a letter never opens with an item)
        return [lines[start][top.end():].strip(), *lines[start + 1:]]
    return lines[start:]


def _header_first(lines: list[str]) -> list[str]:
    """Some PDFs' text layers give the page's body and signature before its header block (the
    e-signing tool adds the header last): "Kính gửi: …" … "Nơi nhận:" … signer, then "UBND
    TỈNH X" / "SỞ …" / motto / "Số: …" / "V/v …" / "X, ngày …". That block, from the bodies
    above the motto to the date line, is moved back to the top. Only when the motto comes after
    a "Nơi nhận" (the letter had ended) and nothing but a page number follows the block: a form
    attached after the letter keeps its own header where it is."""
    motto = next((i for i, ln in enumerate(lines) if _motto_in(ln)), None)
    if motto is None or motto < 8 or not any(_SIGNED_OFF.match(ln.strip()) for ln in lines[:motto]):
        return lines
    if any(_motto_in(ln) for ln in lines[:motto]):
        return lines
    start = motto
    while start > 0 and motto - start < 4 and lines[start - 1].strip() and _is_upper_line(lines[start - 1]):
        start -= 1
    if start == motto:
        return lines  # no issuing body above the motto: not a header block
    end = next((j + 1 for j in range(motto, min(motto + 14, len(lines))) if _PLACE_DATE.search(lines[j])), None)
    if end is None or sum(1 for ln in lines[end:] if ln.strip()) > 3:
        return lines  # a form attached after the letter has its own header, with a body below it
    return lines[start:end] + [""] + lines[:start] + lines[end:]


# A marker wrapped away from its text: "I." ⏎ "ĐÁNH GIÁ TÌNH HÌNH", "Điều 2." ⏎ "Quyết định này …".
_LONE_MARKER = re.compile(
    r"^(?:(?:[IVXL]{1,5}|\d{1,2}(?:\.\d{1,2}){0,3}|[a-zđ])\s*[.)]|Điều\s+\d{1,3}\s*[.:]?|[-–+•])$")


def _lone_markers(lines: list[str]) -> list[str]:
    out: list[str] = []
    pending: str | None = None
    for line in lines:
        s = line.strip()
        if pending is not None:
            if not s:
                continue  # the marker's text may follow a blank line (a table cell)
            if _LONE_MARKER.match(s):
                out.append(pending)
                pending = s
                continue
            out.append(f"{pending} {s}")
            pending = None
            continue
        if _LONE_MARKER.match(s):
            pending = s
            continue
        out.append(line)
    if pending is not None:
        out.append(pending)
    return out


_SIGN_WRAP = re.compile(r"^(?:T\.?M|K\.?T|T\.?L|TUQ)\s*[./]?\s+.*,$")


def _mend_footer(lines: list[str]) -> list[str]:
    """'Nơi⏎nhận:' and 'KT. BỘ TRƯỞNG,⏎CHỦ NHIỆM' wrapped by a narrow table cell, joined."""
    out: list[str] = []
    for line in lines:
        if out and re.match(r"^nh[ậa]n\s*:", line.strip(), re.IGNORECASE) \
                and re.match(r"^n[ơo]i$", out[-1].strip(), re.IGNORECASE):
            out[-1] = f"{out[-1].strip()} {line.strip()}"
        elif out and _SIGN_WRAP.match(out[-1].strip()) and line.strip() and line.strip().isupper():
            out[-1] = f"{out[-1].strip()} {line.strip()}"  # "KT. BỘ TRƯỞNG," ⏎ "CHỦ NHIỆM"
        else:
            out.append(line)
    return out
