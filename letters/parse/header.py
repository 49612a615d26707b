"""Header fields found by what they are: issuer lines, "Số:", place and date, title, V/v, recipients; header/body/footer split."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from congvan.letters.parse.common import (
    _BODY_CUE,
    _KINH_GUI,
    _MOTTO,
    _NAME,
    _NOI_NHAN,
    _NUMBER_LINE,
    _NUMBER_TOKEN,
    _PLACE_DATE,
    _PLACE_DATE_NUMERIC,
    _SENTENCE_END,
    _SEPARATOR,
    _SIGN_MARKER,
    _SUBJECT_START,
    _TITLE_HEAD,
    _TITLES,
    _TYPE_CODES,
    _UP,
    _URGENCY,
    _date_parts,
    _is_upper_line,
    _norm_space,
)
from congvan.letters.parse.issuer import _UNIT_WORDS, _is_org_head
from congvan.letters.parse.markers import _M_BULLET, _marker
from congvan.letters.schema import (
    DateParts,
)
from congvan.letters.text import fold


# =========================================================================== layout
@dataclass
class _Header:
    issuer_lines: list[str] = field(default_factory=list)
    number: str | None = None
    place: str | None = None
    date: DateParts = field(default_factory=DateParts)
    subject: str | None = None
    title: str | None = None  # doc type from a title line ("KẾ HOẠCH")
    recipients: list[str] = field(default_factory=list)


@dataclass
class _Layout:
    header: _Header
    body: list[str]
    footer: list[str]


# A run of 3+ spaces (or a tab) between two header columns — but not the blanks a draft leaves
# for its number and day ("Số:      /UBND-VX", "ngày    tháng 7 năm 2024").
_COLUMN_GAP = re.compile(r"\s{3,}|\t")
_BLANK_BEFORE = re.compile(r"(?:S[ốo]\s*:?|ng[àa]y|th[áa]ng|n[ăa]m)$", re.IGNORECASE)
_BLANK_AFTER = re.compile(r"(?:th[áa]ng|n[ăa]m)\b|[/-]", re.IGNORECASE)


def _columns(line: str) -> list[str]:
    """Two header columns on one line ("ỦY BAN NHÂN DÂN      CỘNG HOÀ …") → separate cells."""
    cells, start = [], 0
    for gap in _COLUMN_GAP.finditer(line):
        left, right = line[start:gap.start()].strip(), line[gap.end():]
        if _BLANK_BEFORE.search(left) or _BLANK_AFTER.match(right):
            continue
        cells.append(left)
        start = gap.end()
    cells.append(line[start:].strip())
    return [c for c in cells if c]


def _without_motto(cell: str) -> str:
    """Remove the motto / party banner from a header cell; what is left may be the issuer."""
    folded = fold(cell)
    pieces, pos = [], 0
    for m in _MOTTO.finditer(folded):
        pieces.append(cell[pos:m.start()])
        pos = m.end()
    pieces.append(cell[pos:])
    return _norm_space(" ".join(pieces)).strip(" -–")


_TITLES_GLUED = {k.replace(" ", ""): v for k, v in _TITLES.items()}
# A title with its subject or its body on the same line (folded): "thông báo về việc …", "thông
# báo của ubnd xã …".
_INLINE_TITLE = re.compile(r"^\W*(thong bao|ke hoach|chi thi|cong dien|huong dan|ket luan)\s+"
                           r"(?:(cua)\s+|(?=(?:ve viec|v/v|ve)\s))")


def _title_of(cell: str) -> str | None:
    if cell.rstrip().endswith(":"):
        return None  # "QUYẾT ĐỊNH:" opens the articles of a decision, it is not the title
    key = re.sub(r"[^\w\s]", "", fold(cell)).strip()
    key = re.sub(r"\s+", " ", key)
    key = re.sub(r" lien (?:nganh|tich|so)$", "", key)  # "HƯỚNG DẪN LIÊN NGÀNH"
    if not _is_upper_line(cell):
        return None
    return _TITLES.get(key) or _TITLES_GLUED.get(key.replace(" ", ""))  # OCR "K ÉT LUẬN"


def _number_of(cell: str) -> tuple[str, str] | None:
    """'Số: 337/UBND-KGVX   Lạng Sơn, ngày …' → ('337/UBND-KGVX', what follows it)."""
    m = _NUMBER_LINE.match(cell)
    if not m:
        return None
    token = _NUMBER_TOKEN.match(cell, m.end())
    if not token:
        return None
    number = re.sub(r"\s*/\s*", "/", token.group(0)).strip(" .,;")
    number = re.sub(r"(?<=\w)\s+-\s*(?=\w)|(?<=\w)\s*-\s+(?=\w)", "-", number)  # "VPCP - KGVX"
    if re.match(r"^(?:\d\s)+\d?/", number):  # OCR-spaced digits "1 0 9 4 3/BYT-MT"
        head, _, tail = number.partition("/")
        number = f"{head.replace(' ', '')}/{tail}"
    return (number, cell[token.end():]) if number else None


# The place: capitalised words (and "TP.") right before ", ngày" — "Lạng Sơn", "TP. Hồ Chí Minh",
# "Bà Rịa - Vũng Tàu"; what precedes it on the line is another header cell.
_CAP_WORD = rf"[{_UP}][^\W\d_]*"
_PLACE_WORDS = re.compile(
    rf"(?<![\w/.&-])(?:(?:TP|Tp|tp|TX|Tx)\.?\s*)?{_CAP_WORD}(?:\s*-\s*{_CAP_WORD}|\s+{_CAP_WORD})*"
    r"(?:\s+\d{1,2})?$")  # "Quận 9, ngày …", "Phường 2, ngày …"


# The date line of a scanned letter read by OCR: "ngàyló thảngU năm 2021", "ngài: 19 tháng 7 nam
# 2021", "ngày l8thang 8 năm 2021", "ngày @ tháng Ÿ nấm 2021" (matched on the folded text; what
# cannot be read is left out, never guessed; "l"/"I" read as 1 only inside a number).
_OCR_DATE = re.compile(
    r"(?P<place>[^\W\d_][^,\n]{0,40}?)\s*,\s*ng\w{0,3}\s*:?\s*(?P<d>[\dlI]{1,2}(?![\dlI]))?\S{0,5}?\s*"
    r"th\w{0,3}\s*(?P<m>[\dlI]{1,2}(?![\dlI]))?\S{0,5}?\s*n\w{1,2}\s*(?P<y>(?:19|20)\d{2})", re.IGNORECASE)


def _ocr_digits(value: str | None) -> str | None:
    if not value:
        return None
    value = value.replace("l", "1").replace("I", "1")
    return value if value.isdigit() else None


# "hồi 15 giờ 30’ ngày 17/9/2013", "hồi 16h00 ngày 17 tháng 9 năm 2013" after a công điện's number
_SENT_AT = re.compile(r"\s*,?\s*hồi\s+[^,;\n]{1,20}?\s+ngày\s+(?P<d>\d{1,2})(?:\s*[/.-]\s*|\s+tháng\s+)"
                      r"(?P<m>\d{1,2})(?:\s*[/.-]\s*|\s+năm\s+)(?P<y>\d{4})", re.IGNORECASE)


def _place_date_of(cell: str) -> tuple[str | None, DateParts, int] | None:
    """'Lạng Sơn, ngày   tháng 4 năm 2023' → ('Lạng Sơn', 2023-04, start of the place). The date
    must end the cell (a subject citing 'ngày 12/8/2022 của …' is not a date line)."""
    m = _PLACE_DATE_NUMERIC.search(cell) or _PLACE_DATE.search(cell)
    if not m or not (m.group("y") or m.group("m")) or cell[m.end():].strip(" .,;"):
        m = _OCR_DATE.search(fold(cell))
        if not m or cell[m.end():].strip(" .,;*"):
            return None
        place = cell[m.start("place"):m.end("place")]
        before = cell[:m.start("place")] + place.rstrip(" -–:")
        found = _PLACE_WORDS.search(before.rstrip())
        if found is None:
            return None
        parts = _date_parts(_ocr_digits(m.group("d")), _ocr_digits(m.group("m")), m.group("y"))
        return found.group(0), parts, found.start()
    before = cell[:m.start("place")] + m.group("place").rstrip(" -–:")
    place_match = _PLACE_WORDS.search(before.rstrip())
    if place_match is None:
        if before.strip():
            return None
        return None, _date_parts(m.group("d"), m.group("m"), m.group("y")), m.start("place")
    return (place_match.group(0), _date_parts(m.group("d"), m.group("m"), m.group("y")),
            place_match.start())


# The enacting body printed between a decision's subject and "QUYẾT ĐỊNH:".
_ENACTING = re.compile(r"^(?:uy ban nhan dan|ubnd|hoi dong nhan dan|ban chap hanh|ban thuong vu)\b")
# A subject line that cannot end there: "… NGÀY 15 THÁNG 8 NĂM 2024 CỦA" ⏎ "THỦ TƯỚNG …".
_OPEN_END = re.compile(r"\b(?:cua|ve|va|cho|tai|voi|doi voi|theo|tren|trong|thuoc)$")
# A line that cannot start a subject, so it goes on the one above: "TẠI HỘI NGHỊ …", "NĂM 2025".
_OPEN_START = re.compile(r"^(?:cua|ve|va|cho|tai|voi|doi voi|theo|tren|trong|thuoc|nam|giai doan|den|"
                         r"nham|phuc vu|tam nhin)\b")


# A gazette-style title (folded): "của <body> số <number> ngày <d> tháng <m> năm <y> <subject>".
_GAZETTE_TITLE = re.compile(r"^cua\s+(?P<body>.+?)\s+so\s+(?P<number>[\w.-]+(?:/[\w.-]+)+)\s+ngay\s+(?P<d>\d{1,2})\s+"
                            r"thang\s+(?P<m>\d{1,2})\s+nam\s+(?P<y>\d{4})\b\s*(?P<rest>.*)$")
_GAZETTE_NUMBER_END = re.compile(r"\bso\s+[\w.-]+(?:/[\w.-]+)+$")
# The subject label as OCR reads it ("Viv", "VW", "V/ ") or quoted ("“V/v"): written "V/v".
_OCR_VV = re.compile(r"^(?:['‘’“\"`]?(?:Viv|VWv?|V/(?=\s))|['‘’“\"`](?:V/v|V/V|v/v))\s*:?\s*")


def _all_caps(line: str) -> bool:
    """Capitals only, however short ("Ý", a title's first word wrapped alone)."""
    letters = [c for c in line if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


class _HeaderScanner:
    """Walks the lines from the top while they still look like header material."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.header = _Header()
        self.i = 0
        self.seen_title = False

    def run(self) -> int:
        """Consume header lines; return the index of the first body line."""
        while self.i < len(self.lines):
            line = self.lines[self.i]
            if not line.strip():
                self.i += 1
                continue
            if self._header_line(line):
                continue
            if self.i >= len(self.lines) or self.header.recipients or not self._strong_header_ahead():
                break
            self.i += 1  # an unrecognised line inside the header block: skip it
        return self.i

    def _strong_header_ahead(self, window: int = 6) -> bool:
        """Does an unmistakable header line (number, place/date, V/v, motto, Kính gửi, title)
        follow within a few lines? Then the line at ``self.i`` is still header."""
        line = self.lines[self.i].strip()
        if len(line) > 120 or _marker(line) is not None or _BODY_CUE.match(line) \
                or re.search(r"[.;:!?]$", line):
            return False
        ahead = [ln.strip() for ln in self.lines[self.i + 1:] if ln.strip()][:window]
        return any(_number_of(ln) or _place_date_of(ln) or _SUBJECT_START.match(ln) or _KINH_GUI.match(ln)
                   or _MOTTO.search(fold(ln)) or _title_of(ln) for ln in ahead)

    # one step per recognised line; False = the body starts here
    def _header_line(self, line: str) -> bool:
        if _KINH_GUI.match(line):
            self._recipients()
            return False  # the body follows the recipients
        if _marker(line) is not None:
            return False  # an item: "1. …", "I. MỤC ĐÍCH", "- …"
        cells = _columns(line)
        # all cells are looked at (no short-circuit): two columns may share a line
        if not all([self._header_cell(c) for c in cells]):
            return False
        self.i += 1
        return True

    def _header_cell(self, cell: str) -> bool:
        folded = fold(cell).strip(" .:!")
        rest = _without_motto(cell)
        if rest != _norm_space(cell):
            if rest:
                self._header_cell(rest)
            return True
        if _SEPARATOR.match(cell) or _URGENCY.match(folded):
            return True
        number = _number_of(cell)
        if number is not None and self.header.number is None:
            self.header.number, tail = number
            sent = _SENT_AT.match(tail)
            if sent and not self._has_date():
                # a công điện's hour and date on its number line: "Số: 01/CĐ-PCLB hồi 15 giờ 30 ngày 17/9/2013"
                self.header.date = _date_parts(sent.group("d"), sent.group("m"), sent.group("y"))
                tail = tail[sent.end():]
            if tail.strip():  # "Số: 12/UBND-VX   Lạng Sơn, ngày …" or "… V/v …" on the same line
                self._header_cell(tail.strip())
            return True
        pd = _place_date_of(cell)
        if pd:
            if not self._has_date():
                self.header.place, self.header.date = pd[0], pd[1]
            before = cell[:pd[2]].strip()
            return self._header_cell(before) if before else True  # "V/v …    Lạng Sơn, ngày …"
        if self._issuer_tail(cell):
            self.header.issuer_lines.append(cell)  # "BAN CHỈ ĐẠO NHÀ NƯỚC" ⏎ "VỀ DU LỊCH"
            return True
        if _SUBJECT_START.match(cell) and self.header.subject is None:
            self._subject(cell)
            return True
        if not self.seen_title and self.header.subject is None and self._title_in_line(cell):
            return True
        title = _title_of(cell)
        if title and not self.seen_title:
            self.seen_title = True
            self.header.title = title
            self._title_subject()
            self._gazette_title()
            conclusion = re.match(r"(?i)^\W*thong bao\s+(ket luan)\W*$", fold(cell))
            if conclusion and self.header.subject:  # "THÔNG BÁO KẾT LUẬN" ⏎ "CỦA …": as "THÔNG BÁO" ⏎ "KẾT LUẬN CỦA …"
                words = cell.split()
                self.header.subject = _norm_space(" ".join(words[-2:]).strip("*_ ") + " " + self.header.subject)
            return True
        if _is_upper_line(cell) and self.header.number and self._has_date() and self.header.issuer_lines \
                and not self.seen_title and (_TITLE_HEAD.match(fold(cell)) or _ENACTING.match(fold(cell))):
            return True  # "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH …" enacting a decision whose title was lost
        if _is_upper_line(cell) and not cell.rstrip().endswith(":") and not self.seen_title \
                and self.header.subject is None and self.header.number and self._has_date() \
                and self.header.issuer_lines and len(cell.split()) > 16:
            self.header.subject = _norm_space(cell)  # a long title line left by a web copy
            return True
        if _is_upper_line(cell) and len(cell.split()) <= 16 and (
                not cell.rstrip().endswith(":")
                or (self.header.number is None and _is_org_head(cell.rstrip(" :")))):  # OCR "TONG CỤC THUÊ:"
            if self.seen_title or self.header.subject is not None:
                return True
            if self.header.number and self._has_date() and self.header.issuer_lines:
                # under the number and date the issuer is over: a web copy that dropped the title
                # ("KẾ HOẠCH") leaves its subject line here
                self.header.subject = _norm_space(cell)
                return True
            self.header.issuer_lines.append(cell)
            return True
        if _is_upper_line(cell) and self.seen_title:
            return True  # "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH …:" under a decision's title
        if self._mixed_case_issuer(cell):
            self.header.issuer_lines.append(cell)
            return True
        return False

    def _issuer_tail(self, cell: str) -> bool:
        """An upper-case "VỀ …" line still inside the issuer block (before number, date and title):
        the wrapped end of a body's name ("BAN CHỈ ĐẠO NHÀ NƯỚC" ⏎ "VỀ DU LỊCH"), not a subject."""
        return bool(self.header.issuer_lines) and self.header.number is None and not self._has_date() \
            and not self.seen_title and self.header.subject is None and _is_upper_line(cell) \
            and len(cell.split()) <= 12 and bool(re.match(r"^(?:về|VỀ)\s+(?!việc\b|VIỆC\b)", cell))

    def _has_date(self) -> bool:
        return self.header.date.year is not None or self.header.date.month is not None

    def _mixed_case_issuer(self, cell: str) -> bool:
        """'Ủy ban nhân dân' / 'tỉnh Lạng Sơn' typed in running case at the very top."""
        if self.header.number or self.header.subject or self.seen_title or self.header.date.year:
            return False
        if len(cell.split()) > 8 or re.search(r"[,.;:!?]$", cell):
            return False
        return _is_org_head(cell) or bool(re.match(rf"(?i:{_UNIT_WORDS})\s+[{_UP}]", cell))

    def _continuation(self, prev: str, line: str, after: str | None = None) -> bool:
        """Is ``line`` the next line of a wrapped subject? ``after`` is the line below it: a
        line that ends the block (a blank follows) may be longer ("… thành lập" ⏎ "Hội đồng An
        toàn, vệ sinh lao động trên địa bàn tỉnh Lâm Đồng" ⏎ "")."""
        s = line.strip()
        if not s or _KINH_GUI.match(s) or _marker(s) is not None or not any(ch.isalnum() for ch in s):
            return False  # (a lone "." or "-" under a Word cell's subject ends it)
        if _NUMBER_LINE.match(s) or _place_date_of(s) or _MOTTO.search(fold(s)):
            return False
        if s[0].islower() or s[0].isdigit():
            return True  # "… phòng, chống" / "dịch COVID-19", "theo Kế hoạch số …"
        if _BODY_CUE.match(s) or _is_upper_line(s):
            return False
        # a line that ends on a comma or "của/về/…" is unfinished: "… Đoàn Luật sư tỉnh Lâm Đồng
        # (cũ)," ⏎ "Đoàn Luật sư tỉnh Bình Thuận (cũ), …" goes on however long the next line is
        unfinished = prev.rstrip().endswith(",") or bool(_OPEN_END.search(fold(prev.rstrip())))
        last = after is not None and not after.strip() and not _SENTENCE_END.search(s)
        return not _SENTENCE_END.search(prev) and (len(s) <= 60 or (unfinished and len(s) <= 150)
                                                   or (last and len(s) <= 100))

    def _cell_end(self, start: int, most: int = 4) -> int:
        """The blank line that ends the table cell holding the line before ``start`` (``start``
        itself when no blank line comes within ``most`` lines: not a cell, or a long one)."""
        for j in range(start, min(start + most + 1, len(self.lines))):
            if not self.lines[j].strip():
                return j
        return start

    def _in_cell(self, line: str) -> bool:
        """Can ``line`` be more of a subject whose cell has not ended yet? Anything but another
        header field, an item, the body's opening words or a full sentence."""
        return not (_KINH_GUI.match(line) or _marker(line) is not None or _NUMBER_LINE.match(line)
                    or _MOTTO.search(fold(line)) or _BODY_CUE.match(line) or re.search(r"[.;:]$", line)
                    or (_is_upper_line(line) and _TITLE_HEAD.match(fold(line))))

    def _subject(self, first: str) -> None:
        """'V/v …' and its wrapped lines (a date line merged into one of them is split off). A
        web copy keeps the subject in one table cell: its lines run to the blank line that ends
        the cell ("V/v đẩy nhanh tiến độ Dự án đường cao tốc" ⏎ "Bến Lức - Long Thành …")."""
        first = _OCR_VV.sub("V/v ", first.strip())  # "Viv …", "VW …", "'V/ …" read by OCR
        parts = [first]
        bare = not _SUBJECT_START.sub("", first).strip()  # "V/v" alone, the subject below it
        j = self.i + 1
        cell_end = self._cell_end(j)
        while j < len(self.lines) and len(parts) < 6:
            line = self.lines[j].strip()
            pd = _place_date_of(line)
            candidate = line[:pd[2]].strip() if pd else line
            if not candidate:
                nxt = self.lines[j + 1].strip() if j + 1 < len(self.lines) else ""
                if nxt[:1].islower() and len(nxt) <= 80 and not re.search(r"[:;]$", nxt):
                    j += 1  # "… COVID-19" ⏎⏎ "của nước ngoài." (a scan's line spacing)
                    continue
                break
            within = (bare and len(parts) == 1) or (j < cell_end and self._in_cell(candidate))
            if not within and not self._continuation(parts[-1], candidate):
                break
            parts.append(candidate)
            if pd and not self._has_date():
                self.header.place, self.header.date = pd[0], pd[1]
            j += 1
        subject = _norm_space(" ".join(parts))
        quotes = sum(subject.count(q) for q in "“”\"")
        if subject[:1] in "“\"" or quotes % 2:  # a quoted “V/v …”, or a stray quote at an end;
            subject = subject.strip("“”\"")   # balanced quotes inside ("Mekong Festival") stay
        self.header.subject = subject or None
        self.i = j - 1

    def _title_in_line(self, cell: str) -> bool:
        """A title sharing its line: "Thông Báo về việc tăng cường …" (title and subject), "THÔNG
        BÁO CỦA UBND XÃ TIỀN TIẾN" (title and issuing body)."""
        m = _INLINE_TITLE.match(fold(cell))
        if m is None or len(cell.split()) > 60:
            return False
        title = _TITLES.get(m.group(1))
        rest = _norm_space(cell[m.end(1):]).strip()
        if title is None or not rest:
            return False
        if m.group(2):  # "… CỦA UBND XÃ X"
            body = rest.split(None, 1)[1] if len(rest.split()) > 1 else ""
            if not (_is_upper_line(cell) and _is_org_head(body)):
                return False
            self.header.issuer_lines.append(body)
        else:
            self.header.subject = rest.strip(" .")[:1].upper() + rest.strip(" .")[1:]
        self.seen_title = True
        self.header.title = title
        return True

    def _title_subject(self) -> None:
        """Subject lines under a title ("KẾ HOẠCH" / "Triển khai … năm 2023")."""
        j = self.i + 1
        while j < len(self.lines) and not self.lines[j].strip():
            j += 1
        parts: list[str] = []
        upper_subject = False
        while j < len(self.lines) and len(parts) < 5:
            s = self.lines[j].strip()
            if not s and upper_subject and parts and self._caps_goes_on(parts[-1], j + 1):
                j += 1  # "CỦA ĐỒNG CHÍ CHÁNH VĂN PHÒNG …" ⏎⏎ "TẠI HỘI NGHỊ TOÀN QUỐC …"
                continue
            if not s and parts and not upper_subject and self._running_goes_on(parts[-1], j + 1):
                j += 1  # a Word file spaces its paragraphs: "… khóa XVI" ⏎⏎ "và bầu cử đại biểu …"
                continue
            if not s or _marker(s) is not None or _SEPARATOR.match(s):
                break
            # "Căn cứ …;" / "Thực hiện …, UBND tỉnh chỉ đạo như sau:" open the body, but a title
            # may itself read "Thực hiện Nghị quyết số 128/NQ-CP …"
            if _BODY_CUE.match(s) and not s[0].islower() and (parts or re.search(r"[:;]$", s) or len(s) > 150) \
                    and not (parts and _GAZETTE_NUMBER_END.search(fold(parts[-1])) and _is_upper_line(s)):
                break  # ("để phục hồi …" in lower case goes on a subject: the body starts "Để …")
            after = self.lines[j + 1] if j + 1 < len(self.lines) else ""
            if parts and not self._continuation(parts[-1], s, after) and not (upper_subject and _is_upper_line(s)):
                break
            if parts and upper_subject and not _is_upper_line(s) and not s[0].islower() \
                    and not (s[0].isdigit() and re.search(r"[-–]$", parts[-1])):  # "NĂM 2019 -" ⏎ "2020"
                break  # a subject in capitals ends where running text begins ("CỦA BỘ CHÍNH TRỊ" ⏎
                # "về chủ trương …" goes on: a line that starts in lower case continues one)
            if not parts:
                if _is_upper_line(s) and _TITLE_HEAD.match(fold(s)):
                    break  # straight to "CHỦ TỊCH UBND TỈNH …" (no subject)
                upper_subject = _is_upper_line(s) or _all_caps(s)  # "Ý" ⏎ "KIẾN CHỈ ĐẠO CỦA …"
            elif _is_upper_line(s) and (_TITLE_HEAD.match(fold(s)) or _ENACTING.match(fold(s))) \
                    and not _OPEN_END.search(fold(parts[-1])) and not fold(parts[-1]).startswith("hoi nghi "):
                # ("HỘI NGHỊ LẦN THỨ BẢY" ⏎ "BAN CHẤP HÀNH ĐẢNG BỘ TỈNH …" is whose conference it was)
                break  # "CHỦ TỊCH …" / "ỦY BAN NHÂN DÂN TỈNH …" enacting a decision, not subject
            parts.append(s)
            j += 1
        if parts:
            self.header.subject = _norm_space(" ".join(parts))
            self.i = j - 1

    def _gazette_title(self) -> None:
        """A title in the official gazette's style carries the header itself: "CHỈ THỊ" ⏎ "CỦA THỦ
        TƯỚNG CHÍNH PHỦ SỐ 16/2001/CT-TTG" ⏎ "NGÀY 21 THÁNG 6 NĂM 2001 VỀ VIỆC …" (legal sites print
        older documents so, with no "Số:" line or issuer block): body, number and date come out of it
        and the subject is what follows the date."""
        subject = self.header.subject
        if subject is None or self.header.number is not None:
            return
        m = _GAZETTE_TITLE.match(fold(subject))
        if m is None:
            return
        self.header.number = subject[m.start("number"):m.end("number")]
        if not self._has_date():
            self.header.date = _date_parts(m.group("d"), m.group("m"), m.group("y"))
        if not self.header.issuer_lines:
            self.header.issuer_lines.append(subject[m.start("body"):m.end("body")])
        self.header.subject = subject[m.start("rest"):].strip() or None

    def _running_goes_on(self, prev: str, k: int) -> bool:
        """After a blank line, does a subject in running case go on at line ``k``? With a short
        line that starts in lower case and is no sentence or list of its own ("… khóa XVI" ⏎⏎
        "và bầu cử …"), or a name that ends the title block ("… Quy chế hoạt động" ⏎⏎ "Tổ giúp
        việc về Cải cách hành chính tỉnh Lâm Đồng" ⏎⏎ "TỔ TRƯỞNG …"), as Word files space them."""
        while k < len(self.lines) and not self.lines[k].strip() and k < len(self.lines) - 1:
            k += 1  # Word's empty paragraphs between the lines
        if k >= len(self.lines):
            return False
        nxt = self.lines[k].strip()
        if not nxt or re.search(r"[:;]$", nxt) or _marker(nxt) is not None:
            return False
        if nxt[0].islower():
            return len(nxt) <= 150
        if _SENTENCE_END.search(prev) or _SENTENCE_END.search(nxt) or _BODY_CUE.match(nxt) \
                or _is_upper_line(nxt) or _KINH_GUI.match(nxt) or len(nxt) > 90:
            return False
        below = next((ln.strip() for ln in self.lines[k + 1:k + 6] if ln.strip()), "")
        return bool(below) and (_is_upper_line(below) or bool(_KINH_GUI.match(below)) or bool(_BODY_CUE.match(below)))

    def _caps_goes_on(self, prev: str, k: int) -> bool:
        """After a blank line, does the capitals subject go on at line ``k``? Only when one of
        the two lines says the phrase is unfinished ("… CỦA" / "TẠI HỘI NGHỊ …")."""
        if k >= len(self.lines):
            return False
        nxt = self.lines[k].strip()
        if not nxt or not _is_upper_line(nxt) or _marker(nxt) is not None or _SEPARATOR.match(nxt) \
                or _TITLE_HEAD.match(fold(nxt)) or _ENACTING.match(fold(nxt)) or _title_of(nxt):
            return False
        return bool(_OPEN_END.search(fold(prev)) or _OPEN_START.match(fold(nxt)))

    def _ends_recipient(self) -> bool:
        """Is the line at ``self.i`` the end of a recipient wrapped in a table cell ("Công⏎Thương,
        Y tế;"), not the first line of the body ("Triển khai việc …")?"""
        s = self.lines[self.i].strip()
        if len(s) > 120 or _SAYS_SOMETHING.search(fold(s)):
            return False  # "Bộ Y tế nhận được Công văn số …", "Thủ tướng Chính phủ có ý kiến như sau:"
        nxt = self.lines[self.i + 1].strip() if self.i + 1 < len(self.lines) else ""
        return bool(re.search(r"[.;,:]$", s)) or not nxt or bool(_M_BULLET.match(nxt))

    def _bullet_ahead(self) -> bool:
        nxt = next((ln.strip() for ln in self.lines[self.i + 1:] if ln.strip()), "")
        return bool(_M_BULLET.match(nxt)) and not _BODY_CUE.match(_M_BULLET.sub("", nxt, count=1))

    def _recipients(self) -> None:
        """"Kính gửi: X; Y." inline, and/or a bullet list under it (wrapped lines rejoined)."""
        inline = _KINH_GUI.sub("", self.lines[self.i], count=1).strip()
        raws = [p for p in inline.split(";") if p.strip()] if inline else []
        complete = bool(inline) and inline.rstrip().endswith((".", "!"))  # "Kính gửi: Sở Y tế."
        if complete and self._bullet_ahead():
            complete = False  # "Kính gửi: Bộ Y tế." then "- Bộ Công an;" …
        self.i += 1
        blank = False  # a blank line (or table pipe) since the last recipient line
        bullets = False
        while self.i < len(self.lines) and not complete:
            s = self.lines[self.i].strip()
            if not s:
                blank = True
                self.i += 1
                continue
            last = raws[-1].rstrip() if raws else ""
            if re.search(r"(?<!\.)\.$", last) and not _M_BULLET.match(s):
                break  # "…; - Bộ Y tế." then a line that is no bullet: the body
            if raws and _marker(s) is None and (
                    (s[0].islower() and not _SENTENCE_END.search(last)) or last.endswith(":")
                    or (bullets and not blank and _M_BULLET.match(raws[-1]) is not None
                        and not re.search(r"[.;]$", last))
                    or (not blank and not re.search(r"[.;,:!?]$", last) and self._ends_recipient())):
                raws[-1] = f"{last} {s}"  # a wrapped recipient line: "… Công⏎Thương, …"
            elif _M_BULLET.match(s) and len(s) <= 200 and not _BODY_CUE.match(_M_BULLET.sub("", s, count=1)):
                raws.append(s)
                bullets = True
            elif (not raws or last.endswith((";", ","))) and len(s) <= 150 and not (blank and bullets) \
                    and not _BODY_CUE.match(s) and _marker(s) is None:
                raws.append(s)  # one recipient per line, no bullets
            else:
                break
            blank = False
            self.i += 1
        self.header.recipients = [r for r in map(_clean_recipient, raws) if r]


# What a sentence of the body does and a wrapped recipient's name never does.
_SAYS_SOMETHING = re.compile(r"\b(?:nhan duoc|co y kien|yeu cau|de nghi|chi dao|tra loi|thong bao|tran trong"
                             r"|ban hanh|bao cao|xin)\b")


def _clean_recipient(text: str) -> str:
    text = _M_BULLET.sub("", text.strip(), count=1)
    return _norm_space(text).strip(" ;,.")


# A web copy can drop the "Nơi nhận:" label and the signature block, leaving the recipients list
# ("- Thủ tướng, …; - Lưu: VT, NC.") and "(Đã ký) Lê Thành Long".
_FILED = re.compile(r"^[-–+]?\s*Lưu\s*:?\s*VT\b|^[-–+]\s.*;\s*[-–+]\s*Lưu\s*:?\s*VT\b", re.IGNORECASE)
_SIGNED = re.compile(r"^\(\s*[Đđ]ã\s+ký\s*\)")
# The lines of a recipients list above its "- Lưu: VT": "- Sở Y tế;", "Như Điều 3;", a lone "-",
# a label wrapped by a narrow cell ("*Nơi" ⏎ "nhận*").
_LIST_ABOVE = re.compile(r"^(?:[-–+]?\s*[^.]{0,150};|[-–+]|n[ơo]i|nh[ậa]n\s*:?|n[ơo]i\s+nh[ậa]n\s*:?)$", re.IGNORECASE)


def _is_footer_start(line: str) -> bool:
    """'Nơi nhận:', a signature marker ('TM.', 'KT.' …) or a bare signer title ('CHỦ TỊCH'); a
    recipients list that lost its label, "(Đã ký)"."""
    s = line.strip()
    if _NOI_NHAN.match(s) or _FILED.match(s) or _SIGNED.match(s):
        return True
    if _SIGN_MARKER.match(s) and _is_upper_line(s):
        return True
    return _is_signer_title(s)


def _is_signer_title(s: str) -> bool:
    return _is_upper_line(s) and len(s.split()) <= 10 and bool(_TITLE_HEAD.match(fold(s))) \
        and _marker(s) is None


def _is_item_line(line: str) -> bool:
    marker = _marker(line)
    return marker is not None and not marker.kind.startswith("bullet:")


def _split_layout(lines: list[str]) -> _Layout:
    scanner = _HeaderScanner(lines)
    start = scanner.run()
    end = len(lines)
    for k in range(start, len(lines)):
        if not _is_footer_start(lines[k]):
            continue
        # A bare title line only ends the body if no numbered item follows it.
        if _is_signer_title(lines[k].strip()) and any(_is_item_line(ln) for ln in lines[k + 1:]):
            continue
        end = k
        if _FILED.match(lines[k].strip()):  # "- Lưu: VT" closes a list that began above it
            while end > start and _LIST_ABOVE.match(lines[end - 1].strip()):
                end -= 1
        break
    end = _trailing_name_start(lines, start, end)
    return _Layout(scanner.header, lines[start:end], lines[end:])


def _trailing_name_start(lines: list[str], start: int, end: int) -> int:
    """A letter that ends with the signer's name alone ("… ./." / "Nguyễn Văn A"), with no
    'Nơi nhận' or title block: that last line belongs to the footer."""
    k = end - 1
    while k >= start and not lines[k].strip():
        k -= 1
    if k > start and _NAME.match(lines[k].strip()) and not _is_upper_line(lines[k]):
        prev = next((ln.strip() for ln in reversed(lines[start:k]) if ln.strip()), "")
        if _SENTENCE_END.search(prev) or not prev:
            return k
    return end


# =========================================================================== doc type
def _type_from_number(number: str | None) -> str | None:
    if not number or "/" not in number:
        return None
    for part in re.split(r"[/\-]", number):
        part = part.strip(" .")
        if not part or part.isdigit():
            continue
        return _TYPE_CODES.get(part, "Công văn")
    return None


# Titles of what is printed after the signature: "PHỤ LỤC", "KẾ HOẠCH", "QUY CHẾ", "DANH MỤC" …
# The line under an annex's title that says whose it is: "(Kèm theo Quyết định số 2903/QĐ-UBND …)".
_ANNEX_NOTE = re.compile(r"^[(*_\s]*(?:ban hanh )?kem theo (?:quyet dinh|ke hoach|cong van|chi thi|thong bao"
                         r"|huong dan)\b")


def _annex_by_note(footer: list[str]) -> tuple[list[str], list[str]]:
    """A copy that lost the signer's name still prints the annex's note ("(Kèm theo Quyết định số
    …)"): the annex starts at its title lines in capitals just above it."""
    note = next((k for k, ln in enumerate(footer) if k and _ANNEX_NOTE.match(fold(ln.strip()))), None)
    if note is None or sum(bool(ln.strip()) for ln in footer[note + 1:]) < 2:
        return footer, []
    start = note
    while start > 1 and note - start < 3 and _is_upper_line(footer[start - 1].strip()) \
            and not _SIGN_MARKER.match(footer[start - 1].strip()) and not _NOI_NHAN.match(footer[start - 1].strip()):
        start -= 1
    return footer[:start], footer[start:]


_ATTACHMENT_TITLE = re.compile(
    r"^(?:phu\s+luc|ke\s+hoach|quy\s+che|quy\s+dinh|danh\s+muc|huong\s+dan|chuong\s+trinh|"
    r"phuong\s+an|de\s+an|bang\s+phan\s+cong|bieu\s+mau|mau\s+so)\b")


def _attachment_split(footer: list[str]) -> tuple[list[str], list[str]]:
    """(signature block, attachment): a quyết định's plan, a kế hoạch's task list or an appendix
    printed after the signer's name is body text again, not footer."""
    name_at = next((k for k, ln in enumerate(footer)
                    if _NAME.match(ln.strip()) and not _is_upper_line(ln) and len(ln.split()) <= 6
                    and any(_is_upper_line(p) for p in footer[:k])), None)
    if name_at is None:
        return _annex_by_note(footer)
    for k in range(name_at + 1, len(footer)):
        s = footer[k].strip()
        if not s or _NOI_NHAN.match(s):
            continue
        if _is_upper_line(s) and _ATTACHMENT_TITLE.match(fold(s)):
            rest = footer[k:]
            if sum(bool(ln.strip()) for ln in rest) >= 3:
                return footer[:k], rest
            break
    return footer, []
