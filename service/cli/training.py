"""``congvan train``, ``congvan evaluate tagger`` and ``congvan export-corrections`` (argparse
layer; the work is in ``training.train``, ``training.evaluate_tagger``, ``training.corrections``).

Exit codes: 0 done; 1 the gate refused the new model (``--compare``, ``train --promote``) or a
fixable error (message on one line, no traceback); 2 usage.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from congvan.service.cli.common import (
    EXIT_FAIL,
    EXIT_OK,
    command_line,
    error,
    print_json,
    settings_from,
)


def _settings() -> Any:
    return settings_from(argparse.Namespace())


def _labels() -> dict[str, str]:
    from congvan.letters.taxonomy import load_taxonomy

    return load_taxonomy().theme_labels


def resolve_model(name: str | None, settings: Any) -> Path:
    """``default`` (or None): the promoted tagger, else the newest run; ``latest``: the newest run;
    anything else: a folder path."""
    from congvan.models.tagger import default_tagger_dir, runs_dir

    runs = sorted((p for p in runs_dir(settings.models_dir).glob("*") if (p / "manifest.json").is_file()),
                  key=lambda p: (p / "manifest.json").stat().st_mtime)
    if name in (None, "default"):
        target = default_tagger_dir(settings.models_dir)
        if (target / "manifest.json").is_file():
            return target
        if runs:
            return runs[-1]
        raise FileNotFoundError(f"no trained tagger in {settings.models_dir}: run `congvan train` first")
    if name == "latest":
        if runs:
            return runs[-1]
        raise FileNotFoundError(f"no training run in {runs_dir(settings.models_dir)}: run `congvan train` first")
    path = Path(name).expanduser()
    if not (path / "manifest.json").is_file():
        raise FileNotFoundError(f"{path}: not a tagger folder (no manifest.json)")
    return path


# --------------------------------------------------------------------------- train
def cmd_train(args: argparse.Namespace) -> int:
    from congvan.models.artifacts import ArtifactError
    from congvan.models.tagger import default_tagger_dir
    from congvan.service.storage import corrections_file
    from congvan.service.tagging import clear_tagger_cache
    from congvan.training.agreement import agreement_line
    from congvan.training.config import preset
    from congvan.training.dataset import DatasetError
    from congvan.training.evaluate_tagger import format_compare, format_tables
    from congvan.training.train import run_training

    settings = _settings()
    if args.background or args.status:
        return _background(args, settings)
    from congvan.service.jobs import job_alive

    if job_alive(settings.home):
        print("Một lượt huấn luyện nền đang chạy (chỉ một lượt một lúc): theo dõi tiến độ của nó. "
              "Đợi nó xong rồi chạy lại `congvan train` nếu cần.", file=sys.stderr)
        return _follow(settings)
    try:
        config = preset(args.preset, method=args.method, epochs=args.epochs, train_layers=args.train_layers,
                        max_seq_length=args.max_seq_length, seed=args.seed, learning_rate=args.lr,
                        batch_size=args.batch_size, baselines=False if args.no_baselines else None,
                        pos_weight=args.pos_weight, blend=args.blend, theme_heading=True if args.theme_heading else None,
                        quantize=False if args.no_quantize else None, num_threads=args.threads,
                        real_weight=args.real_weight)
    except (KeyError, TypeError) as exc:
        error(str(exc).strip("'\""))
        return 2
    first = not (default_tagger_dir(settings.models_dir) / "manifest.json").is_file()
    promote: bool = bool(args.promote or first)
    if first and not args.promote:
        print(f"(no default tagger yet in {default_tagger_dir(settings.models_dir)}: this run is installed as the default)",
              file=sys.stderr)
    bar = _bar("Huấn luyện")
    try:
        result = run_training(config, settings.models_dir, corrections_file=corrections_file(settings_from(args)),
                              num_threads=settings.num_threads, shared_dir=None if args.data else settings.shared_dir,
                              data_dir=args.data, out=args.out, promote=promote,
                              command=command_line(), use_corrections=not args.no_corrections,
                              progress=lambda f, phase: _advance(bar, 100 * f, phase),
                              log=lambda m: bar.write(m, file=sys.stderr))
    except (DatasetError, ArtifactError, ValueError, FileNotFoundError) as exc:
        bar.close()
        error(str(exc))
        return EXIT_FAIL
    bar.close()
    clear_tagger_cache()
    if args.json:
        print_json({"folder": str(result.folder), "promoted": result.promoted, "gate": result.gate,
                     "metrics": result.metrics})
    else:
        print(format_tables({**result.metrics["test"], "model": str(result.folder)}, _labels(), agreement_line()))
        t = result.metrics["timing"]
        print(f"\nFine-tuning {t['train_s']:.0f} s, whole run {t['total_s']:.0f} s ({t['threads']} threads). "
              f"Model: {result.folder}\nReport: {result.folder / 'report.md'}")
        if result.gate is not None:
            print("\nGate against the current default tagger (test split):")
            print(format_compare(result.gate, "default", "new"))
        if result.promoted:
            print(f"Installed as the default tagger: {result.installed}")
    if args.promote and result.gate is not None and not result.gate["ok"]:
        return EXIT_FAIL
    return EXIT_OK


def _bar(desc: str) -> Any:
    from tqdm import tqdm

    return tqdm(total=100.0, desc=desc, unit="%", file=sys.stderr, dynamic_ncols=True,
                bar_format="{desc}: {percentage:3.0f}%|{bar}| [{elapsed}<{remaining}] {postfix}")


def _advance(bar: Any, percent: float, phase: str) -> None:
    """Move a 0-100 bar to ``percent`` (tqdm's ETA then comes from the overall rate)."""
    bar.update(max(0.0, min(100.0, percent) - bar.n))
    bar.set_postfix_str(phase, refresh=True)


def _background(args: argparse.Namespace, settings: Any) -> int:
    from congvan.service.jobs import job_status, log_path, start_training_job

    if args.background:
        state = start_training_job(settings.home, args.preset, reason="congvan train --background", force=True)
        print(f"Công việc huấn luyện nền: {state.get('status')} (preset {state.get('preset')}); "
              f"nhật ký: {log_path(settings.home)}. Xem tiến độ: `congvan train --status`.", file=sys.stderr)
        if args.json:
            print_json(job_status(settings.home))
        return EXIT_OK
    return _follow(settings, as_json=args.json)


def _follow(settings: Any, as_json: bool = False) -> int:
    """Show the background job's progress until it ends (exit 1 if it failed or was refused)."""
    import time

    from congvan.service.jobs import ACTIVE, job_status

    state = job_status(settings.home)
    if as_json:
        print_json(state)
        return EXIT_OK
    if state["status"] == "none":
        print("Chưa có công việc huấn luyện nền nào (máy chủ tự khởi động khi chưa có mô hình; "
              "hoặc chạy `congvan train --background`).", file=sys.stderr)
        return EXIT_OK
    bar = _bar("Huấn luyện nền")
    try:
        waited = 0
        while state["status"] in ACTIVE:
            _advance(bar, float(state.get("percent") or 0.0), str(state.get("phase") or ""))
            time.sleep(1.0)
            waited += 1
            state = job_status(settings.home)
            if state["status"] == "queued" and not state.get("alive") and waited > 60:
                break  # its worker never started: the log says why
        _advance(bar, float(state.get("percent") or 0.0), str(state.get("phase") or ""))
    except KeyboardInterrupt:
        bar.close()
        print("Ngừng theo dõi (công việc vẫn chạy nền).", file=sys.stderr)
        return EXIT_OK
    bar.close()
    print(f"Kết quả: {state['status']}. {state.get('message') or ''}", file=sys.stderr)
    return EXIT_OK if state["status"] in ("done", "none") else EXIT_FAIL


# --------------------------------------------------------------------------- evaluate tagger
def cmd_evaluate_tagger(args: argparse.Namespace) -> int:
    from congvan.models.artifacts import ArtifactError
    from congvan.training.agreement import agreement_line
    from congvan.training.dataset import DatasetError
    from congvan.training.evaluate_tagger import (
        compare,
        evaluate_folder,
        format_compare,
        format_tables,
    )

    settings = _settings()
    try:
        if args.compare:
            old_dir, new_dir = (resolve_model(n, settings) for n in args.compare)
            old = evaluate_folder(old_dir, settings.models_dir, args.split, args.data, None if args.data else settings.shared_dir)
            new = evaluate_folder(new_dir, settings.models_dir, args.split, args.data, None if args.data else settings.shared_dir)
            cmp = compare(old, new, tolerance=args.tolerance / 100.0)
            if args.json:
                print_json({"old": str(old_dir), "new": str(new_dir), "split": args.split, **cmp})
            else:
                print(f"OLD = {old_dir}\nNEW = {new_dir}\nsplit: {args.split}\n")
                print(format_compare(cmp))
            return EXIT_OK if cmp["ok"] else EXIT_FAIL
        folder = resolve_model(args.model, settings)
        metrics = evaluate_folder(folder, settings.models_dir, args.split, args.data, None if args.data else settings.shared_dir)
    except (FileNotFoundError, ArtifactError, DatasetError, ValueError) as exc:
        error(str(exc))
        return EXIT_FAIL
    if args.json:
        print_json(metrics)
    else:
        print(format_tables(metrics, _labels(), agreement_line()))
        stored = folder / "metrics.json"
        if stored.is_file():
            base = json.loads(stored.read_text(encoding="utf-8")).get("test", {}).get("baselines")
            if base and args.split == "test":
                print("\nBaselines at training time (same split): " + ", ".join(
                    f"{k} micro-F1 {v['micro']['f1']:.3f} / macro-F1 {v['macro_f1']:.3f}" for k, v in base.items()))
    return EXIT_OK


# --------------------------------------------------------------------------- corrections
def cmd_export_corrections(args: argparse.Namespace) -> int:
    from congvan.service.storage import corrections_file
    from congvan.training.corrections import CorrectionStore, export_jsonl

    store = CorrectionStore(corrections_file(settings_from(args)))
    latest = store.latest() if not args.all else store.read()
    n = export_jsonl(latest, Path(args.out))
    print(f"{n} correction(s) written to {args.out} (from {store.path})", file=sys.stderr)
    return EXIT_OK


# --------------------------------------------------------------------------- train-retriever
def cmd_train_retriever(args: argparse.Namespace) -> int:
    import time

    from congvan.models.encoder import BUILTIN_MODELS, ensure_bundled_model
    from congvan.training.retriever import RetrieverConfig, build_pairs, train_retriever

    settings = _settings()
    if args.extract_adapter is not None:
        return _extract_adapter(args.extract_adapter, args, settings)
    if args.calibrate is not None:
        return _calibrate(args.calibrate, settings, args.json, args.dense_weight)
    if args.dense_weight is not None:
        return error("--dense-weight records a fusion weight with --calibrate DIR (an already trained folder)")
    if settings.model in BUILTIN_MODELS:  # the default model is itself the bundled one + an adapter
        base = ensure_bundled_model(settings.models_dir)
    else:
        base = Path(settings.model).expanduser()
        if not (base / "config.json").is_file():
            return error(f"CONGVAN_MODEL={settings.model!r} is not a local sentence-transformers folder; "
                         f"unset it to fine-tune the bundled model")
    config = RetrieverConfig(base_model=str(base))
    for name in ("epochs", "batch_size", "max_seq_length", "seed", "threads", "hard_negatives", "train_layers",
                 "queries_per_clause", "max_vicov_pairs"):
        if getattr(args, name) is not None:
            setattr(config, name, getattr(args, name))
    if args.lr is not None:
        config.learning_rate = args.lr
    if args.sources:
        config.sources = tuple(args.sources.split(","))
    out = args.out or settings.models_dir / "retriever-runs" / time.strftime("%Y%m%d-%H%M%S")
    samples = Path(__file__).resolve().parents[2] / "samples" / "letters"
    shared = settings.shared_dir if settings.shared_dir.is_dir() else None
    print(f"Dựng cặp huấn luyện ({', '.join(config.sources)}) từ {settings.benchmarks_path} và {shared}…",
          file=sys.stderr, flush=True)
    try:
        pairs = build_pairs(config, settings.benchmarks_path, shared, samples,
                            log=lambda m: print(m, file=sys.stderr, flush=True))
    except (ValueError, FileNotFoundError) as exc:
        return error(str(exc))
    metrics = train_retriever(config, pairs, Path(out), query_prompt=settings.query_prompt,
                              passage_prompt=settings.passage_prompt, command=command_line())
    if settings.benchmarks_path.is_dir():
        status = _calibrate(Path(out), settings, False)
        if status != EXIT_OK:
            return status
    if args.adapter_out is not None:
        status = _extract_adapter(Path(out), args, settings)
        if status != EXIT_OK:
            return status
    if args.json:
        print_json({"out": str(out), **metrics})
    else:
        print(f"Đã lưu bộ truy hồi vào {out} ({metrics['pairs']} cặp, {metrics['steps']} bước, "
              f"{metrics['train_s']:.0f} s; loss {metrics['loss_first_20']:.3f} → {metrics['loss_last_20']:.3f}).\n"
              f"Dùng: CONGVAN_MODEL={out} congvan rebuild --reembed; đo: CONGVAN_MODEL={out} "
              f"congvan evaluate search --benchmark all --split test")
    return EXIT_OK


_NOT_TRAINED = "{folder} is not a folder written by `congvan train-retriever` (no manifest with base_model); train one first"


def _trained_manifest(folder: Path) -> dict[str, Any] | None:
    """The manifest of a folder ``congvan train-retriever`` wrote (it names its base model); None otherwise."""
    try:
        manifest = json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) and manifest.get("base_model") else None


