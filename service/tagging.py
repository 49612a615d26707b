"""The tagging step shared by ``congvan tag``, ingest and ``POST /api/tag``.

Agencies come from the parser's rules (``letters.agencies``); themes, and the leads of clauses
the rules leave without one, come from the fine-tuned tagger (``models.tagger``), loaded once per
process. With ``CONGVAN_TAGGER=off`` (or if no tagger can be had) themes stay empty, which the
contract allows, and search works without them.
"""
from __future__ import annotations

from letters.schema import Letter
from service.config import Settings


def tag_letter(letter: Letter, settings: Settings) -> Letter:
    """Fill ``clause.themes`` in place (directive clauses only) and return the letter.

    The first call in a home without a trained tagger trains one (``CONGVAN_TAGGER_PRESET``).
    """
    from models.tagger import get_default_tagger

    tagger = get_default_tagger(settings)
    if tagger is not None:
        tagger.tag_letter(letter)
    return letter
