"""Item markers at the start of a paragraph: "I.", "1.", "1.2.", "a)", "Điều 2.", bullets."""
from __future__ import annotations

import re
from dataclasses import dataclass

from congvan.letters.parse.common import _UP

# ----------------------------------------------------------------------- item markers
# Each marker is recognised only at the start of a line/paragraph (numbers inside sentences such
# as "tháng 01/2022", "mũi 3, mũi 4", "12/4/2023", "COVID-19." are never items).
_M_DIEU = re.compile(r"^Điều\s+(\d{1,3})\s*(?:[.:]\s*|\s+(?=[" + _UP + r"])|$)")
_M_ROMAN = re.compile(r"^([IVX]{1,5})\s*[.)]\s*(?=\S)")
_M_UPPER = re.compile(r"^([A-HJ-UW-Z])\s*[.)]\s+(?=[" + _UP + r"])")  # "A. MỤC TIÊU" (not I/V/X)
_M_DOTTED = re.compile(r"^(\d{1,2}(?:\s*\.\s*\d{1,2}){1,3})\s*[.)]?(?!\d)\s*(?=[^\W\d_])")
# "1." "1)" "1/ " — but not a code wrapped to the line start ("49/QCPH-…", "16/CV-…")
_M_NUMBER = re.compile(r"^(\d{1,2})\s*(?:[.)]|/(?=\s))(?![\d/])\s*(?=\S)")
_M_PAREN_NUMBER = re.compile(r"^\((\d{1,2})\)\s*(?=\S)")
_M_LETTER = re.compile(r"^([a-zđ])\s*(?:\)|\.(?=\s+[" + _UP + r"]))\s*(?=\S)")
_M_PAREN_LETTER = re.compile(r"^\(([a-zđ])\)\s*(?=\S)")
# "(ii)", "(iv)", "(xii)": conclusions and central letters list orders so, often under a lettered
# item ("b) … đề nghị: (i) … (ii) …"). "(i)", "(v)", "(x)" alone are letters until their
# neighbours say otherwise (``resolve_romans``).
_M_PAREN_ROMAN = re.compile(r"^\(((?:x{0,2})(?:ix|iv|v?i{0,3}))\)\s*(?=\S)")
_ROMAN_VALUE = {"i": 1, "v": 5, "x": 10}
_M_BULLET = re.compile(r"^([-–—+•●○▪■◦*])\s*(?=[^\W_\d]|[\d\"“(])")
_BULLET_KIND = {"-": "-", "–": "-", "—": "-", "+": "+", "•": "•", "●": "•", "○": "○", "▪": "▪",
                "■": "▪", "◦": "○", "*": "*"}
# Fixed nesting ranks; bullets rank below everything, in order of first appearance.
_RANK = {"upper": 0, "roman": 1, "dieu": 1, "num1": 2, "num2": 3, "num3": 4, "num4": 5,
         "pnum": 6, "letter": 7, "pletter": 7, "proman": 8}

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
    if (m := _M_PAREN_ROMAN.match(s)) and len(m.group(1)) > 1:
        return _Marker("proman", m.group(1), s[m.end():], _roman(m.group(1)))
    if m := _M_PAREN_LETTER.match(s):
        return _Marker("pletter", m.group(1), s[m.end():], ord(m.group(1)))
    if m := _M_BULLET.match(s):
        return _Marker("bullet:" + _BULLET_KIND[m.group(1)], "-" if m.group(1) != "+" else "+", s[m.end():])
    return None


def _roman(numeral: str) -> int:
    values = [_ROMAN_VALUE[c] for c in numeral]
    return sum(-v if k + 1 < len(values) and v < values[k + 1] else v for k, v in enumerate(values))


def resolve_romans(markers: list[_Marker | None]) -> list[_Marker | None]:
    """Read "(i)", "(v)", "(x)" as roman numerals where their neighbours are: "(i)" before "(ii)",
    "(v)" after "(iv)", "(x)" after "(ix)". Otherwise they stay letters ("(h)", "(i)", "(k)")."""
    out = list(markers)
    seq = [k for k, m in enumerate(out) if m is not None and m.kind in ("pletter", "proman")]
    for pos, k in enumerate(seq):
        m = out[k]
        if m is None or m.kind != "pletter" or m.label not in _ROMAN_VALUE:
            continue
        value = _ROMAN_VALUE[m.label]
        before = out[seq[pos - 1]] if pos else None
        after = out[seq[pos + 1]] if pos + 1 < len(seq) else None
        if (before is not None and before.kind == "proman" and before.value == value - 1) \
                or (after is not None and after.kind == "proman" and after.value == value + 1):
            out[k] = _Marker("proman", m.label, m.rest, value)
    return out
