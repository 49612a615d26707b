"""Letter text → ``Letter``: header metadata, references and clauses (shared/spec/interface.md).

The input is text already extracted from .txt/.md/.docx/.pdf. Real letters arrive in many shapes
(the two header columns interleaved or merged on one line, hard-wrapped PDF lines, page breaks
inside a sentence, OCR slips such as "2.Giao" or stray '*', drafts with blank numbers and days,
pasted excerpts with no header at all), so every step degrades gracefully: a field that is not
there is None, never invented.

Layout, top to bottom: *header* (issuer, motto, "Số:", place and date, "V/v" subject or a title
such as "KẾ HOẠCH" with its subject lines), *recipients* ("Kính gửi:", or "… điện:" in a công
điện), *body* (clauses), *footer* ("Nơi nhận:" and the signature block). See ``_split_layout``.

Metadata rules:
- issuer: the last body named in the header ("TỈNH ỦY X / BAN CHỈ ĐẠO … TỈNH" → issuer "Ban Chỉ
  đạo … tỉnh X", parent_body "Tỉnh ủy X"); a sub-body gets its parent's place ("Sở Y tế tỉnh X").
- province: from the header, else from the place line, else (a letter with a header, e.g. from a
  district) the province the text keeps naming; none for national bodies (Bộ, Chính phủ …) and
  none for a bare excerpt.
- signer: name = last name-like line of the footer; title = the signing capacity under the
  TM./KT./TL. markers ("PHÓ CHỦ TỊCH"); a concurrent post printed above the name ("CHỦ TỊCH UBND
  TỈNH" in a Ban Chỉ đạo letter) is not the title.

Clause rules (interface.md): a clause is the smallest numbered (1., 1.1., I., "Điều 1."),
lettered (a)) or bulleted (-, +, •, *) item; an item heading with text is a clause of its own
("2" then "2.a"); an item with several paragraphs gives one clause per paragraph (paths ``3``,
``3.2``, ``3.3``); bullets get ``1.-1``, ``1.-2``; "Điều 2" is ``Đ2``. An all-caps section
caption ("I. MỤC ĐÍCH, YÊU CẦU") is structure, not a clause: it is its sub-items' ``heading``, and
a paragraph right under it takes the section's own path ("III"). Paragraphs before the first item
are ``preamble``; the formula after the last item ("… yêu cầu … thực hiện nghiêm túc …/.", "Trên
đây là …") and decision formulas ("Quyết định này có hiệu lực …") are ``closing``. Letters with
no items: paragraphs get paths ``p1``, ``p2`` …; a body that is one long paragraph is cut into
sentences ``s1``, ``s2`` …. Paths are unique within a letter (a clash gets a "~2" suffix).

Agencies (``letters.agencies``): directive clauses get lead/support from their own wording, else
from their heading item; top-level items of a letter addressed to a single taxonomy body
("Kính gửi: Các thành viên Ban Chỉ đạo … tỉnh") inherit that body as lead.
"""
from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from congvan.letters.agencies import assign_roles, find_mentions
from congvan.letters.schema import (
    AgencyMention,
    AgencyRoles,
    Clause,
    ClauseKind,
    DateParts,
    Letter,
    Reference,
    Signer,
)
from congvan.letters.taxonomy import Taxonomy, load_taxonomy
from congvan.letters.text import clean_text, fold, match_key

__all__ = ["doc_id_for", "parse_letter"]


# =========================================================================== patterns
# Vietnamese upper/lower letters for character classes (str.isupper works too, but regexes
# need explicit classes).
_UP = "A-ZĐÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"

# National motto and party banner lines (folded) are never the issuer.
_MOTTO = re.compile(
    r"cong\s+hoa\s+xa\s+hoi\s+chu\s+nghia\s+viet\s+nam|doc\s+lap\s*[-–,]\s*tu\s+do\s*[-–,]\s*hanh\s+phuc"
    r"|dang\s+cong\s+san\s+viet\s+nam")
# "Số: 123/UBND-KGVX", "Số: /UBND-KGVX", "Số: -CV/BCĐ", "Số 01/2023/QĐ-UBND" (folded "so").
_NUMBER_LINE = re.compile(r"^s[oố]\s*(?::|\.|(?=\s*[\w/-]*/))\s*", re.IGNORECASE)
_NUMBER_TOKEN = re.compile(r"[\w.\-&]*(?:\s*/\s*[\w.\-&]+)+|\d[\w.\-]*")
# "Lạng Sơn, ngày 12 tháng 4 năm 2023" — day/month may be blank or dotted in drafts.
_FILL = r"[\s.…_]*"
_PLACE_DATE = re.compile(
    rf"(?P<place>[^\W\d_][^,\n]{{0,40}}?)\s*,\s*ng[àa]y{_FILL}(?P<d>\d{{1,2}})?{_FILL}"
    rf"th[áa]ng{_FILL}(?P<m>\d{{1,2}})?{_FILL}n[ăa]m{_FILL}(?P<y>\d{{4}})?", re.IGNORECASE)
_PLACE_DATE_NUMERIC = re.compile(
    r"(?P<place>[^\W\d_][^,\n]{0,40}?)\s*,\s*ng[àa]y\s*(?P<d>\d{1,2})\s*[/.-]\s*(?P<m>\d{1,2})\s*[/.-]\s*(?P<y>\d{4})",
    re.IGNORECASE)
