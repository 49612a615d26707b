"""Diseases a letter and its clauses are about (taxonomy v2 ``diseases``), from a data file.

Why a dictionary plus context: disease names are fixed terms ("sốt xuất huyết", "cúm A/H5N1",
"dịch tả lợn châu Phi"), so a dictionary finds them; a clause that names none ("Tổ chức phun hóa
chất tại các ổ dịch") is about the disease of its letter, so it inherits the letter's diseases.
Tone-less text ("sot xuat huyet") is matched on folded text, but only with names of two or more
syllables: a bare "soi" could be "sởi" or "soi" (to examine). Acronyms ("SXH", "HIV", "ASF")
match only as written in capitals. Longer names win over the names inside them ("dịch tả lợn
châu Phi" is not cholera).
"""
from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from congvan.letters.text import fold, has_diacritics, match_key

__all__ = ["BUILTIN_DISEASES", "Disease", "DiseaseError", "clause_diseases", "disease_labels", "find_diseases",
           "load_diseases"]

BUILTIN_DISEASES = Path(__file__).resolve().parent / "data" / "diseases.json"


class DiseaseError(ValueError):
    """The diseases file is missing, not JSON, or an entry lacks its id/name."""


@dataclass(frozen=True)
class Disease:
    id: str
    name: str
    synonyms: tuple[str, ...]
    animal: bool = False


@lru_cache(maxsize=4)
def load_diseases(path: str | None = None) -> tuple[Disease, ...]:
    """The diseases of ``path`` (default: the builtin ``letters/data/diseases.json``)."""
    file = Path(path) if path else BUILTIN_DISEASES
    try:
        raw = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise DiseaseError(f"{file}: không đọc được danh mục bệnh ({err}); hãy kiểm tra tệp JSON.") from err
    out = []
    for i, entry in enumerate(raw.get("diseases", [])):
        if not isinstance(entry, dict) or not entry.get("id") or not entry.get("name"):
            raise DiseaseError(f"{file}: diseases[{i}] cần có \"id\" và \"name\".")
        # a one-word name ("Tả", "Lao") is too ambiguous ("mô tả", "lao động"): only the
        # synonyms the file lists count for it
        name = [entry["name"]] if len(entry["name"].split()) >= 2 else []
        synonyms = tuple(dict.fromkeys([*name, *entry.get("synonyms", [])]))
        out.append(Disease(entry["id"], entry["name"], synonyms, bool(entry.get("animal"))))
    return tuple(out)


def _is_acronym(term: str) -> bool:
    return bool(re.fullmatch(r"[A-ZĐ0-9/()\- ]{2,}", term)) and not term.isdigit()


@lru_cache(maxsize=4)
def _patterns(path: str | None) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], dict[str, str]]:
    """(accented names over match_key text, tone-less names over folded text, acronyms as
    written, term → disease id)."""
    accented: dict[str, str] = {}
    toneless: dict[str, str] = {}
    acronyms: dict[str, str] = {}
    for disease in load_diseases(path):
        for term in disease.synonyms:
            if _is_acronym(term):
                acronyms.setdefault(term, disease.id)
                continue
            accented.setdefault(match_key(term), disease.id)
            if len(term.split()) >= 2 or not has_diacritics(term):
                toneless.setdefault(fold(term), disease.id)
    table = {**{f"a:{k}": v for k, v in accented.items()}, **{f"t:{k}": v for k, v in toneless.items()},
             **{f"c:{k}": v for k, v in acronyms.items()}}

    def alternation(terms: dict[str, str]) -> re.Pattern[str]:
        body = "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)) or r"(?!x)x"
        return re.compile(rf"(?<![\w/])(?:{body})(?![\w/])")

    return alternation(accented), alternation(toneless), alternation(acronyms), table


def find_diseases(text: str, path: str | None = None) -> list[str]:
    """Disease ids named in ``text``, in order of first mention (longest name wins)."""
    accented, toneless, acronyms, table = _patterns(path)
    hits: list[tuple[int, int, str]] = []
    if has_diacritics(text):
        hits += [(m.start(), m.end(), table[f"a:{m.group(0)}"]) for m in accented.finditer(match_key(text))]
    else:
        hits += [(m.start(), m.end(), table[f"t:{m.group(0)}"]) for m in toneless.finditer(fold(text))]
    hits += [(m.start(), m.end(), table[f"c:{m.group(0)}"]) for m in acronyms.finditer(text)]
    hits.sort(key=lambda h: (h[0], -(h[1] - h[0])))
    out: list[str] = []
    end = -1
    for start, stop, disease in hits:
        if start < end:
            continue  # inside a longer name already taken
        end = stop
        if disease not in out:
            out.append(disease)
    return out


def clause_diseases(texts: Sequence[str], subject: str | None = None, path: str | None = None) -> list[list[str]]:
    """The diseases of each clause of a letter (``texts`` in order): those it names, else the
    letter's (named in the subject or any clause). One function for the parser and for the
    store, which fills clauses stored before they had diseases."""
    named = [find_diseases(t, path) for t in texts]
    letter = list(dict.fromkeys([*find_diseases(subject or "", path), *(d for ds in named for d in ds)]))
    return [own or list(letter) for own in named]


@lru_cache(maxsize=4)
def disease_labels(path: str | None = None) -> dict[str, str]:
    """Disease id → Vietnamese name (facets, the web page)."""
    return {d.id: d.name for d in load_diseases(path)}
