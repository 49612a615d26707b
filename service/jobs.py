"""The background fine-tuning job: one at a time, in its own process, with a state file.

Why a separate process: fine-tuning takes many minutes of CPU; in the server it would stall
searches (the GIL, torch threads) and die with it. The server (or ``congvan train --background``)
starts ``python -m congvan.service.jobs`` detached; that worker holds an exclusive lock for its
whole life (``<home>/jobs/train-tagger.lock``: one job at a time, and "is it alive?" is one
non-blocking ``flock``), writes its progress to ``<home>/jobs/train-tagger.json`` (atomically,
``kind``/``format_version`` checked on read), trains with ``training.train.run_training`` and
installs the result behind the compare gate. The server watches the default tagger folder and
swaps the new model in (``service.tagging``); nobody waits on the job.

Restart: a worker outlives a server restart (the new server just reads its state). If the worker
itself died (a reboot, a kill), the state still says ``running`` but the lock is free: the next
start records it as ``interrupted`` and starts a fresh run (training has no checkpoints worth
resuming: the cached lower layers are recomputed in seconds).
"""
from __future__ import annotations

import argparse
import fcntl
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from congvan.models.artifacts import write_json_atomic

__all__ = ["JOB", "job_alive", "job_status", "read_state", "run_worker", "start_training_job", "state_path"]

JOB = "train-tagger"
STATE_KIND = "congvan-job"
STATE_VERSION = 1
ACTIVE = ("queued", "running")
#: a failed job is not restarted automatically for this long (the log says why it failed)
RETRY_FAILED_AFTER_S = 3600.0


def jobs_dir(home: Path) -> Path:
    return Path(home) / "jobs"


def state_path(home: Path) -> Path:
    return jobs_dir(home) / f"{JOB}.json"


def lock_path(home: Path) -> Path:
    return jobs_dir(home) / f"{JOB}.lock"


def log_path(home: Path) -> Path:
    return jobs_dir(home) / f"{JOB}.log"


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def read_state(home: Path) -> dict[str, Any] | None:
    """The job's state, or None if there is none (or it was written by another format version)."""
    try:
        state = json.loads(state_path(home).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if state.get("kind") != STATE_KIND or state.get("format_version") != STATE_VERSION:
        return None
    return state


def write_state(home: Path, **fields: Any) -> dict[str, Any]:
    state = {**(read_state(home) or {}), **fields, "kind": STATE_KIND, "format_version": STATE_VERSION,
             "job": JOB, "updated": _now(), "updated_ts": time.time()}
    write_json_atomic(state_path(home), state)
    return state


def job_alive(home: Path) -> bool:
    """True while a worker holds the job lock (whichever process started it)."""
    path = lock_path(home)
    if not path.exists():
        return False
    with open(path, "a+") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        return False


def job_status(home: Path) -> dict[str, Any]:
    """The state as the API and the page show it (``alive`` checked; a dead ``running`` job is
    reported as ``interrupted``; ``eta_s`` counted down from the last update)."""
    state = read_state(home)
    if state is None:
        return {"job": JOB, "status": "none", "alive": False}
    alive = job_alive(home)
    out = {**state, "alive": alive}
    if state.get("status") in ACTIVE and not alive and state.get("status") == "running":
        out["status"] = "interrupted"
    if out.get("status") == "running" and out.get("eta_s") is not None:
        since = time.time() - float(state.get("updated_ts", time.time()))
        out["eta_s"] = max(0.0, float(state["eta_s"]) - since)
    out.pop("kind", None)
    out.pop("updated_ts", None)
    return out


def start_training_job(home: Path, preset: str, *, reason: str = "", force: bool = False,
                       env: dict[str, str] | None = None) -> dict[str, Any]:
    """Start the worker unless one is running (or failed recently and ``force`` is off);
    returns the state. Never waits for training."""
    jobs_dir(home).mkdir(parents=True, exist_ok=True)
    with open(jobs_dir(home) / ".start.lock", "a+") as guard:
        fcntl.flock(guard.fileno(), fcntl.LOCK_EX)
        try:
            if job_alive(home):
                return job_status(home)
            state = read_state(home) or {}
            if state.get("status") == "queued" and time.time() - float(state.get("updated_ts", 0)) < 30:
                return job_status(home)  # a worker was just started and has not taken the lock yet
            if not force and state.get("status") == "failed" and \
                    time.time() - float(state.get("updated_ts", 0)) < RETRY_FAILED_AFTER_S:
                return job_status(home)
            attempt = int(state.get("attempt", 0)) + 1
            if state.get("status") == "running":  # its worker died: start over cleanly
                write_state(home, status="interrupted", message="tiến trình huấn luyện đã dừng đột ngột; chạy lại")
            write_state(home, status="queued", preset=preset, percent=0.0, eta_s=None, phase="chờ bắt đầu",
                        started=None, finished=None, attempt=attempt, reason=reason, message="",
                        result=None, promoted=None, gate=None, pid=None, error=None)
            with open(log_path(home), "ab") as out:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "congvan.service.jobs", "--home", str(home), "--preset", preset],
                    stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                    env={**os.environ, **(env or {}), "CONGVAN_HOME": str(home)})
            return write_state(home, pid=proc.pid)
        finally:
            fcntl.flock(guard.fileno(), fcntl.LOCK_UN)