# "V/v …" / "Về việc …" starts the subject of a công văn.
_SUBJECT_START = re.compile(r"^(?:V/v|V/V|v/v|Vv|V\.v)\b\.?\s*|^Về\s+việc\b", re.IGNORECASE)
# Title words of documents that carry a title instead of "V/v" (folded, whole line).
_TITLES = {
    "chi thi": "Chỉ thị", "ke hoach": "Kế hoạch", "quyet dinh": "Quyết định",
    "thong bao": "Thông báo", "cong dien": "Công điện", "huong dan": "Hướng dẫn",
    "bao cao": "Báo cáo", "to trinh": "Tờ trình", "chuong trinh": "Chương trình",
    "nghi quyet": "Nghị quyết", "quy che": "Quy chế", "quy dinh": "Quy định",
    "cong van": "Công văn", "ket luan": "Kết luận", "phuong an": "Phương án",
    "giay moi": "Giấy mời", "thong bao ket luan": "Thông báo", "cong dien khan": "Công điện",
}
# Symbol type codes: "…/KH-UBND", "…-CV/BCĐ", "…/2023/QĐ-UBND".
_TYPE_CODES = {
    "CV": "Công văn", "CT": "Chỉ thị", "KH": "Kế hoạch", "QĐ": "Quyết định", "QD": "Quyết định",
    "TB": "Thông báo", "CĐ": "Công điện", "CD": "Công điện", "HD": "Hướng dẫn", "BC": "Báo cáo",
    "TTr": "Tờ trình", "CTr": "Chương trình", "NQ": "Nghị quyết", "QC": "Quy chế",
    "QyĐ": "Quy định", "KL": "Kết luận", "NĐ": "Nghị định", "TT": "Thông tư", "PA": "Phương án",
    "GM": "Giấy mời", "TTLT": "Thông tư liên tịch",
}
# Stamps that are neither issuer nor title: urgency, secrecy, draft.
_URGENCY = re.compile(r"^\(?(?:khan|hoa toc|thuong khan|mat|toi mat|khan\s*!|du thao|ban du thao)\)?$")
_SEPARATOR = re.compile(r"^[-_=*.…~\s]{3,}$")
# "Kính gửi:" — or, in a công điện, "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH điện:".
_KINH_GUI = re.compile(r"^(?:(?:đồng\s+)?kính\s*gửi\s*[:.]?|[^\n:]{3,80}\s+điện\s*:)\s*", re.IGNORECASE)
_NOI_NHAN = re.compile(r"^n[ơo]i\s*nh[ậa]n\s*[:.]?", re.IGNORECASE)
# Signature markers: "TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "TL.", "TUQ.", "Q. CHỦ TỊCH", "T/M".
_SIGN_MARKER = re.compile(rf"^(?:T\.?M|T/M|K\.?T|K/T|T\.?L|T/L|TUQ|TU\.Q|Q|QUYỀN)\s*[./]?\s+(?=[{_UP}])")
# Heads of signer titles (folded, at the start of an all-caps line).
_TITLE_HEAD = re.compile(
    r"^(?:pho\s+|quyen\s+)?(?:chu\s+tich|giam\s+doc|truong\s+ban|bi\s+thu|chanh\s+van\s+phong|"
    r"truong\s+phong|thu\s+truong|tong\s+giam\s+doc|cuc\s+truong|vien\s+truong|hieu\s+truong|"
    r"chanh\s+thanh\s+tra|truong\s+doan|tong\s+bien\s+tap|bo\s+truong|thu\s+tuong)\b")
# A person's name: 2-6 capitalised syllables, nothing else.
_NAME = re.compile(rf"^[{_UP}][^\W\d_]*(?:\s+[{_UP}][^\W\d_]*){{1,5}}$")
_SIGNED_NOTE = re.compile(r"\((?:đã\s+ký|ký|đã\s+ký\s+và\s+đóng\s+dấu)[^)]*\)|\[[^\]]*\]", re.IGNORECASE)
# Body openings that mean the header is over.
_BODY_CUE = re.compile(
    r"^(?:căn\s+cứ|thực\s+hiện|trước\s+tình\s+hình|theo\s+đề\s+nghị|xét\s+đề\s+nghị|theo\s+|"
    r"thời\s+gian\s+qua|trong\s+thời\s+gian|hiện\s+nay|để\s+|nhằm\s+|ngày\s+\d)", re.IGNORECASE)
# Page numbers between pages: "2", "- 2 -", "Trang 2/5".
_PAGE_NUMBER = re.compile(r"^\s*(?:[-–]\s*)?\d{1,3}(?:\s*[-–])?\s*$|^\s*trang\s+\d+(?:\s*/\s*\d+)?\s*$",
                          re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?:[.;:!?…]|\./\.)[\s\"”’)]*$")

# ----------------------------------------------------------------------- item markers
# Each marker is recognised only at the start of a line/paragraph (numbers inside sentences such
# as "tháng 01/2022", "mũi 3, mũi 4", "12/4/2023", "COVID-19." are never items).
_M_DIEU = re.compile(r"^Điều\s+(\d{1,3})\s*(?:[.:]\s*|\s+(?=[" + _UP + r"])|$)")
_M_ROMAN = re.compile(r"^([IVX]{1,5})\s*[.)]\s*(?=\S)")
_M_UPPER = re.compile(r"^([A-HJ-UW-Z])\s*[.)]\s+(?=[" + _UP + r"])")  # "A. MỤC TIÊU" (not I/V/X)
_M_DOTTED = re.compile(r"^(\d{1,2}(?:\s*\.\s*\d{1,2}){1,3})\s*[.)]?(?!\d)\s*(?=[^\W\d_])")
_M_NUMBER = re.compile(r"^(\d{1,2})\s*[.)/](?![\d/])\s*(?=\S)")
_M_PAREN_NUMBER = re.compile(r"^\((\d{1,2})\)\s*(?=\S)")
_M_LETTER = re.compile(r"^([a-zđ])\s*(?:\)|\.(?=\s+[" + _UP + r"]))\s*(?=\S)")
_M_PAREN_LETTER = re.compile(r"^\(([a-zđ])\)\s*(?=\S)")
_M_BULLET = re.compile(r"^([-–—+•●○▪■◦*])\s*(?=[^\W_\d]|[\d\"“(])")
_BULLET_KIND = {"-": "-", "–": "-", "—": "-", "+": "+", "•": "•", "●": "•", "○": "○", "▪": "▪",
                "■": "▪", "◦": "○", "*": "*"}
