"""Tokens for keyword search: underthesea word segmentation with document codes kept whole.

underthesea splits ``4968/BYT-DP`` into ``4968`` ``/`` ``BYT-DP``; staff search for the whole
code, so code-like spans are cut out before segmentation and re-inserted as single tokens.
Keyword search uses two token streams over ``match_key`` text: syllables (with abbreviations
made canonical, so "UBND" matches "Ủy ban nhân dân") and multi-syllable words ("tiêm_vét").
"""
from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass

from congvan.letters.text import canonical_abbreviations, fold, match_key

# A run of letters/digits joined by "/", "&" or "-" (no spaces): 4968/BYT-DP, 557-QĐ/TU,
# 12/4/2023, COVID-19, SARS-CoV-2, A/H5N1, TT&TT, LĐ-TB&XH, and drafts' blank "/UBND-KGVX".
_CODE_CANDIDATE = re.compile(r"(?<![\w/&-])[/-]?[^\W_]+(?:[/&-][^\W_]+)+(?![\w/&]|-\w)")
_WORD = re.compile(r"\d+(?:[.,]\d+)+|[^\W_]+")  # 1.000 and 2,5 stay whole


def _is_code(span: str) -> bool:
    """Keep a joined span whole only if it looks like a code, not hyphenated prose."""
    if "/" in span or "&" in span or any(ch.isdigit() for ch in span):
        return True
    return sum(ch.isupper() for ch in span) >= 2


def find_codes(text: str) -> list[tuple[int, int]]:
    """(start, end) of document codes, dates and acronyms-with-digits in ``text``."""
    return [m.span() for m in _CODE_CANDIDATE.finditer(text) if _is_code(m.group(0))]


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int
    is_code: bool = False


_load_lock = threading.Lock()
_ready: Callable[[str], list[str]] | None = None


def _word_tokenize() -> Callable[[str], list[str]]:
    """underthesea's segmenter, loaded once under a lock.

    underthesea sets its module-global CRF model *before* loading its weights, so a second
    thread calling ``word_tokenize`` meanwhile sees a half-built model (``'NoneType' object has
    no attribute 'process'``: 500s on a freshly started server). The first call, with a word,
    runs under the lock; later calls skip it.
    """
    global _ready
    if _ready is not None:
        return _ready
    with _load_lock:
        if _ready is None:
            from underthesea import word_tokenize  # heavy import: only when first needed

            word_tokenize("khởi động")  # loads the CRF model while other threads wait
            _ready = word_tokenize
    return _ready


def warm_up() -> None:
    """Load the segmenter now (servers call it at startup, before they report ready)."""
    _word_tokenize()


def segment(text: str) -> list[Token]:
    """Word segmentation of ``text`` with character offsets; codes are single tokens."""
    tokens: list[Token] = []
    pos = 0
    for start, end in [*find_codes(text), (len(text), len(text))]:
        chunk = text[pos:start]
        if chunk.strip():
            tokens.extend(_segment_plain(chunk, pos))
        if end > start:
            tokens.append(Token(text[start:end], start, end, is_code=True))
        pos = end
    return tokens


def _segment_plain(chunk: str, offset: int) -> list[Token]:
    out: list[Token] = []
    cursor = 0
    for word in _word_tokenize()(chunk):
        at = chunk.find(word, cursor)
        if at < 0:  # underthesea normalised something; fall back to a loose search
            first = word.split()[0] if word.split() else word
            at = chunk.find(first, cursor)
            if at < 0:
                continue
            end = at + len(first)
        else:
            end = at + len(word)
        out.append(Token(chunk[at:end], offset + at, offset + end))
        cursor = end
    return out


def syllable_tokens(text: str) -> list[str]:
    """Lowercase syllables with canonical tones and abbreviations; codes whole; no punctuation."""
    key = match_key(text)
    out: list[str] = []
    pos = 0
    for start, end in [*find_codes(key), (len(key), len(key))]:
        out.extend(_WORD.findall(canonical_abbreviations(key[pos:start])))
        if end > start:
            out.append(canonical_abbreviations(key[start:end]))
        pos = end
    return [t for t in out if t]


def word_tokens(text: str) -> list[str]:
    """Multi-syllable words from underthesea ("biện pháp" → "biện_pháp"), canonical keys."""
    out = []
    for tok in segment(text):
        if tok.is_code or " " not in tok.text:
            continue
        out.append("_".join(match_key(tok.text).split()))
    return out


def search_tokens(text: str, *, folded: bool = False, words: bool = True) -> list[str]:
    """Tokens for BM25: syllables (+ compound words); ``folded`` strips tones ("tiem", "vet")."""
    toks = syllable_tokens(text)
    if words:
        toks += word_tokens(text)
    if folded:
        toks = [fold(t) for t in toks]
    return toks
