"""Search snippets: a window of the clause text around the best match, matches in ``<mark>``.

Offsets are found on ``match_key`` (accented queries) or ``fold`` (tone-less queries) of the clause
text; both keep the length of NFC text, so an offset found there is the offset in the original.
Everything outside the ``<mark>`` tags is HTML-escaped: letter text can never inject markup.
"""
from __future__ import annotations

import html
import re
from bisect import bisect_left
from functools import lru_cache

from congvan.letters.text import ABBREVIATIONS, fold, has_diacritics, match_key, nfc
from congvan.letters.tokenize import find_codes

_WORD = re.compile(r"\d+(?:[.,]\d+)+|[^\W_]+")
#: Function words: matched only when the query has nothing else (never pick the window).
_STOP = frozenset(["và", "các", "của", "có", "là", "được", "cho", "trong", "với", "những", "này", "để", "theo", "về", "thì", "đã", "sẽ", "không", "một", "từ", "tại", "đến", "như", "khi", "do", "hay", "hoặc", "nào", "gì", "ra", "vào", "trên", "dưới", "bị", "lại", "cũng", "nhưng", "thế", "nên", "việc", "đúng", "sai"])
_STOP_FOLDED = frozenset(fold(w) for w in _STOP)


@lru_cache(maxsize=1)
def _abbreviation_forms() -> list[list[str]]:
    """Each abbreviation with its full forms, as match_key strings: [['ubnd', 'ủy ban nhân dân'], …]."""
    return [[match_key(abbr), *(match_key(f) for f in fulls)] for abbr, fulls in ABBREVIATIONS.items()]


@lru_cache(maxsize=4096)
def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    body = r"\s+".join(re.escape(p) for p in phrase.split())
    return re.compile(rf"(?<!\w){body}(?!\w)")


@lru_cache(maxsize=256)
def _query_terms(query: str) -> tuple[tuple[str, ...], ...]:
    """Groups of alternative phrases (match_key form); any one of a group's phrases matches.
    Cached: a result page builds ten snippets for one query."""
    key = match_key(query)
    groups: list[tuple[str, ...]] = []
    plain: list[str] = []
    pos = 0
    for start, end in [*find_codes(key), (len(key), len(key))]:
        plain.append(key[pos:start])
        if end > start:
            groups.append((key[start:end],))
        pos = end
    words = " ".join(plain)
    accented = has_diacritics(query)
    for forms in _abbreviation_forms():  # "UBND" ↔ "ủy ban nhân dân": one group, both spellings
        patterns = [_phrase_pattern(f if accented else fold(f)) for f in forms]
        if any(p.search(words) for p in patterns):
            groups.append(tuple(forms))
            for p in patterns:
                words = p.sub(" ", words)
    groups.extend((w,) for w in _WORD.findall(words))
    return tuple(dict.fromkeys(groups))


_PLAIN_WORD = re.compile(r"\w+")


@lru_cache(maxsize=256)
def _words_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    """One pattern for many single words. A word of ``\\w`` characters between non-word
    characters is a whole run of them, so the words' matches never overlap and one scan finds
    exactly what one ``_phrase_pattern`` scan per word would."""
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


def _spans_in(hay: str, phrases: list[str]) -> dict[str, list[tuple[int, int]]]:
    """Spans of each phrase in ``hay`` (a match_key or folded text)."""
    out: dict[str, list[tuple[int, int]]] = {}
    words = tuple(sorted({p for p in phrases if _PLAIN_WORD.fullmatch(p)}))
    if words:
        for m in _words_pattern(words).finditer(hay):
            out.setdefault(m.group(), []).append(m.span())
    for phrase in dict.fromkeys(phrases):
        # (A substring test on the first word skips the regex for phrases the text doesn't hold.)
        if phrase not in out and not _PLAIN_WORD.fullmatch(phrase) and phrase.split(" ", 1)[0] in hay:
            spans = [m.span() for m in _phrase_pattern(phrase).finditer(hay)]
            if spans:
                out[phrase] = spans
    return out


def _is_stop(group: tuple[str, ...], accented: bool) -> bool:
    return len(group) == 1 and group[0] in (_STOP if accented else _STOP_FOLDED)