# Fixed nesting ranks; bullets rank below everything, in order of first appearance.
_RANK = {"upper": 0, "roman": 1, "dieu": 1, "num1": 2, "num2": 3, "num3": 4, "num4": 5,
         "pnum": 6, "letter": 7, "pletter": 7}

# ----------------------------------------------------------------------- kinds
_PREAMBLE_CUE = re.compile(
    r"^(?:thuc hien|can cu|truoc tinh hinh|theo de nghi|xet de nghi|tiep theo|thoi gian qua|"
    r"trong thoi gian qua|ngay \d)|nhu sau\s*:?\s*$")
_CLOSING_CUE = re.compile(
    r"(?:yeu cau|de nghi|giao)\b.{0,250}\b(?:thuc hien|trien khai|quan tam|nghiem tuc)"
    r"|^tren day la|^nhan duoc (?:cong van|van ban)|neu co (?:kho khan|vuong mac)"
    r"|co hieu luc(?: thi hanh)?(?: ke)? tu ngay|chiu trach nhiem thi hanh (?:quyet dinh|chi thi) nay"
    r"|(?:quyet dinh|chi thi) nay co hieu luc")
_DECISION_FORMULA = re.compile(
    r"co hieu luc(?: thi hanh)?(?: ke)? tu ngay|chiu trach nhiem thi hanh (?:quyet dinh|chi thi) nay"
    r"|(?:quyet dinh|chi thi|quy che|quy dinh) nay co hieu luc|bai bo (?:quyet dinh|cac quy dinh)")

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

# ----------------------------------------------------------------------- casing
# Header words kept or written as abbreviations.
_ABBREVIATIONS = {"ubnd": "UBND", "hdnd": "HĐND", "mttq": "MTTQ", "bcd": "BCĐ", "covid-19": "COVID-19",
                  "covid": "COVID", "tw": "TW", "cdc": "CDC", "bhxh": "BHXH", "qltt": "QLTT",
                  "tt&tt": "TT&TT", "gd&dt": "GD&ĐT", "ld-tb&xh": "LĐ-TB&XH", "ubmttq": "UBMTTQ",
                  "sars-cov-2": "SARS-CoV-2", "vn": "VN"}
# Words that always take a capital ("Đảng", proper nouns of institutions).
_ALWAYS_CAP = {"đảng", "việt", "nam"}
# Organisation heads: the word after them starts the proper part ("Sở Y tế", "Ban Chỉ đạo").
_ORG_HEADS = ("ủy ban", "ban", "sở", "bộ", "phòng", "trung tâm", "văn phòng", "chi cục", "cục",
              "tổng cục", "bệnh viện", "hội đồng", "đảng bộ", "đảng ủy", "công an", "bộ chỉ huy",
              "kho bạc", "thanh tra", "đài", "báo", "viện", "trường", "hội", "liên đoàn", "đoàn",
              "mặt trận", "tỉnh ủy", "thành ủy", "huyện ủy", "quận ủy")
_UNIT_WORD_SET = {"tỉnh", "thành", "phố", "huyện", "quận", "thị", "xã", "phường", "trấn"}
_LOCATION = re.compile(r"\b(tỉnh|thành phố|huyện|quận|thị xã|xã|phường|thị trấn)\s+(?!ủy\b|hội\b)(\S.*)$")
_PARTY_COMMITTEE = re.compile(r"^(tỉnh|thành|huyện|quận|thị)\s+ủy\s+(\S.*)$")


# =========================================================================== small helpers
def doc_id_for(cleaned: str) -> str:
    """First 16 hex digits of the SHA-256 of the cleaned text: same content, same id."""
    return hashlib.sha256(cleaned.encode("utf-8")).hexdigest()[:16]


def _norm_space(text: str) -> str:
    return " ".join(text.split())


def _is_upper_line(line: str) -> bool:
    """All-caps text (headers, titles, signature blocks); digits/punctuation ignored."""
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 2 and sum(c.isupper() for c in letters) >= 0.9 * len(letters)


def _strip_stray_stars(line: str) -> str:
    """Drop OCR/markdown '*' except a leading '* ' bullet; drop markdown '#' headings."""
    line = re.sub(r"^#{1,6}\s+", "", line)
    if re.match(r"^\*\s+\S", line):
        return "* " + line[1:].lstrip().replace("*", "")
    return line.replace("*", "").strip() if "*" in line else line


def _date_parts(d: str | None, m: str | None, y: str | None) -> DateParts:
    """A partial date; out-of-range parts are dropped, never guessed."""
    year = int(y) if y else None
    month = int(m) if m and 1 <= int(m) <= 12 else None
    day = int(d) if d and 1 <= int(d) <= 31 else None
    return DateParts(year, month, day)


def _province_index(tax: Taxonomy) -> dict[str, tuple[str, bool]]:
    """folded spelling → (canonical name, is centrally-run city)."""
    return {fold(s): (p.name, p.city) for p in tax.provinces for s in p.spellings}


