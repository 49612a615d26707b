"""A letter's identity is its content, never its file name.

The parser's ``doc_id`` hashes the cleaned text as read, so a TCVN3 copy (whose font has no
upper-case toned letters) or a copy with other line breaks got another id than its UTF-8
original. Here the id hashes a *normalised* form of the text — NFC, canonical tone placement,
lower case, whitespace collapsed — so every encoding of the same letter gets one ``doc_id``,
and two different letters that share a file name ("scan.pdf") get two.
"""
from __future__ import annotations

import hashlib
from dataclasses import replace

from congvan.letters.schema import Letter
from congvan.letters.text import match_key

__all__ = ["content_id", "with_content_identity"]


def content_id(text: str) -> str:
    """16 hex digits of the SHA-256 of the normalised text: same content, same id."""
    key = " ".join(match_key(text).split())
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def with_content_identity(letter: Letter) -> Letter:
    """``letter`` with ``doc_id`` (and the clause ids built on it) set from its content."""
    new_id = content_id(letter.text)
    old_id = letter.doc_id
    if new_id == old_id:
        return letter
    clauses = [replace(c, clause_id=new_id + c.clause_id[len(old_id):]
                       if c.clause_id.startswith(old_id) else f"{new_id}-{c.order:03d}")
               for c in letter.clauses]
    return replace(letter, doc_id=new_id, clauses=clauses)