def _extract_adapter(folder: Path, args: argparse.Namespace, settings: Any) -> int:
    """Write the low-rank adapter (``models.adapter``) that turns the trained folder's base into it:
    a few MB that can ship where the 470 MB folder cannot (``models/data/e5-small-directives``).
    The adapter's ranking block is measured on the model it makes (base + adapter), not copied
    from the trained folder: the low-rank copy is close to it, not equal."""
    import tempfile

    from congvan.models.adapter import adapter_summary, apply_adapter, extract_adapter
    from congvan.models.artifacts import ArtifactError
    from congvan.training.retriever import write_ranking

    folder = Path(folder).expanduser().resolve()
    out = args.adapter_out
    if out is None:
        return error("--extract-adapter DIR needs --adapter-out OUT (the adapter folder to write)")
    manifest = _trained_manifest(folder)
    if manifest is None:
        return error(_NOT_TRAINED.format(folder=folder))
    base = Path(str(manifest["base_model"]))
    print(f"Trích adapter hạng {args.adapter_rank} từ {folder} (gốc {base})…", file=sys.stderr, flush=True)
    keep = {k: manifest[k] for k in ("retriever_format", "training", "metrics") if k in manifest}
    if (folder / "command.txt").is_file():
        keep["training_command"] = (folder / "command.txt").read_text(encoding="utf-8").strip()
    try:
        extract_adapter(base, folder, out, args.adapter_rank, source=str(folder),
                        source_sha256=manifest.get("source_sha256"), command=command_line(), **keep)
        if settings.benchmarks_path.is_dir():
            with tempfile.TemporaryDirectory(prefix=".adapter-check-", dir=Path(out).parent) as tmp:
                applied = Path(tmp) / "applied"
                apply_adapter(base, out, applied, model=f"{base.name} + {Path(out).name}")
                status = _calibrate(applied, settings, False)
                if status != EXIT_OK:
                    return status
                ranking = json.loads((applied / "manifest.json").read_text(encoding="utf-8"))["ranking"]
                write_ranking(Path(out), ranking)
    except (ArtifactError, ValueError, OSError) as exc:
        return error(str(exc))
    print(f"Đã lưu adapter vào {out} ({adapter_summary(out)}).", file=sys.stderr)
    return EXIT_OK


