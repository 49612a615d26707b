"""Distributed ingest: Ray workers read, parse, tag and embed letters; the driver stores them.

    congvan ingest FOLDER --ray              # a local Ray (all cores of this machine)
    congvan ingest FOLDER --ray auto         # the Ray cluster this machine belongs to
    congvan ingest FOLDER --ray ray://head:10001

Why this shape:

- Each worker is a Ray actor that loads the encoder and the tagger once (seconds, ~1 GB) and
  then handles batches of files, so model loading is paid once per worker, not per letter.
- Workers return parsed, tagged letters plus their clause embeddings; the driver writes them to
  the collection (SQLite + the configured backend) batch by batch through
  ``Collection.ingest_letters(..., vectors=...)``, so the index is exactly what a plain ingest
  builds (same parser, tagger, clause ids) and an interruption loses at most the batches in
  flight.
- Resumable: workers compute each file's ``doc_id`` (a hash of its cleaned text) first and skip
  letters already stored, before parsing, tagging or embedding them.
- One bad file never stops the job: its error is reported in the result, like a plain ingest.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FILES_PER_TASK = 8


@dataclass
class RayIngestReport:
    """What happened to each file, and how fast."""

    ingested: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    already: list[str] = field(default_factory=list)  # files whose letter was already stored
    workers: int = 0
    seconds: float = 0.0
    clauses: int = 0

    @property
    def clauses_per_s(self) -> float:
        return self.clauses / self.seconds if self.seconds else 0.0


def default_pipeline(settings) -> Callable[[], tuple[Any, Callable]]:
    """A factory (run inside each worker) returning (encoder, tag_letter) for ``settings``."""

    def build():
        import torch

        from congvan.models.encoder import load_encoder
        from congvan.service.tagging import tag_letter

        threads = int(os.environ.get("CONGVAN_WORKER_THREADS", "1"))
        torch.set_num_threads(max(threads, 1))
        encoder = load_encoder(settings)
        return encoder, (lambda letter: tag_letter(letter, settings))

    return build


class LetterWorker:
    """Ray actor body: reads, parses, tags and embeds batches of files."""

    def __init__(self, build: Callable[[], tuple[Any, Callable]], max_bytes: int | None) -> None:
        self.encoder, self.tag = build()
        self.max_bytes = max_bytes

    def ready(self) -> bool:
        return True

    def process(self, paths: list[str], stored: set[str]) -> list[dict[str, Any]]:
        """One result per file: ``{"path", "letter"?, "vectors"?, "doc_id"?, "error"?}``."""
        from congvan.index.windows import clause_windows
        from congvan.letters.parse import doc_id_for, parse_letter
        from congvan.letters.readers import LetterReadError, read_letter_file
        from congvan.letters.text import clean_text

        out: list[dict[str, Any]] = []
        letters, owners = [], []
        for path in paths:
            try:
                text = read_letter_file(Path(path), max_bytes=self.max_bytes)
                doc_id = doc_id_for(clean_text(text))
                if doc_id in stored:
                    out.append({"path": path, "doc_id": doc_id, "already": True})
                    continue
                letter = parse_letter(text, source=Path(path).name)
                if not letter.clauses:
                    out.append({"path": path, "error": "Không tách được điều khoản nào (no clauses found)"})
                    continue
                letter.source = str(path)
                self.tag(letter)
                letters.append(letter)
                owners.append(path)
            except LetterReadError as exc:
                out.append({"path": path, "error": str(exc)})
            except Exception as exc:  # noqa: BLE001 - one bad file must never stop the job
                out.append({"path": path, "error": f"{type(exc).__name__}: {exc}"})
        clauses = list(dict.fromkeys(c.text for letter in letters for c in letter.clauses))
        windows = {t: clause_windows(t) for t in clauses}
        texts = list(dict.fromkeys([*clauses, *(w for ws in windows.values() for w in ws)]))
        vecs = self.encoder.encode_passages(texts) if texts else []
        by_text = dict(zip(texts, vecs))
        for path, letter in zip(owners, letters):
            mine = {c.text: by_text[c.text] for c in letter.clauses}  # with their windows' vectors:
            mine.update((w, by_text[w]) for c in letter.clauses for w in windows[c.text])  # none re-embedded
            out.append({"path": path, "letter": letter, "vectors": mine})
        return out


#: Seconds a local Ray head waits for its GCS server to publish its port (Ray's default is 30 s,
#: which a busy 2-core machine can overrun: "Timed out waiting for file .../gcs_server_port_…").
LOCAL_GCS_WAIT_S = "120"


def _start_local_ray(ray, kwargs: dict) -> None:  # noqa: ANN001 - the ray module
    """Start a local cluster patiently. On a busy 2-core machine its start can time out ("The
    current node timed out during startup", "Timed out waiting for file …gcs_server_port…"):
    give the GCS server longer to come up, and on a timeout shut the half-started node down and
    try once more. A user's own ``RAY_gcs_server_port_wait_time_s`` wins."""
    os.environ.setdefault("RAY_gcs_server_port_wait_time_s", LOCAL_GCS_WAIT_S)
    try:
        ray.init(**kwargs)
    except Exception as exc:  # noqa: BLE001 - ray raises bare Exception / RuntimeError for this
        if "timed out" not in str(exc).lower():
            raise
        ray.shutdown()
        ray.init(**kwargs)


def ray_ingest(paths: list[Path], collection, *, build: Callable[[], tuple[Any, Callable]],
               address: str | None = None, workers: int | None = None, max_bytes: int | None = None,
               files_per_task: int = FILES_PER_TASK, show_progress: bool = False,
               ray_init: dict[str, Any] | None = None) -> RayIngestReport:
    """Ingest ``paths`` (files or folders) into ``collection`` with Ray workers.

    ``address``: None starts a local Ray; "auto" or "ray://host:port" joins a cluster.
    ``workers``: actors (default: the cluster's CPUs). ``build``: see ``default_pipeline``.
    """
    import ray
    from ray.util import ActorPool
    from tqdm.auto import tqdm

    from congvan.letters.pipeline import iter_letter_files

    report = RayIngestReport()
    files, problems = iter_letter_files(list(paths))
    report.skipped += [{"path": str(p), "error": why} for p, why in problems]
    if not files:
        return report
    started_here = not ray.is_initialized()
    if started_here:
        os.environ.setdefault("RAY_AUTH_MODE", "disabled")
        kwargs = {"include_dashboard": False, "log_to_driver": False, **(ray_init or {})}
        if address:
            kwargs.pop("num_cpus", None)
            ray.init(address=address, **kwargs)
        else:
            _start_local_ray(ray, kwargs)
    t0 = time.perf_counter()
    try:
        n = workers or max(int(ray.cluster_resources().get("CPU", 1)), 1)
        n = max(1, min(n, (len(files) + files_per_task - 1) // files_per_task))
        actor_cls = ray.remote(num_cpus=1)(LetterWorker)
        actors = [actor_cls.remote(build, max_bytes) for _ in range(n)]
        ray.get([a.ready.remote() for a in actors])
        report.workers = n
        stored = ray.put(set(collection.store.doc_ids()))
        batches = [[str(p) for p in files[i:i + files_per_task]] for i in range(0, len(files), files_per_task)]
        pool = ActorPool(actors)
        with tqdm(total=len(files), unit="tệp", desc="ingest (ray)", disable=not show_progress) as bar:
            for results in pool.map_unordered(lambda a, batch: a.process.remote(batch, stored), batches):
                letters, vectors = [], {}
                for r in results:
                    if "error" in r:
                        report.skipped.append({"path": r["path"], "error": r["error"]})
                    elif r.get("already"):
                        report.already.append(r["path"])
                    else:
                        letters.append(r["letter"])
                        vectors.update(r["vectors"])
                if letters:
                    for res in collection.ingest_letters(letters, vectors=vectors):
                        report.ingested.append(res.to_dict())
                        report.clauses += res.clauses
                bar.update(len(results))
        for a in actors:
            ray.kill(a)
    finally:
        report.seconds = time.perf_counter() - t0
        if started_here:
            ray.shutdown()
    return report
