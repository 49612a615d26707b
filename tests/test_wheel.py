"""A normal (non-editable) install works: the wheel, in a fresh virtualenv, trains, tags and serves.

Slow (about 2-4 minutes: a new virtualenv installs the wheel's dependencies from the pip cache and
the pinned CPU torch). It runs from a folder outside the repository, so nothing can be imported
from the source tree: only the installed ``congvan`` package and its package data.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "samples" / "letters"

pytestmark = pytest.mark.slow


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: int = 900) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    return proc


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_wheel_in_a_fresh_virtualenv_trains_tags_and_serves(tmp_path: Path) -> None:
    # Build from a clean copy of the source (a build/ folder left in the checkout could add stale modules).
    src = tmp_path / "src"
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(".git", ".venv", ".cache", "build", "dist", "*.egg-info",
                                                            "__pycache__", ".pytest_cache"))
    wheels = tmp_path / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels),
          str(src)], cwd=tmp_path, env=dict(os.environ))
    wheel = next(wheels.glob("congvan-*.whl"))
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path, env=dict(os.environ))
    py = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONGVAN_", "PYTEST_", "VIRTUAL_ENV"))}
    _run([str(py), "-m", "pip", "install", "-q", "torch==2.13.0", str(wheel)], cwd=tmp_path, env=env, timeout=1500)

    work = tmp_path / "elsewhere"  # not the repository: only the installed package is importable
    work.mkdir()
    home = tmp_path / "home"
    env.update(CONGVAN_HOME=str(home), CONGVAN_TAGGER_PRESET="smoke")
    bare = _run([str(py), "-c", "import importlib.util as u; print(u.find_spec('index') is None)"], work, env)
    assert bare.stdout.strip() == "True"
    congvan = str(venv / "bin" / "congvan")

    # train: the shipped dataset is package data (smoke preset: seconds)
    trained = _run([congvan, "train", "--preset", "smoke", "--promote"], work, env)
    assert (home / "models" / "tagger" / "manifest.json").is_file(), trained.stderr[-2000:]

    # tag: a team-written sample letter
    letter = next(p for p in sorted(SAMPLE.glob("*.txt")))
    tagged = json.loads(_run([congvan, "tag", str(letter), "--json"], work, env).stdout)
    assert tagged["document"]["number"] and any(c["kind"] == "directive" for c in tagged["clauses"])

    # ingest + serve: the page and the API answer
    _run([congvan, "ingest", str(SAMPLE)], work, env)
    port = _free_port()
    server = subprocess.Popen([congvan, "serve", "--port", str(port)], cwd=work, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 240
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"server did not start: {server.stderr.read()[-3000:]}")
                time.sleep(1)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/?q=ti%C3%AAm+v%C3%A9t", timeout=60) as r:
            page = r.read().decode("utf-8")
        assert r.status == 200 and "<mark>" in page
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/app.css", timeout=30) as r:
            assert r.status == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
