"""Re-key staff judgments whose clause the parser no longer emits under the same key.

Judgments are keyed by ``clause_key``: the hash of a clause's first 60 letters and digits. When a
parser fix moves a clause boundary (a glued "Nơi nhận:" split off, a heading joined to its item),
the clause's start changes and its judgments stop matching anything: they count as gold the
ranking can never return. No old text is kept (real letters stay out of git), but the key itself
says where the judged clause began: it is the hash of a 60-character window of the letter's
letters-and-digits stream. So for every stale key this module hashes every window of the cited
letter, finds the one that matches, and gives the judgment to the clause the parser now emits
around that place (a clause merged into a longer one passes its judgments to it).

    python -m congvan.training.staff_rekey --shared ../shared            # report only
    python -m congvan.training.staff_rekey --shared ../shared --write    # rewrite the judgments
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

from congvan.training.clause_keys import KEY_CHARS, clause_alnum, clause_keys
from congvan.training.staff_bench import QUERIES_FILE, _resolve


def _alnum_stream(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def window_positions(stream: str, keys: set[str], shortest: int = 6) -> dict[str, int]:
    """Key → first position in ``stream`` whose ``KEY_CHARS`` window hashes to it (or a shorter
    window, down to ``shortest`` characters: a clause shorter than the window is hashed whole)."""
    out: dict[str, int] = {}
    for length in range(KEY_CHARS, shortest - 1, -1):
        for i in range(max(len(stream) - length + 1, 0)):
            key = hashlib.sha1(stream[i:i + length].encode("utf-8")).hexdigest()[:12]
            if key in keys and key not in out:
                out[key] = i
                if len(out) == len(keys):
                    return out
    return out


def clause_spans(stream: str, clauses: list[str]) -> list[tuple[int, int, str]]:
    """(start, end, key) of each clause's letters-and-digits in the letter's stream (in order)."""
    spans = []
    cursor = 0
    for text in clauses:
        body = clause_alnum(text)
        if not body:
            continue
        at = stream.find(body, cursor)
        if at < 0:
            at = stream.find(body)
        if at < 0:  # a table row joins cells that are not adjacent in the text (task, then details)
            at = stream.find(body[:KEY_CHARS], cursor)
        if at < 0:
            continue
        spans.append((at, at + len(body), clause_keys(text)[0]))
        cursor = at + len(body)
    return spans


def new_key(position: int, spans: list[tuple[int, int, str]]) -> str | None:
    """Key of the clause holding ``position``; None when no emitted clause holds it (the parser
    drops that text now: the judgment cannot move, it stays and counts as unreachable gold)."""
    for start, end, key in spans:
        if start <= position < end:
            return key
    return None


def rekey(rows: list[dict], shared: Path) -> tuple[list[dict], list[str]]:
    """The judgments with stale keys replaced; and a report line per change or failure."""
    from congvan.letters.pipeline import letter_from_file
    from congvan.letters.text import clean_text

    wanted: dict[str, set[str]] = {}
    for row in rows:
        for entry in [*row["relevant"], *row.get("judged_zero", [])]:
            if not entry["file"].startswith("distractors/"):
                wanted.setdefault(entry["file"], set()).add(entry["key"])
    mapping: dict[tuple[str, str], str] = {}
    report: list[str] = []
    for file, keys in sorted(wanted.items()):
        path = _resolve(file, shared)
        if not path.is_file():
            report.append(f"{file}: not found, its keys are left as they are")
            continue
        letter = letter_from_file(path)
        current = {k for c in letter.clauses for k in clause_keys(c.text)}
        stale = keys - current
        if not stale:
            continue
        stream = _alnum_stream(clean_text(path.read_text(encoding="utf-8", errors="replace")))
        found = window_positions(stream, stale)
        spans = clause_spans(stream, [c.text for c in letter.clauses])
        for key in sorted(stale):
            target = new_key(found[key], spans) if key in found else None
            if key not in found:
                report.append(f"{file} {key}: no window of the letter has this key; left as it is")
            elif target is None:
                report.append(f"{file} {key}: the parser emits no clause there now; left as it is")
            else:
                mapping[(file, key)] = target
                report.append(f"{file} {key} → {target}")
    out = []
    for row in rows:
        row = dict(row)
        for field in ("relevant", "judged_zero"):
            if field not in row:
                continue
            merged: dict[tuple[str, str], dict] = {}
            for entry in row[field]:
                entry = {**entry, "key": mapping.get((entry["file"], entry["key"]), entry["key"])}
                pair = (entry["file"], entry["key"])
                if pair in merged and field == "relevant":  # two old clauses became one: keep the best grade
                    merged[pair]["grade"] = max(merged[pair]["grade"], entry["grade"])
                else:
                    merged.setdefault(pair, entry)
            row[field] = list(merged.values())
        if "judged_zero" in row:  # a clause now graded for the query is no longer a judged zero
            graded = {(e["file"], e["key"]) for e in row["relevant"]}
            row["judged_zero"] = [e for e in row["judged_zero"] if (e["file"], e["key"]) not in graded]
        out.append(row)
    return out, report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=Path("../shared"), help="the shared folder (real letters)")
    parser.add_argument("--queries", type=Path, default=QUERIES_FILE, help="the judgments file")
    parser.add_argument("--write", action="store_true", help="rewrite the judgments file (else report only)")
    args = parser.parse_args(argv)
    if not (args.shared / "real_letters").is_dir():
        parser.error(f"{args.shared}/real_letters not found; pass --shared PATH")
    rows = [json.loads(line) for line in args.queries.read_text(encoding="utf-8").splitlines() if line.strip()]
    out, report = rekey(rows, args.shared)
    for line in report:
        print(line)
    changed = sum(" → " in line for line in report)
    print(f"{changed} stale keys re-keyed, {len(report) - changed} left", file=sys.stderr)
    if args.write and changed:
        tmp = args.queries.with_suffix(".jsonl.tmp")
        tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in out), encoding="utf-8")
        tmp.replace(args.queries)
        print(f"wrote {args.queries}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
