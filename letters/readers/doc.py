"""Word 97-2003 (.doc) → text with Debian's ``antiword``, its tables put back in reading order.

Why: provincial offices still keep most of their files as .doc. ``antiword`` (``apt-get install
antiword``; ``./run`` installs it when it can) prints UTF-8 text, one paragraph per line with
``-w 0``, and tables as ``|cell|cell|`` rows, one row per *visual* line. Two-column tables (the
header block "UBND TỈNH X | CỘNG HÒA …", the signature "Nơi nhận | KT. CHỦ TỊCH") are read column
by column, as Word shows them; wider tables (task tables) keep one ``| … |`` row per table row,
a line whose first cell is empty being the wrapped rest of the row above.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from congvan.letters.readers.common import LetterReadError, _sniff

__all__ = ["_read_doc", "doc_missing"]

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the compound-file signature of Word 97-2003
_TIMEOUT_S = 120


def doc_missing() -> str | None:
    """None when .doc files can be read; else what is missing and how to install it."""
    return None if shutil.which("antiword") else "chưa cài antiword (apt-get install antiword)"


def _corrupt_doc(detail_vi: str, detail_en: str) -> LetterReadError:
    return LetterReadError(f"Tệp DOC bị hỏng: {detail_vi} ({detail_en})", code="corrupt_docx")


def _read_doc(data: bytes) -> str:
    if data.lstrip().startswith(b"{\\rtf"):
        raise LetterReadError("Tệp .doc thực chất là văn bản RTF; hãy mở bằng Word và lưu lại dưới dạng "
                              ".docx (RTF content is not supported; save as .docx)", code="unsupported_type")
    if not data.startswith(OLE_SIGNATURE):
        kind = _sniff(data)
        what = f"nội dung là {kind}" if kind else "không phải tệp Word 97-2003"
        raise _corrupt_doc(f"không phải tệp .doc thật ({what}); hãy mở bằng Word và lưu lại dưới dạng .docx",
                           "not a Word 97-2003 file")
    missing = doc_missing()
    if missing:
        raise LetterReadError(f"Chưa đọc được tệp Word 97-2003 (.doc): {missing}; hoặc mở bằng Word và "
                              "lưu lại dưới dạng .docx (no .doc reader installed)", code="unsupported_type")
    with tempfile.TemporaryDirectory(prefix="congvan-doc-") as tmp:
        path = Path(tmp) / "letter.doc"
        path.write_bytes(data)
        try:
            run = subprocess.run(["antiword", "-m", "UTF-8.txt", "-w", "0", str(path)], check=False,
                                 capture_output=True, timeout=_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise _corrupt_doc(f"đọc quá {_TIMEOUT_S} giây", "antiword timed out") from None
    if run.returncode != 0:
        detail = run.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
        raise _corrupt_doc(f"antiword không đọc được tệp ({detail[0]}); hãy mở bằng Word và lưu lại "
                           "dưới dạng .docx", "antiword failed")
    return tables_in_reading_order(run.stdout.decode("utf-8", "replace"))


def _cells(line: str) -> list[str] | None:
    s = line.strip()
    if len(s) < 2 or not (s.startswith("|") and s.endswith("|")):
        return None
    return [c.strip() for c in s[1:-1].split("|")]


def tables_in_reading_order(text: str) -> str:
    """antiword's ``|cell|cell|`` lines → two-column tables column by column, wider tables one
    ``| … |`` line per row (continuation lines with an empty first cell joined to their row)."""
    out: list[str] = []
    block: list[list[str]] = []

    def flush() -> None:
        if not block:
            return
        width = max(len(r) for r in block)
        rows = [r + [""] * (width - len(r)) for r in block]
        if width <= 2:
            for col in range(width):
                out.extend(r[col] for r in rows if r[col])
                out.append("")
        else:
            merged: list[list[str]] = []
            for r in rows:
                if merged and not r[0]:
                    merged[-1] = [f"{a} {b}".strip() for a, b in zip(merged[-1], r)]
                else:
                    merged.append(r)
            out.extend("| " + " | ".join(r) + " |" for r in merged)
            out.append("")
        block.clear()

    for line in text.split("\n"):
        cells = _cells(line)
        if cells is not None:
            block.append(cells)
            continue
        flush()
        out.append(line)
    flush()
    return "\n".join(out)
