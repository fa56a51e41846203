"""One settings object for the whole tool.

Values come from (highest first) command-line flags, ``CHARTA_*`` environment
variables, then the defaults below. Paths default to folders of the checkout, so the
commands work from any working directory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from common.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent

DEFAULT_MODEL = "intfloat/multilingual-e5-small"
BUNDLED_MODEL = "sentence-transformers/all-MiniLM-L6-v2"

FUSION_METHODS = ("rrf", "score")


@dataclass(frozen=True)
class PassageSettings:
    """How documents are cut into passages; recorded in the index."""

    max_tokens: int = 128
    overlap_tokens: int = 32
    min_tokens: int = 40

    def as_dict(self) -> dict[str, int]:
        return {"max_tokens": self.max_tokens, "overlap_tokens": self.overlap_tokens,
                "min_tokens": self.min_tokens}


@dataclass(frozen=True)
class FusionSettings:
    """Hybrid fusion; the defaults were chosen with ``python -m eval --sweep``."""

    method: str = "rrf"
    bm25_weight: float = 1.0
    dense_weight: float = 0.25
    # The BM25 analysis is German; for English questions the (English-trained) dense
    # model carries more of the weight.
    dense_weight_en: float = 0.5
    # The dense model over the English gloss of passages and question (index/gloss.py);
    # an English question is compared with the glossed passages as it is, and that
    # ranking leads for English questions.
    gloss_weight: float = 0.5
    gloss_weight_en: float = 2.0
    # Weight shared by a German query word's synonyms in BM25 (index/synonyms.py).
    synonym_weight: float = 0.75
    rrf_k: int = 30


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = PROJECT_ROOT / "corpus"
    index_dir: Path = PROJECT_ROOT / "data" / "index"
    # None means "the default": multilingual-e5-small when available, else the bundled model.
    model: str | None = None
    passages: PassageSettings = field(default_factory=PassageSettings)
    fusion: FusionSettings = field(default_factory=FusionSettings)
    # Above this many passages the dense index is HNSW instead of exact search.
    hnsw_threshold: int = 20_000
    # Limits for a single input document.
    max_file_mb: float = 200.0
    max_pages: int = 2_000
    parse_timeout_s: float = 120.0
    # Candidates each retriever contributes to fusion.
    candidates: int = 100

    def with_overrides(self, **overrides: Any) -> Settings:
        """Return a copy with every override that is not None applied."""
        clean = {k: v for k, v in overrides.items() if v is not None}
        for key in ("corpus_dir", "index_dir"):
            if key in clean:
                clean[key] = Path(clean[key]).expanduser().resolve()
        return replace(self, **clean)


_ENV = {
    "CHARTA_CORPUS_DIR": ("corpus_dir", str),
    "CHARTA_INDEX_DIR": ("index_dir", str),
    "CHARTA_MODEL": ("model", str),
    "CHARTA_HNSW_THRESHOLD": ("hnsw_threshold", int),
    "CHARTA_MAX_FILE_MB": ("max_file_mb", float),
    "CHARTA_MAX_PAGES": ("max_pages", int),
    "CHARTA_PARSE_TIMEOUT": ("parse_timeout_s", float),
}

# Fusion weights, chosen for the bundled model; with another model, measure with
# ``python -m eval --sweep`` and set them here (e.g. CHARTA_GLOSS_WEIGHT=0).
_FUSION_ENV = {
    "CHARTA_FUSION": ("method", str),
    "CHARTA_BM25_WEIGHT": ("bm25_weight", float),
    "CHARTA_DENSE_WEIGHT": ("dense_weight", float),
    "CHARTA_DENSE_WEIGHT_EN": ("dense_weight_en", float),
    "CHARTA_GLOSS_WEIGHT": ("gloss_weight", float),
    "CHARTA_GLOSS_WEIGHT_EN": ("gloss_weight_en", float),
    "CHARTA_SYNONYM_WEIGHT": ("synonym_weight", float),
    "CHARTA_RRF_K": ("rrf_k", int),
}


def load_settings(env: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Build the settings from ``CHARTA_*`` variables and explicit overrides.

    >>> load_settings({"CHARTA_MAX_PAGES": "10"}).max_pages
    10
    """
    env = os.environ if env is None else env
    values = _from_env(env, _ENV)
    fusion = _from_env(env, _FUSION_ENV)
    if fusion:
        values["fusion"] = replace(FusionSettings(), **fusion)
    values.update({k: v for k, v in overrides.items() if v is not None})
    known = {f.name for f in fields(Settings)}
    unknown = set(values) - known
    if unknown:
        raise ConfigError(f"unknown settings {sorted(unknown)}; allowed: {sorted(known)}")
    settings = Settings().with_overrides(**values)
    _validate(settings)
    return settings


def _from_env(env: dict[str, str], table: dict[str, tuple[str, type]]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for var, (name, cast) in table.items():
        raw = env.get(var)
        if raw is None or raw.strip() == "":
            continue
        try:
            values[name] = cast(raw.strip())
        except ValueError:
            raise ConfigError(
                f"{var}={raw!r} is not a valid {cast.__name__}") from None
    return values


def _validate(s: Settings) -> None:
    if s.fusion.method not in FUSION_METHODS:
        raise ConfigError(
            f"fusion method {s.fusion.method!r} is not one of {list(FUSION_METHODS)}")
    f = s.fusion
    for name in ("bm25_weight", "dense_weight", "dense_weight_en", "gloss_weight",
                 "gloss_weight_en", "synonym_weight"):
        if getattr(f, name) < 0:
            raise ConfigError(f"{name}={getattr(f, name)} must be >= 0")
    if f.rrf_k < 1:
        raise ConfigError(f"rrf_k={f.rrf_k} must be at least 1")
    p = s.passages
    if not 16 <= p.max_tokens <= 512:
        raise ConfigError(f"max_tokens={p.max_tokens} must be between 16 and 512")
    if not 0 <= p.overlap_tokens < p.max_tokens // 2:
        raise ConfigError(
            f"overlap_tokens={p.overlap_tokens} must be >= 0 and < max_tokens/2")
    for name in ("max_pages", "hnsw_threshold", "candidates"):
        if getattr(s, name) <= 0:
            raise ConfigError(f"{name}={getattr(s, name)} must be positive")
    if s.max_file_mb <= 0 or s.parse_timeout_s <= 0:
        raise ConfigError("max_file_mb and parse_timeout_s must be positive")