def _calibrate(folder: Path, settings: Any, as_json: bool, dense_weight: float | None = None) -> int:
    """Measure the similarity floors of a trained retriever folder and record them in it, with the
    fusion weight of the dense score: ``dense_weight`` when given, else the best of a small grid
    on UIT-ViCoV19QA val (``training.retriever.choose_dense_weight``)."""
    if dense_weight is not None and not 0.0 <= dense_weight <= 1.0:
        return error(f"--dense-weight {dense_weight}: give a weight between 0 and 1 (0.9 is the bundled model's)")
    from congvan.models.encoder import BUNDLED_MODEL, ensure_bundled_model, load_encoder
    from congvan.training.retriever import calibrate_floors, choose_dense_weight, write_ranking

    folder = Path(folder).expanduser().resolve()
    manifest = _trained_manifest(folder)
    if manifest is None:
        return error(_NOT_TRAINED.format(folder=folder))
    base = str(manifest["base_model"])
    if Path(base).resolve() == ensure_bundled_model(settings.models_dir).resolve():
        base = BUNDLED_MODEL  # the bundled model as search loads it
    print(f"Đo ngưỡng tương đồng của {folder} trên UIT-ViCoV19QA val…", file=sys.stderr, flush=True)
    try:
        tuned = load_encoder(settings.model_copy(update={"model": str(folder)}))
        ranking = calibrate_floors(tuned, load_encoder(settings.model_copy(update={"model": base})),
                                   settings.benchmarks_path)
        if dense_weight is None:
            print("Chọn trọng số dense trên UIT-ViCoV19QA val…", file=sys.stderr, flush=True)
            ranking.update(choose_dense_weight(tuned, ranking, settings.benchmarks_path, settings.home))
    except (ValueError, FileNotFoundError) as exc:
        return error(str(exc))
    if dense_weight is not None:
        ranking["dense_weight"] = round(float(dense_weight), 4)
    write_ranking(folder, ranking)
    if as_json:
        print_json(ranking)
    else:
        print(f"Ngưỡng: dense_floor {ranking['dense_floor']}, dense_floor_short {ranking['dense_floor_short']} "
              f"(mô hình gốc: {ranking['calibration']['base_percentile_cosine']} → "
              f"{ranking['calibration']['percentile_cosine']})"
              + (f", trọng số dense {ranking['dense_weight']}" if "dense_weight" in ranking else "")
              + f"; ghi vào {folder / 'manifest.json'}.")
    return EXIT_OK


