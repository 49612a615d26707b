"""A tiny annotated dataset in the schema of ``training/data`` for the tagger and training tests
(independent of the shipped data, which keeps growing): 18 letters, every clause written to be
unambiguous, every theme present."""
from __future__ import annotations

import json
from pathlib import Path

THEME_SENTENCES = {
    "vaccination": "tổ chức tiêm vét vắc xin phòng COVID-19, tiêm mũi 3, mũi 4 cho người chưa tiêm đủ liều",
    "surveillance": "tăng cường giám sát, theo dõi chặt chẽ diễn biến dịch, phát hiện sớm ca bệnh tại cửa khẩu",
    "testing": "tổ chức xét nghiệm, test nhanh cho các trường hợp nghi ngờ, lấy mẫu RT-PCR",
    "treatment": "bảo đảm thu dung, cấp cứu, điều trị người bệnh, giảm tử vong tại các cơ sở điều trị",
    "quarantine": "quản lý chặt chẽ F0, cách ly y tế F1, khai báo y tế tại khu cách ly",
    "prevention_measures": "nhắc nhở người dân đeo khẩu trang, khử khuẩn, hạn chế tập trung đông người tại lễ hội",
    "communication": "đẩy mạnh tuyên truyền, truyền thông trên báo chí và hệ thống thông tin cơ sở",
    "supplies": "bảo đảm thuốc, vật tư, trang thiết bị, sinh phẩm và kinh phí, nhân lực cho phòng chống dịch",
    "social_welfare": "thực hiện chính sách an sinh xã hội, hỗ trợ người lao động bị ảnh hưởng",
    "education": "hướng dẫn nhà trường tổ chức dạy và học trực tiếp an toàn cho học sinh, giáo viên",
    "market_control": "kiểm tra thị trường, xử lý nghiêm hành vi nâng giá, trục lợi, buôn bán hàng giả",
    "leadership": "quán triệt, đề cao trách nhiệm người đứng đầu, không lơ là, chủ quan trong chỉ đạo",
    "preparedness": "xây dựng kế hoạch, kịch bản, phương án sẵn sàng ứng phó với mọi tình huống",
    "economy": "tạo điều kiện cho doanh nghiệp duy trì sản xuất kinh doanh, phục hồi kinh tế",
}
AGENCY_SUBJECTS = [
    ("Sở Y tế", "so_y_te"), ("Sở Thông tin và Truyền thông", "so_tttt"),
    ("Sở Giáo dục và Đào tạo", "so_gddt"), ("Sở Công Thương", "so_cong_thuong"),
    ("Sở Lao động - Thương binh và Xã hội", "so_ldtbxh"), ("Cục Quản lý thị trường", "qltt"),
    ("UBND các huyện, thành phố", "ubnd_huyen"), ("Trung tâm Kiểm soát bệnh tật tỉnh", "cdc"),
]
THEMES = list(THEME_SENTENCES)


def toy_records(letters: int = 18) -> list[dict]:
    out = []
    for n in range(letters):
        lid = f"toy{n:02d}"
        doc = {"issuer": "UBND tỉnh Lạng Sơn", "province": "Lạng Sơn", "year": 2022,
               "doc_type": "Công văn", "outbreak": "covid-19"}
        recs = [dict(path="preamble", kind="preamble", heading=None, themes=[], lead=[], support=[],
                     text=f"Thực hiện Công văn số {100 + n}/BYT-DP của Bộ Y tế, UBND tỉnh chỉ đạo như sau:")]
        for k in range(3):
            t1 = THEMES[(n * 3 + k) % len(THEMES)]
            t2 = THEMES[(n * 5 + k * 7 + 3) % len(THEMES)]
            name, aid = AGENCY_SUBJECTS[(n + k) % len(AGENCY_SUBJECTS)]
            themes = [t1] if k == 0 or t1 == t2 else [t1, t2]
            body = THEME_SENTENCES[t1] + ("" if len(themes) == 1 else "; " + THEME_SENTENCES[t2])
            support = [] if aid == "ubnd_huyen" else ["ubnd_huyen"]
            tail = "" if not support else ", phối hợp với UBND các huyện, thành phố"
            recs.append(dict(path=str(k + 1), kind="directive", heading=None, themes=themes, lead=[aid],
                             support=support, text=f"Giao {name} chủ trì{tail} {body}."))
        recs.append(dict(path="closing", kind="closing", heading=None, themes=[], lead=[], support=[],
                         text="UBND tỉnh yêu cầu các cơ quan liên quan thực hiện nghiêm túc./."))
        for i, r in enumerate(recs):
            out.append({"id": f"{lid}-{i:02d}", "letter_id": lid, "source": "team", "doc": doc, **r})
    return out


def write_toy_dataset(folder: Path, letters: int = 18) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "toy.jsonl", "w", encoding="utf-8") as fh:
        for r in toy_records(letters):
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    return folder


# --------------------------------------------------------------------------- shared smoke run
_RUNS: dict[str, dict] = {}


def link_base_model(home: Path) -> None:
    """Let a temporary home use the e5 model already converted in the test home (no copy)."""
    from tests.conftest import TEST_HOME

    src = TEST_HOME / "models" / "multilingual-e5-small"
    dst = home / "models" / "multilingual-e5-small"
    dst.parent.mkdir(parents=True, exist_ok=True)
    if not dst.exists():
        dst.symlink_to(src, target_is_directory=True)


def smoke_run(root: Path) -> dict:
    """Once per test session: ``congvan train --preset smoke --promote`` on the toy dataset in a
    fresh home, run as a user runs it (subprocess). Returns paths and the CLI output."""
    import os
    import subprocess
    import sys

    if "run" in _RUNS:
        return _RUNS["run"]
    home = root / "home"
    data = write_toy_dataset(root / "data")
    link_base_model(home)
    out = home / "models" / "tagger-runs" / "smoke"
    env = {**os.environ, "CONGVAN_HOME": str(home)}
    proc = subprocess.run([sys.executable, "-m", "congvan.service.cli", "train", "--preset", "smoke", "--data", str(data),
                           "--out", str(out), "--promote"], capture_output=True, text=True, env=env, timeout=900,
                          cwd=Path(__file__).resolve().parents[1])
    _RUNS["run"] = {"home": home, "data": data, "folder": out, "proc": proc, "env": env}
    return _RUNS["run"]
