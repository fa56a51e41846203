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
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
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
    Reason,
)
from common.settings import Settings
from index import store
from index.fusion import profile_for
from index.progress import EMBED, READ, WRITE, BuildProgress, EmbedRate, TerminalBar, work
from index.spool import VectorSpool
from ingest.catalog import DocMeta, load_catalog, resolve_meta
from ingest.document import Document, Page, build_document, sha256_file
from ingest.ocr import unavailable as ocr_unavailable
from ingest.passages import Passage, Sentence, make_passages
from ingest.pdf import PdfParse, RawPdf, check_file
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
    meta: DocMeta | None = field(default=None, repr=False)  # what the catalog says of it
    why: Reason | None = None  # the reason as a code, for an interface in another language
    ocr: int = 0  # pages read by OCR
    why_unreadable: str = ""  # when pages without text layer could not be read by OCR

    def line(self) -> str:
        """The document's line in the build's output.

        >>> DocResult("scan.pdf", "new", pages=6, passages=9, seconds=41.5, ocr=6).line()
        '✓ scan.pdf: 6 pages (6 read by OCR), 9 passages, 41.5 s (new)'
        """
        if self.status in ("failed", "kept", "duplicate"):
            extra = " (previous version stays indexed)" if self.status == "kept" else ""
            return f"✗ {self.file}: {self.reason}{extra}"
        if self.status == "removed":
            return f"- {self.file}: removed from the index"
        if self.status in ("new", "changed") and not self.pages:  # planned (dry run)
            return f"+ {self.file}: to be indexed ({self.status})"
        # "!" and not "✓": the document is indexed, but without the text of some pages.
        mark = "=" if self.status == "unchanged" else ("!" if self.unreadable else "✓")
        said = [f"{self.ocr} read by OCR"] if self.ocr else []
        if self.unreadable:
            said.append(f"{self.unreadable} of {self.pages} pages unreadable")
            if self.why_unreadable:
                said[-1] += f": {self.why_unreadable}"
        about = f" ({'; '.join(said)})" if said else ""
        return (
            f"{mark} {self.file}: {self.pages} pages{about}, {self.passages} passages, "
            f"{self.seconds:.1f} s ({self.status})"
        )


@dataclass
class BuildReport:
    results: list[DocResult] = field(default_factory=list)
    passages: int = 0
    documents: int = 0
    seconds: float = 0.0
    written: bool = False
    generation: str = ""
    pages: int = 0  # of all documents in the index
    # What this run parsed and embedded itself (new and changed documents), and how
    # long the embedding model ran: the speed in the summary line.
    pages_done: int = 0
    passages_done: int = 0
    embed_seconds: float = 0.0

    @property
    def failed(self) -> list[DocResult]:
        return [r for r in self.results if r.status in ("failed", "kept")]

    @property
    def incomplete(self) -> list[DocResult]:
        """Indexed documents whose text is missing some pages (they count as a failure
        for the exit code: the index does not hold all of the corpus)."""
        return [r for r in self.results if r.unreadable and r.status in ("new", "changed", "unchanged")]

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for r in self.results:
            counts[r.status] = counts.get(r.status, 0) + 1
        parts = ", ".join(f"{n} {s}" for s, n in counts.items())
        if self.incomplete:
            parts += f"; {len(self.incomplete)} with unreadable pages"
        state = "index updated" if self.written else "index unchanged"
        return (
            f"{self.documents} documents, {self.pages} pages, {self.passages} passages ({parts}); {state}; "
            f"{self.seconds:.1f} s{self.speed()}"
        )

    def speed(self) -> str:
        """Pages and passages per second of wall time, and the share of it the model
        spent embedding (measured); "" when this run indexed nothing itself.

        >>> BuildReport(pages=61, passages=380, pages_done=61, passages_done=380,
        ...             seconds=41.2, embed_seconds=32.1).speed()
        ' (1.5 pages/s, 9.2 passages/s, embedding 78 %)'
        """
        if not self.pages_done or self.seconds <= 0:
            return ""
        done = ""
        if (self.pages_done, self.passages_done) != (self.pages, self.passages):  # not all of the index is new
            done = f"{self.pages_done} pages, {self.passages_done} passages indexed now: "
        wall = self.seconds
        return (
            f" ({done}{self.pages_done / wall:.1f} pages/s, {self.passages_done / wall:.1f} passages/s, "
            f"embedding {100 * self.embed_seconds / wall:.0f} %)"
        )


