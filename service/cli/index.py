"""``congvan ingest | search | serve | evaluate search``: commands over the index."""
from __future__ import annotations

import argparse
import html
import re
import sys
from pathlib import Path

from congvan.service.cli.common import (
    EXIT_FAIL,
    EXIT_OK,
    error,
    open_collection,
    print_json,
    settings_from,
)


# --------------------------------------------------------------------------- ingest
def cmd_ingest(args: argparse.Namespace) -> int:
    from tqdm.auto import tqdm

    from congvan.service import audit
    from congvan.service.core import AppCore

    settings = settings_from(args)
    if getattr(args, "ray", None):
        return _ingest_ray(args, settings)
    quiet = args.json or not sys.stderr.isatty()

    def reading(files):
        return tqdm(files, desc="đọc văn bản", unit="tệp", disable=quiet or len(files) < 5)

    def stored(result) -> None:  # after each commit: the audit entry cannot lag behind
        audit.record(settings.index_dir, actor=audit_actor(), action="ingest",
                     target=result.doc_id, detail=f"{result.status}: {result.source}")

    with AppCore.open(settings, show_progress=not quiet) as core:
        report = core.ingest_files(args.paths, show_progress=not quiet, on_read=reading, on_stored=stored)
        stats = core.stats() if report["ingested"] else None
    ingested, skipped = report["ingested"], report["skipped"]
    if args.json:
        print_json(report)
    else:
        for row in ingested:
            print(f"{row['status']:>9}  {row['doc_id']}  {row['clauses']:>3} điều khoản  {row['path']}")
        for row in skipped:
            print(f"  bỏ qua  {row['path']}: {row['error']}", file=sys.stderr)
        if stats:
            print(f"Chỉ mục {settings.index_dir}: {stats['documents']} văn bản, {stats['clauses']} điều khoản "
                  f"({stats['vector_index']})")
    if not ingested and not skipped:
        error("không có tệp văn bản nào (.txt, .md, .docx, .doc, .pdf) trong các đường dẫn đã cho")
        return EXIT_FAIL
    return EXIT_FAIL if skipped else EXIT_OK


def _ingest_ray(args: argparse.Namespace, settings) -> int:
    """``congvan ingest PATH --ray [ADDRESS]``: read, parse, tag and embed on Ray workers."""
    try:
        import ray  # noqa: F401
    except ImportError:
        error("--ray needs Ray: pip install 'congvan[ray]'")
        return EXIT_FAIL
    from congvan.service.ray_ingest import default_pipeline, ray_ingest

    quiet = args.json or not sys.stderr.isatty()
    address = None if args.ray == "local" else args.ray
    with open_collection(settings, show_progress=not quiet) as col:
        report = ray_ingest(args.paths, col, build=default_pipeline(settings), address=address,
                            workers=args.workers, max_bytes=settings.max_upload_bytes, show_progress=not quiet)
        stats = col.stats()
    if args.json:
        print_json({"ingested": report.ingested, "skipped": report.skipped, "already_stored": report.already,
                    "workers": report.workers, "seconds": round(report.seconds, 2)})
    else:
        for row in report.ingested:
            print(f"{row['status']:>9}  {row['doc_id']}  {row['clauses']:>3} điều khoản  {row['path']}")
        for row in report.skipped:
            print(f"  bỏ qua  {row['path']}: {row['error']}", file=sys.stderr)
        print(f"{len(report.already)} tệp đã có trong chỉ mục (already indexed); {report.workers} Ray workers, "
              f"{report.clauses} clauses in {report.seconds:.1f} s ({report.clauses_per_s:.1f}/s)")
        print(f"Chỉ mục {settings.index_dir}: {stats['documents']} văn bản, {stats['clauses']} điều khoản "
              f"({stats['vector_index']})")
    if not report.ingested and not report.skipped and not report.already:
        error("không có tệp văn bản nào (.txt, .md, .docx, .doc, .pdf) trong các đường dẫn đã cho")
        return EXIT_FAIL
    return EXIT_FAIL if report.skipped else EXIT_OK


