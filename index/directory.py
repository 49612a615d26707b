"""Read-only metadata of every stored letter, for facet labels and cross-references.

Used by the letter page (references, citing letters, recent letters) and the facet labels.
Built from ``collection.store`` with one read (``Store.directory_rows``) and cached per store generation, so it costs
nothing between writes. Cross-references match on the document number ("2116/BYT-DP"), with the
year of the reference's date (when both are known) to tell apart two provinces' "07/CT-UBND".
"""
from __future__ import annotations

import json
import re
import threading
import unicodedata
import weakref
from dataclasses import dataclass, field
from typing import Any

_SPACES = re.compile(r"\s+")


def number_key(number: str | None) -> str | None:
    """'2116/byt-dp ' → '2116/BYT-DP'; None for blank draft numbers ('/UBND-KGVX', '-CV/BCĐ')."""
    if not number:
        return None
    key = _SPACES.sub("", unicodedata.normalize("NFC", number)).upper()
    if not key[:1].isdigit():
        return None
    return key


def _year_of(iso: str | None) -> int | None:
    if iso and len(iso) >= 4 and iso[:4].isdigit():
        return int(iso[:4])
    return None


@dataclass(frozen=True)
class LetterInfo:
    doc_id: str
    number: str | None
    subject: str | None
    issuer: str | None
    province: str | None
    doc_type: str | None
    year: int | None
    month: int | None
    day: int | None
    references: tuple[dict[str, Any], ...] = ()


@dataclass
class LetterDirectory:
    generation: int
    letters: dict[str, LetterInfo] = field(default_factory=dict)
    by_number: dict[str, list[str]] = field(default_factory=dict)
    #: number key → [(citing doc_id, year of the cited letter's date as written in the reference)]
    citations: dict[str, list[tuple[str, int | None]]] = field(default_factory=dict)

    @classmethod
    def from_rows(cls, generation: int, rows: list[tuple]) -> LetterDirectory:
        out = cls(generation)
        for doc_id, number, subject, issuer, province, doc_type, year, month, day, metadata in rows:
            try:
                refs = tuple(r for r in json.loads(metadata).get("references") or [] if isinstance(r, dict))
            except (TypeError, ValueError):
                refs = ()
            info = LetterInfo(doc_id, number, subject, issuer, province, doc_type, year, month, day, refs)
            out.letters[doc_id] = info
            key = number_key(number)
            if key:
                out.by_number.setdefault(key, []).append(doc_id)
            for ref in refs:
                rkey = number_key(ref.get("number"))
                if rkey:
                    out.citations.setdefault(rkey, []).append((doc_id, _year_of(ref.get("date"))))
        return out

    def resolve(self, ref: dict[str, Any], exclude: str | None = None) -> list[LetterInfo]:
        """Indexed letters a reference points at (same number; same year when both known)."""
        key = number_key(ref.get("number"))
        if not key:
            return []
        year = _year_of(ref.get("date"))
        found = []
        for doc_id in self.by_number.get(key, []):
            info = self.letters[doc_id]
            if doc_id == exclude:
                continue
            if year is not None and info.year is not None and info.year != year:
                continue
            found.append(info)
        return found

    def cited_by(self, doc_id: str) -> list[LetterInfo]:
        """Letters whose references name this letter's number (same year when both known)."""
        info = self.letters.get(doc_id)
        key = number_key(info.number) if info else None
        if not info or not key:
            return []
        seen, out = set(), []
        for citing, year in self.citations.get(key, []):
            if citing == doc_id or citing in seen:
                continue
            if year is not None and info.year is not None and year != info.year:
                continue
            seen.add(citing)
            out.append(self.letters[citing])
        return out


_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # store → LetterDirectory
_LOCK = threading.Lock()


def letter_directory(collection) -> LetterDirectory:
    """The directory of ``collection`` at its current store generation (cached)."""
    store = collection.store
    generation = store.generation()
    cached = _CACHE.get(store)
    if cached is not None and cached.generation == generation:
        return cached
    generation, rows = store.directory_rows()
    directory = LetterDirectory.from_rows(generation, rows)
    with _LOCK:
        _CACHE[store] = directory
    return directory
