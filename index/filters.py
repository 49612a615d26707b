"""Search filters (year, date range, province, issuer, theme, agency, kind) as masks over clauses.

``ClauseTable`` holds the filterable metadata of every live clause in NumPy arrays aligned with
the search snapshot's slots, so a filter costs a few vectorised comparisons, not SQL.
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Any

import numpy as np

from congvan.letters.provinces import province_now
from congvan.letters.text import ABBREVIATIONS, fold

KINDS = ("preamble", "directive", "closing")
_DATE = re.compile(r"^\s*(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?\s*$")
_PROVINCE_PREFIX = re.compile(r"^(tinh|thanh pho|tp\.?)\s+")


def _tuple(value: Any) -> tuple[str, ...] | None:
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


#: Years a filter may name (the same bounds for ``year`` and for ``from``/``to``).
MIN_YEAR, MAX_YEAR = 1945, 2100


def _check_year(year: int, what: str) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"{what}: năm phải từ {MIN_YEAR} đến {MAX_YEAR} (year must be {MIN_YEAR}–{MAX_YEAR})")


def _parse_date(value: str, *, end: bool) -> int:
    """'2022' / '2022-06' / '2022-06-15' → an ordinal yyyymmdd (range start or end)."""
    m = _DATE.match(str(value))
    if not m:
        raise ValueError(f"date filter {value!r}: use YYYY or YYYY-MM (e.g. 2021-06)")
    year = int(m.group(1))
    _check_year(year, f"date filter {value!r}")
    month = int(m.group(2)) if m.group(2) else (12 if end else 1)
    day = int(m.group(3)) if m.group(3) else (31 if end else 1)
    if not 1 <= month <= 12 or not 1 <= day <= 31:
        raise ValueError(f"date filter {value!r}: month or day out of range")
    return year * 10000 + month * 100 + day


def province_key(name: str | None) -> str:
    """Accent-, case- and prefix-insensitive province name: 'Tỉnh Lạng Sơn' → 'lang son'."""
    if not name:
        return ""
    key = " ".join(fold(name).split())
    return _PROVINCE_PREFIX.sub("", key)


@lru_cache(maxsize=1)
def _folded_abbreviations() -> list[tuple[re.Pattern[str], str]]:
    """Tone-less full forms and abbreviations → one token ('uy ban nhan dan' → 'ubnd')."""
    pairs = []
    for abbr, fulls in ABBREVIATIONS.items():
        token = re.sub(r"[^\w]", "", fold(abbr))
        pairs.extend((fold(form), token) for form in (abbr, *fulls))
    pairs.sort(key=lambda p: -len(p[0]))
    return [(re.compile(r"(?<!\w)" + r"\s*".join(map(re.escape, form.split())) + r"(?!\w)"), token)
            for form, token in pairs]


def issuer_key(name: str | None) -> str:
    """Accent-insensitive issuer text with abbreviations made equal ('Ủy ban nhân dân' = 'UBND')."""
    if not name:
        return ""
    key = fold(name)
    for pattern, token in _folded_abbreviations():
        key = pattern.sub(token, key)
    return " ".join(key.split())


@dataclass(frozen=True)
class SearchFilters:
    """Optional restrictions of a search; all given ones must hold."""

    year: int | None = None
    date_from: str | None = None  # YYYY or YYYY-MM (inclusive)
    date_to: str | None = None  # YYYY or YYYY-MM (inclusive)
    province: str | None = None  # accent-insensitive equality with province or province_now
    issuer: str | None = None  # accent-insensitive substring
    theme: tuple[str, ...] | None = None  # any of these theme ids
    agency: tuple[str, ...] | None = None  # any of these agencies, as lead or support
    kind: tuple[str, ...] | None = None  # clause kinds; default: all
    doc_id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "theme", _tuple(self.theme))
        object.__setattr__(self, "agency", _tuple(self.agency))
        object.__setattr__(self, "kind", _tuple(self.kind))
        if self.year is not None:
            try:
                object.__setattr__(self, "year", int(self.year))
            except (TypeError, ValueError):
                raise ValueError(f"year filter {self.year!r} is not a year") from None
            _check_year(self.year, f"year filter {self.year!r}")
        for k in self.kind or ():
            if k not in KINDS:
                raise ValueError(f"kind filter {k!r}: use one of {', '.join(KINDS)}")
        lo, hi = self.date_range()
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"date filter: from {self.date_from} is after to {self.date_to}")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | SearchFilters | None) -> SearchFilters:
        """Build from a dict; accepts ``from``/``to`` for the date range; ``None`` values ignored."""
        if values is None:
            return cls()
        if isinstance(values, SearchFilters):
            return values
        names = {f.name for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in values.items():
            key = {"from": "date_from", "to": "date_to"}.get(key, key)
            if key not in names:
                raise ValueError(f"unknown filter {key!r}; filters are {', '.join(sorted(names))}")
            if value is not None and value != "":
                kwargs[key] = value
        return cls(**kwargs)

    def date_range(self) -> tuple[int | None, int | None]:
        lo = _parse_date(self.date_from, end=False) if self.date_from else None
        hi = _parse_date(self.date_to, end=True) if self.date_to else None
        return lo, hi

    def is_empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self))

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}


class ClauseTable:
    """Filterable metadata of the live clauses, slot-aligned (slot = rank of the row id)."""

    def __init__(self, rowids: np.ndarray, clause_docs: Sequence[str], kinds: Sequence[str],
                 themes: Sequence[Iterable[str]], agencies: Sequence[Iterable[str]],
                 letters: Sequence[Mapping[str, Any]]) -> None:
        self.rowids = np.asarray(rowids, np.int64)
        self.doc_ids = [d["doc_id"] for d in letters]
        doc_pos = {d: i for i, d in enumerate(self.doc_ids)}
        self.doc_index = np.array([doc_pos[d] for d in clause_docs], dtype=np.int32)
        self.kind = np.array([KINDS.index(k) if k in KINDS else 1 for k in kinds], dtype=np.int8)
        self.year = np.array([d["year"] if d["year"] is not None else -1 for d in letters], np.int32)
        lo, hi = [], []
        for d in letters:
            y, m, day = d["year"], d["month"], d["day"]
            if y is None:
                lo.append(-1)
                hi.append(-1)
                continue
            lo.append(y * 10000 + (m or 1) * 100 + (day or 1))
            hi.append(y * 10000 + (m or 12) * 100 + (day or 31))
        self.date_lo = np.array(lo, np.int64)
        self.date_hi = np.array(hi, np.int64)
        self.province = [province_key(d.get("province")) for d in letters]
        # taxonomy v2: a province filter also matches the province the area belongs to today
        # ("Ninh Bình" finds letters of the former Hà Nam and Nam Định; "Hà Nam" still finds them)
        self.province_now = [province_key(province_now(d.get("province"))) for d in letters]
        self.issuer = [issuer_key(d.get("issuer")) for d in letters]
        theme_slots: dict[str, list[int]] = defaultdict(list)
        agency_slots: dict[str, list[int]] = defaultdict(list)
        for slot, (ts, ags) in enumerate(zip(themes, agencies)):
            for t in set(ts):
                theme_slots[t].append(slot)
            for a in set(ags):
                agency_slots[a].append(slot)
        self.theme_slots = {k: np.array(v, np.int64) for k, v in theme_slots.items()}
        self.agency_slots = {k: np.array(v, np.int64) for k, v in agency_slots.items()}

    def __len__(self) -> int:
        return int(self.rowids.shape[0])

    def _doc_mask(self, filters: SearchFilters) -> np.ndarray | None:
        mask = None

        def both(m: np.ndarray) -> np.ndarray:
            return m if mask is None else mask & m

        if filters.year is not None:
            mask = both(self.year == filters.year)
        lo, hi = filters.date_range()
        if lo is not None:
            mask = both((self.date_hi >= lo) & (self.date_lo >= 0))
        if hi is not None:
            mask = both((self.date_lo <= hi) & (self.date_lo >= 0))
        if filters.province:
            want = province_key(filters.province)
            mask = both(np.array([want in (p, n) for p, n in zip(self.province, self.province_now)], bool))
        if filters.issuer:
            want = issuer_key(filters.issuer)
            mask = both(np.array([bool(i) and want in i for i in self.issuer], bool))
        if filters.doc_id:
            mask = both(np.array([d == filters.doc_id for d in self.doc_ids], bool))
        return mask

    def mask(self, filters: SearchFilters | None) -> np.ndarray | None:
        """Bool mask over slots, or None when nothing is filtered."""
        if filters is None or filters.is_empty():
            return None
        doc_mask = self._doc_mask(filters)
        mask = doc_mask[self.doc_index] if doc_mask is not None else np.ones(len(self), bool)
        if filters.kind:
            mask &= np.isin(self.kind, [KINDS.index(k) for k in filters.kind])
        for table, wanted in ((self.theme_slots, filters.theme), (self.agency_slots, filters.agency)):
            if wanted:
                sel = np.zeros(len(self), bool)
                for key in wanted:
                    if key in table:
                        sel[table[key]] = True
                mask &= sel
        return mask