def find_pdfs(paths: Iterable[Path]) -> list[Path]:
    """Expand folders to the PDFs in them (recursively), keep explicit files as given.

    Hidden files and folders are skipped: ``corpus/.removed/`` keeps retired PDFs
    out of the index. A link in a folder to a file outside it stays a link (the plan
    refuses one that leads out of the corpus); other paths are resolved.
    """
    found: dict[Path, Path] = {}
    for path in paths:
        if path.is_dir():
            root = path.resolve()
            for p in sorted(path.rglob("*")):
                hidden = any(part.startswith(".") for part in p.relative_to(path).parts)
                if p.is_file() and p.suffix.lower() == ".pdf" and not hidden:
                    target = p.resolve()
                    found.setdefault(target, target if target.is_relative_to(root) else root / p.relative_to(path))
        else:
            found.setdefault(path.resolve(), path.resolve())
    return list(found.values())


def links_out_of(path: Path, corpus_dir: Path) -> bool:
    """Whether ``path`` lies in the corpus folder but is a link to a file outside it.

    Such a file is refused rather than stored by its target's absolute path: the
    corpus would then serve a file its folder does not hold, and lose it when it moves.
    """
    corpus = corpus_dir.resolve()
    return path.is_relative_to(corpus) and not path.resolve().is_relative_to(corpus)


def _previous_manifest(settings: Settings) -> store.Manifest | None:
    try:
        return store.read_manifest(store.current_generation(settings.index_dir))
    except IndexError_ as exc:
        if not isinstance(exc, store.IndexNotFoundError):
            log.warning("ignoring the existing index: %s", exc)
        return None


@dataclass
class PlannedDoc:
    """A PDF among the inputs that can be indexed, and how it relates to the index."""

    path: Path
    meta: DocMeta
    sha256: str
    status: str  # "new", "changed" (file differs) or "unchanged"
    catalog: dict[str, Any]  # the catalog of its folder
    meta_changed: bool = False  # unchanged file whose catalog entry differs
    moved_from: str = ""  # unchanged file the index knows at another place (an older index)
    reread: Reason | None = None  # why an unchanged file is read again ("changed")


@dataclass
class BuildPlan:
    """What a build would do; computed from files, catalogs and the manifest only."""

    docs: list[PlannedDoc] = field(default_factory=list)
    rejected: list[DocResult] = field(default_factory=list)  # failed, kept, duplicate
    removed: list[str] = field(default_factory=list)  # indexed doc ids no longer in the inputs
    indexed: dict[str, dict[str, Any]] = field(default_factory=dict)  # manifest entries reused
    rebuild: str = ""  # why everything is parsed and embedded again ("" when it is not)
    has_index: bool = False
    previous_model: Any = None  # the ModelSpec of the index, kept by an update without --model

    @property
    def kept(self) -> list[str]:
        return [r.doc_id for r in self.rejected if r.status == "kept"]

    @property
    def nothing_to_do(self) -> bool:
        return (
            self.has_index
            and not self.rebuild
            and not self.removed
            and all(d.status == "unchanged" and not d.meta_changed and not d.moved_from for d in self.docs)
        )


def rebuild_reason(settings: Settings, manifest: store.Manifest | None, asked: bool = False) -> str:
    """Why the next build must parse and embed everything again ("" when it need not)."""
    if manifest is None:
        return ""
    if asked:
        return "a rebuild was asked for"
    if manifest.passage_settings != settings.passages.as_dict():
        return "the passage settings changed"
    if manifest.analyzer != analyzer_version():
        return "the text analysis changed"
    if settings.model and _same_model(settings.model, manifest) is False:
        return "another embedding model is configured"
    return ""


