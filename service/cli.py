"""The ``congvan`` command: a thin argparse layer over the library core.

Each sub-command parses its flags, calls one library function and prints text or JSON. Errors
the user can fix (a bad file, a missing index) print one clear line and exit non-zero — never a
traceback.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from service.config import Settings, get_settings

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def _print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


def _error(message: str) -> None:
    sys.stderr.write(f"congvan: {message}\n")


def _settings(args: argparse.Namespace) -> Settings:
    settings = get_settings()
    index = getattr(args, "index", None)
    if index:
        settings = settings.model_copy(update={"index": Path(index)})
    return settings


# --------------------------------------------------------------------------- tag
def cmd_tag(args: argparse.Namespace) -> int:
    from letters.pipeline import LetterReadError, letter_from_file, letter_from_text
    from service.tagging import tag_letter

    settings = _settings(args)
    try:
        if args.file == "-":
            letter = letter_from_text(sys.stdin.read(), source="stdin")
        else:
            path = Path(args.file)
            if not path.is_file():
                _error(f"{path}: không tìm thấy tệp (file not found)")
                return EXIT_FAIL
            letter = letter_from_file(path, max_bytes=settings.max_upload_bytes)
    except LetterReadError as exc:
        _error(f"{args.file}: {exc}")
        return EXIT_FAIL
    tag_letter(letter, settings)
    if args.json:
        _print_json(letter.to_dict())
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


# --------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="congvan",
        description="Tìm kiếm và gắn nhãn công văn, chỉ thị, kế hoạch phòng chống dịch. "
        "(Search and tag Vietnamese directive letters.)",
        epilog="Data folder: CONGVAN_HOME (default: a per-user data folder). "
        "Embedding model: CONGVAN_MODEL (default: the bundled multilingual-e5-small).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    tag = sub.add_parser("tag", help="parse and tag one letter without indexing it",
                         description="Parse one letter (.txt, .md, .docx, .pdf, or - for stdin) "
                         "into metadata and clauses with themes and responsible agencies.")
    tag.add_argument("file", metavar="FILE", help="letter file, or - to read text from stdin")
    tag.add_argument("--json", action="store_true", help="print the JSON of the interface contract")
    tag.set_defaults(func=cmd_tag)

    from service import cli_index  # search/ingest/serve/evaluate live beside, same style

    cli_index.add_commands(sub)

    from training import cli as training_cli  # train / export-corrections (tagger issue)

    training_cli.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        _error("đã dừng (interrupted)")
        return 130


if __name__ == "__main__":
    sys.exit(main())
