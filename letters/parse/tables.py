"""Task tables of kế hoạch and quyết định annexes: one row → one clause, roles from its columns.

Why: plans list their tasks as a table ("TT | Nội dung | Cơ quan chủ trì | Cơ quan phối hợp |
Thời gian hoàn thành"). Web copies flatten it into cells separated by lines holding only "|", a
row ending with an empty cell. Read cell by cell, a row falls apart into a number, a task and
two lists of bodies; read as a row, it is one directive whose lead and support bodies are given
by the columns. Rows are rewritten as "1. <task>" with the columns attached (``row_columns``
reads them back). A table whose rows do not line up with its header (merged
cells) is left as it was.
"""
from __future__ import annotations

import re

from congvan.letters.text import fold

__all__ = ["ROW_SEP", "rewrite_task_tables", "row_columns"]

_PIPE_ONLY = re.compile(r"^[\s|]*\|[\s|]*$")
_FILLER = re.compile(r"^[\s.…_\-]*$")
_TT_HEAD = re.compile(r"^(?:s?tt|so tt|so thu tu)$")
_TT = re.compile(r"^(?:[IVXL]{1,5}|\d{1,3}|[a-zđ]|[A-H])\s*[.)]?$")
# The suffix written for a row, read back by the clause builder for its lead/support.
# Columns travel with the row's line behind an invisible separator (U+2063) and are taken off
# again by the clause builder: the clause text stays the task as written.
ROW_SEP = "\u2063"
_COLUMN = re.compile(ROW_SEP + r"(lead|support)=([^" + ROW_SEP + r"]*)")


def row_columns(line: str) -> tuple[str, dict[str, str]]:
    """'task⁣lead=…⁣support=…' → ('task', {'lead': …, 'support': …})."""
    text, sep, _ = line.partition(ROW_SEP)
    return (text, dict(_COLUMN.findall(line))) if sep else (line, {})


def _role(header: str) -> str:
    key = fold(" ".join(header.split()))
    if _TT_HEAD.match(key):
        return "tt"
    if "chu tri" in key:
        return "lead"
    if "phoi hop" in key:
        return "support"
    if re.search(r"thoi (?:gian|han)|tien do", key):
        return "deadline"
    if re.match(r"(?:chi tieu|san pham|ket qua|yeu cau|muc tieu|mo ta)", key):
        return "detail"  # "Chỉ tiêu đạt được", "Sản phẩm", "Kết quả dự kiến": what the task must deliver
    if re.match(r"thuoc nhom|nhom (?:nhiem vu|giai phap)", key):
        return "other"  # "Thuộc nhóm nhiệm vụ": the group a task belongs to, not the task
    if re.search(r"noi dung|nhiem vu|ten (?:nhiem vu|hoat dong)|hoat dong", key):
        return "task"
    return "other"


def _cells(lines: list[str]) -> list[tuple[int, int, str]]:
    """(first line, end line, text) of each cell between pipe-only lines."""
    out: list[tuple[int, int, str]] = []
    start = 0
    for k, line in enumerate([*lines, "|"]):
        if _PIPE_ONLY.match(line):
            text = " ".join(" ".join(lines[start:k]).split())
            out.append((start, k, "" if _FILLER.match(text) else text))  # "…......" is empty
            start = k + 1
    return out


def _row_text(tt: str, values: dict[str, str]) -> str:
    """'1. <task>' with its lead/support columns behind ``ROW_SEP`` (no number under merged cells)."""
    head = f"{tt.rstrip('.)')}. " if tt else ""
    return head + values["task"] + "".join(f"{ROW_SEP}{role}={values[role].replace(ROW_SEP, ' ')}"
                                           for role in ("lead", "support") if values.get(role))


def _values(roles: list[str], row: list[str]) -> dict[str, str]:
    """Column role → cell text. The first of two task columns ("Tên dự án", "Nội dung chính")
    names the task; the other and the detail columns ("Chỉ tiêu đạt được", "Sản phẩm") follow it
    in the clause, which is what staff search for ("trạm kiểm định khí thải")."""
    values: dict[str, str] = {}
    details: list[str] = []
    for role, value in zip(roles, row):
        if role in ("tt", "other") or not value:
            continue
        if role == "detail" or (role == "task" and "task" in values):
            details.append(value)
        else:
            values.setdefault(role, value)
    if details and "task" in values:
        task = values["task"].rstrip()
        values["task"] = task + ("" if task.endswith((":", ".", ";")) else ":") + " " + " ".join(details)
    return values


def _table_at(cells: list[tuple[int, int, str]], h: int) -> tuple[int, list[str]] | None:
    """Rows of the table whose header starts at cell ``h``: (index after the table, new lines)."""
    end = next((k for k in range(h, len(cells)) if not cells[k][2]), None)
    if end is None:
        return None
    roles = [_role(c[2]) for c in cells[h:end]]
    if "lead" not in roles or "task" not in roles or roles[0] != "tt" or len(roles) < 3:
        return None  # only "TT | task | chủ trì | …" or "TT | chủ trì | phối hợp | … | task | …"
    n = len(roles)
    out: list[str] = []
    spanned: dict[str, str] = {}  # the last full row: merged cells of the rows under it
    k = end
    while k < len(cells):
        while k < len(cells) and not cells[k][2]:
            k += 1
        if k >= len(cells):
            break
        width = next((w for w in range(len(cells) - k) if not cells[k + w][2]), len(cells) - k)
        row = [c[2] for c in cells[k:k + width]]
        task_at = roles.index("task")
        if _TT.match(row[0]) and width > max(task_at, 2):  # trailing cells may be empty
            values = _values(roles, row)
            if "task" not in values:
                break
            spanned = values
            out += [_row_text(row[0], values), ""]
        elif _TT.match(row[0]) and width == 2:
            out += [f"{row[0].rstrip('.)')}. {row[1]}", ""]  # a section row: "II | TITLE"
            spanned = {}
        elif width == n - 1 and n > 3 and "task" in (values := _values(roles[1:], row)) and values.get("lead"):
            # a full row whose number cell is empty ("" | Bộ Khoa học và Công nghệ | … under a
            # section row "D. | BỘ KHOA HỌC VÀ CÔNG NGHỆ"): the empty cell reads as a row end
            spanned = values
            out += [_row_text("", values), ""]
        elif spanned and 2 <= width < n and not _TT.match(row[0]):
            # a row under merged cells: it starts at the task column (or, when wider than the
            # columns from the task on, ends at the last column); the cells before it span
            start = task_at if width <= n - task_at else n - width
            if "tt" in roles[start:start + width] or "task" not in roles[start:start + width]:
                break  # a sub-row starts with its own task; its own chủ trì/phối hợp cells follow
            values = {**spanned, **_values(roles[start:], row)}
            out += [_row_text("", values), ""]
        else:
            break  # not a row of this table: leave the rest as it was
        k += width
    return (k, out) if out else None


def rewrite_task_tables(lines: list[str]) -> list[str]:
    """Lines with pipe-only cell separators → the same lines, task tables rewritten as items."""
    if sum(bool(_PIPE_ONLY.match(ln)) for ln in lines) < 8:
        return lines
    cells = _cells(lines)
    out: list[str] = []
    pos = 0  # next line of ``lines`` not yet copied
    h = 0
    while h < len(cells):
        if _TT_HEAD.match(fold(cells[h][2])) and (table := _table_at(cells, h)) is not None:
            stop, new = table
            out += lines[pos:cells[h][0]] + [""] + new
            pos = cells[stop - 1][1] if stop > 0 else cells[h][1]
            h = stop
            continue
        h += 1
    return out + lines[pos:]
