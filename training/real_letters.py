"""Annotated clauses of REAL letters, rebuilt from ``../shared`` without tracking their text in git.

The team's labels of the real corpus live in ``training/data/real/*.jsonl`` keyed by file and
``clause_key`` (``training/clause_keys.py``); the text stays in ``../shared`` (``real_letters/texts``
and ``seeds``). ``load_real_records`` parses each annotated file with the product's own parser
and joins every parsed clause to its labels through its keys, so the training set is what the
parser really produces. Clauses the parser cuts differently from the annotator are counted, not
guessed (``RealLoad.unmatched``).

Annotation line (one per clause; one ``"record": "letter"`` line per file)::

    {"file": "real_letters/texts/020_….txt", "key": "<12 hex>", "path": "II.1", "kind": "directive",
     "themes": [...], "lead": [...], "support": [...], "names": {...}, "diseases": [...]}
"""
from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from congvan.training.clause_keys import clause_keys
from congvan.training.records import DATA_DIR, DatasetError, Record, norm_text, read_jsonl

__all__ = ["HEADERS_FILE", "REAL_DIR", "RealLoad", "header_annotations", "letter_id_for", "load_annotations",
           "load_real_records"]

REAL_DIR = DATA_DIR / "real"
#: Header fields of the real corpus read by hand where its manifest has none (the subject), as
#: digests keyed by the SHA-256 of the letter file (``congvan evaluate parser`` scores them).
HEADERS_FILE = DATA_DIR / "headers" / "real_letters.jsonl"
#: The three seed letters keep the letter ids they had when their text was tracked (``seeds.jsonl``),
#: so the frozen test split still holds them.
SEED_LETTER_IDS = {
    "seeds/000_c27e4899c8171dca.txt": "715dfe02677f8603",
    "seeds/001_a956b0c17b9e6422.txt": "8d296d2569d106de",
    "seeds/002_0496534501040767.txt": "d658f33eea3c8093",
}


@dataclass
class RealLoad:
    """What loading the real corpus gave: records plus how well annotations met parsed clauses."""

    records: list[Record] = field(default_factory=list)
    annotated: int = 0
    matched: int = 0
    unmatched: Counter[str] = field(default_factory=Counter)  # file → annotations not met
    missing_files: list[str] = field(default_factory=list)
    letter_labels: dict[str, dict[str, Any]] = field(default_factory=dict)  # file → letter record

    def summary(self) -> dict[str, Any]:
        return {"annotated": self.annotated, "matched": self.matched,
                "match_rate": round(self.matched / max(1, self.annotated), 4),
                "records": len(self.records), "missing_files": len(self.missing_files)}


def letter_id_for(file: str) -> str:
    """Stable letter id of an annotated file: ``real-020`` for ``real_letters/texts/020_….txt``."""
    if file in SEED_LETTER_IDS:
        return SEED_LETTER_IDS[file]
    m = re.match(r"real_letters/texts/(\d+)_", file)
    if not m:
        raise DatasetError(f"{file}: annotated file outside real_letters/texts and seeds")
    return f"real-{m.group(1)}"


def load_annotations(real_dir: Path = REAL_DIR) -> tuple[dict[str, dict[str, dict[str, Any]]],
                                                         dict[str, dict[str, Any]]]:
    """file → key → clause annotation, and file → letter annotation, from ``real_dir/*.jsonl``."""
    clauses: dict[str, dict[str, dict[str, Any]]] = {}
    letters: dict[str, dict[str, Any]] = {}
    for path in sorted(Path(real_dir).glob("*.jsonl")):
        for n, obj in enumerate(read_jsonl(path), start=1):
            file = obj.get("file")
            if not file:
                raise DatasetError(f"{path.name}:{n}: missing field 'file'")
            if obj.get("record") == "letter":
                letters[file] = obj
                continue
            if not obj.get("key"):
                raise DatasetError(f"{path.name}:{n}: missing field 'key'")
            clauses.setdefault(file, {}).setdefault(obj["key"], {**obj, "_where": f"{path.name}:{n}"})
    return clauses, letters


