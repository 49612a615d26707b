"""Tone marks put back on a query typed without them, for the dense side of search.

Half of what staff type has no tone marks ("phong chong dai cho meo"). The keyword side matches
those on folded tokens, but the encoder reads "dai" as nothing in particular: on the staff tuning
queries typed without tones, dense search alone scores nDCG@10 0.18 against 0.73 for the queries
typed with them. So before a tone-less query is embedded, each syllable gets the accented form the
collection itself makes most likely:

- candidates: the accented syllables of underthesea's Viet74K word list whose folded form is the
  typed syllable ("dai" → dài, dại, dải, dãi, đai, đại …);
- score (Viterbi over the query): ``log(1 + n)`` of each syllable's postings ``n`` in the
  collection's accented keyword index, plus ``compound_weight · log(1 + n)`` of the analyser's
  compound word the two neighbours make ("phòng_chống", "sốt_xuất_huyết" are index tokens), plus
  ``word_weight`` when the pair is a word of the list ("bệnh dại", "chó mèo") or part of a body's
  or a disease's name or a theme's cue in the taxonomy ("sở y", "y tế": stop 24, "so y te" → "sở
  y tế", not the commoner "số").

Weights chosen on the staff tuning split (accented queries with their tones removed, then restored:
right accented syllables 0.72 with unigrams alone, 0.885 with compounds, 0.917 with both; README,
*Tone-less queries*). The genre's names (stop 24), ``NAME_WEIGHT`` on tune: 0 (none) 0.926 | 1
0.933 | 2 0.935 | 3 and 4 0.937 | 6 to 15 0.942 → 6; test 0.921 → 0.942. With the names' pairs
also as typed ("sở tt&tt"): tune 0.944. Only the dense side uses the result: keywords keep
matching folded forms.
"""
from __future__ import annotations

import importlib.util
import math
import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

import numpy as np

from congvan.letters.text import canonical_tones, fold, has_diacritics, nfc

COMPOUND_WEIGHT = 3.0
WORD_WEIGHT = 2.0
#: A pair of a body's, disease's or theme cue's name in the taxonomy (``_genre_pairs``): the start
#: of the tuning split's plateau (module docstring).
NAME_WEIGHT = 6.0
#: Candidates kept per syllable (the most frequent in the collection): bounds the pair lookups.
MAX_CANDIDATES = 6


@lru_cache(maxsize=1)
def _lexicon() -> tuple[dict[str, tuple[str, ...]], frozenset[str]]:
    """(folded syllable → accented syllables, adjacent syllable pairs of multi-syllable words);
    empty when underthesea's word list is not installed."""
    spec = importlib.util.find_spec("underthesea")  # located, not imported (that takes seconds)
    if spec is None or not spec.submodule_search_locations:
        return {}, frozenset()
    try:
        text = (Path(spec.submodule_search_locations[0]) / "corpus" / "data" / "Viet74K.txt").read_text(encoding="utf-8")
    except OSError:
        return {}, frozenset()
    canonical: dict[str, str] = {}  # ~7k distinct syllables: normalise each once
    pairs: set[str] = set()
    for line in nfc(text.lower()).splitlines():
        syllables = [canonical.get(s) or canonical.setdefault(s, canonical_tones(s)) for s in line.split()]
        pairs.update(f"{a} {b}" for a, b in pairwise(syllables))
    forms: dict[str, set[str]] = {}
    for s in set(canonical.values()):
        if s.isalpha() and has_diacritics(s):
            forms.setdefault(fold(s), set()).add(s)
    return {k: tuple(sorted(v)) for k, v in forms.items()}, frozenset(pairs)


@lru_cache(maxsize=1)
def _genre_pairs() -> frozenset[str]:
    """Adjacent syllable pairs of the genre's names: the taxonomy's bodies ("sở y tế", "sở tài
    chính", "ban chỉ đạo"), the diseases' names and the themes' cues and topics ("ứng phó bão"). The word list has no "sở y": without these, "so
    y te" came back as "số y tế", "số" being the commoner syllable in any collection of letters."""
    from congvan.letters.diseases import load_diseases
    from congvan.letters.taxonomy import load_taxonomy

    tax = load_taxonomy()
    phrases = [name for body in (*tax.agencies, *tax.sources, *tax.other_bodies)
               for name in (body.name, *body.aliases)]
    phrases += [term for disease in load_diseases() for term in disease.synonyms]
    phrases += [p for theme in tax.themes for p in (*theme.cues, *theme.topics)]
    pairs: set[str] = set()
    for phrase in phrases:
        low = nfc(phrase.lower())
        # by syllable, and by word as typed ("sở tt&tt": a query keeps "TT&TT" one word)
        for words in (re.findall(r"[^\W\d_]+", low), [w.strip(",.;:()") for w in low.split()]):
            syllables = [canonical_tones(w) for w in words if w]
            pairs.update(f"{a} {b}" for a, b in pairwise(syllables) if has_diacritics(a + b))
    return frozenset(pairs)


def restore_tones(text: str, doc_freq: Callable[[list[str]], Sequence[int] | np.ndarray]) -> str | None:
    """``text`` with tone marks on its tone-less syllables, or None when it has tones already or
    nothing could be restored. ``doc_freq``: how many clauses hold each accented index token (an
    upper bound will do: ``BM25Index.postings_count``)."""
    if has_diacritics(text):
        return None
    forms, pairs = _lexicon()
    if not forms:
        return None
    words = text.split()
    options: list[list[str]] = []
    for w in words:
        low = w.lower()
        accented = list(forms.get(low, ())) if low.isalpha() else []
        options.append([low, *accented] if accented else [w])
    if all(len(o) == 1 for o in options):
        return None
    flat = sorted({c for o in options for c in o})
    unigram = dict(zip(flat, (math.log1p(float(f)) for f in doc_freq(flat))))
    options = [sorted(o, key=lambda c: -unigram[c])[:MAX_CANDIDATES] for o in options]
    joined = sorted({f"{a}_{b}" for o1, o2 in pairwise(options) for a in o1 for b in o2})
    compound = dict(zip(joined, (math.log1p(float(f)) for f in doc_freq(joined)))) if joined else {}

    names = _genre_pairs()

    def link(a: str, b: str) -> float:
        pair = f"{a} {b}"
        return (COMPOUND_WEIGHT * compound.get(f"{a}_{b}", 0.0) + WORD_WEIGHT * (pair in pairs)
                + NAME_WEIGHT * (pair in names))

    best = {c: unigram[c] for c in options[0]}
    back: list[dict[str, str]] = []
    for column in options[1:]:
        scores, came = {}, {}
        for b in column:
            score, a = max((best[a] + link(a, b), a) for a in best)
            scores[b], came[b] = score + unigram[b], a
        best = scores
        back.append(came)
    last = max(best, key=lambda c: (best[c], c))
    path = [last]
    for came in reversed(back):
        path.append(came[path[-1]])
    path.reverse()
    restored = " ".join(c if len(o) > 1 else w for c, o, w in zip(path, options, words))
    return restored if has_diacritics(restored) else None


def warm_up() -> None:
    """Read the word list now (0.2 s) rather than in the first tone-less search."""
    _lexicon()
    _genre_pairs()
