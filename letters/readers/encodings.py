"""Plain-text bytes → str: BOMs, UTF-8/UTF-16 and the legacy encodings told apart by a Vietnamese plausibility score."""
from __future__ import annotations

from congvan.letters.readers.common import LetterReadError, _sniff
from congvan.letters.readers.legacy import (
    _STRAY_BYTES_HANDLER,
    _TCVN3_SCORING,
    _decode_cp1258,
    _decode_tcvn3,
    _decode_vni,
)
from congvan.letters.readers.plausibility import _is_vietnamese, _plausibility, _suspicious_words


# =========================================================================== text decoding
def _binary(detail_vi: str, detail_en: str, suffix: str) -> LetterReadError:
    return LetterReadError(
        f"Tệp {suffix} chứa dữ liệu nhị phân, không phải văn bản{detail_vi}; hãy kiểm tra lại "
        f"tệp (binary data, not text{detail_en})", code="binary")


def _looks_utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when every other byte is mostly NUL (BOM-less UTF-16)."""
    if len(data) < 8 or len(data) % 2:
        return None
    even, odd = data[0::2], data[1::2]
    z_even, z_odd = even.count(0) / len(even), odd.count(0) / len(odd)
    if z_odd > 0.3 and z_even < 0.05:
        return "utf-16-le"
    if z_even > 0.3 and z_odd < 0.05:
        return "utf-16-be"
    return None


_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 11, 12, 13, 26, 27))

_TRIED = "UTF-8, UTF-16, Windows-1258, TCVN3/ABC, VNI-Windows"


def decode_text_bytes(data: bytes, suffix: str = ".txt") -> str:
    """Bytes of a .txt/.md letter → str (not yet cleaned). Raises LetterReadError."""
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", "utf-32"),
                       (b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe", "utf-16"),
                       (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                raise LetterReadError(
                    f"Tệp có dấu BOM {codec.upper()} nhưng nội dung không giải mã được; hãy lưu "
                    f"lại tệp dưới dạng Unicode UTF-8 (invalid {codec.upper()} text)",
                    code="undecodable") from None
            if _control_share(text) > 0.05:
                raise _binary("", "", suffix)
            return text

    if b"\x00" in data:
        codec = _looks_utf16_without_bom(data)
        if codec:
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                text = ""
            if text and _control_share(text) < 0.01:
                return text
        kind = _sniff(data)
        raise _binary(f" (nội dung là {kind})" if kind else " (có byte NUL)",
                      f": looks like {kind}" if kind else ": contains NUL bytes", suffix)
    kind = _sniff(data)
    if kind == "RTF":
        raise LetterReadError(
            f"Tệp {suffix} thực chất là văn bản RTF; hãy mở bằng Word và lưu lại dưới dạng .docx "
            "(RTF content is not supported; save as .docx)", code="unsupported_type")
    if kind and kind != "EXE":  # "MZ" alone could begin a text; real EXEs have NUL bytes
        raise _binary(f" (nội dung là {kind}, hãy đổi đuôi tệp cho đúng)",
                      f": looks like {kind}", suffix)
    if sum(data.count(b) for b in _CONTROL_BYTES) > 0.05 * len(data):
        raise _binary(" (nhiều ký tự điều khiển)", ": many control bytes", suffix)

    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    return _decode_legacy(data)


def _control_share(text: str) -> float:
    if not text:
        return 0.0
    bad = sum(1 for ch in text if (ord(ch) < 32 and ch not in "\t\n\r\f\v\x1a\x1b")
              or ch == "\ufffd")
    return bad / len(text)


_ENCODING_NAMES = {"utf-8": "UTF-8", "cp1258": "Windows-1258", "tcvn3": "TCVN3/ABC",
                   "vni": "VNI-Windows"}


def _decode_utf8_stray(data: bytes) -> str:
    return data.decode("utf-8", errors=_STRAY_BYTES_HANDLER)


_DECODERS = {"utf-8": _decode_utf8_stray, "cp1258": _decode_cp1258, "tcvn3": _decode_tcvn3,
             "vni": _decode_vni}
_SAMPLE_BYTES = 512 * 1024


def _decode_legacy(data: bytes) -> str:
    """Not UTF-8: score each candidate decoding (on a sample of a big file), keep the best."""
    names = ["cp1258", "tcvn3", "vni"]
    # Mostly UTF-8 with a few stray Windows bytes (text pasted from an old editor): keep the
    # UTF-8 and read each invalid byte as Windows-1252.
    replaced = data.decode("utf-8", errors="replace")
    n_bad = replaced.count("\ufffd")
    n_multi = len(replaced) - len(replaced.encode("ascii", "ignore")) - n_bad
    if n_multi >= 10 * max(n_bad, 1):
        names.insert(0, "utf-8")
    sample = data
    if len(data) > _SAMPLE_BYTES:
        cut = data.rfind(b"\n", 0, _SAMPLE_BYTES)
        sample = data[: cut if cut > 0 else _SAMPLE_BYTES]
    scored = []
    for name in names:
        # Judge on the non-ASCII words only: that is where the candidates differ.
        decoded = (_decode_tcvn3(sample, _TCVN3_SCORING) if name == "tcvn3"
                   else _DECODERS[name](sample))
        score = _plausibility(_suspicious_words(decoded))
        scored.append((score.total, name, score))
    # max() keeps the first of equal totals: UTF-8, then cp1258 (a real code page) win ties.
    _, best_name, best = max(scored, key=lambda s: s[0])
    if _is_vietnamese(best) or (best_name in ("cp1258", "utf-8") and best.good >= 0.99):
        # The second case: clean text in a Windows code page, just not very Vietnamese.
        return _DECODERS[best_name](data)
    if best_name in ("tcvn3", "vni") and best.good >= 0.75 and best.common >= 0.1:
        # Common Vietnamese syllables do come out, but too many bytes make no sense.
        raise LetterReadError(
            f"Tệp dùng bảng mã {_ENCODING_NAMES[best_name]} (bảng mã cũ) và không chuyển đổi "
            "được chắc chắn; hãy chuyển sang Unicode (ví dụ bằng Unikey) rồi tải lại "
            f"(legacy {_ENCODING_NAMES[best_name]} encoding; convert to Unicode first)",
            code="legacy_encoding")
    raise LetterReadError(
        f"Không nhận ra bảng mã của tệp văn bản (đã thử {_TRIED}); hãy lưu lại tệp dưới dạng "
        "Unicode UTF-8 (undecodable text: unknown encoding, save it as UTF-8)",
        code="undecodable")
