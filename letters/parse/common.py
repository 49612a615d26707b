"""Patterns and small helpers every parser step shares (motto, number, date, titles, type codes)."""
from __future__ import annotations

import hashlib
import re

from congvan.letters.schema import (
    DateParts,
)
from congvan.letters.taxonomy import Taxonomy
from congvan.letters.text import fold

# =========================================================================== patterns
# Vietnamese upper/lower letters for character classes (str.isupper works too, but regexes
# need explicit classes).
_UP = "A-ZĐÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"

# National motto and party banner lines (folded) are never the issuer.
_MOTTO = re.compile(
    r"cong\s*hoa\s*xa\s*hoi\s*chu\s*nghia\s*(?:viet|\S{2,5})\s*nam|doc\s+lap\s*[-–—,]?\s*tu\s+do\s*[-–—,]?\s*hanh\s*ph\w{1,2}c"
    r"|dang\s+cong\s+san\s+viet\s+nam")
_STATE_NAME = re.compile(r"\bnuoc\s*$")


def _motto_in(line: str) -> re.Match[str] | None:
    """The national motto or party banner printed on ``line``, not the state's name in a sentence:
    "… điều ước quốc tế mà nước Cộng hòa xã hội chủ nghĩa Việt Nam là thành viên" is no motto."""
    folded = fold(line)
    m = _MOTTO.search(folded)
    return None if m is None or _STATE_NAME.search(folded[:m.start()]) else m


# "Số: 123/UBND-KGVX", "Số: /UBND-KGVX", "Số: -CV/BCĐ", "Số 01/2023/QĐ-UBND" (folded "so").
# "Số: 337/UBND-KGVX"; some bodies print the type before it, always with the colon ("Nghị quyết
# số: 653/2019/UBTVQH14"), which a sentence citing a document ("Quyết định số 12/…") never has.
_NUMBER_LINE = re.compile(r"^(?:s[oố]\s*(?::|\.|(?=\s*[\w/-]*/))"
                          r"|(?:ngh[iị]\s+quy[eế]t|quy[eế]t\s+đ[iị]nh|ch[iỉ]\s+th[iị]|th[oô]ng\s+t[uư]"
                          r"|ngh[iị]\s+đ[iị]nh|k[eế]\s+ho[aạ]ch|c[oô]ng\s+(?:v[aă]n|đi[eệ]n))\s+s[oố]\s*:)\s*",
                          re.IGNORECASE)
_NUMBER_TOKEN = re.compile(
    r"(?:\d\s){2,9}\d?\s*/\s*[\w.&]+(?:\s*-\s*[\w.&]+)*"  # OCR-spaced digits: "1 0 9 4 3 /BYT-MT"
    r"|[\w.\-&]*(?:\s*/\s*-?[\w.&]+(?:\s*[-–]\s*[\w.&]+)*)+|\d[\w.\-]*")  # "1281/-UBND", "4144 /GDĐT – VP"
# "Lạng Sơn, ngày 12 tháng 4 năm 2023" — day/month may be blank or dotted in drafts.
_FILL = r"[\s.…_]*"
_PLACE_DATE = re.compile(
    rf"(?P<place>[^\W\d_][^,\n]{{0,40}}?)\s*,\s*ng[àa]y{_FILL}(?P<d>\d{{1,2}})?{_FILL}"
    rf"th[áa]ng{_FILL}(?P<m>\d{{1,2}})?{_FILL}n[ăa]m{_FILL}(?P<y>\d{{4}})?", re.IGNORECASE)
_PLACE_DATE_NUMERIC = re.compile(
    r"(?P<place>[^\W\d_][^,\n]{0,40}?)\s*,\s*ng[àa]y\s*(?P<d>\d{1,2})\s*[/.-]\s*(?P<m>\d{1,2})\s*[/.-]\s*(?P<y>\d{4})",
    re.IGNORECASE)
# "V/v …" / "Về việc …" starts the subject of a công văn.
# The "V/v" label itself (any case, "V.v", "V/v:"), as it starts a subject.
VV_LABEL = re.compile(r"^v\s*[/.]?\s*v\b\s*[:.]?\s*", re.IGNORECASE)
# OCR reads the label as "Viv", "VW", "V/ ", "'V/ " (a scan's speck before it).
_SUBJECT_START = re.compile(r"^['‘’“\"`]?(?:V/v|V/V|v/v|Vv|V\.v|Viv|VWv?|V/(?=\s))\b\.?\s*:?\s*|^Về\s+việc\b|^Về\s+(?=[a-zđà-ỹ])",
                            re.IGNORECASE)