def audit_actor() -> str:
    """``cli:<login name>`` for audit entries written by commands."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


# --------------------------------------------------------------------------- search
def cmd_search(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    filters = {"year": args.year, "from": args.date_from, "to": args.date_to,
               "province": args.province, "issuer": args.issuer, "theme": args.theme,
               "disease": args.disease, "agency": args.agency}
    if not (settings.index_dir / "collection.sqlite3").exists():
        error(f"chưa có chỉ mục ở {settings.index_dir}: chạy `congvan ingest THƯ_MỤC` trước "
               f"(no index yet: run congvan ingest first)")
        return EXIT_FAIL
    from congvan.service.core import AppCore, CoreError

    with AppCore.open(settings) as core:
        try:
            result = core.search(args.query, top_k=args.top_k, offset=args.offset, filters=filters,
                                 mode=args.mode, explain=args.explain)
        except CoreError as exc:
            error(str(exc))
            return EXIT_FAIL
    if args.json:
        print_json(result.to_dict())
        return EXIT_OK
    from congvan.service.web.views import number_text, path_label

    print(f"{result.total} điều khoản khớp với «{args.query}»")
    for i, hit in enumerate(result.hits, start=args.offset + 1):
        doc = hit.document
        date = doc.get("date") or {}
        when = "/".join(str(date[k]) for k in ("day", "month", "year") if date.get(k))
        print(f"\n{i}. [{hit.score:.3f}] {number_text(doc.get('number'))} {when} — {doc.get('issuer') or '—'}"
              f"\n   {doc.get('subject') or ''}\n   {path_label(hit.path, hit.kind)}: {plain_snippet(hit.snippet)}")
        if hit.explain is not None:
            print(f"   {explain_line(hit.explain)}")
    return EXIT_OK


def plain_snippet(snippet: str) -> str:
    """The HTML snippet as terminal text: matches in «…», entities decoded."""
    text = snippet.replace("<mark>", "«").replace("</mark>", "»")
    return html.unescape(re.sub(r"</?[a-z]+>", "", text))


_EXPLAIN_LABELS = (("keyword", "từ khóa"), ("dense", "ngữ nghĩa (cos)"), ("coverage", "phủ từ"),
                   ("adjacency", "cụm liền"), ("window", "cửa sổ"), ("match_boost", "cộng khớp từ"),
                   ("letter_prior", "cộng cùng văn bản"),
                   ("disease_prior", "cộng cùng bệnh"), ("code_boost", "cộng số hiệu"), ("kind_factor", "hệ số loại"))


def explain_line(explain: dict) -> str:
    """One line of Vietnamese: the parts of a hit's score and the query words it contains."""
    parts = [f"{label} {explain[key]:.3f}" for key, label in _EXPLAIN_LABELS if key in explain]
    matched = explain.get("matched") or []
    words = f"; khớp: {', '.join(matched)}" if matched else ""
    read = f"; câu hỏi mô hình đọc: «{explain['dense_query']}»" if explain.get("dense_query") else ""
    return "giải thích: " + ", ".join(parts) + words + read


# --------------------------------------------------------------------------- serve
SHUTDOWN_GRACE_S = 5
def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from congvan.service.app import create_app

    settings = settings_from(args)
    print(f"congvan: http://{args.host}:{args.port}/  (API docs: /docs, index: {settings.index_dir})",
          file=sys.stderr)
    # The port opens at once (models load in the background, see service/warmup.py); on
    # SIGTERM/Ctrl-C open requests get SHUTDOWN_GRACE_S to finish, then the process exits.
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info",
                timeout_graceful_shutdown=SHUTDOWN_GRACE_S)
    return EXIT_OK


