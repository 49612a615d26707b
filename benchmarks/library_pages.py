"""The parser against the metadata table a legal-library page prints above each letter.

Usage: python benchmarks/library_pages.py FOLDER [--show N] [--json]

A page copied from a legal-library site (thuvienphapluat.vn and its mirrors) prints its own reading
of the letter before the letter: "Số hiệu: 388/NQ-CP", "Loại văn bản: Nghị quyết", "Ngày ban hành:
01/12/2025". Those cells are a free second reading of number, type and date for any number of
real pages nobody here annotated, so a folder of such copies (``.md``/``.txt``, e.g.
``src/etl/dataset`` of the public crawl ``tnt305/tai_lieu_noi_bo``) checks the header parser at
scale. The parser reads the letter as printed: where the site's cell disagrees with the printed
"Số:" line, the failure list shows it and a human decides. Pages without the table are skipped.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from congvan.letters.parser_eval import letter_fields, same_field
from congvan.letters.pipeline import LetterReadError, letter_from_file
from congvan.letters.taxonomy import Taxonomy, load_taxonomy

_CELL = r"\**\s*(?:\|\s*)*\n?(?:[\s|*]*\n)*\s*([^\n|*][^\n|]*)"
_FIELDS = {"number": "Số hiệu:", "doc_type": "Loại văn bản:", "date": "Ngày ban hành:"}
#: Page types that are not a letter's own type (a consolidated text, a "văn bản khác").
_NOT_A_TYPE = {"văn bản khác", "văn bản hợp nhất"}


def page_metadata(text: str) -> dict[str, str]:
    """The site's cells: ``{"number", "doc_type", "date"}`` as printed (empty when no table)."""
    out = {}
    head = text[:6000]
    for key, label in _FIELDS.items():
        m = re.search(re.escape(label) + _CELL, head)
        if m and m.group(1).strip(" *"):
            out[key] = m.group(1).strip(" *")
    return out


def check(path: Path, tax: Taxonomy | None = None) -> dict | None:
    """``{"file", "fields": {name: (right, site's value, parser's value)}}``, scored as
    ``congvan evaluate parser`` scores a manifest; None for a page without the table."""
    text = path.read_text(encoding="utf-8", errors="replace")
    meta = page_metadata(text)
    if "number" not in meta:
        return None
    tax = tax or load_taxonomy()
    try:
        got = letter_fields(letter_from_file(path))
    except LetterReadError as exc:
        return {"file": path.name, "error": str(exc), "fields": {}}
    fields: dict[str, tuple[bool, str, str]] = {
        "number": (same_field("number", got["number"], meta["number"], tax), meta["number"], got["number"] or "")}
    if meta.get("doc_type") and meta["doc_type"].lower() not in _NOT_A_TYPE:
        fields["doc_type"] = (same_field("doc_type", got["doc_type"], meta["doc_type"], tax), meta["doc_type"],
                              got["doc_type"] or "")
    day = re.match(r"(\d{1,2})/(\d{1,2})/(\d{4})$", meta.get("date", ""))
    if day:
        want = (int(day.group(3)), int(day.group(2)), int(day.group(1)))
        have = (got["year"], got["month"], got["day"])
        fields["date"] = (have == want, meta["date"], "-".join(str(x) for x in have))
    return {"file": path.name, "fields": fields}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path, help="folder of page copies (.md/.txt), searched recursively")
    ap.add_argument("--show", type=int, default=30, help="failures listed (default 30)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if not args.folder.is_dir():
        ap.error(f"{args.folder} is not a folder of page copies")
    paths = sorted(p for p in args.folder.rglob("*") if p.suffix.lower() in (".md", ".txt"))
    tax = load_taxonomy()
    results = [r for r in (check(p, tax) for p in paths) if r is not None]
    totals: dict[str, list[int]] = {k: [0, 0] for k in _FIELDS}
    failures = []
    for r in results:
        if "error" in r:
            failures.append((r["file"], "read", r["error"], ""))
        for key, (ok, want, got) in r["fields"].items():
            totals[key][0] += ok
            totals[key][1] += 1
            if not ok:
                failures.append((r["file"], key, want, got))
    summary = {"pages": len(results), "files": len(paths),
               "fields": {k: {"right": a, "scored": b, "accuracy": round(a / b, 4) if b else None}
                          for k, (a, b) in totals.items()}}
    if args.json:
        print(json.dumps({**summary, "failures": failures}, ensure_ascii=False, indent=1))
        return 0
    print(f"{summary['pages']} pages with a metadata table (of {len(paths)} files)")
    for key, row in summary["fields"].items():
        print(f"{key:9s} {row['right']:4d}/{row['scored']:<4d} {row['accuracy']}")
    for f in failures[:args.show]:
        print(" | ".join(map(str, f)), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