# --------------------------------------------------------------------------- wiring
def add_commands(sub: argparse._SubParsersAction) -> None:
    """``train`` and ``export-corrections`` (top level)."""
    train = sub.add_parser(
        "train", help="fine-tune the theme tagger on training/data and evaluate it",
        description="Fine-tune the theme tagger (multilingual-e5-small) on the annotated clauses, tune "
        "per-theme thresholds on dev, fit the agency fallback, evaluate tagger + 3 baselines + "
        "lead-agency F1 on the held-out test split, and save a model folder (manifest.json, weights, "
        "metrics.json, report.md, command.txt) under CONGVAN_HOME/models/tagger-runs. Staff "
        "corrections (POST /api/clauses/{id}/labels) are merged into the train split.")
    train.add_argument("--preset", default="full", help="full (default, ~10-20 min on 2 CPU cores) or smoke (seconds)")
    train.add_argument("--method", choices=["bce", "setfit"], help="classification head trained end-to-end "
                       "(bce, default) or SetFit-style contrastive pairs + logistic regression")
    train.add_argument("--epochs", type=int)
    train.add_argument("--train-layers", type=int, metavar="N", help="top encoder layers to fine-tune (1-12)")
    train.add_argument("--max-seq-length", type=int, metavar="N")
    train.add_argument("--batch-size", type=int, metavar="N")
    train.add_argument("--lr", type=float, metavar="RATE", help="encoder learning rate")
    train.add_argument("--seed", type=int)
    train.add_argument("--real-weight", type=int, metavar="K", help="times each real-letter train clause is "
                       "seen per epoch (default 1)")
    train.add_argument("--pos-weight", type=float, metavar="W", help="BCE weight of positive labels")
    train.add_argument("--blend", type=float, metavar="W", help="encoder weight in the encoder/lexical "
                       "blend of theme scores (1 = encoder alone; default: chosen on dev)")
    train.add_argument("--theme-heading", action="store_true", help="prefix the item heading to the clause for themes")
    train.add_argument("--threads", type=int, metavar="N", help="torch threads (default: all cores)")
    train.add_argument("--data", type=Path, metavar="DIR", help="dataset folder (default: the shipped training/data)")
    train.add_argument("--out", type=Path, metavar="DIR", help="model folder (default: CONGVAN_HOME/models/tagger-runs/<run>)")
    train.add_argument("--promote", action="store_true", help="install as the default tagger if it is not "
                       "more than 1 macro-F1 point worse than the current default on test (exit 1 if refused)")
    train.add_argument("--no-corrections", action="store_true", help="ignore staff corrections")
    train.add_argument("--index", metavar="DIR", help="index whose staff corrections are learnt from "
                       "(default: CONGVAN_INDEX or CONGVAN_HOME/index)")
    train.add_argument("--no-baselines", action="store_true", help="skip the three baselines")
    train.add_argument("--no-quantize", action="store_true", help="serve in float32 instead of int8")
    train.add_argument("--json", action="store_true", help="print the metrics JSON")
    train.add_argument("--background", action="store_true", help="start the training as the background job "
                       "(what the server does; one at a time) and return at once")
    train.add_argument("--status", action="store_true", help="show the background job's progress (a bar "
                       "with ETA) until it ends; Ctrl-C stops watching, not the job")
    train.set_defaults(func=cmd_train)

    rt = sub.add_parser(
        "train-retriever", help="fine-tune the embedding model for search (contrastive, tuning splits only)",
        description="Contrastive fine-tuning of the configured e5 model (CONGVAN_MODEL, default the bundled one) "
        "on ALQAC train, UIT-ViCoV19QA train, the staff queries' tune half and staff-style queries generated "
        "from the real letters of the tagger's train/dev split, with BM25 hard negatives "
        "(MultipleNegativesRankingLoss). Never uses a test split. Writes a sentence-transformers folder with "
        "manifest.json, metrics.json and command.txt (~30 min on 2 CPU cores). Then: "
        "CONGVAN_MODEL=<folder> congvan rebuild --reembed.")
    rt.add_argument("--out", type=Path, metavar="DIR",
                    help="model folder (default: CONGVAN_HOME/models/retriever-runs/<time>)")
    rt.add_argument("--epochs", type=int)
    rt.add_argument("--batch-size", type=int, metavar="N")
    rt.add_argument("--lr", type=float, metavar="RATE")
    rt.add_argument("--max-seq-length", type=int, metavar="N", help="passage tokens while training (default 128)")
    rt.add_argument("--hard-negatives", type=int, metavar="N", help="BM25 hard negatives per pair (default 1)")
    rt.add_argument("--train-layers", type=int, metavar="N", help="top encoder layers trained (default 6 of 12)")
    rt.add_argument("--queries-per-clause", type=int, metavar="N", help="generated queries per clause (default 2)")
    rt.add_argument("--max-vicov-pairs", type=int, metavar="N",
                    help="cap on UIT-ViCoV19QA train pairs (default 2000 of 3,499; 0 = all)")
    rt.add_argument("--sources", metavar="LIST", help="comma-separated: alqac,vicov19qa,staff-tune,generated")
    rt.add_argument("--seed", type=int)
    rt.add_argument("--threads", type=int, metavar="N", help="torch threads (default: all cores)")
    rt.add_argument("--json", action="store_true", help="print the metrics JSON")
    rt.add_argument("--calibrate", type=Path, metavar="DIR", help="only measure the similarity floors of an "
                    "already trained folder on UIT-ViCoV19QA val and record them in its manifest (training "
                    "does this itself; search uses them when CONGVAN_MODEL is the folder)")
    rt.add_argument("--dense-weight", type=float, metavar="W", help="with --calibrate: record this fusion weight "
                    "of the dense score for long queries instead of choosing it on UIT-ViCoV19QA val")
    rt.add_argument("--adapter-out", type=Path, metavar="OUT", help="also write the low-rank adapter (a few MB) "
                    "that turns the base model into the trained one; models/data/e5-small-directives is the "
                    "shipped one, the default search model")
    rt.add_argument("--adapter-rank", type=int, default=64, metavar="R",
                    help="rank of each matrix's change the adapter keeps (default 64)")
    rt.add_argument("--extract-adapter", type=Path, metavar="DIR", help="only write the adapter (--adapter-out) "
                    "of an already trained folder")
    rt.set_defaults(func=cmd_train_retriever)

    export = sub.add_parser("export-corrections", help="write staff label corrections as training data (JSONL)",
                            description="Export the corrections stored beside the index (INDEX/corrections; older "
                            "ones under CONGVAN_HOME/corrections are moved in first) in the schema of "
                            "training/data (latest correction per clause text).")
    export.add_argument("--index", metavar="DIR", help="index folder (default: CONGVAN_INDEX or CONGVAN_HOME/index)")
    export.add_argument("out", metavar="OUT.jsonl")
    export.add_argument("--all", action="store_true", help="every correction, not only the latest per text")
    export.set_defaults(func=cmd_export_corrections)


def add_evaluate_tagger(ev_sub: argparse._SubParsersAction) -> None:
    """``congvan evaluate tagger`` (under the ``evaluate`` group)."""
    ev = ev_sub.add_parser(
        "tagger", help="theme tagger and agency roles on the annotated test split",
        description="Per-theme P/R/F1, micro/macro, confusion pairs and lead-agency F1 of a trained tagger. "
        "With --compare OLD NEW: per-theme difference, exit 1 (refuse to promote) when NEW's macro-F1 "
        "is more than --tolerance points below OLD's.")
    ev.add_argument("--model", metavar="DIR", help="model folder, 'default' (the installed tagger; default) or 'latest' run")
    ev.add_argument("--split", default="test", choices=["train", "dev", "test"])
    ev.add_argument("--data", type=Path, metavar="DIR", help="dataset folder (default: training/data)")
    ev.add_argument("--compare", nargs=2, metavar=("OLD", "NEW"), help="two model folders (or default/latest)")
    ev.add_argument("--tolerance", type=float, default=1.0, metavar="POINTS", help="allowed macro-F1 drop (default 1)")
    ev.add_argument("--json", action="store_true")
    ev.set_defaults(func=cmd_evaluate_tagger)
