"""Provinces after the 2025 merger (63 → 34, Nghị quyết 202/2025/QH15), as data.

Why: a letter keeps the province that issued it (``province``, as written), but staff search by
today's province; ``province_now`` maps one to the other and ``same_area`` lets a filter on either
name find both ("Ninh Bình" finds letters of the former Hà Nam and Nam Định, and "Hà Nam" still
finds them). The table is ``letters/data/provinces_2025.json``, which cites the resolution.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from congvan.letters.text import fold

__all__ = ["BUILTIN_PROVINCES", "province_now", "same_area"]

BUILTIN_PROVINCES = Path(__file__).resolve().parent / "data" / "provinces_2025.json"


@lru_cache(maxsize=4)
def _table(path: str | None = None) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """(folded former name → name today, folded name today → its former provinces)."""
    raw = json.loads(Path(path or BUILTIN_PROVINCES).read_text(encoding="utf-8"))
    now: dict[str, str] = {}
    formed: dict[str, tuple[str, ...]] = {}
    for entry in raw["provinces_now"]:
        formed[fold(entry["name"])] = tuple(entry["formed_from"])
        for old in entry["formed_from"]:
            now[fold(old)] = entry["name"]
    return now, formed


def province_now(province: str | None, path: str | None = None) -> str | None:
    """The province the area of ``province`` (a canonical taxonomy name) belongs to today."""
    if not province:
        return None
    return _table(path)[0].get(fold(province))


def same_area(province: str, path: str | None = None) -> set[str]:
    """Every name a filter on ``province`` should match: itself, today's province and the
    provinces merged into it."""
    now = province_now(province, path) or province
    return {province, now, *_table(path)[1].get(fold(now), ())}