def plan_build(paths: list[Path], settings: Settings, manifest: store.Manifest | None, rebuild: str = "") -> BuildPlan:
    """Compare the PDFs under ``paths`` with the index described by ``manifest``.

    Nothing is parsed or embedded: files are checked, hashed and matched by document id.
    ``python -m ingest status`` shows this plan; a build carries it out. With a
    ``rebuild`` reason nothing of the index is reused.
    """
    plan = BuildPlan(
        has_index=manifest is not None, rebuild=rebuild, previous_model=manifest.model if manifest is not None else None
    )
    if manifest is not None and not plan.rebuild:
        plan.indexed = {d["doc_id"]: d for d in manifest.documents}
    prev = plan.indexed
    found: list[tuple[Path, DocMeta, str, dict[str, Any]]] = []
    catalogs: dict[Path, dict[str, Any]] = {}
    for path in find_pdfs(paths):
        folder = path.parent
        if folder not in catalogs:
            catalogs[folder] = load_catalog(folder)
        meta = resolve_meta(path, catalogs[folder])
        if links_out_of(path, settings.corpus_dir):
            outside = DocumentError(
                path.name,
                "a link to a file outside the corpus folder, not followed (copy the file into the corpus instead)",
                "outside_corpus",
            )
            plan.rejected.append(_failed(path, meta, outside, prev))
            continue
        try:
            check_file(path, settings.max_file_mb)
            sha = sha256_file(path)
        except DocumentError as exc:
            plan.rejected.append(_failed(path, meta, exc, prev))
            continue
        except OSError as exc:
            unreadable = DocumentError(path.name, f"unreadable ({exc.strerror})", "unreadable", detail=exc.strerror)
            plan.rejected.append(_failed(path, meta, unreadable, prev))
            continue
        old = prev.get(meta.doc_id)
        if old and old["sha256"] == sha:
            # Same file as indexed: its PDF metadata is known without parsing again.
            meta = resolve_meta(path, catalogs[folder], old.get("pdf_metadata"))
        found.append((path, meta, sha, catalogs[folder]))
    # The indexed version of a content wins over a copy under another name.
    found.sort(key=lambda f: (prev.get(f[1].doc_id, {}).get("sha256") != f[2], str(f[0])))
    seen_sha: dict[str, str] = {}
    seen_ids: dict[str, str] = {}
    for path, meta, sha, catalog in found:
        if sha in seen_sha:
            same = f"same content as {seen_sha[sha]}, not indexed twice"
            plan.rejected.append(
                DocResult(
                    path.name,
                    "duplicate",
                    meta.doc_id,
                    reason=same,
                    meta=meta,
                    why=Reason("duplicate", same, {"other": seen_sha[sha]}),
                )
            )
            continue
        if meta.doc_id in seen_ids:
            taken = (
                f"document id {meta.doc_id!r} is already used by {seen_ids[meta.doc_id]}; "
                "give one of them another 'id' in catalog.toml"
            )
            plan.rejected.append(
                DocResult(
                    path.name,
                    "failed",
                    meta.doc_id,
                    reason=taken,
                    meta=meta,
                    why=Reason("id_in_catalog", taken, {"doc_id": meta.doc_id, "other": seen_ids[meta.doc_id]}),
                )
            )
            continue
        seen_sha[sha] = path.name
        seen_ids[meta.doc_id] = path.name
        old = prev.get(meta.doc_id)
        if old and old["sha256"] == sha and old.get("ocr_waiting") and ocr_unavailable() is None:
            # Indexed without its scanned pages for want of Tesseract, which is here now.
            reread = Reason("ocr_now", "pages without text layer can be read by OCR now")
            plan.docs.append(PlannedDoc(path, meta, sha, "changed", catalog, reread=reread))
        elif old and old["sha256"] == sha:
            known_at = store.source_path(old, settings.corpus_dir)
            plan.docs.append(
                PlannedDoc(
                    path,
                    meta,
                    sha,
                    "unchanged",
                    catalog,
                    meta.public() != _meta_of(old),
                    str(known_at) if known_at != path else "",
                )
            )
        else:
            plan.docs.append(PlannedDoc(path, meta, sha, "changed" if old else "new", catalog))
    plan.docs.sort(key=lambda d: str(d.path))
    wanted = {d.meta.doc_id for d in plan.docs} | set(plan.kept)
    plan.removed = [d for d in prev if d not in wanted]
    return plan


def build_index(
    paths: list[Path],
    settings: Settings,
    *,
    rebuild: bool = False,
    progress: Callable[[str], None] | None = None,
    dry_run: bool = False,
    lock_wait_s: float = 0.0,
    bar: bool | None = None,
    on_event: Callable[[DocResult | BuildProgress], None] | None = None,
) -> BuildReport:
    """Make the index reflect exactly the PDFs under ``paths``.

    ``progress`` gets one line per document (English). ``on_event`` gets the same
    results as :class:`DocResult`, and a :class:`~index.progress.BuildProgress` after
    each page read and each batch embedded (an interface words them itself). ``bar``:
    a progress bar on stderr (None: when stderr is a terminal).
    """
    with store.build_lock(settings.index_dir, wait_s=lock_wait_s):
        started = time.perf_counter()
        # Before anything else, and also when there turns out to be nothing to write.
        store.clean_interrupted(settings.index_dir)
        manifest = _previous_manifest(settings)
        plan = plan_build(paths, settings, manifest, rebuild_reason(settings, manifest, rebuild))
        show_bar = sys.stderr.isatty() if bar is None else bar
        reporter = _Reporter(progress, on_event, show_bar)
        report = _apply(plan, settings, reporter, dry_run)
        report.seconds = time.perf_counter() - started
        return report


