"""The loaded tagger: theme heads, blend with the lexical model, agency fallback."""
from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from congvan.letters.schema import Clause, Letter, ThemeScore
from congvan.letters.taxonomy import Taxonomy, load_taxonomy
from congvan.models.lexical import LexicalModel
from congvan.models.tagger.inputs import (
    Windowing,
    clause_input,
    pad_batch,
    rule_roles,
    subject_input,
    with_rule_themes,
)
from congvan.models.tagger.network import TaggerNet


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -40, 40)))


@dataclass
class Head:
    """A linear layer with sigmoid outputs, kept as numpy (tiny; no torch needed to apply it)."""

    weight: np.ndarray  # (labels, dim)
    bias: np.ndarray  # (labels,)
    normalize: bool  # L2-normalise the embedding first

    def proba(self, emb: np.ndarray) -> np.ndarray:
        if emb.shape[0] == 0:
            return np.zeros((0, self.weight.shape[0]), np.float32)
        if self.normalize:
            emb = emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
        return _sigmoid(emb @ self.weight.T + self.bias).astype(np.float32)


class Tagger:
    """A loaded tagger: ``tag_clauses`` / ``tag_letter`` fill themes and missing leads in place."""

    def __init__(self, net: TaggerNet, tokenizer: Any, *, theme_ids: list[str], theme_head: Head,
                 thresholds: np.ndarray, agency_ids: list[str], agency_head: Head | None,
                 agency_cutoff: float, config: dict[str, Any], manifest: dict[str, Any] | None = None,
                 folder: Path | None = None, taxonomy: Taxonomy | None = None,
                 lexical: LexicalModel | None = None, blend: float = 1.0) -> None:
        self.net = net
        self.tokenizer = tokenizer
        self.theme_ids = list(theme_ids)
        self.theme_head = theme_head
        self.thresholds = np.asarray(thresholds, np.float32)
        self.agency_ids = list(agency_ids)
        self.agency_head = agency_head
        self.agency_cutoff = float(agency_cutoff)
        self.config = dict(config)
        self.manifest = manifest or {}
        self.folder = folder
        self.taxonomy = taxonomy
        #: theme probability = blend · encoder + (1 − blend) · lexical (blend 1: encoder alone)
        self.lexical = lexical
        self.blend = float(blend) if lexical is not None else 1.0
        self.windowing = Windowing(tokenizer, self.config.get("max_seq_length", 128),
                                   self.config.get("window_stride", 32))
        self.batch_size = 8  # measured: 8 beats 4, 16 and 32 on 2 cores (less padding)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Tagger(folder={str(self.folder)!r}, themes={len(self.theme_ids)}, agencies={len(self.agency_ids)})"

    # ---- embeddings
    def embed(self, texts: Sequence[str], windows: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Mean-pooled embeddings of every window, and each window's text index."""
        import torch

        ids, owners = self.windowing.encode(list(texts), windows=windows)
        out = np.zeros((len(ids), self.net.dim), np.float32)
        if not ids:
            return out, np.asarray(owners, np.int64)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))  # little padding per batch
        with self._lock, torch.inference_mode():
            for s in range(0, len(order), self.batch_size):
                part = order[s:s + self.batch_size]
                input_ids, mask = pad_batch([ids[i] for i in part], self.windowing.pad)
                out[part] = self.net.embed(input_ids, mask).float().numpy()
        return out, np.asarray(owners, np.int64)

    def theme_proba(self, texts: Sequence[str], headings: Sequence[str | None] | None = None) -> np.ndarray:
        """(n, themes) probabilities: the encoder's (long texts: each theme's best window), blended
        with the lexical model's when the tagger has one."""
        out = self.encoder_theme_proba(texts, headings)
        if self.lexical is not None and self.blend < 1.0:
            out = self.blend * out + (1.0 - self.blend) * self.lexical.proba(list(texts))
        return out.astype(np.float32)

    def encoder_theme_proba(self, texts: Sequence[str], headings: Sequence[str | None] | None = None) -> np.ndarray:
        """(n, themes) probabilities of the fine-tuned encoder's head alone."""
        headings = headings or [None] * len(texts)
        inputs = [clause_input(t, h, bool(self.config.get("theme_heading"))) for t, h in zip(texts, headings)]
        windows = self.config.get("long_text", "windows") == "windows"
        emb, owners = self.embed(inputs, windows=windows)
        probs = self.theme_head.proba(emb)
        out = np.zeros((len(texts), len(self.theme_ids)), np.float32)
        if len(owners):
            np.maximum.at(out, owners, probs)
        return out

    def agency_proba(self, texts: Sequence[str], headings: Sequence[str | None]) -> np.ndarray:
        if self.agency_head is None or not texts:
            return np.zeros((len(texts), len(self.agency_ids)), np.float32)
        emb, _ = self.embed([clause_input(t, h, True) for t, h in zip(texts, headings)], windows=False)
        return self.agency_head.proba(emb)

    # ---- decisions
    def fallback_leads(self, probs: np.ndarray) -> list[str]:
        """Leads from the agency classifier (used only when the rules found none)."""
        if self.agency_head is None or self.agency_cutoff > 1.0:
            return []
        picked = [(self.agency_ids[j], p) for j, p in enumerate(probs) if p >= self.agency_cutoff]
        return [a for a, _ in sorted(picked, key=lambda t: -t[1])]

    def themes_with_rules(self, texts: Sequence[str], probs: np.ndarray,
                          subject: str | None = None) -> list[list[ThemeScore]]:
        """The model's themes plus the taxonomy's theme rules (cues, the letter subject's topics,
        and topic themes this model reads in the subject)."""
        subject_probs = None
        if subject and subject_input(subject):
            subject_probs = self.theme_proba([subject_input(subject)])[0]
        return with_rule_themes(texts, probs, self.theme_ids, self.thresholds, subject, subject_probs,
                                self.taxonomy)

    def tag_clauses(self, clauses: Sequence[Clause], subject: str | None = None) -> None:
        """Themes of every directive clause, plus model leads where the rules left none.
        ``subject``: the letter's subject, for the themes a whole letter is about."""
        directive = [c for c in clauses if c.kind == "directive"]
        for c in clauses:
            if c.kind != "directive":
                c.themes = []
        if not directive:
            return
        texts = [c.text for c in directive]
        probs = self.theme_proba(texts, [c.heading for c in directive])
        for c, themes in zip(directive, self.themes_with_rules(texts, probs, subject)):
            c.themes = themes
        no_lead = [c for c in directive if not c.agencies.lead]
        if no_lead and self.agency_head is not None and self.agency_cutoff <= 1.0:
            aprobs = self.agency_proba([c.text for c in no_lead], [c.heading for c in no_lead])
            for c, row in zip(no_lead, aprobs):
                leads = self.fallback_leads(row)
                if leads:
                    c.agencies.lead = leads
                    c.agencies.support = [a for a in c.agencies.support if a not in leads]

    def tag_letter(self, letter: Letter) -> Letter:
        self.tag_clauses(letter.clauses, letter.subject)
        return letter

    def predict_leads(self, texts: Sequence[str], headings: Sequence[str | None],
                      kinds: Sequence[str] | None = None, use_model: bool = True,
                      contexts: Sequence[dict] | None = None,
                      parsed: Sequence[list[str] | None] | None = None) -> list[list[str]]:
        """Lead agencies of dataset-style clauses: rules first, the model where they find none.
        ``contexts``: per clause ``{"central", "date", "commune"}`` of its letter (``inputs.doc_context``);
        ``parsed``: per clause the leads the parser already gave on the whole letter (real
        letters), used instead of the rules on text and heading (``None``: no parse)."""
        tax = self.taxonomy or load_taxonomy()
        kinds = kinds or ["directive"] * len(texts)
        ctxs = contexts or [{}] * len(texts)
        given = parsed or [None] * len(texts)
        leads = [([] if k != "directive" else list(g) if g is not None else rule_roles(t, h, tax, **c).lead)
                 for t, h, k, c, g in zip(texts, headings, kinds, ctxs, given)]
        if use_model:
            todo = [i for i, (k, lead) in enumerate(zip(kinds, leads)) if k == "directive" and not lead]
            if todo:
                probs = self.agency_proba([texts[i] for i in todo], [headings[i] for i in todo])
                for i, row in zip(todo, probs):
                    leads[i] = self.fallback_leads(row)
        return leads