def run_worker(home: Path, preset_name: str) -> int:
    """The worker's body (in its own process): lock, train, promote behind the gate, record."""
    from congvan.service.config import Settings
    from congvan.service.storage import corrections_file
    from congvan.training.config import preset
    from congvan.training.train import run_training

    jobs_dir(home).mkdir(parents=True, exist_ok=True)
    fh = open(lock_path(home), "a+")  # noqa: SIM115 - held for the whole life of the process
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print("another training job holds the lock: nothing to do", file=sys.stderr)
        return 0
    settings = Settings(home=home)
    try:
        os.nice(5)  # searches and uploads in the server come first
    except OSError:
        pass
    t0 = time.time()
    write_state(home, status="running", pid=os.getpid(), started=_now(), started_ts=t0, percent=0.0,
                phase="bắt đầu", eta_s=None, preset=preset_name)
    last = [0.0]

    def progress(fraction: float, phase: str) -> None:
        now = time.time()
        if now - last[0] < 1.0 and fraction < 1.0:
            return
        last[0] = now
        elapsed = now - t0
        eta = elapsed * (1 - fraction) / fraction if fraction > 0.02 else None
        write_state(home, percent=round(100 * fraction, 1), phase=phase, elapsed_s=round(elapsed, 1),
                    eta_s=None if eta is None else round(eta, 1))

    try:
        result = run_training(preset(preset_name), settings.models_dir,
                              corrections_file=corrections_file(settings), num_threads=settings.num_threads,
                              shared_dir=settings.shared_dir,
                              promote=True, command=f"(background job, preset {preset_name})",
                              write_splits=False, progress=progress,
                              log=lambda m: print(m, file=sys.stderr, flush=True))
    except Exception as exc:  # noqa: BLE001 - recorded for the page and the API
        write_state(home, status="failed", finished=_now(), error=f"{type(exc).__name__}: {exc}",
                    message=f"huấn luyện lỗi: {exc}; xem {log_path(home)}")
        raise
    gate = result.gate
    write_state(home, status="done" if result.promoted else "refused", finished=_now(), percent=100.0, eta_s=0.0,
                phase="xong", result=str(result.folder), promoted=result.promoted,
                gate=None if gate is None else {"ok": gate.get("ok"), "verdict": gate.get("verdict")},
                elapsed_s=round(time.time() - t0, 1),
                message="đã cài mô hình tinh chỉnh" if result.promoted else
                f"không cài: {gate.get('verdict') if gate else ''}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m congvan.service.jobs",
                                     description="Chạy công việc huấn luyện nền (do máy chủ khởi động).")
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--preset", default="full")
    args = parser.parse_args(argv)
    return run_worker(args.home, args.preset)


if __name__ == "__main__":
    sys.exit(main())


