"""What every ``congvan`` sub-command shares: exit codes, printing, settings from flags."""
from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path
from typing import Any

from congvan.service.config import Settings, get_settings

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


def error(message: str) -> int:
    """One line on stderr, never a traceback: the user can fix what it says. Returns the exit
    code, so a command can ``return error(...)``."""
    sys.stderr.write(f"congvan: {message}\n")
    return EXIT_FAIL


def settings_from(args: argparse.Namespace) -> Settings:
    """The process settings, with ``--index DIR`` applied when the command has it."""
    settings = get_settings()
    index = getattr(args, "index", None)
    if index:
        settings = settings.model_copy(update={"index": Path(index)})
    return settings


def command_line() -> str:
    """The exact command, written beside trained models."""
    return "congvan " + " ".join(shlex.quote(a) for a in sys.argv[1:])


def open_collection(settings: Settings, show_progress: bool = False):
    """The index of ``settings`` on its backend (embedded, or Milvus with CONGVAN_BACKEND=milvus)."""
    from congvan.index.milvus import open_collection as open_index
    from congvan.models.encoder import load_encoder

    return open_index(settings.index_dir, load_encoder(settings), show_progress=show_progress,
                      **settings.backend_options())