def _canonical_province(name: str, tax: Taxonomy) -> str | None:
    key = fold(_norm_space(name)).replace(" - ", "-").strip(" .,")
    index = _province_index(tax)
    for spelling, (canonical, _) in index.items():
        if key == spelling.replace(" - ", "-"):
            return canonical
    return None


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
             for a in body.aliases if a[:1].isupper() and " " in a}
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


def _title_of(cell: str) -> str | None:
    if cell.rstrip().endswith(":"):
        return None  # "QUYẾT ĐỊNH:" opens the articles of a decision, it is not the title
    key = re.sub(r"[^\w\s]", "", fold(cell)).strip()
    key = re.sub(r"\s+", " ", key)
    return _TITLES.get(key) if _is_upper_line(cell) else None


def _number_of(cell: str) -> tuple[str, str] | None:
    """'Số: 337/UBND-KGVX   Lạng Sơn, ngày …' → ('337/UBND-KGVX', what follows it)."""
    m = _NUMBER_LINE.match(cell)
    if not m:
        return None
    token = _NUMBER_TOKEN.match(cell, m.end())
    if not token:
        return None
    number = re.sub(r"\s*/\s*", "/", token.group(0)).strip(" .,;")
    return (number, cell[token.end():]) if number else None


# The place: capitalised words (and "TP.") right before ", ngày" — "Lạng Sơn", "TP. Hồ Chí Minh",
# "Bà Rịa - Vũng Tàu"; what precedes it on the line is another header cell.
_CAP_WORD = rf"[{_UP}][^\W\d_]*"
_PLACE_WORDS = re.compile(
    rf"(?<![\w/.&-])(?:(?:TP|Tp|tp|TX|Tx)\.?\s*)?{_CAP_WORD}(?:\s*-\s*{_CAP_WORD}|\s+{_CAP_WORD})*$")


def _place_date_of(cell: str) -> tuple[str | None, DateParts, int] | None:
    """'Lạng Sơn, ngày   tháng 4 năm 2023' → ('Lạng Sơn', 2023-04, start of the place). The date
    must end the cell (a subject citing 'ngày 12/8/2022 của …' is not a date line)."""
    m = _PLACE_DATE_NUMERIC.search(cell) or _PLACE_DATE.search(cell)
    if not m or not (m.group("y") or m.group("m")) or cell[m.end():].strip(" .,;"):
        return None
    before = cell[:m.start("place")] + m.group("place").rstrip(" -–:")
    place_match = _PLACE_WORDS.search(before.rstrip())
    if place_match is None:
        if before.strip():
            return None
        return None, _date_parts(m.group("d"), m.group("m"), m.group("y")), m.start("place")
    return (place_match.group(0), _date_parts(m.group("d"), m.group("m"), m.group("y")),
            place_match.start())


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
            if tail.strip():  # "Số: 12/UBND-VX   Lạng Sơn, ngày …" or "… V/v …" on the same line
                self._header_cell(tail.strip())
            return True
        pd = _place_date_of(cell)
        if pd:
            if not self._has_date():
                self.header.place, self.header.date = pd[0], pd[1]
            before = cell[:pd[2]].strip()
            return self._header_cell(before) if before else True  # "V/v …    Lạng Sơn, ngày …"
        if _SUBJECT_START.match(cell) and self.header.subject is None:
            self._subject(cell)
            return True
        title = _title_of(cell)
        if title and not self.seen_title:
            self.seen_title = True
            self.header.title = title
            self._title_subject()
            return True
        if _is_upper_line(cell) and len(cell.split()) <= 16 and not cell.rstrip().endswith(":"):
            if not self.seen_title and self.header.subject is None:
                self.header.issuer_lines.append(cell)
            return True
        if _is_upper_line(cell) and self.seen_title:
            return True  # "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH …:" under a decision's title
        if self._mixed_case_issuer(cell):
            self.header.issuer_lines.append(cell)
            return True
        return False

    def _has_date(self) -> bool:
        return self.header.date.year is not None or self.header.date.month is not None

    def _mixed_case_issuer(self, cell: str) -> bool:
        """'Ủy ban nhân dân' / 'tỉnh Lạng Sơn' typed in running case at the very top."""
        if self.header.number or self.header.subject or self.seen_title or self.header.date.year:
            return False
        if len(cell.split()) > 8 or re.search(r"[,.;:!?]$", cell):
            return False
        return _is_org_head(cell) or bool(re.match(rf"(?i:{_UNIT_WORDS})\s+[{_UP}]", cell))

    def _continuation(self, prev: str, line: str) -> bool:
        """Is ``line`` the next line of a wrapped subject?"""
        s = line.strip()
        if not s or _KINH_GUI.match(s) or _marker(s) is not None:
            return False
        if _NUMBER_LINE.match(s) or _place_date_of(s) or _MOTTO.search(fold(s)):
            return False
        if s[0].islower() or s[0].isdigit():
            return True  # "… phòng, chống" / "dịch COVID-19", "theo Kế hoạch số …"
        return not _BODY_CUE.match(s) and not _SENTENCE_END.search(prev) and len(s) <= 60 \
            and not _is_upper_line(s)

    def _subject(self, first: str) -> None:
        """'V/v …' and its wrapped lines (a date line merged into one of them is split off)."""
        parts = [first.strip()]
        j = self.i + 1
        while j < len(self.lines) and len(parts) < 6:
            line = self.lines[j].strip()
            pd = _place_date_of(line)
            candidate = line[:pd[2]].strip() if pd else line
            if not candidate or not self._continuation(parts[-1], candidate):
                break
            parts.append(candidate)
            if pd and not self._has_date():
                self.header.place, self.header.date = pd[0], pd[1]
            j += 1
        self.header.subject = _norm_space(" ".join(parts))
        self.i = j - 1

    def _title_subject(self) -> None:
        """Subject lines under a title ("KẾ HOẠCH" / "Triển khai … năm 2023")."""
        j = self.i + 1
        while j < len(self.lines) and not self.lines[j].strip():
            j += 1
        parts: list[str] = []
        upper_subject = False
        while j < len(self.lines) and len(parts) < 5:
            s = self.lines[j].strip()
            if not s or _marker(s) is not None or _SEPARATOR.match(s):
                break
            # "Căn cứ …;" / "Thực hiện …, UBND tỉnh chỉ đạo như sau:" open the body, but a title
            # may itself read "Thực hiện Nghị quyết số 128/NQ-CP …"
            if _BODY_CUE.match(s) and (parts or re.search(r"[:;]$", s) or len(s) > 150):
                break
            if parts and not self._continuation(parts[-1], s) and not (upper_subject and _is_upper_line(s)):
                break
            if not parts:
                if _is_upper_line(s) and _TITLE_HEAD.match(fold(s)):
                    break  # straight to "CHỦ TỊCH UBND TỈNH …" (no subject)
                upper_subject = _is_upper_line(s)
            elif _is_upper_line(s) and _TITLE_HEAD.match(fold(s)):
                break
            parts.append(s)
            j += 1
        if parts:
            self.header.subject = _norm_space(" ".join(parts))
            self.i = j - 1

    def _recipients(self) -> None:
        """"Kính gửi: X; Y." inline, and/or a bullet list under it (wrapped lines rejoined)."""
        inline = _KINH_GUI.sub("", self.lines[self.i], count=1).strip()
        raws = [p for p in inline.split(";") if p.strip()] if inline else []
        complete = bool(inline) and inline.rstrip().endswith(".")  # "Kính gửi: Sở Y tế."
        self.i += 1
        while self.i < len(self.lines) and not complete:
            s = self.lines[self.i].strip()
            if not s:
                self.i += 1
                continue
            if raws and s[0].islower() and not _SENTENCE_END.search(raws[-1]) and _marker(s) is None:
                raws[-1] = f"{raws[-1]} {s}"  # a wrapped recipient line
            elif _M_BULLET.match(s) and len(s) <= 200:
                raws.append(s)
            elif (not raws or raws[-1].rstrip().endswith((";", ","))) and len(s) <= 150 \
                    and not _BODY_CUE.match(s) and _marker(s) is None:
                raws.append(s)  # one recipient per line, no bullets
            else:
                break
            self.i += 1
        self.header.recipients = [r for r in map(_clean_recipient, raws) if r]


