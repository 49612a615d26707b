"""The signer block: name and signing capacity ("KT. CHỦ TỊCH / PHÓ CHỦ TỊCH")."""
from __future__ import annotations

import re

from congvan.letters.parse.casing import _title_case
from congvan.letters.parse.common import _NAME, _NOI_NHAN, _SIGN_MARKER, _SIGNED_NOTE, _TITLE_HEAD, _is_upper_line
from congvan.letters.parse.header import _columns
from congvan.letters.parse.markers import _M_BULLET
from congvan.letters.schema import (
    Signer,
)
from congvan.letters.text import fold


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