# Title words of documents that carry a title instead of "V/v" (folded, whole line).
_TITLES = {
    "chi thi": "Chỉ thị", "ke hoach": "Kế hoạch", "quyet dinh": "Quyết định",
    "thong bao": "Thông báo", "cong dien": "Công điện", "huong dan": "Hướng dẫn",
    "bao cao": "Báo cáo", "to trinh": "Tờ trình", "chuong trinh": "Chương trình",
    "nghi quyet": "Nghị quyết", "quy che": "Quy chế", "quy dinh": "Quy định",
    "cong van": "Công văn", "ket luan": "Kết luận", "phuong an": "Phương án",
    "giay moi": "Giấy mời", "thong bao ket luan": "Thông báo", "cong dien khan": "Công điện",
    "thu ngo": "Thư ngỏ", "ke hoach lien nganh": "Kế hoạch",
    # legal documents carry their title the same way ("THÔNG TƯ" ⏎ "HƯỚNG DẪN …")
    "thong tu": "Thông tư", "nghi dinh": "Nghị định",
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
# "Kính gửi:" (OCR: "Kỉnhgửì:"), "THỦ TƯỚNG CHÍNH PHỦ điện:", and a công điện's "Điện:" on a line of
# its own under the sender ("THỦ TƯỚNG CHÍNH PHỦ" ⏎ "Điện: | - Ủy ban nhân dân các tỉnh …; |")
_KINH_GUI = re.compile(r"^(?:(?:đồng\s+)?k[iíìỉĩị]nh\s*g[uưửừứữựủùúụũ][iíìỉĩị]\s*[:.]?|[^\n:]{3,80}\s+điện\s*:"
                       r"|[*_\s]*điện\s*:[*_]*(?=\s*(?:[|\-–+•]|$)))\s*", re.IGNORECASE)
_NOI_NHAN = re.compile(r"^n[ơo]i\s*nh[ậa]n\s*[:.]?", re.IGNORECASE)
# Signature markers: "TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "TL.", "TUQ.", "Q. CHỦ TỊCH", "T/M".
_SIGN_MARKER = re.compile(rf"^(?:T\.?M|T/M|K\.?T|K/T|T\.?L|T/L|TUQ|TU\.Q|Q|QUYỀN)\s*[./]?\s+(?=[{_UP}])")
# Heads of signer titles (folded, at the start of an all-caps line).
_TITLE_HEAD = re.compile(
    r"^(?:pho\s+|quyen\s+)?(?:chu\s+tich|giam\s+doc|truong\s+ban|bi\s+thu|chanh\s+van\s+phong|"
    r"truong\s+phong|thu\s+truong|tong\s+giam\s+doc|cuc\s+truong|vien\s+truong|hieu\s+truong|"
    r"chanh\s+thanh\s+tra|truong\s+doan|tong\s+bien\s+tap|bo\s+truong|thu\s+tuong|chu\s+nhiem|tong\s+bi\s+thu)\b")
# A person's name: 2-6 capitalised syllables, nothing else.
_NAME = re.compile(rf"^[{_UP}][^\W\d_]*(?:\s+[{_UP}][^\W\d_]*){{1,5}}$")
_SIGNED_NOTE = re.compile(r"\((?:đã\s+ký|ký|đã\s+ký\s+và\s+đóng\s+dấu)[^)]*\)|\[[^\]]*\]", re.IGNORECASE)
# Body openings that mean the header is over.
_BODY_CUE = re.compile(
    r"^(?:căn\s+cứ|thực\s+hiện|trước\s+tình\s+hình|theo\s+đề\s+nghị|xét\s+đề\s+nghị|theo\s+|"
    r"thời\s+gian\s+qua|trong\s+thời\s+gian|hiện\s+nay|để\s+|nhằm\s+|ngày\s+\d"
    r"|(?:sáng|chiều|trưa|tối|đêm|vào)\s+(?:ngày\s+\d|nay\b|qua\b))", re.IGNORECASE)
# Page numbers between pages: "2", "- 2 -", "Trang 2/5".
_PAGE_NUMBER = re.compile(r"^\s*(?:[-–]\s*)?\d{1,3}(?:\s*[-–])?\s*$|^\s*trang\s+\d+(?:\s*/\s*\d+)?\s*$",
                          re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?:[.;:!?…]|\./\.)[\s\"”’)]*$")

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
