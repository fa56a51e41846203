"""Build or update the index from PDFs: parse, cut, embed, write a new generation.

Incremental: a document whose sha256, model and passage settings match the live index
reuses its passages and vectors; only new or changed PDFs are parsed and embedded, and
documents that are no longer among the inputs are dropped. With nothing to do the
build returns before loading any model.

Bad input costs no data: a failing document is reported in one line; the others are
indexed, and if an earlier version of the failing document was indexed it stays.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from common.errors import (
    ChartaError,
    DocumentError,
    IndexError_,
    IndexNotFoundError,
    IndexWriteError,
)
from common.settings import Settings
from index import store
from index.fusion import profile_for
from ingest.catalog import DocMeta, load_catalog, resolve_meta
from ingest.document import build_document, sha256_file
from ingest.passages import make_passages
from ingest.pdf import check_file, read_pdf
from text.analysis import analyzer_version

log = logging.getLogger(__name__)


@dataclass
class DocResult:
    file: str
    status: str  # "new", "changed", "unchanged", "failed", "kept", "duplicate", "removed"
    doc_id: str = ""
    pages: int = 0
    passages: int = 0
    seconds: float = 0.0
    reason: str = ""
    unreadable: int = 0  # pages whose text could not be extracted

    def line(self) -> str:
        if self.status in ("failed", "kept", "duplicate"):
            extra = " (previous version stays indexed)" if self.status == "kept" else ""
            return f"✗ {self.file}: {self.reason}{extra}"
        if self.status == "removed":
            return f"- {self.file}: removed from the index"
        if self.status in ("new", "changed") and not self.pages:  # planned (dry run)
            return f"+ {self.file}: to be indexed ({self.status})"
        mark = "=" if self.status == "unchanged" else "✓"
        lost = f" ({self.unreadable} unreadable)" if self.unreadable else ""
        return (f"{mark} {self.file}: {self.pages} pages{lost}, {self.passages} passages, "
                f"{self.seconds:.1f} s ({self.status})")


@dataclass
class BuildReport:
    results: list[DocResult] = field(default_factory=list)
    passages: int = 0
    documents: int = 0
    seconds: float = 0.0
    written: bool = False
    generation: str = ""

    @property
    def failed(self) -> list[DocResult]:
        return [r for r in self.results if r.status in ("failed", "kept")]

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for r in self.results:
            counts[r.status] = counts.get(r.status, 0) + 1
        parts = ", ".join(f"{n} {s}" for s, n in counts.items())
        state = "index updated" if self.written else "index unchanged"
        return (f"{self.documents} documents, {self.passages} passages ({parts}); "
                f"{state}; {self.seconds:.1f} s")


def find_pdfs(paths: Iterable[Path]) -> list[Path]:
    """Expand folders to the PDFs in them (recursively), keep explicit files as given.

    Hidden files and folders are skipped: ``corpus/.removed/`` keeps retired PDFs
    out of the index.
    """
    found: dict[Path, None] = {}
    for path in paths:
        if path.is_dir():
            for p in sorted(path.rglob("*")):
                hidden = any(part.startswith(".") for part in p.relative_to(path).parts)
                if p.is_file() and p.suffix.lower() == ".pdf" and not hidden:
                    found[p.resolve()] = None
        else:
            found[path.resolve()] = None
    return list(found)


def _previous(settings: Settings) -> store.StoredIndex | None:
    try:
        return store.load_stored(settings.index_dir)
    except IndexError_ as exc:
        if not isinstance(exc, store.IndexNotFoundError):
            log.warning("ignoring the existing index: %s", exc)
        return None


def _model_spec(settings: Settings, prev: store.StoredIndex | None):
    # Without an explicit choice an update keeps the model the index was built with.
    if settings.model:
        return settings.model
    return prev.model_spec if prev else None


def build_index(paths: list[Path], settings: Settings, *, rebuild: bool = False,
                progress: Callable[[str], None] | None = None,
                dry_run: bool = False, lock_wait_s: float = 0.0) -> BuildReport:
    """Make the index reflect exactly the PDFs under ``paths``."""
    with store.build_lock(settings.index_dir, wait_s=lock_wait_s):
        return _build(paths, settings, rebuild=rebuild, progress=progress or (lambda _: None),
                      dry_run=dry_run)


def _build(paths: list[Path], settings: Settings, *, rebuild: bool,
           progress: Callable[[str], None], dry_run: bool) -> BuildReport:
    started = time.perf_counter()
    report = BuildReport()
    prev = _previous(settings)
    passage_settings = settings.passages.as_dict()
    analyzer = analyzer_version()
    if prev and (prev.manifest.passage_settings != passage_settings
                 or prev.manifest.analyzer != analyzer
                 or (settings.model and _same_model(settings.model, prev) is False)):
        rebuild = True
    prev_docs = {d["doc_id"]: d for d in prev.manifest.documents} if prev and not rebuild else {}

    plan: list[tuple[Path, DocMeta, str, str]] = []  # (path, meta, sha, status)
    seen_sha: dict[str, str] = {}
    seen_ids: dict[str, str] = {}
    catalogs: dict[Path, dict] = {}
    for path in find_pdfs(paths):
        folder = path.parent
        if folder not in catalogs:
            catalogs[folder] = load_catalog(folder)
        meta = resolve_meta(path, catalogs[folder])
        try:
            check_file(path, settings.max_file_mb)
            sha = sha256_file(path)
            old = prev_docs.get(meta.doc_id)
            if old and old["sha256"] == sha:
                # Same file as indexed: its PDF metadata is known without parsing again.
                meta = resolve_meta(path, catalogs[folder], old.get("pdf_metadata"))
        except DocumentError as exc:
            report.results.append(_failed(path, meta, exc, prev_docs))
            continue
        if sha in seen_sha:
            report.results.append(DocResult(path.name, "duplicate", meta.doc_id, reason=(
                f"same content as {seen_sha[sha]}, not indexed twice")))
            continue
        if meta.doc_id in seen_ids:
            report.results.append(DocResult(path.name, "failed", meta.doc_id, reason=(
                f"document id {meta.doc_id!r} is already used by {seen_ids[meta.doc_id]}; "
                "give one of them another 'id' in catalog.toml")))
            continue
        seen_sha[sha] = path.name
        seen_ids[meta.doc_id] = path.name
        old = prev_docs.get(meta.doc_id)
        if old and old["sha256"] == sha:
            status = "unchanged"
        else:
            status = "changed" if old else "new"
        plan.append((path, meta, sha, status))

    kept_ids = {r.doc_id for r in report.results if r.status == "kept"}
    wanted = {meta.doc_id for _, meta, _, _ in plan} | kept_ids
    removed = [d for d in prev_docs if d not in wanted]
    meta_changed = any(
        st == "unchanged" and meta.public() != _meta_of(prev_docs[meta.doc_id])
        for _, meta, _, st in plan)
    nothing_to_do = (prev is not None and not rebuild and not removed and not meta_changed
                     and all(st == "unchanged" for *_, st in plan))
    for path, meta, _, st in plan:
        if st == "unchanged":
            old = prev_docs[meta.doc_id]
            report.results.append(DocResult(path.name, st, meta.doc_id, old["pages"],
                                            old["passages"],
                                            unreadable=old.get("unreadable_pages", 0)))
    for doc_id in removed:
        report.results.append(DocResult(prev_docs[doc_id]["file"], "removed", doc_id))
    if nothing_to_do or dry_run:
        if dry_run:
            for path, meta, _, st in plan:
                if st != "unchanged":
                    report.results.append(DocResult(path.name, st, meta.doc_id))
        report.documents = len(prev.manifest.documents) if prev else 0
        report.passages = len(prev.passages) if prev else 0
        report.seconds = time.perf_counter() - started
        report.generation = prev.generation if prev else ""
        for r in report.results:
            progress(r.line())
        return report
    for r in report.results:
        progress(r.line())

    model = _LazyModel(_model_spec(settings, prev))
    prev_rows = _rows_by_doc(prev) if prev else {}
    docs_out: list[dict[str, Any]] = []
    passages_out: list[dict[str, Any]] = []
    vectors_out: list[np.ndarray] = []
    sentences_out: list[dict[str, Any]] = []
    sentence_vectors_out: list[np.ndarray] = []
    manifest_docs: list[dict[str, Any]] = []

    def keep_previous(doc_id: str) -> None:
        assert prev is not None
        entry = dict(prev_docs[doc_id])
        rows = prev_rows[doc_id]
        srows = list(range(entry["sentence_row_start"], entry["sentence_row_end"]))
        entry["row_start"] = len(passages_out)
        entry["sentence_row_start"] = len(sentences_out)
        passages_out.extend(prev.passages[i] for i in rows)
        vectors_out.append(prev.embeddings[rows])
        sentences_out.extend(prev.sentences[i] for i in srows)
        sentence_vectors_out.append(prev.sentence_embeddings[srows])
        entry["row_end"] = len(passages_out)
        entry["sentence_row_end"] = len(sentences_out)
        manifest_docs.append(entry)
        docs_out.append(prev.documents[doc_id])

    for doc_id in sorted(kept_ids):
        if doc_id in prev_docs:
            keep_previous(doc_id)
    for path, meta, sha, status in plan:
        if status == "unchanged":
            keep_previous(meta.doc_id)
            if meta.public() != _meta_of(manifest_docs[-1]):
                _apply_meta(manifest_docs[-1], passages_out, meta)
            continue
        t0 = time.perf_counter()
        try:
            raw = read_pdf(path, max_pages=settings.max_pages, timeout_s=settings.parse_timeout_s,
                           passwords=(meta.password,) if meta.password else ())
            meta = resolve_meta(path, catalogs[path.parent], raw.metadata)
            doc = build_document(raw, path, meta, sha)
            embedder = model.get()
            cut, cut_sentences = make_passages(doc, embedder.count_tokens, settings.passages)
            passages = [p.as_dict() for p in cut]
            sentences = [s.as_dict() for s in cut_sentences]
            if not passages:
                raise DocumentError(path.name, "no passages could be made from its text")
            # A progress bar for long embedding runs, only where someone watches a terminal.
            show = sys.stderr.isatty() and len(passages) > 200
            vectors = embedder.encode_passages([embed_text(p) for p in passages], progress=show)
            sentence_vectors = embedder.encode_passages(
                [sentence_embed_text(s) for s in sentences], progress=show)
        except DocumentError as exc:
            result = _failed(path, meta, exc, prev_docs)
            report.results.append(result)
            progress(result.line())
            if result.status == "kept":
                keep_previous(meta.doc_id)
            continue
        entry = {
            "doc_id": meta.doc_id, "file": path.name, "source_path": str(path),
            "sha256": sha, **meta.public(), "pdf_metadata": raw.metadata,
            "pages": len(doc.pages), "unreadable_pages": raw.failed_pages,
            "passages": len(passages), "sections": len(doc.sections),
            "structure": doc.structure,
            "indexed_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "row_start": len(passages_out), "row_end": len(passages_out) + len(passages),
            "sentence_row_start": len(sentences_out),
            "sentence_row_end": len(sentences_out) + len(sentences),
        }
        passages_out.extend(passages)
        vectors_out.append(vectors)
        sentences_out.extend(sentences)
        sentence_vectors_out.append(sentence_vectors)
        manifest_docs.append(entry)
        docs_out.append(_document_record(doc))
        for note in raw.notes:
            log.warning("%s: %s", path.name, note)
        result = DocResult(path.name, status, meta.doc_id, len(doc.pages), len(passages),
                           time.perf_counter() - t0, unreadable=raw.failed_pages)
        report.results.append(result)
        progress(result.line())

    # Only removals or catalog edits: the previous index's model facts still hold, and
    # no model needs loading.
    if model.loaded is not None or prev is None:
        embedder = model.get()
        spec, dim, max_tokens = embedder.spec, embedder.dimension, embedder.max_tokens
    else:
        spec, dim, max_tokens = prev.model_spec, prev.manifest.dimension, prev.manifest.max_tokens
    empty = np.zeros((0, dim), dtype=np.float32)
    manifest = store.Manifest(
        model=spec, dimension=dim, max_tokens=max_tokens, passage_settings=passage_settings,
        analyzer=analyzer, dense_kind="", fusion=profile_for(spec.backend, spec.model),
        documents=manifest_docs)
    gen = _write_generation(
        settings, manifest, passages_out,
        np.concatenate(vectors_out) if vectors_out else empty, sentences_out,
        np.concatenate(sentence_vectors_out) if sentence_vectors_out else empty, docs_out)
    report.written = True
    report.generation = gen.name
    report.documents = len(manifest_docs)
    report.passages = len(passages_out)
    report.seconds = time.perf_counter() - started
    return report


def embed_text(passage: dict[str, Any]) -> str:
    """What the embedding model sees: the section heading, then the passage text."""
    return passage["section_path"][-1] + "\n" + passage["text"]


def sentence_embed_text(sentence: dict[str, Any]) -> str:
    """What the embedding model sees of a sentence: the sentence alone."""
    return str(sentence["text"])


def _same_model(setting: str, prev: store.StoredIndex) -> bool | None:
    from index.embed import parse_spec

    try:
        return parse_spec(setting) == prev.model_spec
    except ChartaError:
        return None


def _failed(path: Path, meta: DocMeta, exc: DocumentError, prev_docs: dict) -> DocResult:
    status = "kept" if meta.doc_id in prev_docs else "failed"
    return DocResult(path.name, status, meta.doc_id, reason=exc.reason)


def _meta_of(entry: dict[str, Any]) -> dict[str, str]:
    return {k: entry.get(k, "") for k in DocMeta("", "").public()}


def _apply_meta(entry: dict[str, Any], passages: list[dict[str, Any]], meta: DocMeta) -> None:
    entry.update(meta.public())
    for p in passages[entry["row_start"]:entry["row_end"]]:
        p["title"] = meta.title


def _rows_by_doc(prev: store.StoredIndex) -> dict[str, list[int]]:
    rows: dict[str, list[int]] = {}
    for i, p in enumerate(prev.passages):
        rows.setdefault(p["doc_id"], []).append(i)
    return rows


def _document_record(doc) -> dict[str, Any]:
    return {
        "doc_id": doc.doc_id,
        "pages": [{"pdf_page": p.index + 1, "label": p.label, "text": p.text,
                   "in_flow": p.in_flow} for p in doc.pages],
        "sections": [{"idx": s.idx, "level": s.level, "title": s.title, "path": s.path,
                      "pdf_page": s.pdf_page, "page": doc.pages[s.pdf_page - 1].label,
                      "spans": doc.page_spans(s.body_start, s.end)} for s in doc.sections],
    }


class _LazyModel:
    """The embedder, loaded only when a document actually needs embedding."""

    def __init__(self, spec: str | None) -> None:
        self.spec = spec
        self.loaded = None

    def get(self):
        if self.loaded is None:
            from index.embed import get_embedder

            self.loaded = get_embedder(self.spec)
        return self.loaded



def _write_generation(settings: Settings, manifest: store.Manifest, passages, vectors,
                      sentences, sentence_vectors, docs) -> Path:
    try:
        return store.write_generation(settings.index_dir, manifest, passages, vectors,
                                      sentences, sentence_vectors, docs,
                                      settings.hnsw_threshold)
    except (OSError, RuntimeError) as exc:
        # A full disk (ENOSPC, EFBIG) or an I/O error; FAISS reports it as RuntimeError.
        # The unfinished generation is gone already (store.write_generation).
        if isinstance(exc, OSError) and exc.strerror:
            reason = exc.strerror
        else:  # numpy and FAISS report a short write without errno
            reason = f"write failed ({' '.join(str(exc).split())[:160]}); is the disk full?"
        raise IndexWriteError(
            f"could not write the new index in {settings.index_dir}: {reason}; the previous "
            "index, if any, stays live") from None


def ensure_index(settings: Settings) -> None:
    """Build the index from the corpus folder when there is none yet (first start)."""
    try:
        store.current_generation(Path(settings.index_dir))
        return
    except IndexNotFoundError:
        pass
    log.warning("no index in %s yet; building it from %s (once) …",
                settings.index_dir, settings.corpus_dir)
    if not Path(settings.corpus_dir).is_dir():
        raise ChartaError(f"corpus folder {settings.corpus_dir} does not exist; "
                          "put the PDFs there or pass --corpus DIR")

    def progress(line: str) -> None:
        print(f"  {line}", flush=True)

    report = build_index([Path(settings.corpus_dir)], settings, progress=progress,
                         lock_wait_s=600)
    print(f"  {report.summary()}", flush=True)
    if not report.written and not report.documents:
        raise ChartaError(f"no document in {settings.corpus_dir} could be indexed")
