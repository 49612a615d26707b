"""Small pure helpers that turn stored letters and hits into what the templates show.

All text of a letter is escaped here or by Jinja's autoescape; the only HTML that is passed
through is built in this module from escaped text (``<mark>`` for query terms, ``<a>`` for
indexed references) and the search snippet, which ``index.snippets`` already escapes.
"""
from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup

from congvan.index.snippets import highlight_spans

KIND_LABELS = {"preamble": "Phần mở đầu", "directive": "Nội dung chỉ đạo", "closing": "Phần kết"}


def nfc(text: str | None) -> str:
    return unicodedata.normalize("NFC", text or "")


def format_date(date: dict[str, Any] | None) -> str:
    """{'year': 2023, 'month': 4, 'day': None} → 'tháng 4/2023'; full dates as 14/8/2023."""
    if not date or not date.get("year"):
        return "Không rõ ngày"
    y, m, d = date.get("year"), date.get("month"), date.get("day")
    if m and d:
        return f"{d:02d}/{m:02d}/{y}"
    if m:
        return f"tháng {m}/{y}"
    return f"năm {y}"


def format_iso(iso: str | None) -> str:
    """'2023-04-12' → '12/04/2023' (partial ISO dates shortened the same way)."""
    if not iso:
        return ""
    parts = iso.split("-")
    try:
        nums = [int(p) for p in parts]
    except ValueError:
        return iso
    return format_date({"year": nums[0], "month": nums[1] if len(nums) > 1 else None,
                        "day": nums[2] if len(nums) > 2 else None})


def path_label(path: str | None, kind: str | None) -> str:
    """'2.b' → 'Mục 2.b'; 'preamble.2' → 'Phần mở đầu (đoạn 2)'."""
    path = path or ""
    for prefix in ("preamble", "closing"):
        if path == prefix or path.startswith(prefix + "."):
            label = KIND_LABELS[prefix]
            rest = path[len(prefix) + 1:]
            return f"{label} (đoạn {rest})" if rest else label
    if not path:
        return KIND_LABELS.get(kind or "", "Đoạn")
    # "1.-3": the third dash bullet of item 1 → "Mục 1, ý 3"
    parts = path.split(".")
    head = [p for p in parts if not p.startswith(("-", "+"))]
    bullets = [p.lstrip("-+") for p in parts if p.startswith(("-", "+"))]
    label = "Mục " + ".".join(head) if head else "Ý"
    if bullets:
        label += (", ý " if head else " ") + ".".join(bullets)
    return label


def theme_ids(themes: Iterable[Any]) -> list[str]:
    out = []
    for t in themes or []:
        tid = t.get("id") if isinstance(t, dict) else t
        if tid and tid not in out:
            out.append(tid)
    return out


def labelled(ids: Iterable[str], labels: dict[str, str]) -> list[dict[str, str]]:
    return [{"id": i, "label": labels.get(i, i)} for i in ids]


def number_text(number: str | None) -> str:
    """Drafts keep blank numbers as written ('/UBND-KGVX'); say so instead of showing a bare slash."""
    if not number:
        return "Chưa có số"
    if not number[:1].isdigit():
        return f"Số …{number}"
    return f"Số {number}"


def render_text(text: str, query: str = "", links: Iterable[tuple[str, str]] = ()) -> Markup:
    """Escaped ``text`` with ``<mark>`` around the query's terms and ``<a>`` around each
    occurrence of the given (string, href) pairs — the only markup added to letter text."""
    text = nfc(text)
    marks = highlight_spans(text, query) if query and query.strip() else []
    anchors: list[tuple[int, int, str]] = []
    taken: list[tuple[int, int]] = []
    for needle, href in links:
        needle = nfc(needle)
        if not needle:
            continue
        for m in re.finditer(re.escape(needle), text):
            s, e = m.span()
            # whole tokens only: "12/UBND" must not link inside "112/UBND-VX"
            if (s > 0 and text[s - 1].isalnum()) or (e < len(text) and (text[e].isalnum() or text[e] in "-/")):
                continue
            if any(s < te and ts < e for ts, te in taken):
                continue
            taken.append((s, e))
            anchors.append((s, e, href))
    if not marks and not anchors:
        return Markup(html.escape(text, quote=False))
    cuts = {0, len(text)}
    for s, e in marks:
        cuts.update((s, e))
    for s, e, _ in anchors:
        cuts.update((s, e))
    points = sorted(c for c in cuts if 0 <= c <= len(text))
    out: list[str] = []
    for s, e in zip(points, points[1:]):
        if s == e:
            continue
        piece = html.escape(text[s:e], quote=False)
        if any(ms <= s and e <= me for ms, me in marks):
            piece = f"<mark>{piece}</mark>"
        link = next((a for a in anchors if a[0] <= s and e <= a[1]), None)
        if link is not None:
            if link[0] == s:
                out.append(f'<a class="ref-link" href="{html.escape(link[2])}">')
            out.append(piece)
            if link[1] == e:
                out.append("</a>")
        else:
            out.append(piece)
    return Markup("".join(out))


def query_string(params: dict[str, Any], **changes: Any) -> str:
    """``params`` (lists allowed) with ``changes`` applied (None removes a key), as '?…'."""
    merged = {**params, **changes}
    pairs: list[tuple[str, str]] = []
    for key, value in merged.items():
        if value is None or value == "" or value == []:
            continue
        if isinstance(value, (list, tuple)):
            pairs.extend((key, str(v)) for v in value)
        else:
            pairs.append((key, str(value)))
    return "?" + urlencode(pairs) if pairs else ""


def page_window(page: int, pages: int, width: int = 2) -> list[int | None]:
    """Page numbers around ``page`` with None for gaps: [1, None, 4, 5, 6, None, 12]."""
    if pages <= 1:
        return [1] if pages == 1 else []
    keep = {1, pages, *range(max(1, page - width), min(pages, page + width) + 1)}
    out: list[int | None] = []
    prev = 0
    for p in sorted(keep):
        if p - prev > 1:
            out.append(None)
        out.append(p)
        prev = p
    return out
