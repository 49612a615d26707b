"""The clause tagger that serving loads: themes from a fine-tuned e5 model, agencies from the
parser's rules with a model fallback.

**Themes.** A copy of the project's ``multilingual-e5-small`` fine-tuned for multi-label
classification (``training/train.py``): mean-pooled token states of ``"passage: " + clause``
→ a linear head → one sigmoid per theme → the theme is given when its probability reaches the
theme's own threshold (tuned on the dev split). Clauses longer than ``max_seq_length`` tokens are
read as overlapping windows and each theme takes its best window. Only ``directive`` clauses are
tagged (preambles and closings carry no themes). ``Clause.themes`` lists the themes above their
thresholds, highest score first.

**Agencies.** The parser's rules (``letters.agencies``: "chủ trì" → lead, "phối hợp" → support,
inheritance from the heading, several leads, cited issuers excluded) decide first. Only where they
find no lead at all — implicit wording such as an unnumbered paragraph of a letter addressed to
many bodies — a multi-label agency classifier (logistic regression on the fine-tuned embedding of
heading + text) fills in the leads whose probability reaches one cut-off tuned on dev.

**Blend.** The encoder's theme probabilities are averaged with those of a small lexical model
(``models.lexical``: TF-IDF + logistic regression) with the weight ``blend`` chosen on dev; the
thresholds are tuned on the blended probabilities. ``blend`` 1 (or a v1 folder) = encoder alone.

**Folder** (``write_tagger_folder``; ``kind = "tagger"``, ``format_version`` 2; v1 still read)::

    manifest.json          config, labels, thresholds, blend, metrics, data hash, base model, versions
    encoder_delta.safetensors   the encoder weights that training changed (the frozen word
                           embeddings are *not* copied: they are read from the base model)
    heads.safetensors      theme head and agency head (weight, bias)
    lexical_vocab.json lexical.safetensors   the lexical model (when blend < 1)
    metrics.json report.md command.txt     written by ``congvan train``

Modules: ``inputs`` (clause text → token windows), ``network`` (the encoder and its base folder),
``core`` (the loaded ``Tagger``), ``files`` (folder I/O). Which tagger the service uses, and
training one when there is none, belong to the service (``congvan.service.tagging``).
"""
from congvan.models.tagger.core import Head, Tagger
from congvan.models.tagger.files import (
    DEFAULT_FOLDER,
    FORMAT_VERSION,
    KIND,
    READABLE_VERSIONS,
    RUNS_FOLDER,
    default_tagger_dir,
    load_tagger,
    read_tagger_manifest,
    runs_dir,
    write_tagger_folder,
)
from congvan.models.tagger.inputs import (
    HEADING_SEP,
    Windowing,
    clause_input,
    doc_context,
    pad_batch,
    rule_roles,
)
from congvan.models.tagger.network import (
    TaggerNet,
    load_base_encoder,
    quantize_lower_layers,
    resolve_base,
)

__all__ = [
    "DEFAULT_FOLDER", "FORMAT_VERSION", "HEADING_SEP", "KIND", "READABLE_VERSIONS", "RUNS_FOLDER", "Head",
    "Tagger", "TaggerNet", "Windowing", "clause_input", "default_tagger_dir", "doc_context", "load_base_encoder",
    "load_tagger", "pad_batch", "quantize_lower_layers", "read_tagger_manifest", "resolve_base",
    "rule_roles", "runs_dir", "write_tagger_folder",
]
