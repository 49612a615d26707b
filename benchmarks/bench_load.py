"""Load test: searches while letters are uploaded, against a real server on loopback.

    python benchmarks/bench_load.py [--seconds 60] [--concurrency 100] [--uploads 50]

Starts ``congvan serve`` on 127.0.0.1 over a fresh temporary index (the six sample letters,
uploaded through the API), then

1. *idle*: ``--concurrency`` clients search without pause for ``--idle-seconds``;
2. *ingest*: the same clients search while ``--uploads`` letters (written by this script in the
   genre: a province's plan with numbered directive items) are uploaded through
   ``POST /api/documents``, one after another, spread over ``--seconds``; the searches go on
   until the last upload is stored, so every upload happens under search load;
3. checks that every uploaded letter is found by a search for the plan code it cites.

Prints errors (target zero), search p50/p95 idle vs during ingest (target: p95 ≤ 2× idle) and
how many uploads are searchable. Bounded: loopback only, fixed durations, the server is stopped
and the index deleted at the end. Exit status 1 if any error or any letter is not found.
``CONGVAN_HOME`` (models, tagger) is taken from the environment as usual.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from congvan.index.testing import stop_process

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples" / "letters"

QUERIES = ["tiêm vét", "bien phap tiem vet", "sốt xuất huyết", "diệt lăng quăng bọ gậy", "tay chân miệng",
           "vệ sinh trường học", "giám sát ca bệnh", "phòng chống dịch COVID-19", "4968/BYT-DP",
           "truyền thông nguy cơ", "kinh phí phòng chống dịch", "cúm mùa", "tiem chung mo rong",
           "xử lý ổ dịch", "báo cáo kết quả", "Sở Y tế chủ trì", "UBND các huyện", "dai dich",
           "khẩu trang nơi công cộng", "vắc xin cho trẻ em"]

PROVINCES = ["Lạng Sơn", "Cao Bằng", "Hà Giang", "Yên Bái", "Sơn La", "Điện Biên", "Nghệ An", "Quảng Trị",
             "Kon Tum", "Gia Lai", "Đắk Nông", "Bình Phước", "Tây Ninh", "Long An", "Bến Tre", "Sóc Trăng",
             "Cà Mau", "Kiên Giang", "An Giang", "Đồng Tháp"]
TOPICS = [
    ("tiêm vét vắc xin sởi - rubella cho trẻ em", [
        "Sở Y tế chủ trì rà soát đối tượng trẻ em từ 1 đến 5 tuổi chưa được tiêm đủ mũi vắc xin sởi - rubella, "
        "tổ chức tiêm vét tại trạm y tế xã, phường, thị trấn theo Kế hoạch số {code}",
        "UBND các huyện, thành phố chỉ đạo UBND cấp xã phối hợp với trạm y tế lập danh sách, thông báo đến "
        "từng hộ gia đình có trẻ thuộc diện tiêm vét; bảo đảm an toàn tiêm chủng",
    ]),
    ("phòng, chống sốt xuất huyết", [
        "Sở Y tế tăng cường giám sát ca bệnh, phát hiện sớm và xử lý triệt để ổ dịch sốt xuất huyết theo "
        "Kế hoạch số {code}; tổ chức phun hóa chất diệt muỗi tại khu vực có ca bệnh",
        "UBND các huyện, thành phố tổ chức chiến dịch diệt lăng quăng, bọ gậy tại từng khu dân cư, hộ gia "
        "đình; huy động đoàn viên, hội viên tham gia",
    ]),
    ("phòng, chống bệnh tay chân miệng trong trường học", [
        "Sở Giáo dục và Đào tạo chỉ đạo các trường mầm non, tiểu học thực hiện vệ sinh lớp học, đồ chơi "
        "bằng cloramin B hằng ngày theo Kế hoạch số {code}",
        "Trung tâm Kiểm soát bệnh tật tỉnh hướng dẫn nhà trường phát hiện sớm trẻ có biểu hiện sốt, loét "
        "miệng, phát ban; thông báo ngay cho trạm y tế xã",
    ]),
    ("phòng, chống dịch cúm mùa", [
        "Sở Y tế chuẩn bị đủ thuốc, vật tư, giường bệnh thu dung điều trị người bệnh cúm theo Kế hoạch số "
        "{code}; tăng cường giám sát hội chứng cúm tại bệnh viện",
        "Sở Thông tin và Truyền thông phối hợp với Đài Phát thanh và Truyền hình tỉnh tuyên truyền các biện "
        "pháp phòng bệnh: đeo khẩu trang, rửa tay, tiêm vắc xin cúm",
    ]),
]
COMMON = [
    "Sở Tài chính tham mưu UBND tỉnh bố trí kinh phí thực hiện từ nguồn ngân sách sự nghiệp y tế năm {year}.",
    "Các sở, ban, ngành, UBND các huyện, thành phố báo cáo kết quả thực hiện về Sở Y tế trước ngày 25 hằng "
    "tháng để tổng hợp, báo cáo UBND tỉnh.",
]


def make_letter(i: int, rng: random.Random) -> tuple[str, str]:
    """A team-written letter in the genre; returns (text, the unique plan code it cites)."""
    province = PROVINCES[i % len(PROVINCES)]
    topic, items = TOPICS[i % len(TOPICS)]
    year = 2021 + i % 4
    code = f"{7000 + i}/KH-TT{i:02d}"
    day, month = 1 + rng.randrange(27), 1 + rng.randrange(12)
    body = [text.format(code=code, year=year) for text in items] + [c.format(year=year) for c in COMMON]
    numbered = "\n\n".join(f"{n}. {text}" for n, text in enumerate(body, start=1))
    text = (f"ỦY BAN NHÂN DÂN\nTỈNH {province.upper()}\n\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
            f"Độc lập - Tự do - Hạnh phúc\n\nSố: {300 + i}/UBND-VX\n\n{province}, ngày {day} tháng {month} "
            f"năm {year}\n\nV/v tăng cường công tác {topic}\n\nKính gửi:\n- Các sở, ban, ngành tỉnh;\n"
            f"- UBND các huyện, thành phố.\n\nThực hiện chỉ đạo của Bộ Y tế về công tác {topic}, UBND tỉnh "
            f"yêu cầu các cơ quan, đơn vị thực hiện tốt các nội dung sau:\n\n{numbered}\n\n"
            f"Yêu cầu các cơ quan, đơn vị nghiêm túc triển khai thực hiện./.\n\nTM. ỦY BAN NHÂN DÂN\n"
            f"KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\n")
    return text, code


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


async def searcher(client: httpx.AsyncClient, stop: float, lat: list[float], errors: list[str],
                   rng: random.Random, busy: asyncio.Event) -> None:
    while time.monotonic() < stop or busy.is_set():
        q = rng.choice(QUERIES)
        t0 = time.perf_counter()
        try:
            r = await client.get("/api/search", params={"q": q, "top_k": 10})
            if r.status_code != 200:
                errors.append(f"search {r.status_code}: {r.text[:100]}")
                continue
        except httpx.HTTPError as exc:
            errors.append(f"search {type(exc).__name__}: {exc}")
            continue
        lat.append((time.perf_counter() - t0) * 1000)


async def phase(base: str, seconds: float, concurrency: int, uploads: list[tuple[str, str]] | None,
                rng: random.Random) -> dict:
    lat: list[float] = []
    errors: list[str] = []
    stored: list[tuple[str, str]] = []
    limits = httpx.Limits(max_connections=concurrency + 4, max_keepalive_connections=concurrency + 4)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:
        stop = time.monotonic() + seconds
        busy = asyncio.Event()  # searches go on until the last upload is stored
        if uploads:
            busy.set()
        tasks = [asyncio.create_task(searcher(client, stop, lat, errors, random.Random(rng.random()), busy))
                 for _ in range(concurrency)]
        if uploads:
            gap = seconds / (len(uploads) + 1)
            for i, (text, code) in enumerate(uploads):
                await asyncio.sleep(max(0.0, (stop - seconds + gap * (i + 1)) - time.monotonic()))
                try:
                    r = await client.post("/api/documents", files={"file": (f"ke-hoach-{i:02d}.txt",
                                                                             text.encode(), "text/plain")})
                    if r.status_code == 200:
                        stored.append((r.json()["doc_id"], code))
                    else:
                        errors.append(f"upload {r.status_code}: {r.text[:200]}")
                except httpx.HTTPError as exc:
                    errors.append(f"upload {type(exc).__name__}: {exc}")
        uploads_s = seconds - (stop - time.monotonic())
        busy.clear()
        await asyncio.gather(*tasks)
    return {"latencies": lat, "errors": errors, "stored": stored, "seconds": max(seconds, uploads_s),
            "uploads_s": uploads_s if uploads else 0.0}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="ingest phase length (default 60)")
    ap.add_argument("--idle-seconds", type=float, default=20.0, help="idle phase length (default 20)")
    ap.add_argument("--concurrency", type=int, default=100, help="concurrent searching clients (default 100)")
    ap.add_argument("--uploads", type=int, default=50, help="letters uploaded during the ingest phase")
    args = ap.parse_args()

    rng = random.Random(13)
    work = Path(tempfile.mkdtemp(prefix="congvan-load-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k not in ("CONGVAN_API_KEY", "CONGVAN_PROTECT_SEARCH")}
    env["CONGVAN_INDEX"] = str(work / "index")
    log = (work / "server.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "congvan.service.cli", "serve", "--host", "127.0.0.1",
                             "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=work)
    try:
        deadline = time.monotonic() + 300
        while True:
            if proc.poll() is not None:
                print((work / "server.log").read_text()[-3000:], file=sys.stderr)
                return 1
            try:
                if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                print("server not ready after 300 s", file=sys.stderr)
                return 1
            time.sleep(0.3)
        with httpx.Client(base_url=base, timeout=300) as c:
            for path in sorted(SAMPLES.glob("*.txt")):
                r = c.post("/api/documents", files={"file": (path.name, path.read_bytes(), "text/plain")})
                r.raise_for_status()
            c.get("/api/search", params={"q": "khởi động"}).raise_for_status()
        letters = [make_letter(i, rng) for i in range(args.uploads)]

        idle = asyncio.run(phase(base, args.idle_seconds, args.concurrency, None, rng))
        busy = asyncio.run(phase(base, args.seconds, args.concurrency, letters, rng))

        found = 0
        with httpx.Client(base_url=base, timeout=120) as c:
            for doc_id, code in busy["stored"]:
                hits = c.get("/api/search", params={"q": code, "top_k": 10}).json()["hits"]
                found += any(h["doc_id"] == doc_id for h in hits)
    finally:
        stop_process(proc)
        log.close()
        shutil.rmtree(work, ignore_errors=True)

    errors = idle["errors"] + busy["errors"]
    i95, b95 = pct(idle["latencies"], 95), pct(busy["latencies"], 95)
    print(f"concurrency {args.concurrency}; idle {args.idle_seconds:.0f} s, ingest {busy['seconds']:.0f} s "
          f"with {args.uploads} uploads (planned over {args.seconds:.0f} s)")
    print("| phase | searches | searches/s | p50 ms | p95 ms | errors |\n|---|---|---|---|---|---|")
    for name, ph in (("idle", idle), ("during ingest", busy)):
        lat = ph["latencies"]
        print(f"| {name} | {len(lat)} | {len(lat) / ph['seconds']:.1f} | {pct(lat, 50):.0f} | {pct(lat, 95):.0f} "
              f"| {len(ph['errors'])} |")
    print(f"p95 during ingest / idle: {b95 / i95:.2f}x (target <= 2)")
    print(f"uploads stored: {len(busy['stored'])}/{args.uploads} (the last one {busy['uploads_s']:.0f} s after the "
          f"phase began, {len(busy['stored']) / busy['uploads_s']:.2f} letters/s); searchable afterwards: "
          f"{found}/{args.uploads}")
    for e in errors[:10]:
        print("  error:", e)
    return 0 if not errors and found == args.uploads else 1


if __name__ == "__main__":
    sys.exit(main())