def header_annotations(path: Path = HEADERS_FILE) -> dict[str, dict[str, Any]]:
    """text SHA-256 → hand-read header fields (``subject_sha256``) for ``evaluate_parser(extra=…)``."""
    out: dict[str, dict[str, Any]] = {}
    if not Path(path).is_file():
        return out
    for n, obj in enumerate(read_jsonl(Path(path)), start=1):
        if not obj.get("text_sha256") or "subject_sha256" not in obj:
            raise DatasetError(f"{Path(path).name}:{n}: needs 'text_sha256' and 'subject_sha256' (null: no subject)")
        out[obj["text_sha256"]] = {"subject_sha256": obj["subject_sha256"]}
    return out


def _doc_meta(file: str, letter: Any, manifest: dict[str, dict[str, Any]]) -> dict[str, Any]:
    meta = manifest.get(file.removeprefix("real_letters/"), {})
    year = letter.date.year if getattr(letter, "date", None) else None
    if meta.get("date"):
        year = int(str(meta["date"])[:4])
    date = str(meta["date"]) if meta.get("date") else letter.date.iso() if getattr(letter, "date", None) else None
    province = meta.get("province") or letter.province
    return {"issuer": meta.get("issuer") or letter.issuer, "province": province,
            "year": year, "doc_type": meta.get("doc_type") or letter.doc_type, "file": file,
            "date": date, "central": province == "central" or bool(getattr(letter, "central", False)),
            # the parser's subject, as the product tags with it (``letters.themes`` topics)
            "subject": getattr(letter, "subject", None)}


def _manifest(shared_dir: Path) -> dict[str, dict[str, Any]]:
    path = shared_dir / "real_letters" / "manifest.jsonl"
    if not path.is_file():
        return {}
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            obj = json.loads(line)
            out[obj["file"]] = obj
    return out


def load_real_records(shared_dir: Path | str | None, real_dir: Path = REAL_DIR,
                      files: Iterable[str] | None = None) -> RealLoad:
    """Parse every annotated real letter found under ``shared_dir`` and label its clauses.

    ``shared_dir`` None or absent → an empty result (training then uses the team's letters only).
    Directive clauses keep their labels; preamble/closing clauses are kept without labels (the
    tagger learns they carry none); parsed clauses with no annotation are left out.
    """
    from congvan.letters.pipeline import LetterReadError, corpus_letter

    out = RealLoad()
    if shared_dir is None or not Path(shared_dir).is_dir():
        return out
    shared = Path(shared_dir)
    clauses, letters = load_annotations(real_dir)
    out.letter_labels = letters
    manifest = _manifest(shared)
    wanted = set(files) if files is not None else None
    for file in sorted(clauses):
        if wanted is not None and file not in wanted:
            continue
        notes = clauses[file]
        out.annotated += len(notes)
        path = shared / file
        if not path.is_file():
            out.missing_files.append(file)
            out.unmatched[file] += len(notes)
            continue
        try:
            letter = corpus_letter(path)
        except LetterReadError:
            out.unmatched[file] += len(notes)
            continue
        lid = letter_id_for(file)
        doc = _doc_meta(file, letter, manifest)
        used: set[str] = set()
        for n, clause in enumerate(letter.clauses):
            note = next((notes[k] for k in clause_keys(clause.text) if k in notes and k not in used), None)
            if note is None:
                continue
            used.add(note["key"])
            kind = note.get("kind") or "directive"
            directive = kind == "directive"
            out.records.append(Record(
                id=f"{lid}-{n:03d}", letter_id=lid, text=norm_text(clause.text), kind=kind,
                themes=list(note.get("themes") or []) if directive else [],
                lead=list(note.get("lead") or []) if directive else [],
                support=list(note.get("support") or []) if directive else [],
                heading=norm_text(clause.heading) if clause.heading else None, path=clause.path,
                source="seed" if file.startswith("seeds/") else "real", doc=doc, file=note["_where"],
                parsed_lead=list(clause.agencies.lead) if directive else None,
                parsed_support=list(clause.agencies.support) if directive else None))
        out.matched += len(used)
        missed = len(notes) - len(used)
        if missed:
            out.unmatched[file] += missed
    return out