def _clean_recipient(text: str) -> str:
    text = _M_BULLET.sub("", text.strip(), count=1)
    return _norm_space(text).strip(" ;,.")


def _is_footer_start(line: str) -> bool:
    """'Nơi nhận:', a signature marker ('TM.', 'KT.' …) or a bare signer title ('CHỦ TỊCH')."""
    s = line.strip()
    if _NOI_NHAN.match(s):
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


# =========================================================================== issuer / province
def _is_org_head(line: str) -> bool:
    low = line.lower()
    return any(low == h or low.startswith(h + " ") for h in _ORG_HEADS) or low.startswith(("ubnd", "đảng bộ"))


def _is_complete_body(unit: str) -> bool:
    """Does a header unit already name a whole body ("UBND TỈNH LẠNG SƠN", "TỈNH ỦY X")?"""
    low = unit.lower()
    return bool(_LOCATION.search(low) or _PARTY_COMMITTEE.match(low)
                or low.startswith(("bộ ", "chính phủ")))


def _issuer_units(lines: list[str]) -> list[str]:
    """Header issuer lines → bodies, top-down: wrapped lines joined, parent and sub-body split."""
    seen: set[str] = set()
    unique: list[str] = []
    for line in lines:  # the same header may be repeated (page header, two copies)
        key = fold(line)
        if key not in seen:
            seen.add(key)
            unique.append(line)
    units: list[str] = []
    for line in unique:
        if units and not (_is_org_head(line) and _is_complete_body(units[-1])):
            units[-1] = f"{units[-1]} {line}"
        else:
            units.append(line)
    # the same body wrapped differently in a repeated header is still one body
    distinct: dict[str, str] = {}
    for unit in units:
        distinct.setdefault(fold(_norm_space(unit)), _norm_space(unit))
    return list(distinct.values())


_UNIT_WORDS = r"tỉnh|thành phố|huyện|quận|thị xã|xã|phường|thị trấn"


def _location_of(unit_cased: str) -> tuple[str, str] | None:
    """'UBND tỉnh Lạng Sơn' → ('tỉnh', 'Lạng Sơn'); 'Tỉnh ủy Lạng Sơn' → ('tỉnh', 'Lạng Sơn')."""
    m = re.search(rf"\b({_UNIT_WORDS})\s+(?!ủy\b)([{_UP}].*)$", unit_cased)
    if m:
        return m.group(1), m.group(2)
    m = re.match(r"^(Tỉnh|Thành|Huyện|Quận)\s+ủy\s+(.+)$", unit_cased)
    if m:
        kind = {"Tỉnh": "tỉnh", "Thành": "thành phố", "Huyện": "huyện", "Quận": "quận"}[m.group(1)]
        return kind, m.group(2)
    return None


