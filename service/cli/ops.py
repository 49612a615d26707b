"""``congvan audit | backup | restore``: what a records office runs besides search."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from congvan.service.cli.common import EXIT_FAIL, EXIT_OK, error, print_json, settings_from


# --------------------------------------------------------------------------- audit
def cmd_audit(args: argparse.Namespace) -> int:
    from congvan.service import audit

    settings = settings_from(args)
    try:
        entries = audit.read(settings.index_dir, since=args.since, action=args.action, limit=args.limit)
    except ValueError as exc:
        error(str(exc))
        return EXIT_FAIL
    if args.json:
        print_json(entries)
        return EXIT_OK
    if not entries:
        print(f"Nhật ký {audit.audit_path(settings.index_dir)}: không có mục nào khớp", file=sys.stderr)
    for e in entries:
        status = f" ({e['status']})" if e.get("status") else ""
        print(f"{e['time']}  {e['actor']:<18} {e['action']:<8} {e.get('target') or '—':<20} "
              f"{e['result']}{status}  {e.get('detail') or ''}".rstrip())
    return EXIT_OK


# --------------------------------------------------------------------------- backup / restore
def _model_dirs(settings) -> dict[str, Path]:
    from congvan.models.encoder import builtin_model_dir, bundled_model_dir
    from congvan.models.tagger import default_tagger_dir

    encoder = builtin_model_dir(settings.model, settings.models_dir) or bundled_model_dir(settings.models_dir)
    return {"encoder": encoder, "tagger": default_tagger_dir(settings.models_dir)}


def cmd_backup(args: argparse.Namespace) -> int:
    from congvan.index.backup import BackupError, backup

    settings = settings_from(args)
    try:  # label corrections live in INDEX/corrections/ and are copied with it
        manifest = backup(settings.index_dir, args.dest, model_dirs=_model_dirs(settings))
    except BackupError as exc:
        error(str(exc))
        return EXIT_FAIL
    if args.json:
        print_json(manifest)
    else:
        idx = manifest["index"]
        print(f"Đã sao lưu {idx['documents']} văn bản, {idx['clauses']} điều khoản vào {args.dest}"
              + ("" if manifest["derived_included"] else " (chỉ mục tìm kiếm sẽ được dựng lại khi khôi phục)"))
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    from congvan.index.backup import BackupError, restore
    from congvan.service.audit import record
    from congvan.service.cli.common import open_collection
    from congvan.service.cli.index import audit_actor

    settings = settings_from(args)
    try:
        manifest = restore(args.src, settings.index_dir, force=args.force)
    except BackupError as exc:
        error(str(exc))
        return EXIT_FAIL
    with open_collection(settings) as col:  # rebuilds the search files if the backup had none
        stats = col.stats()
    want = manifest["index"]
    if (stats["documents"], stats["clauses"]) != (want["documents"], want["clauses"]):
        error(f"sau khôi phục chỉ mục có {stats['documents']}/{stats['clauses']}, manifest ghi "
              f"{want['documents']}/{want['clauses']}")
        return EXIT_FAIL
    record(settings.index_dir, actor=audit_actor(), action="restore", target=str(args.src),
           detail=f"{stats['documents']} documents, {stats['clauses']} clauses")
    if args.json:
        print_json({"restored": str(args.src), "index": str(settings.index_dir), "previous": manifest["previous"],
                    "documents": stats["documents"], "clauses": stats["clauses"]})
    else:
        print(f"Đã khôi phục {stats['documents']} văn bản, {stats['clauses']} điều khoản vào {settings.index_dir}"
              + (f"; chỉ mục cũ giữ ở {manifest['previous']}" if manifest["previous"] else ""))
    return EXIT_OK


def add_commands(sub: argparse._SubParsersAction) -> None:
    index_help = "index folder (default: CONGVAN_INDEX or CONGVAN_HOME/index)"
    audit = sub.add_parser("audit", help="show the audit log of writes",
                           description="Every upload, delete, label correction, login/logout, ingest and "
                           "restore, oldest first (INDEX/audit.jsonl).")
    audit.add_argument("--index", metavar="DIR", help=index_help)
    audit.add_argument("--since", metavar="DATE", help="from this date/time (ISO, UTC), e.g. 2026-12-01")
    audit.add_argument("--action", choices=["upload", "delete", "correct", "login", "logout", "ingest", "restore"])
    audit.add_argument("--limit", type=int, metavar="N", help="only the newest N entries")
    audit.add_argument("--json", action="store_true", help="print the entries as a JSON list")
    audit.set_defaults(func=cmd_audit)

    backup = sub.add_parser("backup", help="consistent copy of the index (safe while serving)",
                            description="Copy the index (SQLite backup API, search files, audit log, label "
                            "corrections, models' manifests) into a new folder with a manifest.json of "
                            "checksums. Safe while the server or an ingest runs.")
    backup.add_argument("dest", type=Path, metavar="DIR", help="new (or empty) folder for the backup")
    backup.add_argument("--index", metavar="DIR", help=index_help)
    backup.add_argument("--json", action="store_true", help="print the backup's manifest")
    backup.set_defaults(func=cmd_backup)

    restore = sub.add_parser("restore", help="restore the index from a backup folder",
                             description="Verify a backup (manifest, checksums, counts) and put it in place "
                             "of the index; the old index is kept beside it. Stop the server first.")
    restore.add_argument("src", type=Path, metavar="DIR", help="folder written by congvan backup")
    restore.add_argument("--index", metavar="DIR", help=index_help)
    restore.add_argument("--force", action="store_true", help="replace an existing index (kept beside it)")
    restore.add_argument("--json", action="store_true")
    restore.set_defaults(func=cmd_restore)
