"""First run as a new user has it: a fresh ``CONGVAN_HOME``, the quick start's two steps
(``congvan ingest samples/letters``, then ``congvan serve``), timed.

    python benchmarks/bench_first_run.py [--preset full|smoke] [--home DIR] [--no-swap]

Prints the time from start to the first answered search (the model conversion, the ONNX export,
the provisional tagger, indexing the samples and the server's start included; pip excluded) and
the time until the background job's fine-tuned tagger is swapped in and the stored clauses are
re-tagged. Progress of the job is printed as it goes.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
QUERY = "biện pháp tiêm vét"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 30) -> dict | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return json.loads(r.read().decode("utf-8")) if r.status == 200 else None
    except (OSError, ValueError):
        return None


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a running process (Linux ``/proc``): a figure that other jobs
    on the same cores do not inflate, unlike wall time."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def _children_cpu_s() -> float:
    import resource

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _stop_job(home: Path) -> None:
    """Stop the background fine-tuning job the server started in ``home``, if it still runs
    (``--no-swap``, a timeout): left alone it would train for minutes in a deleted home."""
    import signal

    from congvan.service.jobs import job_alive, read_state

    state = read_state(home) or {}
    if state.get("pid") and job_alive(home):
        try:
            os.kill(int(state["pid"]), signal.SIGTERM)
        except OSError:
            pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="full", help="preset of the background fine-tuning (full, smoke)")
    parser.add_argument("--home", type=Path, help="fresh data folder (default: a new temporary one)")
    parser.add_argument("--no-swap", action="store_true", help="stop after the first answered search")
    parser.add_argument("--swap-timeout", type=float, default=3600, help="seconds to wait for the swap")
    args = parser.parse_args(argv)
    home = args.home or Path(tempfile.mkdtemp(prefix="congvan-first-run-"))
    if home.exists() and any(home.iterdir()):
        print(f"{home} is not empty: a first run needs a fresh home", file=sys.stderr)
        return 2
    congvan = Path(sys.executable).parent / "congvan"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONGVAN_")}
    env.update(CONGVAN_HOME=str(home), CONGVAN_TAGGER_PRESET=args.preset, HF_HUB_OFFLINE="1")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    home.mkdir(parents=True, exist_ok=True)
    log = open(home.parent / f"{home.name}.server.log", "w")  # noqa: SIM115
    t0 = time.perf_counter()
    marks: dict[str, float] = {}
    server = None
    try:
        subprocess.run([str(congvan), "ingest", str(REPO / "samples" / "letters")], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        marks["ingest (convert model, provisional tagger, 6 letters)"] = time.perf_counter() - t0
        cpu = {"ingest": _children_cpu_s()}
        server = subprocess.Popen([str(congvan), "serve", "--port", str(port)], env=env, stdout=log,
                                  stderr=subprocess.STDOUT)
        while _get(f"{base}/healthz", 5) is None:
            if server.poll() is not None:
                raise SystemExit(f"server exited; see {log.name}")
            time.sleep(0.2)
        marks["server answers /healthz"] = time.perf_counter() - t0
        q = urllib.parse.quote(QUERY)
        while True:
            res = _get(f"{base}/api/search?q={q}&top_k=5", 60)
            if res is not None and res.get("hits"):
                break
            time.sleep(0.2)
        first = time.perf_counter() - t0
        marks["first answered search"] = first
        cpu["server until the first search"] = _cpu_s(server.pid)
        print(f"first answered search: {first:.1f} s (target ≤ 180 s); CPU used: "
              + ", ".join(f"{k} {v:.1f} s" for k, v in cpu.items()), flush=True)
        if not args.no_swap:
            last = ""
            while True:
                st = _get(f"{base}/api/jobs", 30) or {}
                job = (st.get("jobs") or [{}])[0]
                line = f"  job {job.get('status')} {job.get('percent', 0):.0f}% {job.get('phase', '')}"
                if job.get("eta_s") is not None:
                    line += f", ETA {job['eta_s'] / 60:.1f} min"
                if line != last and int(time.perf_counter() - t0) % 30 < 2:
                    print(f"[{time.perf_counter() - t0:6.0f} s]{line}", flush=True)
                    last = line
                if job.get("status") in ("failed", "refused", "interrupted"):
                    raise SystemExit(f"background job {job.get('status')}: {job.get('message')}")
                tagger = st.get("tagger") or {}
                if tagger and not tagger.get("provisional") and (st.get("retag") or {}).get("status") == "done":
                    break
                if time.perf_counter() - t0 > args.swap_timeout:
                    raise SystemExit("timed out waiting for the swap")
                time.sleep(2)
            marks["fine-tuned tagger swapped in, stored clauses re-tagged"] = time.perf_counter() - t0
            marks["  of which the job's own run"] = float(job.get("elapsed_s") or 0.0)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        _stop_job(home)  # the fine-tuning job outlives its server by design; not this benchmark's
        log.close()
    if "cpu" in locals():
        print("CPU seconds (not inflated by other jobs): " + ", ".join(f"{k} {v:.1f}" for k, v in cpu.items()))
    print(f"\nFirst run on a fresh home ({home}), preset {args.preset}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}:")
    for name, s in marks.items():
        print(f"  {name:<66}{s:>8.1f} s")
    if args.home is None:
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