def _issuer(units: list[str]) -> tuple[str | None, str | None]:
    """(issuer, parent body) from the header units: the last unit issues, the one above it is
    its parent. A sub-body without a place gets the parent's: 'Sở Y tế' under 'UBND tỉnh Lào
    Cai' → 'Sở Y tế tỉnh Lào Cai'; 'Ban Chỉ đạo … tỉnh' → '… tỉnh Lạng Sơn'; under a party
    committee (or a 'Văn phòng') the parent's whole name: 'Ban Tuyên giáo Tỉnh ủy X'."""
    if not units:
        return None, None
    cased = [_org_case(u) for u in units]
    if len(cased) == 1:
        return cased[0], None
    parent, sub = cased[-2], cased[-1]
    location = _location_of(parent)
    if _location_of(sub) or not location:
        return sub, parent
    kind, name = location
    if re.search(rf"\b(?:{_UNIT_WORDS})$", sub):
        return f"{sub} {name}", parent
    if _PARTY_COMMITTEE.match(parent.lower()) or sub.lower().startswith("văn phòng"):
        return f"{sub} {parent}", parent
    return f"{sub} {kind} {name}", parent


def _province_from_units(units: list[str], tax: Taxonomy) -> str | None:
    index = _province_index(tax)
    for unit in units:
        key = fold(_norm_space(unit))
        m = re.search(r"\b(?:tinh(?: uy)?|thanh uy)\s+(.+)$", key) or re.search(r"\bthanh pho\s+(.+)$", key)
        if not m:
            continue
        name = m.group(1).strip()
        hit = index.get(name) or index.get(name.replace("-", " - "))
        if hit and (hit[1] or "thanh pho" not in key[:m.start(1)] or "tinh" in key[:m.start(1)]):
            return hit[0]
        if "tinh" in key[:m.start(1)] and name:
            return _proper_name(unit[-len(name):])
    return None


_CENTRAL = re.compile(r"^(?:bo\s|chinh phu|thu tuong|van phong chinh phu|quoc hoi|ban chi dao quoc gia"
                      r"|ban chap hanh trung uong|ban bi thu|bo chinh tri|tong cuc\s|cuc\s(?!.*\btinh\b))")


def _is_central(units: list[str]) -> bool:
    """A national body (Bộ Y tế, Chính phủ, a Tổng cục …): it has no province."""
    return bool(units) and bool(_CENTRAL.match(fold(units[0])))


def _province_from_place(place: str | None, tax: Taxonomy) -> str | None:
    if not place:
        return None
    name = re.sub(r"^(?:tp\.?|thành phố|tỉnh)\s*", "", place.strip(), flags=re.IGNORECASE)
    return _canonical_province(name, tax)


@lru_cache(maxsize=4)
def _province_mention_re(tax_path: str) -> tuple[re.Pattern[str], dict[str, tuple[str, bool]]]:
    """One regex for 'tỉnh X' / 'thành phố X' (X a known province spelling, folded)."""
    index = _province_index(load_taxonomy(tax_path))
    alternation = "|".join(re.escape(n) for n in sorted(index, key=len, reverse=True))
    return re.compile(rf"\b(tinh|thanh pho)\s+({alternation})\b"), index


def _province_from_text(text: str, tax: Taxonomy) -> str | None:
    """Most frequent 'tỉnh X' (or 'thành phố X' for a centrally-run city) in the text."""
    regex, index = _province_mention_re(tax.path)
    counts: Counter[str] = Counter()
    for m in regex.finditer(fold(text)):
        canonical, city = index[m.group(2)]
        if m.group(1) == "tinh" or city:
            counts[canonical] += 1
    best = counts.most_common(1)
    return best[0][0] if best else None


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


# =========================================================================== signer
def _signer(footer: list[str]) -> Signer:
    """Name = last name-like line of the footer; title = the capitalised block above it."""
    cells: list[str] = []
    in_list = False
    for line in footer:
        for cell in _columns(line):
            cell = _SIGNED_NOTE.sub("", cell).strip()
            if not cell:
                continue
            if _NOI_NHAN.match(cell):
                in_list = True
                rest = _NOI_NHAN.sub("", cell).strip()
                if rest and _is_upper_line(rest):
                    cells.append(rest)
                continue
            if _M_BULLET.match(cell) or (in_list and cell[0].islower()):
                continue
            cells.append(cell)
    name_at = max((k for k, c in enumerate(cells) if _NAME.match(c) and not _is_upper_line(c)), default=None)
    name = cells[name_at] if name_at is not None else None
    block = cells[:name_at] if name_at is not None else cells
    title = _signer_title([c for c in block if _is_upper_line(c)])
    if title is None and name_at is not None:  # title printed after the name
        title = _signer_title([c for c in cells[name_at + 1:] if _is_upper_line(c)])
    return Signer(name, title)


def _signer_title(block: list[str]) -> str | None:
    """'TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH / PHÓ CHỦ TỊCH' → 'Phó Chủ tịch'; a concurrent post
    printed above the name ('CHỦ TỊCH UBND TỈNH') does not replace the signing capacity."""
    plain = [c for c in block if not _SIGN_MARKER.match(c)]
    titled = [c for c in plain if _TITLE_HEAD.match(fold(c))]
    if titled:
        return _title_case(titled[0])
    markers = [c for c in block if _SIGN_MARKER.match(c)]
    if markers:
        last = markers[-1]
        title = _SIGN_MARKER.sub("", last).strip()
        if re.match(r"^(?:Q|QUYỀN)\b", last):
            title = f"Quyền {title}"
        return _title_case(title) if _TITLE_HEAD.match(fold(title)) else None
    return None


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


# =========================================================================== paragraphs
@dataclass
class _Marker:
    kind: str  # "roman", "num1", "letter", "bullet:-", …
    label: str  # path component: "II", "2", "a", "Đ2", "-" (bullets are numbered later)
    rest: str  # the text after the marker
    value: int = 0  # numeric value for sequence checks


