"""Stable keys for clauses of letters that must not be copied into the repository.

Annotations of real letters (themes, agencies, diseases) and graded relevance of staff queries
are stored keyed by ``(file, clause_key(text))`` instead of by the clause's text, so no real letter
text is tracked in git. The key survives the layout differences the parser irons out: list
markers, markdown emphasis, table pipes, line wraps and spacing do not change it, because it is
the hash of the first ``KEY_CHARS`` letters and digits of the clause after its list marker.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata

KEY_CHARS = 60

# Leading list markers: "1.", "1.2.", "2)", "a)", "b.", "đ)", "II.", "-", "+", "•", "–", "*".
_MARKER = re.compile(
    r"^\s*(?:(?:[ivxlcdm]+|\d+(?:\.\d+)*|[a-zđ])\s*[.)]|[-+•–—*·>])\s*",
    re.IGNORECASE,
)
_MARKUP = re.compile(r"[*_\\|#`]+")
# Prefixes some annotators cut and others kept: "(1)", "(a)", "Điều 2.", "Khoản 3."
_EXTRA = re.compile(r"^\s*(?:\(\s*(?:\d+|[a-zđ])\s*\)|(?:điều|khoản|mục)\s+\d+\s*[.:]?)\s*", re.IGNORECASE)


def strip_markers(text: str) -> str:
    """Drop markdown/table markup and any number of leading list markers."""
    t = _MARKUP.sub(" ", unicodedata.normalize("NFC", text)).strip()
    while True:
        m = _MARKER.match(t)
        if not m or m.end() == 0:
            return t
        t = t[m.end():]


def clause_alnum(text: str) -> str:
    """The clause's letters and digits, lower-cased, markers removed (what the key hashes)."""
    return "".join(ch for ch in strip_markers(text).lower() if ch.isalnum())


def clause_key(text: str) -> str:
    """12-hex-digit key of a clause: sha1 of its first ``KEY_CHARS`` letters and digits."""
    head = clause_alnum(text)[:KEY_CHARS]
    return hashlib.sha1(head.encode("utf-8")).hexdigest()[:12]


def clause_keys(text: str) -> list[str]:
    """Every key a clause may have been annotated under: as it is, and without a leading "(1)",
    "(a)" or "Điều 2." (annotators differed on cutting those). Match annotations against any."""
    keys = [clause_key(text)]
    bare = strip_markers(text)
    while True:
        m = _EXTRA.match(bare)
        if not m or m.end() == 0:
            break
        bare = strip_markers(bare[m.end():])
        key = clause_key(bare)
        if key not in keys:
            keys.append(key)
    return keys