# --------------------------------------------------------------------------- evaluate
def cmd_evaluate_search(args: argparse.Namespace) -> int:
    import json

    from congvan.models.encoder import load_encoder
    from congvan.training.eval_search import BENCHMARKS, evaluate, tune, tune_short

    settings = settings_from(args)
    if getattr(args, "backend", None):
        settings = settings.model_copy(update={"backend": args.backend})
    where = {"benchmarks": settings.benchmarks_path, "work_dir": settings.home}
    try:
        backend = settings.backend_options()
        encoder = load_encoder(settings)
        if args.tune and args.benchmark == "staff":
            report = tune_short(encoder=encoder, show_progress=True, **where)
            if args.out:
                args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
            print_json({k: report[k] for k in ("dense_floor_short", "gold_cosine_percentiles", "before", "best")})
            return EXIT_OK
        if args.tune:
            report = tune(encoder=encoder, show_progress=True, **where)
            if args.out:
                args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
            print_json({k: report[k] for k in ("best", "baselines", "gold_cosine_percentiles", "queries")})
            return EXIT_OK
        if not args.benchmark:
            error("--benchmark NAME is required (or --tune)")
            return EXIT_FAIL
        names = list(BENCHMARKS) if args.benchmark == "all" else [args.benchmark]
        if args.benchmark == "all" and args.split != "test":
            error("--benchmark all reports the test splits only")
            return EXIT_FAIL
        modes = [args.mode] if args.mode else ["bm25", "dense", "hybrid"]
        rows = [evaluate(name, args.split, mode, encoder=encoder, show_progress=not args.json, **where, **backend)
                for name in names for mode in modes]
    except (FileNotFoundError, ValueError) as exc:
        error(str(exc))
        return EXIT_FAIL
    if args.json:
        print_json(rows[0] if len(rows) == 1 else rows)
        return EXIT_OK
    print("| benchmark | split | backend | mode | queries | R@1 | R@10 | MRR@10 | nDCG@10 |\n"
          "|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['benchmark']} | {r['split']} | {r['backend']} | {r['mode']} | {r['queries']} | "
              f"{r['recall@1']:.3f} | {r['recall@10']:.3f} | {r['mrr@10']:.3f} | {r['ndcg@10']:.3f} |")
    for info in {json.dumps(r["info"], ensure_ascii=False, sort_keys=True) for r in rows if r.get("info")}:
        info = json.loads(info)
        print(f"\nĐiều khoản liên quan đã gán nhãn: {info['relevant_keys']}, bộ tách văn bản tạo ra được "
              f"{info['emitted']}, thiếu {info['not_emitted']}"
              + (f"; không tìm thấy tệp: {', '.join(info['missing_files'])}" if info["missing_files"] else ""))
    return EXIT_OK


def cmd_rebuild(args: argparse.Namespace) -> int:
    """Rebuild the search files from SQLite; ``--reembed`` also re-embeds with the configured model."""
    import time

    from congvan.models.artifacts import ArtifactError

    settings = settings_from(args)
    t0 = time.perf_counter()
    try:
        try:
            col = open_collection(settings, show_progress=True)
            reembed_now = args.reembed
        except ArtifactError as exc:
            if not (args.reembed and "re-embed" in str(exc)):
                raise
            from congvan.index.milvus import open_collection as open_index
            from congvan.models.encoder import load_encoder

            print("Nhúng lại mọi điều khoản bằng mô hình đang cấu hình…", file=sys.stderr, flush=True)
            col = open_index(settings.index_dir, load_encoder(settings), show_progress=True, reembed=True,
                             **settings.backend_options())
            reembed_now = False  # done while opening
        with col:
            col.rebuild(reembed=reembed_now, show_progress=True)
            stats = col.stats()
    except (ArtifactError, ValueError) as exc:
        return error(str(exc))
    print(f"Đã dựng lại {settings.index_dir} trong {time.perf_counter() - t0:.1f} s: {stats.get('documents')} văn bản, "
          f"{stats.get('clauses')} điều khoản, mô hình {stats.get('encoder')}.", file=sys.stderr)
    return EXIT_OK


