"""Header-field accuracy of the parser on a folder of real letters (``congvan evaluate parser``).

Why a module of its own: the figures in the README and the corpus test must come from the same
code the CLI runs. The folder holds ``manifest.jsonl`` (one JSON object per letter: ``file``,
``number``, ``date`` as ``YYYY[-MM[-DD]]``, ``issuer`` as printed with two-level headers joined by
" / ", ``province`` or ``"central"`` or null, ``doc_type``, optionally ``subject``) and the texts.

Comparison is exact after folding whitespace (runs → one space; none at all for numbers, which
real copies space irregularly: ``2414 / VPCP - KGVX``), NFC and one tone placement (``ỦY`` =
``UỶ``); doc types ignore case; provinces compare their canonical names (``Thành phố Hồ Chí
Minh`` = ``Hồ Chí Minh``). A field the manifest leaves out (e.g. the day of a garbled date) is
not scored for that letter.

Subjects the manifest lacks may come from the team's own reading, kept as digests so no real
letter text is tracked (``extra``: text SHA-256 → ``{"subject_sha256": …}``; see
``congvan.training.real_letters.header_annotations``). A digest applies only to the exact text it
was read from.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from congvan.letters.schema import Letter
from congvan.letters.taxonomy import Taxonomy, load_taxonomy
from congvan.letters.text import canonical_tones, fold, nfc

__all__ = ["FIELDS", "ParserReport", "ManifestError", "SubjectDigest", "evaluate_parser", "letter_fields",
           "same_field",
           "subject_digest", "text_digest"]

FIELDS = ("number", "year", "month", "day", "issuer", "province", "doc_type", "subject")


class ManifestError(ValueError):
    """The corpus folder has no readable manifest.jsonl."""


@dataclass
class ParserReport:
    corpus: str
    letters: int
    correct: dict[str, int] = field(default_factory=dict)
    scored: dict[str, int] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    unreadable: dict[str, str] = field(default_factory=dict)  # file → the reader's error

    def accuracy(self) -> dict[str, float | None]:
        return {f: (self.correct.get(f, 0) / self.scored[f] if self.scored.get(f) else None)
                for f in FIELDS}

    def to_dict(self) -> dict[str, Any]:
        return {"corpus": self.corpus, "letters": self.letters, "accuracy": self.accuracy(),
                "scored": {f: self.scored.get(f, 0) for f in FIELDS}, "wrong": self.errors,
                "unreadable": self.unreadable}


def _ws(text: str) -> str:
    return " ".join(canonical_tones(nfc(text)).split())


def _subject_form(text: str) -> str:
    """The form subjects are compared in: whitespace folded, the "V/v" label dropped."""
    from congvan.letters.parse.common import VV_LABEL  # parse imports this package (see below)
    return VV_LABEL.sub("", _ws(text))


def subject_digest(subject: str | None) -> str | None:
    """SHA-256 of a subject in its compared form (None stays None: the copy has no subject)."""
    return None if subject is None else hashlib.sha256(_subject_form(subject).encode("utf-8")).hexdigest()


def text_digest(raw: bytes) -> str:
    """SHA-256 of a letter file's bytes: what an annotation digest is keyed by."""
    return hashlib.sha256(raw).hexdigest()


@dataclass(frozen=True)
class SubjectDigest:
    """A hand-read subject kept as its digest (``None``: the copy has no subject)."""

    sha256: str | None

    def __repr__(self) -> str:
        return "(đã đọc tay, lưu dạng băm)" if self.sha256 else "None"


def _province_key(name: str | None, tax: Taxonomy) -> str | None:
    if name is None:
        return None
    if name == "central":
        return "central"
    key = fold(_ws(name))
    key = re.sub(r"^(?:thanh pho|tp\.?|tinh)\s+", "", key)
    for p in tax.provinces:
        if any(fold(s) == key for s in p.spellings):
            return fold(p.name)
    return key