def _marker(line: str) -> _Marker | None:
    """The item marker at the start of a line/paragraph, if any."""
    s = line.strip()
    if m := _M_DIEU.match(s):
        return _Marker("dieu", f"Đ{int(m.group(1))}", s[m.end():], int(m.group(1)))
    if (m := _M_ROMAN.match(s)) and not s.startswith(("V/v", "V/V")):
        return _Marker("roman", m.group(1), s[m.end():])
    if m := _M_UPPER.match(s):
        return _Marker("upper", m.group(1), s[m.end():])
    if m := _M_DOTTED.match(s):
        comps = [c.strip() for c in m.group(1).split(".")]
        return _Marker(f"num{len(comps)}", ".".join(comps), s[m.end():], int(comps[-1]))
    if m := _M_NUMBER.match(s):
        return _Marker("num1", str(int(m.group(1))), s[m.end():], int(m.group(1)))
    if m := _M_PAREN_NUMBER.match(s):
        return _Marker("pnum", m.group(1), s[m.end():], int(m.group(1)))
    if m := _M_LETTER.match(s):
        return _Marker("letter", m.group(1), s[m.end():], ord(m.group(1)))
    if m := _M_PAREN_LETTER.match(s):
        return _Marker("pletter", m.group(1), s[m.end():], ord(m.group(1)))
    if m := _M_BULLET.match(s):
        return _Marker("bullet:" + _BULLET_KIND[m.group(1)], "-" if m.group(1) != "+" else "+", s[m.end():])
    return None


def _paragraphs(lines: list[str]) -> list[str]:
    """Body lines → paragraphs: hard-wrapped lines joined, items split, page breaks mended."""
    lines = [ln for ln in lines if not _PAGE_NUMBER.match(ln)]
    blocks: list[list[str]] = [[]]
    for line in lines:
        if line.strip():
            blocks[-1].append(line.strip())
        elif blocks[-1]:
            blocks.append([])
    blocks = [b for b in blocks if b]
    nonblank = [ln for b in blocks for ln in b]
    if not nonblank:
        return []
    # One paragraph per line (docx-like) vs hard-wrapped lines (pdf-like).
    ending = sum(bool(_SENTENCE_END.search(ln)) for ln in nonblank) / len(nonblank)
    widths = sorted(len(ln) for ln in nonblank)
    wrap_width = widths[int(0.9 * (len(widths) - 1))]
    line_mode = ending >= 0.6
    paras: list[str] = []
    for block in blocks:
        current = block[0]
        for prev, line in zip(block, block[1:]):
            if _starts_new_paragraph(prev, line, line_mode, wrap_width):
                paras.append(current)
                current = line
            else:
                current = f"{current} {line}"
        paras.append(current)
    return _mend_page_breaks(paras)


def _is_caption(line: str) -> bool:
    """An all-caps line of a few words ("MỤC ĐÍCH, YÊU CẦU"), not a lone code like "COVID-19."."""
    return _is_upper_line(line) and len(line.split()) >= 2


def _starts_new_paragraph(prev: str, line: str, line_mode: bool, wrap_width: int) -> bool:
    """Does ``line`` start a new paragraph after ``prev`` within one block of lines?"""
    if _marker(line) is not None or _is_caption(prev) != _is_caption(line):
        return True
    starts_upper = line[:1].isupper() or line[:1] in "\"“("
    if line_mode:  # one paragraph per line: only a lowercase start continues the previous one
        return starts_upper or bool(_SENTENCE_END.search(prev))
    # hard-wrapped: a short line ending a sentence closes its paragraph
    return bool(_SENTENCE_END.search(prev)) and starts_upper and len(prev) < 0.8 * wrap_width


def _mend_page_breaks(paras: list[str]) -> list[str]:
    """'… năng lực cấp' + 'cứu, hồi sức …' → one paragraph (a sentence cut by a page break)."""
    out: list[str] = []
    for para in paras:
        if (out and not _SENTENCE_END.search(out[-1]) and _marker(para) is None
                and (para[:1].islower() or para[:1] in ",;)")):
            out[-1] = f"{out[-1]} {para}"
        else:
            out.append(para)
    return out


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


class _ClauseBuilder:
    """Turns body paragraphs into clauses, tracking the item hierarchy."""

    def __init__(self, doc_id: str, addressee: AgencyRoles | None, tax: Taxonomy,
                 titles: bool = True) -> None:
        self.doc_id = doc_id
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

    # ---- helpers
    def _rank(self, kind: str) -> int:
        if kind.startswith("bullet:"):
            return self.bullet_rank.setdefault(kind, 20 + len(self.bullet_rank))
        return _RANK[kind]

    def emit(self, path: str, kind: ClauseKind, text: str, heading: str | None,
              inherited: AgencyRoles | None) -> AgencyRoles:
        text = _norm_space(text)
        roles: AgencyRoles = AgencyRoles()
        mentions: list[AgencyMention] = []
        if kind == "directive":
            roles, mentions = assign_roles(text, inherited, self.tax)
        order = len(self.clauses)
        self.clauses.append(Clause(f"{self.doc_id}-{order:03d}", path, kind, text, roles,
                                   heading=heading, mentions=mentions, order=order))
        return roles

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
        inherited = parent.roles if parent else self.addressee
        heading = parent.text if parent else None
        text = _norm_space(marker.rest)
        kind: ClauseKind = "closing" if marker.kind == "dieu" and _DECISION_FORMULA.search(fold(text)) \
            else "directive"
        roles = inherited or AgencyRoles()
        node = _Node(marker.kind, path, text, roles, parent, marker.value)
        if text and not (self.titles and _is_section_title(text)):
            node.roles = self.emit(path, kind, text, heading, inherited)
        else:
            node.paragraphs = 0  # a bare title: its first paragraph takes the item's own path
        if parent:
            parent.last_child[marker.kind] = marker.value
        else:
            self.top_last[marker.kind] = marker.value
        self.stack.append(node)
        self.seen_item = True

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
        self.emit(path, "directive", text, node.text or None, node.roles)


