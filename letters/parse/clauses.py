"""Paragraphs to clauses: the item hierarchy, paths, preamble/directive/closing kinds, agencies."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from congvan.letters.agencies import DOC_KIND, GIAO, Terms, advised, assign_roles, defined_terms, find_bodies
from congvan.letters.parse.common import _SENTENCE_END, _UP, _is_upper_line, _norm_space
from congvan.letters.parse.markers import _RANK, _Marker, _marker, resolve_romans
from congvan.letters.parse.tables import row_columns
from congvan.letters.schema import (
    AgencyMention,
    AgencyRoles,
    Clause,
    ClauseKind,
)
from congvan.letters.taxonomy import Taxonomy
from congvan.letters.text import fold

# ----------------------------------------------------------------------- kinds
_PREAMBLE_CUE = re.compile(
    r"^(?:thuc hien|can cu|truoc tinh hinh|theo de nghi|xet de nghi|tiep theo|thoi gian qua|"
    r"trong thoi gian qua|ngay \d)|nhu sau\s*:?\s*$")
_CLOSING_CUE = re.compile(
    r"(?:yeu cau|de nghi|giao)\b.{0,250}\b(?:thuc hien|trien khai|quan tam|nghiem tuc)\b(?P<tail>.*)"
    r"|^tren day la|^nhan duoc (?:cong van|van ban)|neu co (?:kho khan|vuong mac)"
    r"|co hieu luc(?: thi hanh)?(?: ke)? tu ngay|chiu trach nhiem thi hanh (?:quyet dinh|chi thi) nay"
    r"|(?:quyet dinh|chi thi) nay co hieu luc"
    r"|^van phong (?:chinh phu|ubnd|uy ban nhan dan)\b[^.;]{0,60}\b(?:xin )?thong bao (?:de|cho)\b")
_DECISION_FORMULA = re.compile(
    r"co hieu luc(?: thi hanh)?(?: ke)? tu ngay|chiu trach nhiem thi hanh (?:quyet dinh|chi thi) nay"
    r"|(?:quyet dinh|chi thi|quy che|quy dinh) nay co hieu luc|bai bo (?:quyet dinh|cac quy dinh)"
    # the execution article, however worded: "… có trách nhiệm thi hành Quyết định này", "… chịu
    # trách nhiệm tổ chức thực hiện Quyết định này", "… căn cứ Quyết định thi hành từ ngày ký./."
    r"|\bthi hanh (?:quyet dinh|chi thi) nay|(?:chiu|co) trach nhiem (?:to chuc |trien khai )?thuc hien"
    r" (?:quyet dinh|chi thi) nay"
    r"|can cu (?:quyet dinh|chi thi)(?: nay)? (?:thi hanh|thuc hien)")

# A section that reports rather than orders ("I. ĐÁNH GIÁ CHUNG", "Kết quả đạt được", "Tồn tại, hạn
# chế", "Tình hình dịch bệnh …") and a commendation ("Thay mặt Thủ tướng Chính phủ, biểu dương …",
# "Đánh giá cao …"): the guideline reads them as preamble (no themes, no agencies), whatever bodies
# they name.
_REPORT_CAPTION = re.compile(
    r"^(?:(?:nhan xet,? )?danh gia (?:chung|tinh hinh(?: chung)?|ket qua(?: thuc hien| dat duoc)?)"
    r"|tinh hinh(?: chung| thuc hien| va ket qua(?: thuc hien)?)?|(?:mot so )?ket qua(?: dat duoc| thuc hien)?"
    # "I. NHẬN ĐỊNH TÌNH HÌNH BỆNH VIÊM DA NỔI CỤC", "I. TÌNH HÌNH BỆNH SỐT XUẤT HUYẾT, ZIKA VÀ TAY CHÂN MIỆNG"
    r"|(?:nhan dinh |danh gia )?tinh hinh (?:dich|benh|dich benh)\b[^:.;]{0,100}"
    # "TÌNH HÌNH CHUNG VÀ SỰ BIẾN CHỦNG CỦA VI RÚT CÚM", "Tình hình bệnh dại trên địa bàn tỉnh …"
    r"|tinh hinh (?:chung va|benh|dich|thien tai|mua lu|han han)\b[^:.;]{0,100}"
    # the legal basis and the need for a plan: "I. CĂN CỨ PHÁP LÝ", "A. SỰ CẦN THIẾT VÀ CĂN CỨ XÂY DỰNG
    # KẾ HOẠCH", "Cơ sở pháp lý"
    r"|(?:su can thiet(?: va | ban hanh| xay dung)?\s*)?(?:can cu|co so)(?: phap ly| xay dung| ban hanh)[^:.;]{0,60}"
    r"|su can thiet[^:.;]{0,60}"
    r"|(?:nhung )?(?:ton tai|han che|ton tai,? han che)(?:,? (?:yeu kem|vuong mac|bat cap))*(?:,? nguyen nhan| va nguyen nhan)?"
    r"|nguyen nhan|ket qua dat duoc,? ton tai,? han che)\s*[:.]?$")
_COMMENDATION = re.compile(r"^(?:thay mat [^,.;]{1,60},\s*)?(?:bieu duong|danh gia cao|ghi nhan|hoan nghenh"
                           r"|chuc mung)\b")


# a paragraph that opens with an order's verb ("Tăng cường …", "Rà soát …", "Tiếp tục …")
_IMPERATIVE = re.compile(
    r"^(?:tang cuong|tap trung|ra soat|day manh|chi dao|trien khai|thuc hien|xay dung|nang cao|khan truong"
    r"|chu dong|tiep tuc|quan tam|bao dam|dam bao|hoan thanh|kien toan|phat huy|to chuc|khac phuc|uu tien"
    r"|nghien cuu|doi moi|huy dong|bo tri|kiem tra|theo doi)\b")
_REPORT_TO = re.compile(r"^[\s*\-+•]*(?:co quan|don vi|noi)\s+(?:tiep\s+)?nhan\s+bao\s+cao[\s*]*:")
_TOPIC_CAPTION = re.compile(r"^Về\s[^:]{3,300}:$")
# what makes a paragraph of a report section an order after all; a narrative's "đã khẩn trương
# chỉ đạo", "phải đối mặt với khó khăn", "đã giao …" are not
_ORDERS = re.compile(r"(?<!\w)(?:cần|phải(?!\s+(?:đối mặt|chịu|gánh))"
                     r"|(?<!theo )(?<!sát )(?<!ứng )(?<!đúng )(?:đề nghị|yêu cầu)(?!\s+(?:của|về|đặt ra)\b)"
                     r"|(?<!đã )giao(?=\s+(?:cho|nhiệm vụ|(?-i:[A-ZĐ]))))(?!\w)", re.IGNORECASE)


def _reports(text: str, headings: list[str]) -> bool:
    """An item of a report section or a commendation that orders nothing, whoever it names ("Tỉnh
    … cần khẩn trương khắc phục …" under "Tồn tại, hạn chế" is still an order); or a passage
    quoted from a law or another document (see ``_quoted``)."""
    if _quoted(text) or _quotes_law(text) or any(_quotes_law(h) for h in headings if h):
        return True
    if _COMMENDATION.match(fold(text)):  # praise that also assigns ("Ghi nhận …; giao Bộ X …") orders
        return not any(m.group(0).lower() not in ("cần", "phải") for m in _ORDERS.finditer(text))
    if _ORDERS.search(text) or _IMPERATIVE.match(fold(text)):
        return False
    return any(len(h.split()) <= 16 and _REPORT_CAPTION.match(fold(_norm_space(h)).strip(" *"))
               for h in [*headings, text] if h)


def _quoted(text: str) -> bool:
    """A paragraph that is all a quotation: "“2. Thời điểm xác định thu nhập … là …”" after "Thông
    tư … quy định:". Quoted legal text is preamble (guideline, decisions on kind). A paragraph that
    only opens with a quoted name ("“Tháng hành động …” được triển khai …") is not."""
    s = text.strip(" *_")
    if len(s) < 40 or s[0] not in "“\"":
        return False
    close = s.find("”" if s[0] == "“" else "\"", 1)
    return close == -1 or close >= len(s) - 3


# =========================================================================== clauses
@dataclass
class _Node:
    kind: str
    path: str
    text: str
    roles: AgencyRoles
    parent: _Node | None
    value: int = 0
    paragraphs: int = 1
    children: Counter[str] = field(default_factory=Counter)
    last_child: dict[str, int] = field(default_factory=dict)
    first: int = 0  # index of the item's first clause in the letter


# ----------------------------------------------------------------------- task field lines
#: A plan (kế hoạch) writes under each task who does it: "Đơn vị chủ trì (thực hiện): X",
#: "Cơ quan phối hợp: Y", "Đơn vị thực hiện: X". These fields name the lead and support of the
#: task lines *above* them (back to the enclosing item or the previous field block); the task
#: lines themselves name no one, so without this they had no lead at all.
_FIELD_ROLE = re.compile(
    r"^[\s*\-+•]*(?:(?:don vi|co quan)\s+(?P<role>chu tri|phoi hop|thuc hien)|(?P<bare>chu tri|phoi hop))"
    r"(?:\s+(?:tham muu\s+)?thuc hien)?[\s*]*:")
#: "b) Cơ quan thực hiện:" — a caption over the field lines; "Thời gian thực hiện: …", "Sản phẩm: …"
#: — other fields of the same block (neither is a task).
_FIELD_OTHER = re.compile(
    r"^[\s*\-+•]*(?:(?:co quan|don vi)\s+(?:thuc hien|chu tri(?:\s*,?\s*(?:va\s+)?phoi hop)?|phu trach)[\s*]*:?[\s*]*$"
    r"|(?:thoi gian|thoi han|tien do|san pham|ket qua du kien|kinh phi)(?:\s+[a-z]+){0,3}[\s*]*:)")


class _ClauseBuilder:
    """Turns body paragraphs into clauses, tracking the item hierarchy."""

    def __init__(self, doc_id: str, addressee: AgencyRoles | None, tax: Taxonomy,
                 titles: bool = True, *, central: bool = False, date: str | None = None,
                 focus: bool = False, commune: bool = False) -> None:
        self.doc_id = doc_id
        self.central = central  # the letter's level and date: the agency rules depend on them
        self.date = date
        self.focus = focus  # a central letter about one province (``find_bodies``)
        self.commune = commune  # a commune's own letter (``find_bodies``)
        self.titles = titles  # treat all-caps item texts as bare section titles
        self.addressee = addressee
        self.tax = tax
        self.clauses: list[Clause] = []
        self.stack: list[_Node] = []
        self.bullet_rank: dict[str, int] = {}
        self.top_children: Counter[str] = Counter()
        self.top_last: dict[str, int] = {}
        self.seen_item = False
        self.closing = False
        # task field blocks: the open block's task range [start, end) and its columns; end of the last one
        self.block: tuple[int, int] | None = None
        self.block_columns: dict[str, str] = {}
        self.block_roles: AgencyRoles | None = None  # the open block's roles, once a role line gave them
        self.block_end = 0
        # the roles of the preamble's last paragraph when it is a lead-in (see ``preamble``)
        self.lead_in: AgencyRoles | None = None
        # a Q&A page: a question was asked; its answer quotes a law ("Căn cứ Điều 5 Luật … như sau:")
        self.asked = False
        self.quoting = False
        self.terms: Terms = {}  # short names the letter defined so far

    # ---- helpers
    def _rank(self, kind: str) -> int:
        if kind.startswith("bullet:"):
            return self.bullet_rank.setdefault(kind, 20 + len(self.bullet_rank))
        return _RANK[kind]

    def emit(self, path: str, kind: ClauseKind, text: str, heading: str | None,
              inherited: AgencyRoles | None, addressees: AgencyRoles | None = None) -> AgencyRoles:
        text, columns = row_columns(text)
        text = _norm_space(text)
        roles: AgencyRoles = AgencyRoles()
        mentions: list[AgencyMention] = []
        if kind == "directive":
            roles, mentions = assign_roles(text, inherited, self.tax, central=self.central, date=self.date,
                                           terms=self.terms, focus=self.focus, commune=self.commune,
                                           addressees=addressees)
            if _REPORT_TO.match(fold(text)):
                # "Cơ quan nhận báo cáo: UBND tỉnh (qua Sở …)": whom one reports to is never a
                # lead (agencies rule 4); the line keeps what the task above it has
                roles = inherited or addressees or AgencyRoles()
            from_columns = _column_roles(columns, self.tax, central=self.central, date=self.date,
                                         focus=self.focus, commune=self.commune)
            if from_columns is not None:  # a task-table row: its columns say who leads, supports
                roles = from_columns
        # short names defined here hold for the clauses after this one (agencies rule 14)
        self.terms.update(defined_terms(text, self.tax, central=self.central, date=self.date, focus=self.focus,
                                        commune=self.commune))
        order = len(self.clauses)
        self.clauses.append(Clause(f"{self.doc_id}-{order:03d}", path, kind, text, roles,
                                   heading=heading, mentions=mentions, order=order))
        if kind == "directive":
            self._task_fields(text, order)
        return roles

    def _task_fields(self, text: str, order: int) -> None:
        """Give the roles of a task field block to the task lines above it (see ``_FIELD_ROLE``)."""
        folded = fold(text)
        m = _FIELD_ROLE.match(folded)
        if m is None:
            if _FIELD_OTHER.match(folded):
                if self.block is not None:
                    self.block_end = order + 1
                    self._field_lines_take(self.block_roles, order)
            else:
                self.block = None
            return
        if self.block is None:
            scope = self._field_scope()
            start = max(scope.first if scope else self.block_end, self.block_end)
            self.block, self.block_columns, self.block_roles = (start, order), {}, None
        role = "support" if (m.group("role") or m.group("bare")) == "phoi hop" else "lead"
        self.block_columns[role] = f"{self.block_columns.get(role, '')}; {text}"
        self.block_end = order + 1
        roles = _column_roles(self.block_columns, self.tax, central=self.central, date=self.date,
                              focus=self.focus, commune=self.commune)
        own = self.clauses[order].agencies
        if role == "lead" and own.lead and "phoi hop" in folded:
            # "Cơ quan thực hiện: Sở Y tế chủ trì, phối hợp với các sở, ngành": the line says
            # itself who leads and who supports (read as a clause), not all of it leads
            support = [a for a in dict.fromkeys([*(roles.support if roles else []), *own.support])
                       if a not in own.lead]
            roles = AgencyRoles(lead=list(own.lead), support=support,
                                names={**(roles.names if roles else {}), **own.names})
        if roles is None:
            return
        self.block_roles = roles
        self._field_lines_take(roles, order)
        for clause in self.clauses[self.block[0]:self.block[1]]:
            folded_task = fold(clause.text)
            if clause.kind != "directive" or _FIELD_ROLE.match(folded_task) or _FIELD_OTHER.match(folded_task):
                continue
            lead = roles.lead or clause.agencies.lead
            support = [a for a in dict.fromkeys([*roles.support, *clause.agencies.support]) if a not in lead]
            names = {k: v for k, v in {**clause.agencies.names, **roles.names}.items() if k in lead or k in support}
            clause.agencies = AgencyRoles(lead=list(lead), support=support, names=names)

    def _field_lines_take(self, roles: AgencyRoles | None, order: int) -> None:
        """The block's field lines ("Cơ quan phối hợp: Y", "Thời gian thực hiện: …") show the
        roles of the whole block, as the task they describe does: read as a clause of its own,
        "Cơ quan phối hợp: các sở, ngành" named its partners as leads."""
        if roles is None or self.block is None:
            return
        for clause in self.clauses[self.block[1]:order + 1]:
            folded_line = fold(clause.text)
            if clause.kind == "directive" and (_FIELD_ROLE.match(folded_line) or _FIELD_OTHER.match(folded_line)):
                clause.agencies = AgencyRoles(lead=list(roles.lead), support=list(roles.support),
                                              names=dict(roles.names))

    def _field_scope(self) -> _Node | None:
        """The item a field block belongs to: the innermost open item that is not a bullet, not a
        caption such as "Cơ quan thực hiện:" and not empty."""
        for node in reversed(self.stack):
            if node.kind.startswith("bullet:") or not node.text or _FIELD_OTHER.match(fold(node.text)):
                continue
            return node
        return None

    def plausible(self, marker: _Marker) -> bool:
        """Reject a 'marker' that breaks the numbering ("… trong tháng" / "8. Hoàn thành")."""
        if marker.kind != "num1":
            return True
        for node in reversed(self.stack):
            if node.kind == "num1":
                return marker.value in (node.value + 1, node.value + 2, node.value, 1)
        last = self.top_last.get("num1") if not self.stack else self.stack[-1].last_child.get("num1")
        return last is None or marker.value in (last + 1, last + 2, 1)

    # ---- items
    def item(self, marker: _Marker) -> None:
        rank = self._rank(marker.kind)
        if any(n.kind == marker.kind for n in self.stack):
            while self.stack[-1].kind != marker.kind:
                self.stack.pop()
            self.stack.pop()
        else:
            while self.stack and self._rank(self.stack[-1].kind) >= rank:
                self.stack.pop()
        parent = self.stack[-1] if self.stack else None
        label = self._label(marker, parent)
        path = f"{parent.path}.{label}" if parent else label
        inherited = parent.roles if parent else self.lead_in
        # the addressees are weaker than a heading or a lead-in (agencies rule 15)
        addressees = self.addressee if parent is None and inherited is None else None
        heading = parent.text if parent else None
        text = _norm_space(marker.rest)
        kind: ClauseKind = "closing" if marker.kind == "dieu" and _DECISION_FORMULA.search(fold(text)) \
            else "preamble" if self.quoting or _reports(text, [n.text for n in self.stack]) else "directive"
        roles = inherited or addressees or AgencyRoles()
        node = _Node(marker.kind, path, text, roles, parent, marker.value, first=len(self.clauses))
        if text and not (self.titles and _is_section_title(text)):
            # a topic caption ("Về kiến nghị của tỉnh về …:") orders nothing itself: what it
            # inherits (a heading's bodies, the addressees) leads the items below it, not the caption
            caption = bool(_TOPIC_CAPTION.match(text))
            node.roles = self.emit(path, kind, text, heading, None if caption else inherited,
                                   None if caption else addressees)
            if caption and not node.roles.lead:
                node.roles = roles
            if parent and kind == "directive" and _PARTNERS_HEADING.match(fold(parent.text)):
                self._partner_roles(parent.roles)
        else:
            node.paragraphs = 0  # a bare title: its first paragraph takes the item's own path
        if parent:
            parent.last_child[marker.kind] = marker.value
        else:
            self.top_last[marker.kind] = marker.value
        self.stack.append(node)
        self.seen_item = True

    def _partner_roles(self, heading: AgencyRoles) -> None:
        """Under "Công an tỉnh: … b) Chủ trì, phối hợp:" each sub-item names a partner body and its
        share of the work ("- Sở Tài chính … bố trí ngân sách"): the heading's lead still leads, the
        bodies the sub-item names are its support."""
        clause = self.clauses[-1]
        if not heading.lead:
            return
        own = clause.agencies
        support = [a for a in dict.fromkeys([*own.lead, *own.support, *heading.support]) if a not in heading.lead]
        names = {k: v for k, v in {**heading.names, **own.names}.items() if k in heading.lead or k in support}
        clause.agencies = AgencyRoles(lead=list(heading.lead), support=support, names=names)

    def _label(self, marker: _Marker, parent: _Node | None) -> str:
        counter = parent.children if parent else self.top_children
        counter[marker.kind] += 1
        if marker.kind.startswith("bullet:"):
            return f"{marker.label}{counter[marker.kind]}"
        if "." in marker.label:  # dotted "1.2": drop the part the parent already carries
            head, _, last = marker.label.rpartition(".")
            if parent and parent.path.split(".")[-1] == head.split(".")[-1]:
                return last
            return marker.label
        return marker.label

    def extra(self, kind: ClauseKind, text: str) -> None:
        """A preamble or closing paragraph: paths 'preamble', 'preamble.2', 'closing' …"""
        n = sum(c.kind == kind for c in self.clauses) + 1
        self.emit(kind if n == 1 else f"{kind}.{n}", kind, text, None, None)

    def continuation(self, text: str) -> None:
        """An unmarked paragraph inside an item: path '3.2', '3.3' …"""
        node = self.stack[-1]
        node.paragraphs += 1
        path = node.path if node.paragraphs == 1 else f"{node.path}.{node.paragraphs}"
        # "Điều 2." on a line of its own, then "Quyết định này có hiệu lực …": still closing
        kind: ClauseKind = "closing" if node.kind == "dieu" and not node.text \
            and _DECISION_FORMULA.search(fold(text)) \
            else "preamble" if self.quoting or _reports(text, [n.text for n in self.stack]) else "directive"
        roles = self.emit(path, kind, text, node.text or None, node.roles)
        if kind == "directive" and _is_lead_in(text) and _own_lead(self.clauses[-1]):
            # "Sở Y tế chủ trì thực hiện các nhiệm vụ sau:" under a bare title: the sub-items
            # below are that body's tasks, as under an item whose own text says so
            node.roles = roles

    def question(self, text: str) -> None:
        """A question a news or legal Q&A page asks before its answer ("Nội dung yêu cầu Tập đoàn
        … thực hiện ra sao?"): it orders nothing, and it opens a new part of the page, so the
        items and the lead-in above it no longer give their bodies to what follows."""
        self.extra("preamble", text)
        self.stack.clear()
        self.lead_in = None
        self.block = None
        self.seen_item = False
        self.asked, self.quoting = True, False

    def preamble(self, text: str) -> None:
        """A paragraph before the first item; a lead-in that tells bodies to act ("… yêu cầu cấp
        ủy, chính quyền … thực hiện các nhiệm vụ sau:") makes them the lead of the items below."""
        self.extra("preamble", text)
        folded = fold(text)
        if self.asked and _is_lead_in(text) and _CITES_LAW.match(folded) and not _LEAD_IN_ORDER.search(folded):
            # the answer to a Q&A page's question quotes the law: what follows, up to the next
            # question, is the law's text, not an order of the letter the page is about
            self.quoting = True
        found = _lead_in_roles(text, self.tax, central=self.central, date=self.date, focus=self.focus,
                               commune=self.commune)
        self.lead_in = found[0] if found else None
        if found is None and _is_lead_in(text) and _LEAD_IN_ORDER.search(folded):
            # "… đề nghị các đơn vị thực hiện các nội dung sau:": the lead-in names who acts (with
            # no id), so the addressees do not take the items over (agencies rule 15)
            self.addressee = None
        if found:
            # annotators read such a lead-in ("Bộ X đề nghị A, B chỉ đạo …:") as a directive
            # itself: it carries the roles it hands down (the clause keeps its kind)
            self.clauses[-1].agencies, self.clauses[-1].mentions = found


def _column_roles(columns: dict[str, str], tax: Taxonomy, *, central: bool = False,
                  date: str | None = None, focus: bool = False, commune: bool = False) -> AgencyRoles | None:
    """Lead/support of a task-table row from its "Cơ quan chủ trì" / "phối hợp" columns."""
    if not columns:
        return None
    ctx = {"central": central, "date": date, "focus": focus, "commune": commune}
    # "Sở Nội vụ chủ trì tham mưu UBND tỉnh ban hành …": the body advised does not lead the row
    lead_hits = [h for h in find_bodies(columns.get("lead", ""), tax, **ctx)
                 if h.agency and not advised(columns.get("lead", ""), h.start)]
    support_hits = [h for h in find_bodies(columns.get("support", ""), tax, **ctx)
                    if h.agency and not advised(columns.get("support", ""), h.start)]
    lead = list(dict.fromkeys(h.agency for h in lead_hits))
    support = [a for a in dict.fromkeys(h.agency for h in support_hits) if a not in lead]
    names: dict[str, list[str]] = {}
    for h in (*lead_hits, *support_hits):
        if h.label and h.agency and h.label not in names.setdefault(h.agency, []):
            names[h.agency].append(h.label)
    names = {k: v for k, v in names.items() if v}
    return AgencyRoles(lead=lead, support=support, names=names) if lead or support else None


# A paragraph that introduces the items below it: "… thực hiện các nhiệm vụ sau:", "… như sau:".
_LEAD_IN_END = re.compile(r":\s*[*_]*\s*$")
# The order a lead-in gives: "yêu cầu/đề nghị/giao X …" (not the issuer's own "Sở Y tế hướng dẫn
# như sau:", whose subject is the speaker, not the body told to act).
_LEAD_IN_ORDER = re.compile(rf"\b(?:yeu cau|de nghi|{GIAO})\b(?!\s+(?:cua|tai)\b)")


# An item that only says "Chủ trì, phối hợp (với):": its sub-items are the partners.
_PARTNERS_HEADING = re.compile(r"^[\s*_]*chu tri\s*,?\s*(?:va\s+)?phoi hop(?:\s+voi)?"
                               r"(?:\s+cac\s+(?:co quan|don vi)(?:\s+lien quan)?)?[\s*_:.]*$")


# An answer's lead-in that cites a legal text: "Căn cứ Điều 5 Luật Hàng không dân dụng … như sau:",
# "Theo khoản 1 Điều 7 Thông tư 02/2024/TT-BTP quy định như sau:".
_CITES_LAW = re.compile(r"^[\s*_]*(?:can cu|theo|tai)\s+(?:(?:quy dinh|noi dung)\s+(?:tai|cua)\s+)?"
                        r"(?:diem|khoan|dieu|muc|chuong|phu luc|luat|bo luat|nghi dinh|thong tu|nghi quyet|phap lenh)\b")


# A lead-in whose words are the law's: "Tại Điều 16 Luật Khoa học, Công nghệ … quy định:" — it and
# the provisions quoted under it order nothing (a tax authority's answer letter quotes them before
# it answers); "Căn cứ Thông tư …, Sở Y tế hướng dẫn như sau:" gives the letter's own guidance.
_LAW_SAYS = re.compile(r"\bquy dinh(?:\s+(?:nhu sau|cu the|ro))*\s*:[\s*_]*$")


def _quotes_law(text: str) -> bool:
    folded = fold(text)
    return bool(_CITES_LAW.match(folded) and _LAW_SAYS.search(folded) and not _LEAD_IN_ORDER.search(folded))


def _is_question(text: str) -> bool:
    """A paragraph that asks (a Q&A page's heading, a reader's question): no letter orders by
    asking, and a letter's own questions ("Hỏi: …?") are followed by the answer that speaks."""
    s = text.strip(" *_\"“”")
    return s.endswith("?") and len(s) < 400


def _is_lead_in(text: str) -> bool:
    return bool(_LEAD_IN_END.search(text))


def _own_lead(clause: Clause) -> bool:
    """The clause names its own lead (not one inherited from its heading)."""
    return any(m.role == "lead" and not m.inherited for m in clause.mentions)


def _lead_in_roles(text: str, tax: Taxonomy, *, central: bool, date: str | None,
                   focus: bool = False, commune: bool = False) -> tuple[AgencyRoles, list[AgencyMention]] | None:
    """Roles (and mentions) of a preamble lead-in that orders named bodies to carry out the items
    below it."""
    folded = fold(text)
    if not _is_lead_in(text):
        return None
    roles, mentions = assign_roles(text, None, tax, central=central, date=date, focus=focus, commune=commune)
    order = _LEAD_IN_ORDER.search(folded)
    if order is None or not roles.lead:
        return None
    if any(m.role == "lead" and m.start < order.start() for m in mentions):
        return None  # "Sở Y tế đề nghị …": the lead named before the order is the speaker's side
    return roles, mentions


# The last word of a line a sentence must go on from (folded): "… vào tháng 10 và", "… của", "… số".
_JOINS_ON = re.compile(r"\b(?:va|hoac|cua|thang|ngay|nam|so|den|tu|voi|cac|nhung|la|tai|trong|tren|khoang)\s*$")


def _is_section_title(text: str) -> bool:
    """'MỤC ĐÍCH, YÊU CẦU', 'TỔ CHỨC THỰC HIỆN': an all-caps caption is structure, not a clause
    (its sub-items carry it as their ``heading``)."""
    return _is_upper_line(text) and len(text.split()) <= 16


# A paragraph after the last item that gives a body its own task is no formula: "Đồng thời, giao
# Công an tỉnh chủ trì …", "Giao Sở Nông nghiệp và Môi trường có trách nhiệm thẩm định hồ sơ …".
_OWN_TASK = re.compile(r"\bchu tri\b|\bgiao\s+(?:so|ubnd|uy ban|cong an|ban|bo|trung tam|phong|chi cuc|cuc)\b"
                       r".{0,120}\bco trach nhiem\b")


# What may follow the request's "thực hiện / triển khai" in a formula: manner words and the letter
# itself ("… nghiêm túc triển khai thực hiện Kế hoạch này./.", "… thực hiện đầy đủ các nội dung chỉ
# đạo nêu trên"), or a clause of its own that the other cues know ("; trong quá trình thực hiện …").
# Anything else is a task: "Giao UBND các huyện chỉ đạo các trường thực hiện vệ sinh trường học."
_FORMULA_TAIL = re.compile(
    r"^(?:[\s,]|nghiem tuc|tot|day du|kip thoi|khan truong|co hieu qua|hieu qua|dam bao|dung|theo"
    r"|trien khai|thuc hien|to chuc|phoi hop|quan tam|chi dao|cac|noi dung|y kien|yeu cau|nhiem vu"
    r"|van ban|cong van|cong dien|chi thi|ke hoach|thong bao|quyet dinh|ket luan|huong dan|chuong trinh"
    r"|nay|tren|neu tren|sau|quy dinh|phap luat|tham quyen|chuc nang|duoc giao|nhu|va|cua|ubnd|tinh"
    r"|thanh pho|huyen|xa|\d+|/)*\W*$")
#: The other ways a formula shows: they end a letter whatever the request before them said.
_FORMULA_CUE = re.compile(r"trong qua trinh (?:to chuc )?(?:trien khai )?thuc hien|\bbiet,? (?:va )?thuc hien\b"
                          r"|\b(?:chi thi|ke hoach|cong dien|cong van|quyet dinh|thong bao|van ban) nay\b")


def _is_closing(folded_para: str, length: int) -> bool:
    """The formula after the last item: "… yêu cầu … thực hiện nghiêm túc …/.", "Trên đây là …".
    A request whose "thực hiện" is followed by a task of its own is no formula, nor is a long
    paragraph just because it ends "./." (a news copy's last order often does)."""
    if _OWN_TASK.search(folded_para) and not folded_para.rstrip().endswith("./."):
        return False
    cue = _CLOSING_CUE.search(folded_para)
    if cue is not None and cue.group("tail") is not None and not _FORMULA_TAIL.match(cue.group("tail")) \
            and not _FORMULA_CUE.search(folded_para):
        cue = None
    return (cue is not None and length < 600) or (folded_para.rstrip().endswith("./.") and length < 160)


# What a news copy (or a letter with no numbered items) says before and between the orders: the
# situation ("Tính đến ngày 13/3/2019, cả nước đã có 16 tỉnh …", "Từ đầu năm đến nay …"), an
# earlier letter ("Trước đó, ngày 2/2, …"), the lead-in to the quoted text ("Nội dung Công điện
# nêu rõ:"). Preamble unless it orders something (``_ORDERS``).
_SITUATION = re.compile(r"^(?:tinh den (?:ngay|nay|het|thoi diem)|tu dau nam(?: \d{4})? den nay|truoc do\b"
                        r"|theo (?:thong ke|so lieu|bao cao nhanh)\b"
                        r"|(?:toan bo )?noi dung (?:cua )?(?:cong dien|cong van|chi thi|van ban|ke hoach|thong bao)"
                        r"[^.:]{0,40}(?:neu ro|nhu sau|cu the)\s*:?\s*$"
                        r"|duoi day la (?:toan bo |toan van )?noi dung)")
# The news of the letter itself: "UBND tỉnh vừa ban hành Công văn số … về việc …" (when it also
# orders, "… vừa có công văn yêu cầu các sở …", ``_ORDERS`` keeps it a directive).
_NEWS_OF_LETTER = re.compile(rf"\b(?:vua|da|moi)\s+(?:ky(?:\s+ban hanh)?|ban hanh|co|gui|ra)\s+{DOC_KIND}\b"
                             rf"|\b(?:ky|ban hanh|co)\s+{DOC_KIND}(?:\s+(?:khan|hoa toc))?\s+so\s*:?\s*\d"
                             rf"|^ngay \d{{1,2}}\s*[/.-]\s*\d{{1,2}}[^,]{{0,6}},?\s+[^.]{{0,80}}?\bban hanh\s+{DOC_KIND}\b")


def _is_headline(unit: str, after: str) -> bool:
    """A page's headline above its lead: short, no sentence mark at its end, the next paragraph
    much longer ("UBND tỉnh chỉ đạo tăng cường phòng, chống dịch" ⏎ "Ngày 6/4, UBND tỉnh …")."""
    words = len(unit.split())
    return words <= 25 and not _SENTENCE_END.search(unit) and len(after.split()) >= max(2 * words, 15)


def _split_sentences(text: str) -> list[str]:
    """A long single paragraph → sentences (abbreviations such as 'TP.' do not end one)."""
    out: list[str] = []
    for piece in re.split(rf"(?<=[.!?:])\s+(?=[{_UP}\"“])", text):
        if out and re.search(r"\b(?:TP|Tp|TX|ThS|TS|BS|PGS|GS|Q|P)\.$", out[-1]):
            out[-1] += " " + piece  # "TP. Hồ Chí Minh" is not a sentence end
        else:
            out.append(piece)
    return [p.strip() for p in out if p.strip()]


def _build_clauses(paras: list[str], doc_id: str, addressee: AgencyRoles | None,
                   tax: Taxonomy, *, central: bool = False, date: str | None = None,
                   focus: bool = False, commune: bool = False) -> list[Clause]:
    # All-caps captions ("QUYẾT ĐỊNH:", "MỤC ĐÍCH, YÊU CẦU") are structure, not clauses — unless
    # the whole letter is typed in capitals (old-style công điện).
    all_caps = sum(map(_is_upper_line, paras)) > len(paras) / 2
    if not all_caps:
        paras = [p for p in paras if not (_is_upper_line(p) and _marker(p) is None and len(p.split()) <= 14)]
    markers = resolve_romans([_marker(p) for p in paras])
    for k, marker in enumerate(markers):
        # "… tập trung vào tháng 10 và" ⏎ "11. Để chủ động …": a page wrapped a sentence before a
        # number; a first numbered item of 5 or more after a paragraph that cannot end there is none
        if marker is not None and marker.kind == "num1" and marker.value >= 5 and k \
                and not any(m is not None and m.kind == "num1" for m in markers[:k]) \
                and _JOINS_ON.search(fold(paras[k - 1])):
            markers[k] = None
    if not any(markers):
        return _unnumbered_clauses(paras, doc_id, addressee, tax, central=central, date=date, focus=focus,
                                   commune=commune)
    builder = _ClauseBuilder(doc_id, addressee, tax, titles=not all_caps, central=central, date=date,
                             focus=focus, commune=commune)
    last_item = max(k for k, m in enumerate(markers) if m)
    for k, (para, marker) in enumerate(zip(paras, markers)):
        folded = fold(para)
        if marker is not None and builder.plausible(marker) and not builder.closing:
            builder.item(marker)
        elif marker is None and not builder.closing and _is_question(para):
            builder.question(para)
        elif not builder.seen_item:
            builder.preamble(para)
        elif builder.closing or (k > last_item and _is_closing(folded, len(para))):
            builder.closing = True
            builder.extra("closing", para)
        else:  # an unmarked paragraph, or a number that breaks the sequence: item text
            builder.continuation(para)
    _unique_paths(builder.clauses)
    return builder.clauses


def _unnumbered_clauses(paras: list[str], doc_id: str, addressee: AgencyRoles | None,
                        tax: Taxonomy, *, central: bool = False, date: str | None = None,
                        focus: bool = False, commune: bool = False) -> list[Clause]:
    """No item markers: preamble paragraphs, then ``p1``, ``p2`` …, then the closing."""
    builder = _ClauseBuilder(doc_id, addressee, tax, central=central, date=date, focus=focus, commune=commune)
    if len(paras) == 1 and len(paras[0]) > 300:
        units, prefix = _split_sentences(paras[0]), "s"
    else:
        units, prefix = paras, "p"
    n = 0
    said = False  # a paragraph with a body has come (not only a page's headline)
    preamble_open = True
    for k, unit in enumerate(units):
        folded = fold(unit)
        # "Thực hiện …, Thủ tướng Chính phủ yêu cầu Chủ tịch UBND các tỉnh … khắc phục hậu quả." gives
        # its order whole: only a lead-in ("… yêu cầu:", "… như sau:") or what orders nothing opens
        gives_order = bool(_ORDERS.search(unit)) and not re.search(r"[:…]\s*$", unit.rstrip(" *"))
        if preamble_open and _PREAMBLE_CUE.search(folded) and k < len(units) - 1 and not gives_order:
            builder.extra("preamble", unit)
            if re.search(r"nhu sau\s*:?\s*$", folded):
                preamble_open = False
            continue
        if k < len(units) - 1 and not builder.closing and (
                (preamble_open and (_is_headline(unit, units[k + 1]) or unit == units[k + 1]))
                or (not _ORDERS.search(unit) and (_SITUATION.match(folded) or _NEWS_OF_LETTER.search(folded)))):
            builder.extra("preamble", unit)  # a copy's headline, its news of the letter, the situation
            continue
        preamble_open = False
        if _is_question(unit) and not builder.closing:
            builder.extra("preamble", unit)
            continue
        # the last paragraph closes a text only after one that orders something: a news page whose
        # headline is followed by one paragraph ("Ban Thường vụ Thành ủy … yêu cầu … thực hiện …")
        # has no other directive
        if k > 0 and (builder.closing or (said and k == len(units) - 1 and _is_closing(folded, len(unit)))):
            builder.closing = True
            builder.extra("closing", unit)
            continue
        n += 1
        said = said or bool(re.search(r"[.;:!?…]\W*$", unit)) or len(unit.split()) > 25
        builder.emit(f"{prefix}{n}", "directive", unit, None, None, addressee)
    _unique_paths(builder.clauses)
    return builder.clauses


def _unique_paths(clauses: list[Clause]) -> None:
    """Paths are unique within a letter: a repeated one (e.g. two preamble paragraphs, or '3.2'
    both as item 3's 2nd paragraph and as a numbered item 3.2) gets a '~2' suffix."""
    seen: Counter[str] = Counter()
    for clause in clauses:
        seen[clause.path] += 1
        if seen[clause.path] > 1:
            clause.path = f"{clause.path}~{seen[clause.path]}"


# =========================================================================== addressee
def _addressee_roles(recipients: list[str], tax: Taxonomy, *, central: bool = False,
                     date: str | None = None, focus: bool = False, commune: bool = False) -> AgencyRoles | None:
    """The bodies a letter is sent to lead the top-level items that name no one: annotators give
    such an item to every addressee ("Kính gửi: - Sở Y tế; - UBND các huyện …" → both), as to the
    single one. Addressees with no id add nothing; none with an id → None."""
    per = [[h for h in find_bodies(r, tax, central=central, date=date, focus=focus, commune=commune) if h.agency]
           for r in recipients]
    hits = [h for hs in per for h in hs]
    ids = list(dict.fromkeys(h.agency for h in hits))
    if not ids:
        return None
    names: dict[str, list[str]] = {}
    for h in hits:
        if h.label and h.agency and h.label not in names.setdefault(h.agency, []):
            names[h.agency].append(h.label)
    if central and sum(map(bool, per)) == 1 and ids == ["ubnd_cac_tinh"] \
            and not any(fold(h.text).startswith(("cac ", "ubnd cac", "uy ban nhan dan cac")) for h in hits):
        ids, names = ["ubnd_tinh"], {}  # a central letter sent to one named province: that province's UBND leads
    return AgencyRoles(lead=ids, names={k: v for k, v in names.items() if v})