def letter_fields(letter: Letter) -> dict[str, Any]:
    """The fields a manifest row is scored against, as the parser gives them."""
    return {
        "number": letter.number,
        "year": letter.date.year, "month": letter.date.month, "day": letter.date.day,
        # a copy with no header block names its issuer only in its opening sentence
        "issuer": letter.issuer_header or letter.issuer,
        "province": "central" if letter.central else letter.province,
        "doc_type": letter.doc_type,
        "subject": letter.subject,
    }


def _gold(row: dict[str, Any]) -> dict[str, Any]:
    gold: dict[str, Any] = {k: row[k] for k in ("number", "issuer", "province", "doc_type", "subject")
                            if k in row}
    if "subject" not in gold and "subject_sha256" in row:
        gold["subject"] = SubjectDigest(row["subject_sha256"])
    date = row.get("date")
    if date:
        parts = [int(p) for p in str(date).split("-")]
        for name, value in zip(("year", "month", "day"), parts):
            gold[name] = value
    return gold


def same_field(name: str, got: Any, want: Any, tax: Taxonomy) -> bool:
    """Does the parsed ``got`` equal the hand-read ``want`` for field ``name`` (the rules in
    ``evaluate_parser``'s docstring: numbers without spaces, doc types ignoring case, …)?"""
    if name in ("year", "month", "day"):
        return got == want
    if name == "province":
        return _province_key(got, tax) == _province_key(want, tax)
    if isinstance(want, SubjectDigest):
        return subject_digest(got) == want.sha256
    if got is None or want is None:
        return got is None and want is None
    if name == "number":
        return "".join(_ws(str(got)).split()) == "".join(_ws(str(want)).split())
    if name == "doc_type":
        return _ws(got).lower() == _ws(want).lower()
    if name == "subject":  # the "V/v" label is not the subject: manifests write it or not
        return _subject_form(str(got)) == _subject_form(str(want))
    return _ws(str(got)) == _ws(str(want))


def read_manifest(corpus: Path) -> list[dict[str, Any]]:
    path = corpus / "manifest.jsonl"
    if not path.is_file():
        raise ManifestError(f"Không thấy {path}: thư mục --corpus phải có manifest.jsonl "
                            "(mỗi dòng một đối tượng JSON có trường file, number, date, issuer …).")
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise ManifestError(f"{path}, dòng {n}: JSON không hợp lệ ({err.msg}); "
                                "hãy sửa hoặc xóa dòng đó.") from err
        if not isinstance(row, dict) or "file" not in row:
            raise ManifestError(f"{path}, dòng {n}: thiếu trường \"file\" (đường dẫn văn bản).")
        rows.append(row)
    return rows


def evaluate_parser(corpus: Path, taxonomy: Taxonomy | None = None,
                    extra: dict[str, dict[str, Any]] | None = None) -> ParserReport:
    """Parse every letter in the manifest and score its header fields.

    ``extra`` adds hand-read fields the manifest lacks, keyed by the SHA-256 of the file's bytes.
    """
    from congvan.letters.parse import parse_letter  # parse imports this package's modules only
    from congvan.letters.readers import LetterReadError, read_letter_bytes

    tax = taxonomy or load_taxonomy()
    rows = read_manifest(corpus)
    report = ParserReport(str(corpus), len(rows))
    for row in rows:
        path = corpus / row["file"]
        raw = path.read_bytes()
        if extra:
            row = {**extra.get(text_digest(raw), {}), **row}
        try:  # the product's own reader: .txt/.md in any encoding, .docx, .doc, .pdf
            text = read_letter_bytes(raw, path.name)
        except LetterReadError as exc:
            text, report.unreadable[row["file"]] = "", str(exc)
        got = letter_fields(parse_letter(text, source=path.name, taxonomy=tax)) if text \
            else dict.fromkeys(FIELDS)
        wrong = {}
        for name, want in _gold(row).items():
            report.scored[name] = report.scored.get(name, 0) + 1
            if same_field(name, got[name], want, tax):
                report.correct[name] = report.correct.get(name, 0) + 1
            else:
                wrong[name] = {"got": got[name], "want": repr(want) if isinstance(want, SubjectDigest) else want}
        if wrong:
            report.errors.append({"file": row["file"], "fields": wrong})
    return report
