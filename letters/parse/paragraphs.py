"""Body lines to paragraphs: wrapped lines joined, items split, page breaks mended."""
from __future__ import annotations

import re

from congvan.letters.parse.common import _PAGE_NUMBER, _SENTENCE_END, _is_upper_line
from congvan.letters.parse.markers import _marker


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


# Words that expect a number after them: a line wrapped after "số", "cấp độ", "khoản" … that
# starts with "16/CV-…", "1. Cấp …" or "2 Nghị quyết …" goes on with the same sentence.
_EXPECTS_NUMBER = re.compile(
    r"(?:\b[sS]ố|cấp\s+độ|[đĐ]iều|[kK]hoản|[mM]ục|[pP]hụ\s+lục|tháng|năm|ngày|lần|đợt|giai\s+đoạn"
    r"|nhóm|loại)$")  # lower case: "Quảng Nam" is a name, not "năm"

# Openers of a new paragraph even after a long wrapped line: "Căn cứ …;" one per paragraph.
_OPENER = re.compile(r"^(?:Căn\s+cứ|Theo\s+đề\s+nghị|Xét\s+đề\s+nghị|Thực\s+hiện|Trên\s+cơ\s+sở)\b")


def _wrapped_marker(prev: str, line: str) -> bool:
    """A line that only looks like an item: a wrap inside a sentence ("số⏎16/CV-…", "cấp độ⏎1.
    Cấp …", "Điều⏎2 Nghị quyết", "chính trị⏎- xã hội")."""
    marker = _marker(line)
    if marker is None or re.search(r"[.;:!?]$|\./\.$", prev):
        return False
    if _EXPECTS_NUMBER.search(prev):
        return True
    if marker.kind == "dieu" and not re.match(r"^Điều\s+\d+\s*[.:]", line):
        return True  # "… khoản 1⏎Điều 2 Nghị quyết số …" (an article heading has "Điều 2.")
    if marker.kind.startswith("bullet:") and marker.rest[:1].isdigit() and prev[-1:].isdigit():
        return True  # a range wrapped at its dash: "giai đoạn 2021" ⏎ "- 2025”;"
    return marker.kind.startswith("bullet:") and marker.rest[:1].islower() and not prev.endswith(",")


# The central letters' standard list of doers, wrapped at its semicolon: "3. Các bộ, cơ quan ngang
# bộ, cơ quan thuộc Chính phủ;" ⏎ "Ủy ban nhân dân các tỉnh, thành phố … khẩn trương …" is one item.
_DOER_LIST_END = re.compile(r"(?:cơ quan (?:trực )?thuộc Chính phủ|cơ quan ngang [bB]ộ|các [bB]ộ, ngành(?: [tT]rung ương)?);$")
_DOER_LIST_NEXT = re.compile(r"^(?:Ủy|Uỷ) ban nhân dân|^UBND\b")


def _starts_new_paragraph(prev: str, line: str, line_mode: bool, wrap_width: int) -> bool:
    """Does ``line`` start a new paragraph after ``prev`` within one block of lines?"""
    if _wrapped_marker(prev, line):
        return False
    if _DOER_LIST_END.search(prev) and _DOER_LIST_NEXT.match(line):
        return False
    if _marker(line) is not None or _is_caption(prev) != _is_caption(line):
        return True
    starts_upper = line[:1].isupper() or line[:1] in "\"“("
    if line_mode:  # one paragraph per line: only a lowercase start continues the previous one,
        # or a line of a page's width cut mid-sentence ("… Phó Trưởng" ⏎ "Ban Chỉ đạo."): a
        # PDF's lines are the page's, 60 to ~110 characters wide
        if 60 <= wrap_width <= 110 and len(prev) >= 0.85 * wrap_width and (prev[-1:].isalnum() or prev[-1:] == ",") \
                and not _is_caption(prev):
            return False
        return starts_upper or bool(_SENTENCE_END.search(prev))
    if _OPENER.match(line) and re.search(r"[.;:]$", prev):
        return True
    head = _marker(prev)
    if head is not None and prev.endswith(":") and not _is_caption(prev) \
            and len(head.rest.split()) <= (6 if head.kind.startswith("bullet:") else 10):
        return False  # "4. Các cơ sở nuôi trồng thủy sản:" ⏎ its text: one clause
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