def highlight_spans(text: str, query: str) -> list[tuple[int, int]]:
    """Character spans of ``text`` (NFC) that match the query, merged, in order.

    With diacritics in the query a term matches its exact accents first and falls back to the
    tone-less form only when the clause doesn't have it accented; without diacritics the
    tone-less form is matched.
    """
    text = nfc(text)
    accented = has_diacritics(query)
    key = match_key(text) if accented else ""
    groups = _query_terms(query)
    content = [g for g in groups if not _is_stop(g, accented)]
    stop = [g for g in groups if _is_stop(g, accented)]
    if not content:  # a query of function words only: match them
        content, stop = stop, []

    # Every phrase is looked up once per text: single words (most of a query) in one scan of a
    # combined pattern, longer phrases (abbreviations' full forms, codes) one pattern each.
    found_key = _spans_in(key, [p for g in groups for p in g]) if accented else {}
    found_folded: dict[str, list[tuple[int, int]]] | None = None

    def find(group: tuple[str, ...]) -> list[tuple[int, int]]:
        nonlocal found_folded
        found = [span for phrase in group for span in found_key.get(phrase, ())]
        if not found:
            if found_folded is None:
                found_folded = _spans_in(fold(text), [fold(p) for g in groups for p in g])
            found = [span for phrase in group for span in found_folded.get(fold(phrase), ())]
            if accented and not _is_stop(group, True):
                # the query's tones say which word was meant: "vệ" (sinh) never marks "về"
                found = [(s, e) for s, e in found if match_key(text[s:e]) not in _STOP]
        return found

    spans = _merge(text, [span for g in content for span in find(g)])
    # Function words of the query count only inside a highlighted phrase ("Ủy ban nhân dân các
    # huyện"): between two matches, separated from both by spaces only.
    # (Span ends/starts in sets, so a long article with hundreds of "của", "và" stays linear.)
    ends = {pe for _, pe in spans}
    starts = {ps for ps, _ in spans}
    bridges = []
    for s, e in (span for g in stop for span in find(g)):
        lo = s
        while lo > 0 and text[lo - 1] == " ":
            lo -= 1
        hi = e
        while hi < len(text) and text[hi] == " ":
            hi += 1
        if any(pe in ends for pe in range(lo, s + 1)) and any(ps in starts for ps in range(e, hi + 1)):
            bridges.append((s, e))
    return _merge(text, spans + bridges) if bridges else spans


def _merge(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Union of spans; neighbours separated only by spaces become one ("tiêm vét")."""
    out: list[list[int]] = []
    for start, end in sorted(spans):
        if out and (start <= out[-1][1] or not text[out[-1][1]:start].strip(" ")):
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(s, e) for s, e in out]


def _window(text: str, spans: list[tuple[int, int]], width: int) -> tuple[int, int]:
    if len(text) <= width:
        return 0, len(text)
    best, best_score = 0, -1.0
    lead = width // 5
    starts = [s for s, _ in spans]  # merged spans: sorted, disjoint
    words = [frozenset(text[s:e].lower().split()) for s, e in spans]
    for start, _ in spans or [(0, 0)]:
        lo = max(0, min(start - lead, len(text) - width))
        hi = lo + width
        shown: set[str] = set()
        chars = 0
        for i in range(bisect_left(starts, lo), len(spans)):
            s, e = spans[i]
            if s >= hi:
                break
            if e <= hi:
                shown |= words[i]
                chars += e - s
        # Distinct query words shown: a window with "tiêm vét" beats one with "tiêm" twice.
        score = len(shown) + 0.01 * chars
        if score > best_score:
            best, best_score = lo, score
    lo, hi = best, best + width
    # Snap to word boundaries without cutting a highlighted span.
    if lo > 0:
        space = text.rfind(" ", max(0, lo - 20), lo + 1)
        lo = space + 1 if space >= 0 else lo
    if hi < len(text):
        space = text.find(" ", hi - 1, min(len(text), hi + 20))
        hi = space if space >= 0 else hi
    for s, e in spans:
        if s < hi < e:
            hi = e
        if s < lo < e:
            lo = s
    return lo, hi


def make_snippet(text: str, query: str, width: int = 240) -> str:
    """HTML snippet of ``text`` for ``query``: ≈``width`` characters, ``<mark>`` around matches."""
    text = nfc(text)
    spans = highlight_spans(text, query)
    lo, hi = _window(text, spans, width)
    parts = ["… " if lo > 0 else ""]
    pos = lo
    for s, e in spans:
        if e <= lo or s >= hi:
            continue
        s, e = max(s, lo), min(e, hi)
        parts.append(html.escape(text[pos:s]))
        parts.append(f"<mark>{html.escape(text[s:e])}</mark>")
        pos = e
    parts.append(html.escape(text[pos:hi]))
    if hi < len(text):
        parts.append(" …")
    return "".join(parts)
