"""One annotated clause (``Record``) and reading dataset files: the pieces every dataset source shares."""
from __future__ import annotations

import json
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from congvan.letters.text import fold

__all__ = ["DATA_DIR", "KINDS", "DatasetError", "Record", "norm_text", "read_jsonl", "text_key"]

DATA_DIR = Path(__file__).resolve().parent / "data"
KINDS = ("preamble", "directive", "closing")


class DatasetError(ValueError):
    """A dataset file is unreadable or a record breaks the schema (message names file and line)."""


@dataclass
class Record:
    id: str
    letter_id: str
    text: str
    kind: str = "directive"
    themes: list[str] = field(default_factory=list)
    lead: list[str] = field(default_factory=list)
    support: list[str] = field(default_factory=list)
    heading: str | None = None
    path: str = ""
    source: str = "team"
    doc: dict[str, Any] = field(default_factory=dict)
    file: str = ""  # the dataset file the record came from (not serialised)
    #: Real letters only (not serialised): the lead/support the parser gave this clause while
    #: reading the whole letter (task tables, field blocks, lead-ins, addressee), i.e. what the
    #: product shows; ``None`` for team records, which are known by text and heading only.
    parsed_lead: list[str] | None = None
    parsed_support: list[str] | None = None

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        for key in ("file", "parsed_lead", "parsed_support"):
            d.pop(key)
        return d

    @classmethod
    def from_json(cls, obj: dict[str, Any], file: str = "") -> Record:
        return cls(id=str(obj["id"]), letter_id=str(obj["letter_id"]), text=norm_text(obj["text"]),
                   kind=obj.get("kind") or "directive", themes=list(obj.get("themes") or []),
                   lead=list(obj.get("lead") or []), support=list(obj.get("support") or []),
                   heading=norm_text(obj["heading"]) if obj.get("heading") else None,
                   path=str(obj.get("path") or ""), source=str(obj.get("source") or "team"),
                   doc=dict(obj.get("doc") or {}), file=file)


def norm_text(text: str) -> str:
    """NFC, single spaces: the form clause texts are compared in."""
    return " ".join(unicodedata.normalize("NFC", str(text)).split())


def text_key(text: str) -> str:
    """Key that identifies "the same clause text" (corrections, duplicates): folded, no spaces."""
    return " ".join(fold(norm_text(text)).split())


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """JSON objects of a JSONL file; a bad line raises ``DatasetError`` with its number.

    A file still being written may end in a partial line: that last line is skipped.
    """
    out: list[dict[str, Any]] = []
    lines = Path(path).read_text(encoding="utf-8").split("\n")
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            if n == len(lines):  # unterminated last line of a file being appended to
                break
            raise DatasetError(f"{path}:{n}: not valid JSON ({exc.msg})") from None
        if not isinstance(obj, dict):
            raise DatasetError(f"{path}:{n}: each line must be a JSON object")
        out.append(obj)
    return out
