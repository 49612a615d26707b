"""The ``congvan`` command: a thin argparse layer over the application core.

Modules: ``common`` (exit codes, printing, settings), ``letters`` (tag), ``index`` (ingest,
search, serve, evaluate search), ``training`` (train, evaluate tagger, export-corrections), ``ops`` (audit, backup, restore).

Each sub-command parses its flags, calls one library function and prints text or JSON. Errors
the user can fix (a bad file, a missing index) print one clear line and exit non-zero — never a
traceback.
"""
from __future__ import annotations

import argparse
from collections.abc import Sequence

from congvan.models.artifacts import ArtifactError
from congvan.service.cli import index, letters, ops, training
from congvan.service.cli.common import EXIT_FAIL, error

__all__ = ["build_parser", "main"]


# --------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="congvan",
        description="Tìm kiếm và gắn nhãn công văn, chỉ thị, kế hoạch phòng chống dịch. "
        "(Search and tag Vietnamese directive letters.)",
        epilog="Data folder: CONGVAN_HOME (default: a per-user data folder). "
        "Embedding model: CONGVAN_MODEL (default: congvan/e5-small-directives, the bundled multilingual-e5-small "
        "with the shipped search adapter).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    letters.add_commands(sub)
    index.add_commands(sub)
    training.add_commands(sub)
    ops.add_commands(sub)
    return parser


def _show_reader_progress() -> None:
    """Long reads (OCR of a scan, page by page) say what they are doing on stderr."""
    import logging

    log = logging.getLogger("congvan.letters.readers")
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("  %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _show_reader_progress()
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        error("đã dừng (interrupted)")
        return 130
    except ArtifactError as exc:  # a model or index folder that doesn't fit: the message says how to fix it
        error(str(exc))
        return EXIT_FAIL