class _Generation:
    """The new generation being put together, document by document; its vectors are
    spooled to temporary files in ``folder`` (:mod:`index.spool`), not held in memory."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.manifest_docs: list[dict[str, Any]] = []
        self.documents: list[dict[str, Any]] = []
        self.passages: list[Passage] = []
        self.sentences: list[Sentence] = []
        self.vectors = VectorSpool(folder)
        self.sentence_vectors = VectorSpool(folder)

    def close(self) -> None:
        self.vectors.close()
        self.sentence_vectors.close()

    def add(
        self,
        entry: dict[str, Any],
        document: dict[str, Any],
        passages: list[Passage],
        vectors: np.ndarray,
        sentences: list[Sentence],
        sentence_vectors: np.ndarray,
    ) -> dict[str, Any]:
        entry = {
            **entry,
            "row_start": len(self.passages),
            "row_end": len(self.passages) + len(passages),
            "sentence_row_start": len(self.sentences),
            "sentence_row_end": len(self.sentences) + len(sentences),
        }
        try:
            self.vectors.append(vectors)
            self.sentence_vectors.append(sentence_vectors)
        except OSError as exc:  # the disk is full before the generation is even begun
            raise _write_error(self.folder, exc) from None
        self.manifest_docs.append(entry)
        self.documents.append(document)
        self.passages.extend(passages)
        self.sentences.extend(sentences)
        return entry

    def keep(self, prev: store.StoredIndex, entry: dict[str, Any]) -> dict[str, Any]:
        """Carry a document over from the previous generation unchanged."""
        rows = slice(entry["row_start"], entry["row_end"])
        srows = slice(entry["sentence_row_start"], entry["sentence_row_end"])
        return self.add(
            entry,
            prev.documents[entry["doc_id"]],
            list(prev.passages[rows]),
            prev.embeddings[rows],
            list(prev.sentences[srows]),
            prev.sentence_embeddings[srows],
        )


def _apply(plan: BuildPlan, settings: Settings, reporter: _Reporter, dry_run: bool) -> BuildReport:
    report = BuildReport(results=list(plan.rejected))
    for d in plan.docs:
        if d.status == "unchanged":
            old = plan.indexed[d.meta.doc_id]
            report.results.append(
                DocResult(
                    d.path.name,
                    d.status,
                    d.meta.doc_id,
                    old["pages"],
                    old["passages"],
                    unreadable=old.get("unreadable_pages", 0),
                    ocr=len(old.get("ocr_pages", ())),
                    why_unreadable=old.get("unreadable_why", ""),
                )
            )
    for doc_id in plan.removed:
        report.results.append(DocResult(plan.indexed[doc_id]["file"], "removed", doc_id))
    if plan.nothing_to_do or dry_run:
        if dry_run:
            report.results += [
                DocResult(d.path.name, d.status, d.meta.doc_id) for d in plan.docs if d.status != "unchanged"
            ]
        manifest = _previous_manifest(settings) if plan.has_index else None
        if manifest is not None:
            report.documents, report.passages = len(manifest.documents), manifest.passages
            report.pages = sum(e.get("pages", 0) for e in manifest.documents)
            report.generation = store.current_generation(settings.index_dir).name
        for r in report.results:
            reporter.result(r)
        return report
    for r in report.results:
        reporter.result(r)

    # What to parse: all but the unchanged documents, which the previous index holds
    # (it is loaded below exactly when plan.indexed is not empty).
    todo = [d for d in plan.docs if not (d.status == "unchanged" and plan.indexed)]
    out = _Generation(settings.index_dir)
    try:
        return _collect_and_write(plan, settings, report, out, todo, reporter)
    finally:
        out.close()  # after the write: it reads the spooled vectors


def _collect_and_write(
    plan: BuildPlan,
    settings: Settings,
    report: BuildReport,
    out: _Generation,
    todo: list[PlannedDoc],
    reporter: _Reporter,
) -> BuildReport:
    """Parse, cut and embed ``todo``, carry the rest over from the live generation, and
    write the new one."""
    with ExitStack() as stack:
        # Parses start first: they run while the previous index and the model load, and
        # later while the documents before them are cut and embedded.
        parses = stack.enter_context(_ParseAhead(todo, settings, look_ahead()))
        stack.enter_context(reporter.showing(bool(todo)))
        rate = EmbedRate()  # of this build: the time left of each document is estimated from it
        # Vectors of the previous generation are read only when something is carried over.
        prev = store.load_stored(settings.index_dir, scattered=False) if plan.indexed else None
        model = _LazyModel(settings.model or plan.previous_model)
        for doc_id in sorted(plan.kept):
            if prev is not None and doc_id in plan.indexed:
                out.keep(prev, plan.indexed[doc_id])
        number = 0  # of the document among those read and embedded (todo, in this order)
        for d in plan.docs:
            if d.status == "unchanged" and prev is not None:
                entry = out.keep(prev, plan.indexed[d.meta.doc_id])
                entry["pdf_path"] = store.source_entry(d.path, settings.corpus_dir)
                if d.meta_changed:
                    _apply_meta(entry, out.passages, d.meta)
                continue
            number += 1
            work_of = _DocWork(reporter, d.path.name, number, len(todo), rate)
            budget: _Budget | None = None
            try:
                raw, parse_seconds = parses.next(work_of.read)
                # The document's clock counts its own parse, cutting and embedding, not
                # the time its parse result waited for the documents before it.
                t0 = time.perf_counter() - parse_seconds
                meta = resolve_meta(d.path, d.catalog, raw.metadata)
                doc = build_document(raw, d.path, meta, d.sha256)
                embedder = model.get()
                passages, sentences = make_passages(doc, embedder.count_tokens, settings.passages)
                if not passages:
                    raise DocumentError(d.path.name, "no passages could be made from its text", "no_passages")
                if len(passages) > settings.max_passages:
                    raise DocumentError(
                        d.path.name,
                        f"too many passages ({len(passages)} > limit {settings.max_passages}, CHARTA_MAX_PASSAGES)",
                        "too_many_passages",
                        passages=len(passages),
                        limit=settings.max_passages,
                    )
                texts = [embed_text(p) for p in passages]
                sentence_texts = [sentence_embed_text(s) for s in sentences]
                work_of.cut(texts, sentence_texts, len(raw.pages))
                budget = _Budget(d.path.name, t0, settings.doc_timeout_s)
                # A first small batch: the rate, and with it the time left, is known sooner.
                first = _Budget.BATCH if rate.measured else _Budget.FIRST_BATCH
                vectors = budget.embed(embedder, texts, work_of.passages_embedded, first)
                sentence_vectors = budget.embed(embedder, sentence_texts, work_of.sentences_embedded)
            except DocumentError as exc:
                result = _failed(d.path, d.meta, exc, plan.indexed)
                report.results.append(result)
                reporter.result(result)
                if result.status == "kept" and prev is not None:
                    out.keep(prev, plan.indexed[d.meta.doc_id])
                continue
            finally:
                report.embed_seconds += budget.spent if budget else 0.0
            for note in raw.notes:
                log.warning("%s: %s", d.path.name, note)
            out.add(
                {
                    "doc_id": meta.doc_id,
                    "file": d.path.name,
                    "pdf_path": store.source_entry(d.path, settings.corpus_dir),
                    "sha256": d.sha256,
                    **meta.public(),
                    "pdf_metadata": raw.metadata,
                    "pages": len(doc.pages),
                    "unreadable_pages": raw.failed_pages + raw.ocr_unread,
                    **_ocr_entry(doc, raw),
                    "passages": len(passages),
                    "sections": len(doc.sections),
                    "structure": doc.structure,
                    "indexed_at": datetime.now(UTC).isoformat(timespec="seconds"),
                },
                _document_record(doc),
                passages,
                vectors,
                sentences,
                sentence_vectors,
            )
            report.pages_done += len(doc.pages)
            report.passages_done += len(passages)
            result = DocResult(
                d.path.name,
                d.status,
                meta.doc_id,
                len(doc.pages),
                len(passages),
                time.perf_counter() - t0,
                unreadable=raw.failed_pages + raw.ocr_unread,
                ocr=sum(p.ocr for p in doc.pages),
                why_unreadable=raw.ocr_problem if raw.ocr_unread else "",
            )
            report.results.append(result)
            reporter.result(result)

    # Only removals or catalog edits: the previous index's model facts still hold, and
    # no model needs loading.
    if model.loaded is not None or prev is None:
        embedder = model.get()
        spec, dim, max_tokens = embedder.spec, embedder.dimension, embedder.max_tokens
    else:
        spec, dim, max_tokens = prev.model_spec, prev.manifest.dimension, prev.manifest.max_tokens
    manifest = store.Manifest(
        model=spec,
        dimension=dim,
        max_tokens=max_tokens,
        passage_settings=settings.passages.as_dict(),
        analyzer=analyzer_version(),
        dense_kind="",
        fusion=profile_for(spec.backend, spec.model),
        documents=out.manifest_docs,
    )
    reporter.progress(BuildProgress(WRITE, docs=len(todo)))
    gen = _write_generation(
        settings,
        manifest,
        out.passages,
        out.vectors.array(dim),
        out.sentences,
        out.sentence_vectors.array(dim),
        out.documents,
    )
    report.written = True
    report.generation = gen.name
    report.documents = len(out.manifest_docs)
    report.passages = len(out.passages)
    report.pages = sum(e["pages"] for e in out.manifest_docs)
    return report


def embed_text(passage: Passage) -> str:
    """What the embedding model sees: the section heading, then the passage text."""
    return passage.section_path[-1] + "\n" + passage.text


def sentence_embed_text(sentence: Sentence) -> str:
    """What the embedding model sees of a sentence: the sentence alone."""
    return sentence.text


def _same_model(setting: str, manifest: store.Manifest) -> bool | None:
    from index.embed import parse_spec

    try:
        return parse_spec(setting) == manifest.model
    except ChartaError:
        return None


def _failed(path: Path, meta: DocMeta, exc: DocumentError, prev_docs: dict) -> DocResult:
    status = "kept" if meta.doc_id in prev_docs else "failed"
    return DocResult(path.name, status, meta.doc_id, reason=exc.reason, meta=meta, why=exc.why)


def _meta_of(entry: dict[str, Any]) -> dict[str, str]:
    return {k: entry.get(k, "") for k in DocMeta("", "").public()}


def _apply_meta(entry: dict[str, Any], passages: list[Passage], meta: DocMeta) -> None:
    entry.update(meta.public())
    for p in passages[entry["row_start"] : entry["row_end"]]:
        p.title = meta.title


def _ocr_entry(doc: Document, raw: RawPdf) -> dict[str, Any]:
    """What the manifest says of OCR, only for documents that had pages without text
    layer: the pages read by OCR (1-based; citations say so), and why others were not.
    ``ocr_waiting``: those pages wait for Tesseract (the next build reads them once it is
    installed)."""
    entry: dict[str, Any] = {}
    if any(p.ocr for p in doc.pages):
        entry["ocr_pages"] = [p.index + 1 for p in doc.pages if p.ocr]
    if raw.ocr_unread:
        entry["unreadable_why"] = raw.ocr_problem
    if raw.ocr_waiting:
        entry["ocr_waiting"] = True
    return entry


def _page_record(p: Page) -> dict[str, Any]:
    record: dict[str, Any] = {"pdf_page": p.index + 1, "label": p.label, "text": p.text, "in_flow": p.in_flow}
    if p.words is not None:
        record["ocr"], record["words"] = True, p.words
    return record


def _document_record(doc: Document) -> dict[str, Any]:
    return {
        "doc_id": doc.doc_id,
        "pages": [_page_record(p) for p in doc.pages],
        "sections": [
            {
                "idx": s.idx,
                "level": s.level,
                "title": s.title,
                "path": s.path,
                "pdf_page": s.pdf_page,
                "page": doc.pages[s.pdf_page - 1].label,
                "spans": doc.page_spans(s.body_start, s.end),
            }
            for s in doc.sections
        ],
    }


class _Budget:
    """The time one document may take, from the start of its parse to its last vector.

    Embedding goes in batches, and the clock is read before each: a document that runs
    over (tens of thousands of tiny sentences, a slow machine) is refused after one batch
    more at most, instead of holding the build lock for as long as it takes. The limits on
    characters and passages refuse the usual oversized documents before any embedding;
    this catches what they let through. ``spent`` adds up the seconds the model ran.
    """

    BATCH = 64  # texts per call: the engine's own batch size, as fast as one big call
    FIRST_BATCH = 16  # the build's first call: a first measure of the model's rate, soon

    def __init__(self, file: str, started: float, seconds: float) -> None:
        self.file, self.deadline, self.seconds = file, started + seconds, seconds
        self.spent = 0.0

    def embed(
        self,
        embedder: Any,
        texts: list[str],
        done: Callable[[list[str], float], None] | None = None,
        first: int = BATCH,
    ) -> np.ndarray:
        """The texts' vectors; ``done(batch, seconds)`` after each batch."""
        parts = []
        i = 0
        while i < len(texts):
            if time.perf_counter() > self.deadline:
                raise DocumentError(
                    self.file,
                    f"indexing took longer than {self.seconds:g} s (CHARTA_DOC_TIMEOUT); raise it or split the PDF",
                    "too_slow",
                    seconds=f"{self.seconds:g}",
                )
            batch = texts[i : i + (first if i == 0 else self.BATCH)]
            began = time.perf_counter()
            parts.append(embedder.encode_passages(batch))
            took = time.perf_counter() - began
            self.spent += took
            i += len(batch)
            if done is not None:
                done(batch, took)
        return np.concatenate(parts) if parts else embedder.encode_passages([])


