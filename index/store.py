"""The persisted index: a self-describing folder of plain files, swapped in atomically.

Layout of ``index_dir``::

    CURRENT                     name of the live generation (replaced atomically)
    .lock                       held by a running build
    gen-<time>-<rand>/          one complete index
        manifest.json           format version, model, analyser, fusion, documents
        passages.jsonl          one passage per line, row i = vector i
        embeddings.npy          float32, L2-normalised, one row per passage
        dense.faiss             FAISS index over the embeddings (flat, or IVF with 8-bit codes)
        passages.offsets.npy    int64, byte offset of each passages.jsonl line, then its size
        passages.columns.npy    int32 per passage: section code, first and end sentence row
        passages.sections.json  the section paths the codes name
        sentences.jsonl         every sentence of every document, in reading order
        sentences.offsets.npy   int64, byte offset of each sentences.jsonl line, then its size
        sentences.columns.npy   int32 per sentence: its section index in the document
        sentence_embeddings.npy float32, L2-normalised, one row per sentence
        sentence_dense.faiss    FAISS index over the sentence embeddings
        bm25/                   bm25s index (JSON + .npy)
        documents.jsonl         per document: cleaned page texts and the section tree

:func:`write_generation` and :func:`load_stored` are the two halves of the format;
change them together. A build writes a new generation next to the live one and then
replaces ``CURRENT``; a crash or ``kill -9`` at any moment leaves the previous
generation live. No pickle.

Opening reads no row of ``passages.jsonl`` or ``sentences.jsonl``: they are read one by
one when asked for (:class:`index.table.LazyRows`), the vectors and FAISS indexes are
memory-mapped, and what filters and the sentence ranking need of every row is in the
``*.offsets.npy`` / ``*.columns.npy`` files. Those are additive: a generation written
without them (before they existed) is read by one scan at open, with the same results.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from common.errors import IndexLockedError, IndexMismatchError, IndexNotFoundError
from index.embed import ModelSpec
from index.fusion import FusionProfile
from index.retrievers import BM25, DENSE_KINDS, Dense
from index.table import DAMAGE, REBUILD_HINT, LazyRows, RowGroups, damaged, map_vectors, write_jsonl_offsets
from ingest.passages import Passage, Sentence

FORMAT_NAME = "charta-lotse-index"
# 4: documents name their PDF relative to the corpus folder ("pdf_path"); version 3 held
# an absolute "source_path", still read (a build then stores the relative form).
# 5: pages read by OCR: "ocr_pages" in the manifest, "ocr" and "words" (the boxes the
# source view marks) in documents.jsonl. Versions 3 and 4 have none and are read as they
# are; an older Charta-Lotse refuses version 5, whose OCR pages it would cite as text.
FORMAT_VERSION = 5
READABLE_VERSIONS = (3, 4, 5)
CURRENT = "CURRENT"
LOCK = ".lock"
MANIFEST = "manifest.json"
PASSAGES = "passages.jsonl"
EMBEDDINGS = "embeddings.npy"
DENSE = "dense.faiss"
SENTENCES = "sentences.jsonl"
PASSAGE_OFFSETS = "passages.offsets.npy"
PASSAGE_COLUMNS = "passages.columns.npy"
PASSAGE_SECTIONS = "passages.sections.json"
SENTENCE_OFFSETS = "sentences.offsets.npy"
SENTENCE_COLUMNS = "sentences.columns.npy"
SENTENCE_EMBEDDINGS = "sentence_embeddings.npy"
SENTENCE_DENSE = "sentence_dense.faiss"
BM25_DIR = "bm25"
DOCUMENTS = "documents.jsonl"

log = logging.getLogger(__name__)


@dataclass
class Manifest:
    """What an index generation says about itself (``manifest.json``)."""

    model: ModelSpec
    dimension: int
    max_tokens: int
    passage_settings: dict[str, int]
    analyzer: str  # hash of the BM25 analysis (text/analysis.py and its word data)
    dense_kind: str  # "flat" or "ivf" (retrievers.DENSE_KINDS)
    fusion: FusionProfile
    documents: list[dict[str, Any]]
    passages: int = 0
    sentences: int = 0
    sentence_dense_kind: str = "flat"
    # IVF only: lists, codes, nprobe and the recall@10 measured at build time
    # (index/retrievers.py); empty for flat indexes.
    dense_params: dict[str, Any] = field(default_factory=dict)
    sentence_dense_params: dict[str, Any] = field(default_factory=dict)
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "created": self.created,
            "model": {**self.model.as_dict(), "dimension": self.dimension, "max_tokens": self.max_tokens},
            "passage_settings": self.passage_settings,
            "analyzer": self.analyzer,
            "dense": _dense_entry(self.dense_kind, self.dense_params),
            "sentence_dense": _dense_entry(self.sentence_dense_kind, self.sentence_dense_params),
            "fusion": self.fusion.as_dict(),
            "counts": {"documents": len(self.documents), "passages": self.passages, "sentences": self.sentences},
            "documents": self.documents,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        return cls(
            model=ModelSpec.from_dict(data["model"]),
            dimension=int(data["model"]["dimension"]),
            max_tokens=int(data["model"]["max_tokens"]),
            passage_settings=dict(data["passage_settings"]),
            analyzer=str(data["analyzer"]),
            dense_kind=str(data["dense"]["kind"]),
            fusion=FusionProfile.from_dict(data["fusion"]),
            documents=list(data["documents"]),
            passages=int(data["counts"]["passages"]),
            sentences=int(data["counts"]["sentences"]),
            sentence_dense_kind=str(data["sentence_dense"]["kind"]),
            dense_params=dict(data["dense"].get("ivf", {})),
            sentence_dense_params=dict(data["sentence_dense"].get("ivf", {})),
            created=str(data["created"]),
        )


def _dense_entry(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"kind": kind, "metric": "inner_product", "normalized": True}
    if params:
        entry[kind] = params
    return entry


@dataclass
class Columns:
    """What searches need of every passage and sentence, as arrays (no row parsed).

    ``passage_section[i]`` indexes :attr:`sections` (passage ``i``'s section path);
    ``passage_sentences[i]`` is ``[first, end)``, the rows in the generation's sentence
    list of the sentences passage ``i`` holds; ``sentence_section[r]`` is sentence
    ``r``'s section index within its document.
    """

    sections: list[str]
    passage_section: np.ndarray
    passage_sentences: np.ndarray
    sentence_section: np.ndarray

    @classmethod
    def of(cls, passages: Sequence[Passage], sentences: Sequence[Sentence], documents: list[dict[str, Any]]) -> Columns:
        """Computed from the rows (one pass over each; at build time, or for an older
        generation that lacks the column files)."""
        base = {d["doc_id"]: int(d["sentence_row_start"]) for d in documents}
        code: dict[str, int] = {}
        section = np.zeros(len(passages), dtype=np.int32)
        ranges = np.zeros((len(passages), 2), dtype=np.int32)
        for i, p in enumerate(passages):
            section[i] = code.setdefault(p.section, len(code))
            b = base[p.doc_id]
            ranges[i] = (b + p.sentences[0], b + p.sentences[1])
        sentence_section = np.fromiter((s.section_idx for s in sentences), dtype=np.int32, count=len(sentences))
        return cls(list(code), section, ranges, sentence_section)

    def save(self, gen: Path) -> None:
        np.save(gen / PASSAGE_COLUMNS, np.column_stack((self.passage_section, self.passage_sentences)))
        np.save(gen / SENTENCE_COLUMNS, self.sentence_section)
        (gen / PASSAGE_SECTIONS).write_text(json.dumps(self.sections, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, gen: Path, passages: int, sentences: int) -> Columns | None:
        """The saved columns, or None if a generation has none (or not for these rows)."""
        try:
            table = np.load(gen / PASSAGE_COLUMNS, allow_pickle=False)
            sentence_section = np.load(gen / SENTENCE_COLUMNS, allow_pickle=False)
            sections = json.loads((gen / PASSAGE_SECTIONS).read_text(encoding="utf-8"))
        except (OSError, ValueError, EOFError):
            return None
        if table.shape != (passages, 3) or sentence_section.shape != (sentences,):
            return None
        return cls(sections, table[:, 0].copy(), table[:, 1:].copy(), sentence_section)

    def section_rows(self) -> RowGroups:
        """Passage rows per section code (for the section filter)."""
        return RowGroups.from_labels(self.passage_section, len(self.sections))

    def sentence_passages(self) -> RowGroups:
        """Passage rows per sentence row: one, or two where passages overlap."""
        first, last = self.passage_sentences[:, 0], self.passage_sentences[:, 1]
        return RowGroups.from_ranges(first, last, len(self.sentence_section))


@dataclass
class StoredIndex:
    """Everything of an index generation except the retrievers.

    ``passages`` and ``sentences`` are lists when built in memory and
    :class:`~index.table.LazyRows` when opened; the embeddings are memory-mapped then.
    """

    path: Path
    manifest: Manifest
    passages: Sequence[Passage]
    embeddings: np.ndarray
    sentences: Sequence[Sentence]
    sentence_embeddings: np.ndarray
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    columns: Columns | None = None

    def __post_init__(self) -> None:
        if self.columns is None:
            self.columns = Columns.of(self.passages, self.sentences, self.manifest.documents)

    @property
    def model_spec(self) -> ModelSpec:
        return self.manifest.model

    @property
    def model_id(self) -> str:
        return self.model_spec.describe()

    @property
    def generation(self) -> str:
        return self.path.name


def current_generation(index_dir: Path) -> Path:
    """The live generation folder; raises if there is none."""
    pointer = index_dir / CURRENT
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise IndexNotFoundError(f"no index in {index_dir}; build it with: python -m ingest") from None
    except (OSError, ValueError) as exc:
        raise damaged(pointer, exc) from None
    gen = index_dir / name
    if not name or "/" in name or not (gen / MANIFEST).is_file():
        raise IndexNotFoundError(f"{pointer} names a missing generation {name!r}; rebuild with: {REBUILD_HINT}")
    return gen


def read_manifest(gen: Path) -> Manifest:
    """The manifest of a generation; a different format or version is refused."""
    try:
        data = json.loads((gen / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexMismatchError(f"{gen / MANIFEST} is unreadable ({exc}); rebuild with: {REBUILD_HINT}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise IndexMismatchError(f"{gen} is not a Charta-Lotse index; rebuild with: {REBUILD_HINT}")
    version = data.get("format_version")
    if version not in READABLE_VERSIONS:
        raise IndexMismatchError(
            f"index {gen} has format version {version}, this version of Charta-Lotse reads "
            f"version {FORMAT_VERSION}; rebuild it with: {REBUILD_HINT}"
        )
    try:
        if version == 3:
            for d in data["documents"]:
                if "source_path" in d:
                    d["pdf_path"] = d.pop("source_path")
        manifest = Manifest.from_json(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise IndexMismatchError(f"{gen / MANIFEST} lacks or mangles {exc}; rebuild with: {REBUILD_HINT}") from None
    texts = ("doc_id", "file", "title")
    if not isinstance(manifest.documents, list) or not all(
        isinstance(d, dict) and all(isinstance(d.get(k, ""), str) for k in texts) and d.get("doc_id")
        for d in manifest.documents
    ):
        raise IndexMismatchError(f"{gen / MANIFEST} mangles its document entries; rebuild with: {REBUILD_HINT}")
    for kind, params in (
        (manifest.dense_kind, manifest.dense_params),
        (manifest.sentence_dense_kind, manifest.sentence_dense_params),
    ):
        if kind not in DENSE_KINDS:
            # "hnsw": indexes of 20 000 passages and more built before IVF replaced it.
            raise IndexMismatchError(
                f"index {gen} has vector index kind {kind!r}, this version of Charta-Lotse reads "
                f"{' or '.join(DENSE_KINDS)}; rebuild it with: {REBUILD_HINT}"
            )
        if kind == "ivf" and not isinstance(params.get("nprobe"), int):
            raise IndexMismatchError(f"{gen / MANIFEST} names no IVF nprobe; rebuild with: {REBUILD_HINT}")
    return manifest


def write_generation(
    index_dir: Path,
    manifest: Manifest,
    passages: Sequence[Passage],
    embeddings: np.ndarray,
    sentences: Sequence[Sentence],
    sentence_embeddings: np.ndarray,
    documents: list[dict[str, Any]],
    ivf_threshold: int,
) -> Path:
    """Write a complete generation and make it live; returns its folder.

    Raises OSError (or FAISS's RuntimeError) on a failed write; the caller turns that
    into :class:`IndexWriteError` after :func:`discard`.
    """
    manifest.passages, manifest.sentences = len(passages), len(sentences)
    gen = new_generation(index_dir)
    try:
        manifest.dense_kind, manifest.dense_params = _write_dense(embeddings, gen / DENSE, ivf_threshold)
        manifest.sentence_dense_kind, manifest.sentence_dense_params = _write_dense(
            sentence_embeddings, gen / SENTENCE_DENSE, ivf_threshold
        )
        np.save(gen / PASSAGE_OFFSETS, write_jsonl_offsets(gen / PASSAGES, (p.as_dict() for p in passages)))
        np.save(gen / SENTENCE_OFFSETS, write_jsonl_offsets(gen / SENTENCES, (s.as_dict() for s in sentences)))
        Columns.of(passages, sentences, manifest.documents).save(gen)
        write_jsonl(gen / DOCUMENTS, documents)
        np.save(gen / EMBEDDINGS, embeddings, allow_pickle=False)
        np.save(gen / SENTENCE_EMBEDDINGS, sentence_embeddings, allow_pickle=False)
        if passages:
            BM25.build(passages).save(gen / BM25_DIR)
        # The manifest goes last, renamed into place whole: a generation without one
        # is incomplete by definition.
        tmp = gen / (MANIFEST + ".part")
        tmp.write_text(json.dumps(manifest.to_json(), ensure_ascii=False, indent=2), encoding="utf-8")
        tmp.replace(gen / MANIFEST)
        publish(index_dir, gen)
    except BaseException:
        if current_generation_name(index_dir) != gen.name:
            discard(index_dir, gen)
        raise
    return gen


def _write_dense(vectors: np.ndarray, path: Path, ivf_threshold: int) -> tuple[str, dict[str, Any]]:
    """Build and write one vector index; returns its kind and parameters. The index is let
    go before the next is built: at a million passages the two hold 1.5 GB of codes, on
    top of the vectors themselves."""
    dense = Dense.build(vectors, ivf_threshold)
    dense.save(path)
    return dense.kind, dense.params


def source_entry(path: Path, corpus_dir: Path) -> str:
    """How the manifest names a document's PDF: relative to the corpus folder, so the
    corpus can move (``CHARTA_CORPUS_DIR`` then names its new place); absolute for a
    PDF indexed from elsewhere.

    >>> source_entry(Path("/srv/corpus/leitfaden/daten.pdf"), Path("/srv/corpus"))
    'leitfaden/daten.pdf'
    >>> source_entry(Path("/tmp/eingang/daten.pdf"), Path("/srv/corpus"))
    '/tmp/eingang/daten.pdf'
    """
    path, corpus_dir = Path(path).resolve(), Path(corpus_dir).resolve()
    return path.relative_to(corpus_dir).as_posix() if path.is_relative_to(corpus_dir) else str(path)


def source_path(entry: dict[str, Any], corpus_dir: Path) -> Path | None:
    """Where the PDF of a manifest entry is, with the corpus folder at ``corpus_dir``.

    >>> source_path({"pdf_path": "leitfaden/daten.pdf"}, Path("/mnt/neu/corpus"))
    PosixPath('/mnt/neu/corpus/leitfaden/daten.pdf')
    """
    source = entry.get("pdf_path")
    return Path(corpus_dir) / source if source else None


@contextlib.contextmanager
def reading(path: Path) -> Iterator[None]:
    """Turn an error reading ``path``, a file of the index, into the one-line refusal
    with the rebuild command (a damaged or tampered file, not a traceback)."""
    try:
        yield
    except DAMAGE as exc:
        raise damaged(path, exc) from None


def served_path(entry: dict[str, Any], corpus_dir: Path, gen: Path) -> Path | None:
    """The PDF of a manifest entry that the app may serve: only one in the corpus folder.

    A build writes a path relative to the corpus, or an absolute one for a PDF indexed
    from elsewhere (that one is searchable, its PDF is not served). A relative path
    that climbs out (``../``) no build writes: the index is refused.

    >>> served_path({"pdf_path": "leitfaden/daten.pdf"}, Path("/srv/corpus"), Path("g"))
    PosixPath('/srv/corpus/leitfaden/daten.pdf')
    >>> served_path({"pdf_path": "/etc/passwd"}, Path("/srv/corpus"), Path("g")) is None
    True
    >>> served_path({"pdf_path": "../../etc/passwd"}, Path("/srv/corpus"), Path("g"))
    Traceback (most recent call last):
    common.errors.IndexMismatchError: g/manifest.json names a PDF outside the corpus folder (../../etc/passwd); ...
    """
    source = entry.get("pdf_path")
    if source is None:
        return None
    if not isinstance(source, str) or "\0" in source or (".." in Path(source).parts and not Path(source).is_absolute()):
        named = str(source)[:80].replace("\0", "\\0")
        raise IndexMismatchError(
            f"{gen / MANIFEST} names a PDF outside the corpus folder ({named}); rebuild with: {REBUILD_HINT}"
        )
    corpus = Path(corpus_dir).resolve()
    path = (corpus / source).resolve()
    if not path.is_relative_to(corpus):
        log.warning("%s: its PDF is outside the corpus folder %s and is not served", entry.get("file"), corpus)
        return None
    return path


def load_stored(index_dir: Path, corpus_dir: Path | None = None, scattered: bool = True) -> StoredIndex:
    """Open the live generation: manifest and documents read, passages and sentences as
    rows read on demand, vectors memory-mapped (for scattered rows, as searches read them;
    ``scattered=False`` for a build that copies whole documents, :func:`map_vectors`).

    With ``corpus_dir``, every document entry also gets ``source_path``: the absolute
    path of its PDF in that corpus folder (what the app serves).
    """
    gen = current_generation(index_dir)
    manifest = read_manifest(gen)
    for entry in manifest.documents:
        where = served_path(entry, corpus_dir, gen) if corpus_dir is not None else None
        if where is not None:
            entry["source_path"] = str(where)
    with reading(gen / PASSAGES):
        passages = LazyRows(gen / PASSAGES, _offsets(gen / PASSAGE_OFFSETS), Passage.from_dict)
    with reading(gen / SENTENCES):
        sentences = LazyRows(gen / SENTENCES, _offsets(gen / SENTENCE_OFFSETS), Sentence.from_dict)
    for table in (passages, sentences):
        if len(table):  # a damaged file is refused now, not at the first question that reads it
            _ = (table[0], table[len(table) - 1])
    # Memory-mapped: pages are read when a row is used (a hit's score, a sentence to quote),
    # and they are the page cache's, not the process's, to keep.
    with reading(gen / EMBEDDINGS):
        embeddings = map_vectors(gen / EMBEDDINGS, scattered)
    with reading(gen / SENTENCE_EMBEDDINGS):
        sentence_embeddings = map_vectors(gen / SENTENCE_EMBEDDINGS, scattered)
    dim = manifest.dimension
    for name, array, rows in (
        ("embeddings", embeddings, len(passages)),
        ("sentence_embeddings", sentence_embeddings, len(sentences)),
    ):
        if array.shape != (rows, dim):
            raise IndexMismatchError(
                f"index {gen} is inconsistent ({array.shape} {name} for {rows} rows of "
                f"dimension {dim}); rebuild with: {REBUILD_HINT}"
            )
    _check_row_ranges(gen, manifest.documents, len(passages), len(sentences))
    columns = Columns.load(gen, len(passages), len(sentences))
    if columns is None:
        log.info("index %s has no column files (written before they existed); reading every row once", gen.name)
        try:
            columns = Columns.of(passages, sentences, manifest.documents)
        except KeyError as exc:
            raise IndexMismatchError(
                f"index {gen} has passages of a document its manifest lacks ({exc}); rebuild with: {REBUILD_HINT}"
            ) from None
    with reading(gen / DOCUMENTS):
        documents = {d["doc_id"]: d for d in read_jsonl(gen / DOCUMENTS)}
    if documents.keys() != {d["doc_id"] for d in manifest.documents}:
        raise IndexMismatchError(
            f"{gen / DOCUMENTS} does not list the manifest's documents; rebuild with: {REBUILD_HINT}"
        )
    return StoredIndex(gen, manifest, passages, embeddings, sentences, sentence_embeddings, documents, columns)


def _offsets(path: Path) -> np.ndarray | None:
    """Saved line offsets, or None (older generations: :class:`LazyRows` scans the file)."""
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None


def _check_row_ranges(gen: Path, documents: list[dict[str, Any]], passages: int, sentences: int) -> None:
    """Document filters take a document's rows from the manifest, so its row ranges must
    tile the passages and the sentences exactly."""
    ranges = (("row_start", "row_end", passages), ("sentence_row_start", "sentence_row_end", sentences))
    for start, end, total in ranges:
        try:
            spans = sorted((int(d[start]), int(d[end])) for d in documents)
        except (KeyError, TypeError, ValueError) as exc:
            raise IndexMismatchError(f"{gen / MANIFEST} lacks or mangles {exc}; rebuild with: {REBUILD_HINT}") from None
        edges = [0] + [b for _, b in spans]
        if any(a != edge or b < a for (a, b), edge in zip(spans, edges)) or edges[-1] != total:
            raise IndexMismatchError(
                f"index {gen}: the documents' {start}/{end} in the manifest do not cover its {total} rows; "
                f"rebuild with: {REBUILD_HINT}"
            )


def current_generation_name(index_dir: Path) -> str | None:
    try:
        return current_generation(index_dir).name
    except IndexNotFoundError:
        return None


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def new_generation(index_dir: Path) -> Path:
    """A fresh, empty generation folder; call under :func:`build_lock`.

    Leftovers of interrupted builds (``kill -9``, a full disk) go first, so they
    never pile up and the space they hold is free for this build.
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    prune(index_dir)
    # Microseconds keep names in build order (prune relies on it) within one second.
    now = time.time()
    stamp = time.strftime("%Y%m%dT%H%M%S", time.localtime(now)) + f"{now % 1:.6f}"[1:]
    gen = index_dir / f"gen-{stamp}-{uuid.uuid4().hex[:6]}"
    gen.mkdir()
    return gen


def _fsync_tree(folder: Path) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            with path.open("rb") as fh:
                os.fsync(fh.fileno())
    for d in [folder, *[p for p in folder.rglob("*") if p.is_dir()]]:
        _fsync_dir(d)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(index_dir: Path, gen: Path, keep: int = 2) -> None:
    """Make ``gen`` the live generation atomically, then prune old ones.

    The previous generation is kept (``keep=2``) so that a running app that still
    reads it is not pulled out from under a request.
    """
    _fsync_tree(gen)
    tmp = index_dir / f".{CURRENT}.{uuid.uuid4().hex[:6]}"
    tmp.write_text(gen.name + "\n", encoding="utf-8")
    with tmp.open("rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, index_dir / CURRENT)
    # From here on the new generation is live: a failure to tidy up is not a failed build.
    try:
        _fsync_dir(index_dir)
        prune(index_dir, keep=keep)
    except OSError as exc:
        log.warning("index %s published, but tidying up failed: %s", gen.name, exc)


def discard(index_dir: Path, gen: Path) -> None:
    """Delete an unpublished generation (after a failed write); never the live one."""
    try:
        live = current_generation(index_dir).name
    except IndexNotFoundError:
        live = None
    if gen.name != live:
        shutil.rmtree(gen, ignore_errors=True)


def clean_interrupted(index_dir: Path) -> list[str]:
    """Delete what builds killed mid-write (``kill -9``, a power cut) left behind: generation
    folders without a manifest and temporary ``CURRENT`` files; returns their names.

    Call under :func:`build_lock` only: the folder of a running build has no manifest yet
    either. Complete generations are left to :func:`prune`.
    """
    gone = []
    for g in index_dir.glob("gen-*"):
        if g.is_dir() and not (g / MANIFEST).is_file():
            shutil.rmtree(g, ignore_errors=True)
            gone.append(g.name)
    for tmp in index_dir.glob(f".{CURRENT}.*"):
        with contextlib.suppress(OSError):
            tmp.unlink()
            gone.append(tmp.name)
    if gone:
        log.info("removed the remains of an interrupted build in %s: %s", index_dir, ", ".join(sorted(gone)))
    return gone


def clean_if_idle(index_dir: Path) -> None:
    """:func:`clean_interrupted` when no build is running; otherwise leave everything as it
    is (for read-only commands such as ``ingest status``, which never wait)."""
    # The lock only when there is something to remove: held for nothing, it could turn
    # away a build that starts at that moment.
    unfinished = any(g.is_dir() and not (g / MANIFEST).is_file() for g in index_dir.glob("gen-*"))
    if not unfinished and not any(index_dir.glob(f".{CURRENT}.*")):
        return
    try:
        with build_lock(index_dir):
            clean_interrupted(index_dir)
    except (IndexLockedError, OSError):  # a build runs, or the folder is read-only
        pass


def prune(index_dir: Path, keep: int = 2) -> None:
    """Delete generations other than the newest ``keep`` that include the live one,
    and leftovers of interrupted builds."""
    try:
        live = current_generation(index_dir).name
    except IndexNotFoundError:
        live = None
    gens = sorted((p for p in index_dir.glob("gen-*") if p.is_dir()), key=lambda p: p.name)
    complete = [g for g in gens if (g / "manifest.json").is_file() and g.name <= (live or "")]
    keepers = {live} | {g.name for g in complete[-keep:]}
    for g in gens:
        if g.name not in keepers:
            shutil.rmtree(g, ignore_errors=True)
    for tmp in index_dir.glob(f".{CURRENT}.*"):
        with contextlib.suppress(OSError):
            tmp.unlink()


# Locks held by this process, per (index folder, thread): a thread that holds the lock
# may take it again (``add`` copies files and then builds under one lock), while other
# threads and processes wait or fail as usual.
_held: set[tuple[str, int]] = set()
_held_guard = threading.Lock()


@contextlib.contextmanager
def build_lock(index_dir: Path, wait_s: float = 0.0) -> Iterator[None]:
    """Exclusive lock for a build; waits up to ``wait_s`` then raises IndexLockedError.

    Re-entrant within one thread; a second thread or process is locked out.
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    key = (str(index_dir.resolve()), threading.get_ident())
    with _held_guard:
        nested = key in _held
    if nested:
        yield
        return
    fh = (index_dir / LOCK).open("a+")
    deadline = time.monotonic() + wait_s
    try:
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    fh.seek(0)
                    holder = fh.read().strip() or "another process"
                    raise IndexLockedError(
                        f"index {index_dir} is being built by {holder}; wait for it to finish and run again"
                    ) from None
                time.sleep(0.2)
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}")
        fh.flush()
        with _held_guard:
            _held.add(key)
        try:
            yield
        finally:
            with _held_guard:
                _held.discard(key)
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        fh.close()