# --------------------------------------------------------------------------- in the server
class BackgroundTagging:
    """The server's side: fit the provisional tagger, start the fine-tuning job, and when a new
    fine-tuned tagger appears, load it (swap, no restart) and re-tag stored clauses, keeping
    staff corrections. Runs in one daemon thread; requests only read its ``status``."""

    def __init__(self, settings: Any, collection: Any, poll_s: float = 2.0, auto_train: bool = True) -> None:
        import threading

        self.settings = settings
        self.collection = collection
        self.poll_s = poll_s
        self.auto_train = auto_train
        self.retag: dict[str, Any] = {"status": "idle", "done": 0, "total": 0, "tagger": None}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="congvan-background-tagging", daemon=True)
        self._loaded_stamp: float | None = None

    def start(self) -> BackgroundTagging:
        from congvan.service.tagging import set_serving

        set_serving(True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        from congvan.service.tagging import set_serving

        self._stop.set()
        set_serving(False)  # this process no longer serves: CLI-style tagging may fit again
        self._thread.join(timeout)

    def _fine_tuned_stamp(self) -> float | None:
        from congvan.service.tagging import configured_tagger_dir

        folder = configured_tagger_dir(self.settings)
        try:
            return (folder / "manifest.json").stat().st_mtime_ns if folder is not None else None
        except OSError:
            return None

    def _run(self) -> None:
        import logging

        from congvan.service.tagging import configured_tagger_dir, first_run_preset, provisional_tagger

        log = logging.getLogger("congvan.jobs")
        if configured_tagger_dir(self.settings) is None:
            return  # CONGVAN_TAGGER=off
        try:
            stamp = self._fine_tuned_stamp()
            if stamp is None:
                provisional_tagger(self.settings)  # seconds; requests meanwhile wait for it, briefly
                if self.auto_train:
                    state = start_training_job(self.settings.home, first_run_preset(self.settings),
                                               reason="chưa có mô hình tinh chỉnh")
                    log.warning("theme tagger: provisional until fine-tuning finishes (background job, "
                                "status %s; progress: GET /api/jobs, `congvan train --status`)", state.get("status"))
            else:
                self._swap(stamp, retag=False, log=log)  # load it now, off the request path
        except Exception:  # noqa: BLE001 - the server keeps serving with what it has
            log.exception("background tagging set-up failed")
        while not self._stop.wait(self.poll_s):
            stamp = self._fine_tuned_stamp()
            if stamp is not None and stamp != self._loaded_stamp:
                try:
                    self._swap(stamp, retag=True, log=log)
                except Exception:  # noqa: BLE001
                    log.exception("could not swap in the new theme tagger")
                    self._loaded_stamp = stamp  # don't retry in a loop; the log says why

    def _swap(self, stamp: float, retag: bool, log: Any) -> None:
        from congvan.service.tagging import correction_keeper, get_default_tagger, tagger_info

        tagger = get_default_tagger(self.settings)
        self._loaded_stamp = stamp
        if tagger is None:
            return
        log.warning("theme tagger swapped in: %s", tagger_info(tagger)["name"])
        if not retag:
            return
        self.retag = {"status": "running", "done": 0, "total": 0, "tagger": tagger_info(tagger)["name"],
                      "started": _now()}

        def progress(done: int, total: int) -> None:
            self.retag.update(done=done, total=total)

        n = self.collection.retag_themes(tagger, keep=correction_keeper(self.settings), progress=progress)
        self.retag.update(status="done", done=n, finished=_now())
        log.warning("re-tagged %d stored clauses with the new theme tagger (corrections kept)", n)

    def status(self) -> dict[str, Any]:
        """What ``GET /api/jobs`` and the page's banner show."""
        from congvan.service.tagging import active_tagger, tagger_info

        tagger = active_tagger(self.settings, fit_provisional=False)
        return {"tagger": tagger_info(tagger, off=configured_tagger_dir_off(self.settings)),
                "jobs": [job_status(self.settings.home)], "retag": dict(self.retag)}


def configured_tagger_dir_off(settings: Any) -> bool:
    from congvan.service.tagging import configured_tagger_dir

    return configured_tagger_dir(settings) is None


def banner(status: dict[str, Any]) -> dict[str, Any] | None:
    """The page's banner (text in Vietnamese, percent, minutes left), or None when nothing to say."""
    tagger = status.get("tagger")
    job = (status.get("jobs") or [{}])[0]
    retag = status.get("retag") or {}
    if retag.get("status") == "running":
        total = retag.get("total") or 0
        return {"level": "info", "percent": round(100 * retag.get("done", 0) / total) if total else None,
                "text": f"Đã có mô hình chủ đề tinh chỉnh; đang gắn lại chủ đề cho các điều khoản đã lưu "
                        f"({retag.get('done', 0)}/{total or '…'}). Nhãn do cán bộ sửa được giữ nguyên."}
    if tagger is None or not tagger.get("provisional"):
        return None
    text = "Chủ đề đang được gắn tạm thời bằng mô hình từ khóa (TF-IDF); có thể kém chính xác hơn."
    percent = None
    if job.get("status") in ACTIVE:
        percent = float(job.get("percent") or 0.0)
        eta = job.get("eta_s")
        left = f", còn khoảng {max(1, round(eta / 60))} phút" if eta is not None else ", đang ước tính thời gian"
        text += f" Mô hình tinh chỉnh đang huấn luyện nền: {percent:.0f} % ({job.get('phase', '')}){left}."
    elif job.get("status") in ("failed", "interrupted"):
        text += f" Huấn luyện nền bị dừng ({job.get('error') or job.get('status')}); chạy `congvan train` để thử lại."
    elif job.get("status") == "refused":
        text += " Mô hình tinh chỉnh không qua bước so sánh nên chưa được dùng."
    return {"level": "warn", "percent": percent, "text": text}
