"""``congvan tag``: parse and tag one letter without indexing it."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from congvan.service.cli.common import (
    EXIT_FAIL,
    EXIT_OK,
    error,
    print_json,
    settings_from,
)


# --------------------------------------------------------------------------- tag
def cmd_tag(args: argparse.Namespace) -> int:
    from congvan.letters.pipeline import (
        LetterReadError,
        letter_from_file,
        letter_from_text,
    )
    from congvan.service.tagging import tag_letter

    settings = settings_from(args)
    try:
        if args.file == "-":
            letter = letter_from_text(sys.stdin.read(), source="stdin")
        else:
            path = Path(args.file)
            if not path.is_file():
                error(f"{path}: không tìm thấy tệp (file not found)")
                return EXIT_FAIL
            letter = letter_from_file(path, max_bytes=settings.max_upload_bytes)
    except LetterReadError as exc:
        error(f"{args.file}: {exc}")
        return EXIT_FAIL
    tag_letter(letter, settings)
    if args.json:
        print_json(letter.to_dict())
    else:
        _print_letter(letter)
    return EXIT_OK


def _print_letter(letter: Any) -> None:
    doc = letter.document_dict()
    date = letter.date.iso() or "—"
    lines = [
        f"Cơ quan ban hành: {doc['issuer'] or '—'}",
        f"Số/ký hiệu:       {doc['number'] or '—'}    Ngày: {date}    Tỉnh: {doc['province'] or '—'}",
        f"Trích yếu:        {doc['subject'] or '—'}",
        f"Người ký:         {doc['signer']['name'] or '—'} ({doc['signer']['title'] or '—'})",
    ]
    for ref in letter.references:
        lines.append(f"Dẫn chiếu:        {ref.type or ''} {ref.number or ''} {ref.date or ''} {ref.issuer or ''}".rstrip())
    lines.append("")
    for clause in letter.clauses:
        roles = clause.agencies
        tags = ", ".join(t.id for t in clause.themes)
        who = ""
        if roles.lead or roles.support:
            who = f" chủ trì={','.join(roles.lead) or '—'} phối hợp={','.join(roles.support) or '—'}"
        head = f"[{clause.path}] {clause.kind}{who}{' chủ đề=' + tags if tags else ''}"
        text = clause.text if len(clause.text) <= 160 else clause.text[:157] + "…"
        lines.append(f"{head}\n    {text}")
    sys.stdout.write("\n".join(lines) + "\n")


def add_commands(sub: argparse._SubParsersAction) -> None:
    tag = sub.add_parser("tag", help="parse and tag one letter without indexing it",
                         description="Parse one letter (.txt, .md, .docx, .pdf, or - for stdin) "
                         "into metadata and clauses with themes and responsible agencies.")
    tag.add_argument("file", metavar="FILE", help="letter file, or - to read text from stdin")
    tag.add_argument("--json", action="store_true", help="print the JSON of the interface contract")
    tag.set_defaults(func=cmd_tag)