def add_commands(sub: argparse._SubParsersAction) -> None:
    index_help = "index folder (default: CONGVAN_INDEX or CONGVAN_HOME/index)"

    ingest = sub.add_parser("ingest", help="parse, tag and index letters",
                            description="Index letter files or folders (walked recursively: .txt, .md, "
                            ".docx, .doc, .pdf), committing every few letters: an interrupted run keeps what it "
                            "stored, and a rerun skips letters already stored (same content). A changed "
                            "file replaces its old version. Unreadable files are reported and skipped; the "
                            "exit code is 1 if any was skipped.")
    ingest.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    ingest.add_argument("--index", metavar="DIR", help=index_help)
    ingest.add_argument("--json", action="store_true", help='print {"ingested": […], "skipped": […]}')
    ingest.add_argument("--ray", nargs="?", const="local", metavar="ADDRESS",
                        help="read, parse, tag and embed on Ray workers: a local Ray without ADDRESS, or "
                             "'auto' / 'ray://HEAD:10001' for a cluster (pip install 'congvan[ray]')")
    ingest.add_argument("--workers", type=int, metavar="N", help="with --ray: worker actors (default: all CPUs)")


    ingest.set_defaults(func=cmd_ingest)

    rebuild = sub.add_parser("rebuild", help="rebuild the search files from the letter store",
                             description="Rebuild the keyword and vector indexes from SQLite (the source of "
                             "truth). With --reembed, first embed every stored clause again with the "
                             "configured model (after changing CONGVAN_MODEL, e.g. to a folder made by "
                             "`congvan train-retriever`). Tags and staff corrections are kept.")
    rebuild.add_argument("--index", metavar="DIR", help=index_help)
    rebuild.add_argument("--reembed", action="store_true", help="re-embed every clause with the configured model")
    rebuild.set_defaults(func=cmd_rebuild)

    search = sub.add_parser("search", help="search clauses (accented or tone-less)",
                            description="Hybrid keyword + semantic search over indexed clauses.")
    search.add_argument("query", metavar="QUERY")
    search.add_argument("--index", metavar="DIR", help=index_help)
    search.add_argument("--top-k", type=int, default=10, metavar="N", help="hits per page (default 10)")
    search.add_argument("--offset", type=int, default=0, metavar="N", help="skip the first N hits")
    search.add_argument("--json", action="store_true", help="print the search JSON of the contract")
    search.add_argument("--mode", choices=["hybrid", "bm25", "dense"], default="hybrid")
    search.add_argument("--explain", action="store_true",
                        help="show why each hit ranks where it does (keyword, cosine, matched words, boosts)")
    search.add_argument("--year", type=int, help="letters of this year")
    search.add_argument("--from", dest="date_from", metavar="YYYY[-MM]", help="letters dated from")
    search.add_argument("--to", dest="date_to", metavar="YYYY[-MM]", help="letters dated up to")
    search.add_argument("--province", help='e.g. "Lạng Sơn" (accents optional)')
    search.add_argument("--issuer", help="issuing body contains (accents optional)")
    search.add_argument("--theme", action="append", help="theme id, e.g. vaccination (repeatable)")
    search.add_argument("--disease", action="append", metavar="ID",
                        help="disease id, e.g. dengue, covid19, rabies (repeatable: any of them; "
                             "ids in letters/data/diseases.json)")
    search.add_argument("--agency", action="append", help="agency id, lead or support, e.g. so_y_te")
    search.set_defaults(func=cmd_search)

    serve = sub.add_parser("serve", help="serve the HTTP API and the staff web page",
                           description="Serve the API (OpenAPI at /docs) over the index.")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--index", metavar="DIR", help=index_help)
    serve.set_defaults(func=cmd_serve)

    evaluate = sub.add_parser("evaluate", help="evaluate search (public benchmarks), the theme tagger or the letter parser")
    ev_sub = evaluate.add_subparsers(dest="what", required=True, metavar="WHAT")
    ev_search = ev_sub.add_parser("search", help="retrieval benchmark (alqac, vicov19qa)",
                                  description="Recall@1/@10, MRR@10, nDCG@10 through the service's own "
                                  "index and ranking code. Data: CONGVAN_SHARED_DIR/benchmarks "
                                  "(default ../shared/benchmarks).")
    ev_search.add_argument("--benchmark", choices=["alqac", "vicov19qa", "staff", "all"],
                           help="benchmark to run (staff: the team's staff queries over real letters; "
                           "all: every one, as a table)")
    ev_search.add_argument("--split", default="test",
                           help="test (report) or the tuning split: train/val (alqac, vicov19qa), tune (staff)")
    ev_search.add_argument("--mode", choices=["hybrid", "bm25", "dense"],
                           help="one mode (default: all three, as a table)")
    ev_search.add_argument("--backend", choices=["embedded", "milvus"],
                           help="search backend (default: CONGVAN_BACKEND; milvus needs CONGVAN_MILVUS_URI)")
    ev_search.add_argument("--json", action="store_true")
    ev_search.add_argument("--tune", action="store_true",
                           help="grid-search the ranking parameters on the tuning splits only "
                           "(with --benchmark staff: the short-query part, on the staff tuning split)")
    ev_search.add_argument("--out", type=Path, metavar="FILE", help="with --tune: write the whole grid as JSON")
    ev_search.set_defaults(func=cmd_evaluate_search)

    from congvan.service.cli.training import add_evaluate_tagger

    add_evaluate_tagger(ev_sub)

    from congvan.service.cli.letters import add_evaluate_parser

    add_evaluate_parser(ev_sub)
