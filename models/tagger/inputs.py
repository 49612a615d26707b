"""What the tagger reads: a clause (with its heading) as model input, tokenised in windows."""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from congvan.letters.agencies import assign_roles
from congvan.letters.schema import AgencyRoles, ThemeScore
from congvan.letters.taxonomy import Taxonomy, load_taxonomy
from congvan.letters.themes import is_procedure_field, is_section_caption, names_only_bodies, theme_rules

if TYPE_CHECKING:
    import torch

HEADING_SEP = " | "


def clause_input(text: str, heading: str | None = None, with_heading: bool = False) -> str:
    """The text the encoder reads for a clause (the ``passage: `` prompt is added on tokenising).

    With ``with_heading`` the item heading comes first ("Giao Sở Y tế chủ trì … | a) Thúc đẩy …"):
    the agency classifier needs it, the theme head may use it (``TrainConfig.theme_heading``).
    """
    text = " ".join(str(text).split())
    if with_heading and heading:
        heading = " ".join(str(heading).split())
        if heading and heading != text:
            return f"{heading}{HEADING_SEP}{text}"
    return text


def subject_input(subject: str | None) -> str:
    """A letter's subject as model input: headings set in capitals ("V/V CHỦ ĐỘNG ỨNG PHÓ …")
    are lowercased, since the encoder saw sentence-case text."""
    text = " ".join(str(subject or "").split())
    letters = [c for c in text if c.isalpha()]
    if letters and sum(c.isupper() for c in letters) > 0.6 * len(letters):
        text = text.lower()
    return text


def with_rule_themes(texts: Sequence[str], probs: Any, theme_ids: Sequence[str], thresholds: Any,
                     subject: str | None = None, subject_probs: Any = None,
                     taxonomy: Taxonomy | None = None) -> list[list[ThemeScore]]:
    """Per clause, the model's themes (probability ≥ its threshold) plus what ``letters.themes``
    adds: the clause's cues, the subject's topics, and topic themes the model reads in the
    subject itself (probability ≥ max(0.5, threshold)). A rule-added theme scores
    max(probability, threshold), so it sorts with the themes the model chose."""
    rules = theme_rules(taxonomy)
    index = {t: j for j, t in enumerate(theme_ids)}
    letter_themes = []
    if subject_probs is not None:
        letter_themes = [t for t in rules.topic_themes
                         if t in index and subject_probs[index[t]] >= max(0.5, float(thresholds[index[t]]))]
    added = rules.added(list(texts), subject, letter_themes)
    out = []
    for text, row, extra in zip(texts, probs, added):
        if names_only_bodies(text) or is_section_caption(text) or is_procedure_field(text):
            # "Sở Tài chính", "Trách nhiệm thực hiện" over their tasks: a heading orders nothing;
            # nor does a published procedure's field ("Cách thức thực hiện: trực tiếp …")
            out.append([])
            continue
        chosen = {theme_ids[j]: float(p) for j, p in enumerate(row) if p >= thresholds[j]}
        for t in extra:
            if t in index and t not in chosen:
                chosen[t] = max(float(row[index[t]]), float(thresholds[index[t]]))
        out.append([ThemeScore(t, round(p, 4)) for t, p in sorted(chosen.items(), key=lambda kv: -kv[1])])
    return out


def rule_roles(text: str, heading: str | None = None, taxonomy: Taxonomy | None = None, *,
               central: bool = False, date: str | None = None, commune: bool = False) -> AgencyRoles:
    """Lead/support by the parser's rules for a clause known only by its text and heading.

    The parser does this with the full item tree while parsing a letter; the dataset keeps only
    the immediate heading, so the heading's own roles are what the clause may inherit.
    ``central``/``date``/``commune``: the letter's level and ISO date (``doc_context`` reads them
    from a dataset record's ``doc``).
    """
    tax = taxonomy or load_taxonomy()
    ctx = {"central": central, "date": date, "commune": commune}
    inherited = assign_roles(heading, None, tax, **ctx)[0] if heading else None
    return assign_roles(text, inherited, tax, **ctx)[0]


def doc_context(doc: dict | None) -> dict:
    """``{"central", "date", "commune"}`` for ``rule_roles`` from a dataset record's ``doc``: a
    central letter has province "central" (or ``central`` true); the date is ISO (or the year
    alone); a commune's letter is known by its issuer ("UBND xã …")."""
    from congvan.letters.parse.issuer import is_commune_issuer

    doc = doc or {}
    central = bool(doc.get("central")) or doc.get("province") == "central"
    date = doc.get("date") or (str(doc["year"]) if doc.get("year") else None)
    return {"central": central, "date": str(date) if date else None,
            "commune": not central and is_commune_issuer(doc.get("issuer"))}


class Windowing:
    """Token windows of ``prompt + text`` no longer than ``max_len`` (special tokens included)."""

    def __init__(self, tokenizer: Any, max_len: int, stride: int, prompt: str = "passage: ") -> None:
        self.tokenizer = tokenizer
        self.max_len = int(max_len)
        self.stride = int(stride)
        self.prompt = prompt
        self.cls = tokenizer.cls_token_id if tokenizer.cls_token_id is not None else tokenizer.bos_token_id
        self.sep = tokenizer.sep_token_id if tokenizer.sep_token_id is not None else tokenizer.eos_token_id
        self.pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        # "passage: " tokenised alone ends in a bare "▁"; "passage:" + text's own tokens is what
        # tokenising the joined string gives (checked here, else fall back to a joined prompt).
        self.prefix = self._ids(prompt.rstrip()) if prompt.strip() else []
        probe = "Giao Sở Y tế"
        self.split_prompt = self.prefix + self._ids(probe) == self._ids(prompt + probe)
        self.body = self.max_len - 2 - len(self.prefix)
        if self.body < 8:
            raise ValueError(f"max_seq_length {max_len} leaves no room for text")

    def _ids(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def encode(self, texts: Sequence[str], windows: bool = True) -> tuple[list[list[int]], list[int]]:
        """Input ids of every window and, for each window, the index of its text."""
        if not texts:
            return [], []
        if self.split_prompt:
            bodies = self.tokenizer(list(texts), add_special_tokens=False)["input_ids"]
            prefix = self.prefix
        else:  # pragma: no cover - tokenizers that merge across the prompt boundary
            bodies = self.tokenizer([self.prompt + t for t in texts], add_special_tokens=False)["input_ids"]
            prefix = []
        body_len = self.max_len - 2 - len(prefix)
        step = max(1, body_len - self.stride)
        ids: list[list[int]] = []
        owners: list[int] = []
        for i, body in enumerate(bodies):
            starts = [0]
            if windows:
                while starts[-1] + body_len < len(body):
                    starts.append(starts[-1] + step)
            for s in starts:
                ids.append([self.cls, *prefix, *body[s:s + body_len], self.sep])
                owners.append(i)
        return ids, owners


def pad_batch(ids: Sequence[Sequence[int]], pad: int) -> tuple[torch.Tensor, torch.Tensor]:
    import torch

    width = max(len(x) for x in ids)
    input_ids = torch.full((len(ids), width), pad, dtype=torch.long)
    mask = torch.zeros((len(ids), width), dtype=torch.long)
    for i, x in enumerate(ids):
        input_ids[i, :len(x)] = torch.tensor(x, dtype=torch.long)
        mask[i, :len(x)] = 1
    return input_ids, mask