def _is_section_title(text: str) -> bool:
    """'MỤC ĐÍCH, YÊU CẦU', 'TỔ CHỨC THỰC HIỆN': an all-caps caption is structure, not a clause
    (its sub-items carry it as their ``heading``)."""
    return _is_upper_line(text) and len(text.split()) <= 16


def _is_closing(folded_para: str, length: int) -> bool:
    """The formula after the last item: "… yêu cầu … thực hiện nghiêm túc …/.", "Trên đây là …"."""
    return (bool(_CLOSING_CUE.search(folded_para)) and length < 600) or \
        (folded_para.rstrip().endswith("./.") and length < 300)


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
                   tax: Taxonomy) -> list[Clause]:
    # All-caps captions ("QUYẾT ĐỊNH:", "MỤC ĐÍCH, YÊU CẦU") are structure, not clauses — unless
    # the whole letter is typed in capitals (old-style công điện).
    all_caps = sum(map(_is_upper_line, paras)) > len(paras) / 2
    if not all_caps:
        paras = [p for p in paras if not (_is_upper_line(p) and _marker(p) is None and len(p.split()) <= 14)]
    markers = [_marker(p) for p in paras]
    if not any(markers):
        return _unnumbered_clauses(paras, doc_id, addressee, tax)
    builder = _ClauseBuilder(doc_id, addressee, tax, titles=not all_caps)
    last_item = max(k for k, m in enumerate(markers) if m)
    for k, (para, marker) in enumerate(zip(paras, markers)):
        folded = fold(para)
        if marker is not None and builder.plausible(marker) and not builder.closing:
            builder.item(marker)
        elif not builder.seen_item:
            builder.extra("preamble", para)
        elif builder.closing or (k > last_item and _is_closing(folded, len(para))):
            builder.closing = True
            builder.extra("closing", para)
        else:  # an unmarked paragraph, or a number that breaks the sequence: item text
            builder.continuation(para)
    _unique_paths(builder.clauses)
    return builder.clauses


def _unnumbered_clauses(paras: list[str], doc_id: str, addressee: AgencyRoles | None,
                        tax: Taxonomy) -> list[Clause]:
    """No item markers: preamble paragraphs, then ``p1``, ``p2`` …, then the closing."""
    builder = _ClauseBuilder(doc_id, addressee, tax)
    if len(paras) == 1 and len(paras[0]) > 300:
        units, prefix = _split_sentences(paras[0]), "s"
    else:
        units, prefix = paras, "p"
    n = 0
    preamble_open = True
    for k, unit in enumerate(units):
        folded = fold(unit)
        if preamble_open and _PREAMBLE_CUE.search(folded) and k < len(units) - 1:
            builder.extra("preamble", unit)
            if re.search(r"nhu sau\s*:?\s*$", folded):
                preamble_open = False
            continue
        preamble_open = False
        if k > 0 and (builder.closing or (k == len(units) - 1 and _is_closing(folded, len(unit)))):
            builder.closing = True
            builder.extra("closing", unit)
            continue
        n += 1
        builder.emit(f"{prefix}{n}", "directive", unit, None, addressee)
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
def _addressee_roles(recipients: list[str], tax: Taxonomy) -> AgencyRoles | None:
    """A letter sent to a single body makes that body the lead of items that name no one."""
    if len(recipients) != 1:
        return None
    ids = list(dict.fromkeys(m.agency for m in find_mentions(recipients[0], tax)))
    return AgencyRoles(lead=ids) if len(ids) == 1 else None


# =========================================================================== entry point
def parse_letter(text: str, source: str | None = None, taxonomy: Taxonomy | None = None) -> Letter:
    """Parse one letter's extracted text. Never raises for unusual but valid input."""
    tax = taxonomy or load_taxonomy()
    cleaned = clean_text(text)
    doc_id = doc_id_for(cleaned)
    lines = [_strip_stray_stars(ln) for ln in cleaned.split("\n")]
    layout = _split_layout(lines)
    header = layout.header

    units = _issuer_units(header.issuer_lines)
    issuer, parent = _issuer(units)
    body_text = "\n".join(layout.body)
    province = _province_from_units(units, tax)
    if province is None and not _is_central(units):  # a ministry in Hà Nội is not "Hà Nội"
        province = _province_from_place(header.place, tax)
    if province is None and not _is_central(units) and (units or header.number or header.place):
        # e.g. "UBND HUYỆN CAO LỘC": the province is the one the letter keeps naming. A bare
        # excerpt gets none: nothing is inferred for text with no header at all.
        province = _province_from_text(f"{header.subject or ''}\n{body_text}", tax)
    doc_type = header.title or _type_from_number(header.number) or (
        "Công văn" if header.subject and _SUBJECT_START.match(header.subject) else None)

    paras = _paragraphs(layout.body)
    clauses = _build_clauses(paras, doc_id, _addressee_roles(header.recipients, tax), tax)
    references = _references("\n".join(filter(None, [header.subject, *paras])))

    return Letter(
        doc_id=doc_id, doc_type=doc_type, issuer=issuer, parent_body=parent, province=province,
        number=header.number, place=header.place, date=header.date, subject=header.subject,
        recipients=header.recipients, signer=_signer(layout.footer), references=references,
        clauses=clauses, text=cleaned, source=source)
