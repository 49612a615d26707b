"""The provisional theme tagger: the lexical model alone (TF-IDF + logistic regression).

Why it exists: fine-tuning the e5 tagger takes many minutes on a small CPU, but staff should get
themes from the first upload. This model fits in seconds on the shipped dataset, so it serves
until the fine-tuned tagger is trained (in the background) and swapped in. Its output is marked
provisional wherever themes are shown. Agencies still come from the parser's rules (no model
fallback here: that needs the fine-tuned encoder).

**Folder** (``kind = "provisional-tagger"``, ``format_version`` 1; ``<models_dir>/tagger-provisional``)::

    manifest.json                          theme ids, thresholds, data hash, fit time, versions
    lexical_vocab.json lexical.safetensors the lexical model (no pickle)
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from congvan.letters.schema import Clause, Letter, ThemeScore
from congvan.models.artifacts import ArtifactError, read_manifest, write_manifest
from congvan.models.lexical import LexicalModel
from congvan.models.tagger.inputs import subject_input, with_rule_themes

__all__ = ["PROVISIONAL_FOLDER", "PROVISIONAL_KIND", "PROVISIONAL_VERSION", "ProvisionalTagger",
           "load_provisional", "provisional_dir", "write_provisional"]

PROVISIONAL_KIND = "provisional-tagger"
PROVISIONAL_VERSION = 1
PROVISIONAL_FOLDER = "tagger-provisional"


class ProvisionalTagger:
    """Themes from the lexical model with per-theme thresholds; same calls as ``Tagger``."""

    provisional = True

    def __init__(self, lexical: LexicalModel, theme_ids: Sequence[str], thresholds: np.ndarray,
                 manifest: dict[str, Any] | None = None, folder: Path | None = None) -> None:
        if lexical.n_labels != len(theme_ids):
            raise ValueError(f"lexical model has {lexical.n_labels} themes, expected {len(theme_ids)}")
        self.lexical = lexical
        self.theme_ids = list(theme_ids)
        self.thresholds = np.asarray(thresholds, np.float32)
        self.manifest = manifest or {}
        self.folder = folder

    def __repr__(self) -> str:
        return f"ProvisionalTagger(folder={str(self.folder)!r}, themes={len(self.theme_ids)})"

    def theme_proba(self, texts: Sequence[str], headings: Sequence[str | None] | None = None) -> np.ndarray:
        return self.lexical.proba(list(texts))

    def themes_with_rules(self, texts: Sequence[str], probs: np.ndarray,
                          subject: str | None = None) -> list[list[ThemeScore]]:
        """The model's themes plus the taxonomy's theme rules (as ``Tagger.themes_with_rules``)."""
        subject_probs = self.theme_proba([subject_input(subject)])[0] if subject and subject_input(subject) else None
        return with_rule_themes(texts, probs, self.theme_ids, self.thresholds, subject, subject_probs)

    def tag_clauses(self, clauses: Sequence[Clause], subject: str | None = None) -> None:
        """Themes of every directive clause (others get none); agencies are left to the rules."""
        directive = [c for c in clauses if c.kind == "directive"]
        for c in clauses:
            if c.kind != "directive":
                c.themes = []
        if not directive:
            return
        texts = [c.text for c in directive]
        for c, themes in zip(directive, self.themes_with_rules(texts, self.theme_proba(texts), subject)):
            c.themes = themes

    def tag_letter(self, letter: Letter) -> Letter:
        self.tag_clauses(letter.clauses, letter.subject)
        return letter


def provisional_dir(models_dir: Path) -> Path:
    """``<models_dir>/tagger-provisional``."""
    return Path(models_dir) / PROVISIONAL_FOLDER


def write_provisional(folder: Path, tagger: ProvisionalTagger, **fields: Any) -> dict[str, Any]:
    """Write the model files and the manifest into ``folder`` (an ``atomic_folder`` temp dir)."""
    from congvan.models.artifacts import library_versions

    entry = tagger.lexical.save(Path(folder))
    return write_manifest(
        Path(folder), kind=PROVISIONAL_KIND, format_version=PROVISIONAL_VERSION,
        theme_ids=tagger.theme_ids,
        thresholds={t: round(float(x), 4) for t, x in zip(tagger.theme_ids, tagger.thresholds)},
        lexical=entry, library_versions=library_versions("scikit-learn", "safetensors"), **fields)


def load_provisional(folder: Path) -> ProvisionalTagger:
    """Load what ``write_provisional`` wrote; ``ArtifactError`` says how to rebuild it."""
    folder = Path(folder)
    manifest = read_manifest(folder, kind=PROVISIONAL_KIND, format_version=PROVISIONAL_VERSION)
    try:
        lexical = LexicalModel.load(folder, manifest.get("lexical"))
        theme_ids = list(manifest["theme_ids"])
        thresholds = np.asarray([manifest["thresholds"][t] for t in theme_ids], np.float32)
        return ProvisionalTagger(lexical, theme_ids, thresholds, manifest, folder)
    except (ValueError, KeyError) as exc:
        raise ArtifactError(f"{folder}: provisional tagger unreadable ({exc}); delete the folder, "
                            f"congvan rebuilds it in seconds.") from exc
