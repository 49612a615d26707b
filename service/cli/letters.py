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
    from congvan.service.core import prepare_letter

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
    letter = prepare_letter(letter, settings)
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
                         description="Parse one letter (.txt, .md, .docx, .doc, .pdf, or - for stdin) "
                         "into metadata and clauses with themes and responsible agencies.")
    tag.add_argument("file", metavar="FILE", help="letter file, or - to read text from stdin")
    tag.add_argument("--json", action="store_true", help="print the JSON of the interface contract")
    tag.set_defaults(func=cmd_tag)


# --------------------------------------------------------------------------- evaluate parser
def cmd_evaluate_parser(args: argparse.Namespace) -> int:
    from congvan.letters.parser_eval import FIELDS, ManifestError, evaluate_parser
    from congvan.training.real_letters import header_annotations

    corpus = Path(args.corpus) if args.corpus else Path(settings_from(args).shared_dir) / "real_letters"
    if not corpus.is_dir():
        error(f"{corpus}: không thấy thư mục văn bản thật; chỉ rõ bằng --corpus DIR "
              "(thư mục có manifest.jsonl), hoặc đặt CONGVAN_SHARED_DIR.")
        return EXIT_FAIL
    try:
        report = evaluate_parser(corpus, extra=header_annotations())
    except (ManifestError, OSError) as exc:
        error(str(exc))
        return EXIT_FAIL
    if args.json:
        print_json(report.to_dict())
        return EXIT_OK
    acc = report.accuracy()
    lines = [f"Bộ văn bản: {corpus} ({report.letters} văn bản)", "", "trường      đúng/chấm   tỉ lệ"]
    for name in FIELDS:
        scored = report.scored.get(name, 0)
        share = f"{acc[name]:.4f}" if acc[name] is not None else "—  (manifest không có)"
        lines.append(f"{name:<11} {report.correct.get(name, 0):>4}/{scored:<6} {share}")
    if report.unreadable:
        lines += ["", f"Không đọc được tệp ({len(report.unreadable)}; mọi trường tính là sai):"]
        lines += [f"  {name}: {why}" for name, why in report.unreadable.items()]
    if report.errors:
        lines += ["", f"Văn bản đọc sai ({len(report.errors)}):"]
        for wrong in report.errors:
            fields = "; ".join(f"{k}: được {v['got']!r}, cần {v['want']!r}" for k, v in wrong["fields"].items())
            lines.append(f"  {wrong['file']}: {fields}")
    sys.stdout.write("\n".join(lines) + "\n")
    return EXIT_OK


def add_evaluate_parser(ev_sub: argparse._SubParsersAction) -> None:
    """``congvan evaluate parser`` (under the ``evaluate`` group)."""
    ev = ev_sub.add_parser(
        "parser", help="header-field accuracy of the letter parser on real letters",
        description="Parse every letter listed in DIR/manifest.jsonl and compare number, date "
        "(year, month, day), issuer, province, doc_type and subject (where the manifest has one, or "
        "the team read it: training/data/headers/real_letters.jsonl keeps those as digests of the exact "
        "file) with the hand-read values; exact after whitespace folding. Lists the letters it got wrong.")
    ev.add_argument("--corpus", metavar="DIR",
                    help="folder with manifest.jsonl and the texts (default: CONGVAN_SHARED_DIR/real_letters)")
    ev.add_argument("--json", action="store_true",
                    help='print {"corpus", "letters", "accuracy", "scored", "wrong"}')
    ev.set_defaults(func=cmd_evaluate_parser)