def look_ahead() -> int:
    """How many PDFs are parsed ahead of the one being embedded: one per core, at most 4.

    The embedding runs on all cores already, so more parses only compete with it; a few
    are enough to have each next document ready when its turn comes (parsing takes a
    fraction of the embedding time).
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 4))


class _ParseAhead:
    """The PDFs to index, each parsed in its child process up to ``depth`` documents
    ahead of its turn, handed out in their order by :meth:`next`.

    On leaving (an error, an interrupt), children whose result nobody took are killed.
    """

    POLL_S = 0.2  # how often the pages read are looked at while a parse is awaited

    def __init__(self, docs: list[PlannedDoc], settings: Settings, depth: int) -> None:
        self._waiting: Iterator[PlannedDoc] = iter(docs)
        self._running: deque[PdfParse | DocumentError] = deque()
        self._settings, self._depth = settings, depth
        self._fill()

    def __enter__(self) -> _ParseAhead:
        return self

    def __exit__(self, *_exc: object) -> None:
        for job in self._running:
            if isinstance(job, PdfParse):
                job.cancel()
        self._running.clear()

    def next(self, read: Callable[[int, int], None] | None = None) -> tuple[RawPdf, float]:
        """The next document's parse and its duration; :class:`DocumentError` if it failed.

        While it waits, ``read(pages read, page count)`` hears of each page the parser reads.
        """
        job = self._running[0]  # stays listed while awaited: an interrupt then kills it too
        outcome: tuple[RawPdf, float] | DocumentError
        try:
            if isinstance(job, PdfParse) and read is not None:
                told = (0, 0)  # what the first report (of the document's start) said
                while not job.wait(self.POLL_S):
                    if (now := job.pages_read()) != told:
                        read(*now)
                        told = now
            outcome = (job.result(), job.seconds) if isinstance(job, PdfParse) else job
        except DocumentError as exc:
            outcome = exc
        self._running.popleft()
        # After the result (at most ``depth`` children at a time), and not on an interrupt.
        self._fill()
        if isinstance(outcome, DocumentError):
            raise outcome
        return outcome

    def _fill(self) -> None:
        while len(self._running) < self._depth:
            d = next(self._waiting, None)
            if d is None:
                return
            self._running.append(self._start(d))

    def _start(self, d: PlannedDoc) -> PdfParse | DocumentError:
        s = self._settings
        try:
            return PdfParse(
                d.path,
                max_pages=s.max_pages,
                timeout_s=s.parse_timeout_s,
                passwords=(d.meta.password,) if d.meta.password else (),
                max_page_chars=s.max_page_chars,
                max_doc_chars=s.max_doc_chars,
            )
        except OSError as exc:  # no process to be had (EAGAIN, ENOMEM): this document fails, not the build
            detail = str(exc.strerror or exc)
            return DocumentError(
                d.path.name, f"the PDF parser could not be started ({detail})", "parser_not_started", detail=detail
            )


class _Reporter:
    """Where a build's news goes: one English line per document through ``say``, every
    result and progress to ``on_event``, and with ``bar`` a progress bar on stderr, which
    the lines and log messages are written around."""

    def __init__(
        self,
        say: Callable[[str], None] | None,
        on_event: Callable[[DocResult | BuildProgress], None] | None,
        bar: bool,
    ) -> None:
        self._say = say or (lambda _line: None)
        self._on_event = on_event or (lambda _event: None)
        self._want_bar = bar
        self._bar: TerminalBar | None = None

    @contextmanager
    def showing(self, work_to_do: bool) -> Iterator[None]:
        """The bar, while documents are read and embedded (when there are any)."""
        if self._want_bar and work_to_do:
            self._bar = TerminalBar()
        try:
            yield
        finally:
            if self._bar is not None:
                self._bar.close()
                self._bar = None

    def result(self, result: DocResult) -> None:
        if self._bar is None:
            self._say(result.line())
        else:
            with self._bar.writing():
                self._say(result.line())
        self._on_event(result)

    def progress(self, progress: BuildProgress) -> None:
        if self._bar is not None:
            self._bar.show(progress)
        self._on_event(progress)


class _DocWork:
    """The progress of one document, reported as its pages are read and its passages and
    sentences embedded; the time left comes from the build's measured ``rate``."""

    def __init__(self, reporter: _Reporter, file: str, doc: int, docs: int, rate: EmbedRate) -> None:
        self._reporter, self._rate = reporter, rate
        self._now = BuildProgress(READ, file, doc, docs)
        self._work = self._done = 0
        reporter.progress(self._now)

    def _tell(self, **changes: Any) -> None:
        self._now = replace(self._now, **changes)
        self._reporter.progress(self._now)

    def read(self, pages_read: int, pages: int) -> None:
        self._tell(pages_read=pages_read, pages=pages)

    def cut(self, passages: list[str], sentences: list[str], pages: int) -> None:
        self._work = work(passages) + work(sentences)
        self._tell(
            stage=EMBED,
            pages_read=pages,
            pages=pages,
            passages=len(passages),
            sentences=len(sentences),
            seconds_left=self._rate.seconds_for(self._work),
        )

    def _embedded(self, batch: list[str], seconds: float, **counts: int) -> None:
        chars = work(batch)
        self._rate.add(chars, seconds)
        self._done += chars
        self._tell(
            embedded=min(1.0, self._done / self._work) if self._work else 1.0,
            seconds_left=self._rate.seconds_for(max(0, self._work - self._done)),
            **counts,
        )

    def passages_embedded(self, batch: list[str], seconds: float) -> None:
        self._embedded(batch, seconds, passages_done=self._now.passages_done + len(batch))

    def sentences_embedded(self, batch: list[str], seconds: float) -> None:
        self._embedded(batch, seconds, sentences_done=self._now.sentences_done + len(batch))


class _LazyModel:
    """The embedder, loaded only when a document actually needs embedding."""

    def __init__(self, spec: Any) -> None:
        self.spec = spec
        self.loaded = None

    def get(self):
        if self.loaded is None:
            from index.embed import get_embedder

            self.loaded = get_embedder(self.spec)
        return self.loaded


def _write_generation(
    settings: Settings, manifest: store.Manifest, passages, vectors, sentences, sentence_vectors, docs
) -> Path:
    try:
        return store.write_generation(
            settings.index_dir, manifest, passages, vectors, sentences, sentence_vectors, docs, settings.ivf_threshold
        )
    except (OSError, RuntimeError) as exc:
        # The unfinished generation is gone already (store.write_generation).
        raise _write_error(settings.index_dir, exc) from None


def _write_error(index_dir: Path, exc: OSError | RuntimeError) -> IndexWriteError:
    """A full disk (ENOSPC, EFBIG) or an I/O error while spooling vectors or writing the
    generation, in one line; FAISS reports it as RuntimeError."""
    if isinstance(exc, OSError) and exc.strerror:
        reason = exc.strerror
    else:  # numpy and FAISS report a short write without errno
        reason = f"write failed ({' '.join(str(exc).split())[:160]}); is the disk full?"
    return IndexWriteError(
        f"could not write the new index in {index_dir}: {reason}; the previous index, if any, stays live"
    )


def ensure_index(settings: Settings) -> None:
    """Build the index from the corpus folder when there is none yet (first start)."""
    try:
        store.current_generation(Path(settings.index_dir))
        return
    except IndexNotFoundError:
        pass
    log.warning("no index in %s yet; building it from %s (once) …", settings.index_dir, settings.corpus_dir)
    if not Path(settings.corpus_dir).is_dir():
        raise ChartaError(
            f"corpus folder {settings.corpus_dir} does not exist; put the PDFs there or pass --corpus DIR"
        )

    def progress(line: str) -> None:
        print(f"  {line}", flush=True)

    report = build_index([Path(settings.corpus_dir)], settings, progress=progress, lock_wait_s=600)
    print(f"  {report.summary()}", flush=True)
    if not report.written and not report.documents:
        raise ChartaError(f"no document in {settings.corpus_dir} could be indexed")
