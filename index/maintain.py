"""Maintaining the corpus: what is indexed versus on disk, adding, removing, rebuilding.

The library behind ``python -m ingest status|add|remove|rebuild`` and the admin tab.
Every change to the corpus folder happens under the index build lock and is followed
by a build of the whole corpus folder, so the index keeps mirroring the corpus and
two maintainers cannot interleave. Nothing is deleted: a removed or replaced PDF is
moved to ``corpus/.removed/`` (hidden folders are not indexed).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import unicodedata
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from common.errors import ChartaError, DocumentError, IndexError_, Reason
from common.settings import Settings
from index import store
from index.build import BuildReport, DocResult, build_index, find_pdfs, plan_build, rebuild_reason
from index.embed import ModelSpec, parse_spec
from index.progress import BuildProgress
from ingest.catalog import load_catalog, resolve_meta
from ingest.document import sha256_file
from ingest.pdf import check_file

REMOVED_DIR = ".removed"
MAX_NAME_BYTES = 120
STATES = ("ok", "new", "changed", "missing", "duplicate", "invalid")

Progress = Callable[[str], None]


@dataclass
class StatusRow:
    """One document: what the index holds and what the corpus folder holds."""

    state: str  # one of STATES
    doc_id: str
    file: str
    title: str = ""
    edition: str = ""
    year: str = ""
    pages: int | None = None
    passages: int | None = None
    sha256: str = ""  # of the indexed version, else of the file on disk
    indexed_at: str = ""
    superseded_by: str = ""
    note: str = ""  # the notes, in English
    unreadable_pages: int = 0  # pages of the indexed version whose text could not be read
    unreadable_why: str = ""  # why, when OCR could not read them (e.g. Tesseract missing)
    notes: list[Reason] = field(default_factory=list)  # the note's parts, as codes (web/i18n.py)

    def add_note(self, why: Reason, first: bool = False) -> None:
        """Add a part to the note (at its start with ``first``)."""
        self.notes.insert(0 if first else len(self.notes), why)
        self.note = "; ".join(n.text for n in self.notes)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        del out["notes"]  # ``note`` says it in words
        return out

    def cells(self) -> list[str]:
        """The row as shown by ``ingest status`` and the admin tab: state, document,
        title, edition (with year), pages, passages, short hash, indexed (UTC); ``–`` for
        what is not known.

        >>> StatusRow("ok", "charta", "f.pdf", "Charta", "Fassung 2021", "2021", 21, 120,
        ...           "0e3fbe5b164c9a", "2026-12-02T13:59:32+00:00").cells()
        ['ok', 'charta', 'Charta', 'Fassung 2021', '21', '120', '0e3fbe5b164c', '2026-12-02T13:59:32Z']
        """
        edition = self.edition
        if self.year and self.year not in edition:
            edition = f"{edition}, {self.year}" if edition else self.year
        return [
            self.state,
            self.doc_id,
            self.title if len(self.title) <= 40 else self.title[:39] + "…",
            edition or "–",
            "–" if self.pages is None else str(self.pages),
            "–" if self.passages is None else str(self.passages),
            self.sha256[:12] or "–",
            self.indexed_at.replace("+00:00", "Z") or "–",
        ]


@dataclass
class Status:
    corpus_dir: Path
    index_dir: Path
    rows: list[StatusRow] = field(default_factory=list)
    generation: str = ""
    model: str = ""
    created: str = ""
    problem: str = ""  # why there is no usable index, if there is none

    @property
    def up_to_date(self) -> bool:
        return not self.problem and all(r.state == "ok" for r in self.rows)

    def as_dict(self) -> dict[str, Any]:
        return {
            "corpus_dir": str(self.corpus_dir),
            "index_dir": str(self.index_dir),
            "generation": self.generation,
            "model": self.model,
            "created": self.created,
            "problem": self.problem,
            "up_to_date": self.up_to_date,
            "documents": [r.as_dict() for r in self.rows],
        }


@dataclass
class FileChange:
    """What happened to one file given to ``add`` or ``remove``."""

    source: str  # as given by the user
    action: str  # "added", "replaced", "removed", "duplicate", "rejected" (dry run: "would …")
    file: str = ""  # its name in the corpus
    reason: str = ""
    why: Reason | None = None  # the reason as a code, for an interface in another language

    @classmethod
    def because(cls, source: str, action: str, file: str, why: Reason) -> FileChange:
        return cls(source, action, file, why.text, why)

    def line(self) -> str:
        if self.action in ("duplicate", "rejected"):
            return f"{'=' if self.action == 'duplicate' else '✗'} {self.source}: {self.reason}"
        arrow = f" → {self.file}" if self.file and self.file != self.source else ""
        extra = f" ({self.reason})" if self.reason else ""
        return f"{'-' if 'removed' in self.action else '+'} {self.source}{arrow}: {self.action}{extra}"


Event = FileChange | DocResult | BuildProgress  # what ``on_event`` of add and remove hears


@dataclass
class MaintainReport:
    changes: list[FileChange] = field(default_factory=list)
    build: BuildReport | None = None

    @property
    def failed(self) -> bool:
        return any(c.action == "rejected" for c in self.changes) or bool(self.build and self.build.failed)


# --------------------------------------------------------------------------- names


def safe_filename(name: str) -> str:
    """A plain file name for the corpus folder, whatever name an upload came with.

    Only the last path component survives; control characters, NUL, and characters
    that are not portable are dropped; the name cannot start with a dot, always ends
    in ``.pdf`` and is at most ``MAX_NAME_BYTES`` bytes of UTF-8.

    >>> safe_filename("../../etc/passwd")
    'passwd.pdf'
    >>> safe_filename("C:\\\\Users\\\\x\\\\Leitfaden Daten.PDF")
    'Leitfaden Daten.pdf'
    >>> safe_filename("..")
    'dokument.pdf'
    >>> safe_filename("a\\x00b.pdf")
    'ab.pdf'
    >>> len(safe_filename("ä" * 300 + ".pdf").encode())
    120
    """
    name = re.split(r"[/\\]", unicodedata.normalize("NFC", name))[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r'[<>:"|?*]', "", name)
    name = " ".join(name.split())
    stem = re.sub(r"\.pdf$", "", name, flags=re.IGNORECASE).strip(" .")
    budget = MAX_NAME_BYTES - len(".pdf")
    while len(stem.encode("utf-8")) > budget:
        stem = stem[:-1]
    stem = stem.rstrip(" .") or "dokument"
    return stem + ".pdf"


def _inside(folder: Path, path: Path) -> bool:
    return path.resolve().parent == folder.resolve()


def _free_name(folder: Path, name: str) -> Path:
    """``folder/name``, or ``folder/name-2`` … when that is taken."""
    target = folder / name
    stem, suffix = os.path.splitext(name)
    n = 2
    while target.exists() or target.is_symlink():
        target = folder / f"{stem}-{n}{suffix}"
        n += 1
    return target


# --------------------------------------------------------------------------- status


@dataclass
class _DiskDoc:
    path: Path
    doc_id: str
    title: str
    edition: str
    year: str
    superseded_by: str
    catalog: dict
    sha256: str = ""
    problem: str = ""


def _scan_corpus(settings: Settings) -> list[_DiskDoc]:
    corpus = settings.corpus_dir
    if not corpus.is_dir():
        return []
    out = []
    catalogs: dict[Path, dict] = {}
    for path in find_pdfs([corpus]):
        if path.parent not in catalogs:
            catalogs[path.parent] = load_catalog(path.parent)
        meta = resolve_meta(path, catalogs[path.parent])
        doc = _DiskDoc(
            path, meta.doc_id, meta.title, meta.edition, meta.year, meta.superseded_by, catalogs[path.parent]
        )
        try:
            check_file(path, settings.max_file_mb)
            doc.sha256 = sha256_file(path)
        except DocumentError as exc:
            doc.problem = exc.reason
        except OSError as exc:
            doc.problem = f"unreadable ({exc.strerror})"
        out.append(doc)
    return out


def _live_manifest(index_dir: Path) -> tuple[store.Manifest | None, str, str]:
    """(manifest, generation name, problem) of the live index, without loading vectors."""
    try:
        gen = store.current_generation(index_dir)
        return store.read_manifest(gen), gen.name, ""
    except IndexError_ as exc:
        return None, "", str(exc)


def status(settings: Settings) -> Status:
    """Every indexed document and every PDF in the corpus folder, with their state.

    States: ``ok`` (indexed, file unchanged), ``new`` (in the corpus, not indexed),
    ``changed`` (file or catalog entry differs from the indexed version), ``missing``
    (indexed, but no longer in the corpus), ``duplicate`` (same content as another
    document, will not be indexed twice), ``invalid`` (cannot be indexed; see note).
    Reads only the manifest and waits for no lock; it changes nothing but removing the
    remains of a killed build, when no build is running.
    """
    store.clean_if_idle(settings.index_dir)
    result = Status(settings.corpus_dir, settings.index_dir)
    manifest, result.generation, result.problem = _live_manifest(settings.index_dir)
    if manifest:
        result.model = manifest.model.describe()
        result.created = manifest.created
        if settings.model and _spec(settings.model) not in (None, manifest.model):
            result.problem = (
                f"the index was built with {result.model}, the configured "
                f"model is {settings.model}; run: python -m ingest rebuild"
            )
        elif reason := rebuild_reason(settings, manifest):
            result.problem = f"{reason}; run: python -m ingest rebuild"
    # The same plan a build would carry out; here only read, never applied.
    corpus = [settings.corpus_dir] if settings.corpus_dir.is_dir() else []
    plan = plan_build(corpus, settings, manifest)
    rows: dict[str, StatusRow] = {}
    for doc_id, e in plan.indexed.items():
        rows[doc_id] = StatusRow(
            "ok",
            doc_id,
            e["file"],
            e.get("title", ""),
            e.get("edition", ""),
            str(e.get("year", "")),
            e.get("pages"),
            e.get("passages"),
            e["sha256"],
            e.get("indexed_at", ""),
            e.get("superseded_by", ""),
            unreadable_pages=e.get("unreadable_pages", 0),
            unreadable_why=e.get("unreadable_why", ""),
        )
    for doc_id in plan.removed:
        rows[doc_id].state = "missing"
        rows[doc_id].add_note(Reason("not_in_corpus", "not in the corpus folder; the next build drops it"))
    fresh: list[StatusRow] = []
    for d in plan.docs:
        if d.status == "new":
            fresh.append(
                StatusRow(
                    "new",
                    d.meta.doc_id,
                    d.path.name,
                    d.meta.title,
                    d.meta.edition,
                    d.meta.year,
                    sha256=d.sha256,
                    superseded_by=d.meta.superseded_by,
                )
            )
        elif d.status == "changed":
            rows[d.meta.doc_id].state = "changed"
            rows[d.meta.doc_id].add_note(
                d.reread or Reason("file_changed", "file on disk differs from the indexed version")
            )
        elif d.meta_changed:
            rows[d.meta.doc_id].state = "changed"
            rows[d.meta.doc_id].add_note(Reason("catalog_changed", "catalog entry differs from the indexed metadata"))
        elif d.moved_from:
            rows[d.meta.doc_id].state = "changed"
            rows[d.meta.doc_id].add_note(
                Reason(
                    "moved",
                    f"indexed from {d.moved_from}; the next build records where it is now (nothing is re-embedded)",
                    {"path": d.moved_from},
                )
            )
    for r in plan.rejected:
        why = r.why or Reason("", r.reason)
        if r.status == "kept":
            rows[r.doc_id].state = "changed"
            text = f"file on disk cannot be indexed: {r.reason} (indexed version stays)"
            rows[r.doc_id].add_note(Reason("unindexable_kept", text, cause=why))
            continue
        if r.doc_id in rows and r.file == rows[r.doc_id].file:
            rows[r.doc_id].state = "changed"
            text = f"file on disk differs from the indexed version ({r.reason})"
            rows[r.doc_id].add_note(Reason("file_changed_unindexable", text, cause=why))
            continue
        meta = r.meta
        row = StatusRow(
            "duplicate" if r.status == "duplicate" else "invalid",
            r.doc_id,
            r.file,
            meta.title if meta else "",
            meta.edition if meta else "",
            meta.year if meta else "",
            superseded_by=meta.superseded_by if meta else "",
        )
        row.add_note(replace(why, text=r.reason.replace(", not indexed twice", "; not indexed twice")))
        fresh.append(row)
    result.rows = [*rows.values(), *fresh]
    for row in result.rows:
        if row.unreadable_pages:
            if row.unreadable_why:
                lost = (
                    f"{row.unreadable_pages} of {row.pages} pages unreadable: {row.unreadable_why} "
                    "(their text is not searchable)"
                )
                why = Reason(
                    "pages_unreadable_why",
                    lost,
                    {"unreadable": row.unreadable_pages, "pages": row.pages, "problem": row.unreadable_why},
                )
            else:
                lost = f"{row.unreadable_pages} of {row.pages} pages unreadable (their text is not searchable)"
                why = Reason("pages_unreadable", lost, {"unreadable": row.unreadable_pages, "pages": row.pages})
            row.add_note(why, first=True)
    known = {row.doc_id for row in result.rows}
    for row in result.rows:
        if row.superseded_by and row.superseded_by not in known:
            extra = f"superseded by unknown document {row.superseded_by!r}"
            row.add_note(Reason("superseded_by_unknown", extra, {"doc_id": row.superseded_by}))
    return result


def _spec(setting: str) -> ModelSpec | None:
    try:
        return parse_spec(setting)
    except ChartaError:
        return None


# --------------------------------------------------------------------------- changes


def _indexed_by_sha(settings: Settings) -> dict[str, str]:
    manifest, _, _ = _live_manifest(settings.index_dir)
    return {e["sha256"]: e["file"] for e in (manifest.documents if manifest else [])}


def _retire(corpus: Path, path: Path) -> Path:
    """Move a corpus file into ``corpus/.removed/`` (never deleting anything)."""
    bin_ = corpus / REMOVED_DIR
    bin_.mkdir(exist_ok=True)
    target = _free_name(bin_, path.name)
    os.replace(path, target)
    return target


def _copy_in(source: Path, target: Path) -> None:
    """Copy into the corpus via a hidden temporary file, so a half-copied PDF is never
    seen under its real name (and never indexed)."""
    tmp = target.parent / f".incoming-{uuid.uuid4().hex[:8]}.part"
    try:
        with source.open("rb") as src, tmp.open("xb") as dst:
            shutil.copyfileobj(src, dst, 1024 * 1024)
            dst.flush()
            os.fsync(dst.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def add(
    files: Iterable[Path | tuple[Path, str]],
    settings: Settings,
    *,
    replace: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
    lock_wait_s: float = 0.0,
    bar: bool = False,
    on_event: Callable[[Event], None] | None = None,
) -> MaintainReport:
    """Copy PDFs into the corpus folder and index the corpus (``bar``: a progress bar on
    stderr, for a terminal; off for the app and logs). ``progress`` gets English lines,
    ``on_event`` each :class:`FileChange` and what the build reports (for the admin tab,
    which words them itself); a file taken back out after a failed build is told again.

    ``files`` are paths, or ``(path, name)`` pairs when the name to use differs from
    the path (uploads). Each file is checked before anything is written (exists, size
    limit, ``%PDF`` header); a file whose content is already in the corpus or the
    index is reported as a duplicate and not added; a file whose name is taken by a
    different PDF is rejected unless ``replace`` (the old one goes to ``.removed/``).
    A newly added PDF that then fails to index is taken back out of the corpus, and
    a replaced one is put back, so the corpus keeps matching the index.
    """
    say = progress or (lambda _line: None)
    tell = on_event or (lambda _event: None)
    corpus = settings.corpus_dir
    items = [(Path(f), Path(f).name) if not isinstance(f, tuple) else (Path(f[0]), f[1]) for f in files]
    report = MaintainReport()
    lock = contextlib.nullcontext() if dry_run else store.build_lock(settings.index_dir, wait_s=lock_wait_s)
    with lock:
        if not dry_run:
            corpus.mkdir(parents=True, exist_ok=True)
        disk = _scan_corpus(settings)
        known = {d.sha256: d.path.name for d in disk if d.sha256}
        known_ids = {d.doc_id: d.path.name for d in disk}
        indexed = _indexed_by_sha(settings)
        catalog = load_catalog(corpus) if corpus.is_dir() else {}
        placed: dict[str, tuple[str, Path | None]] = {}  # corpus name → (source, retired)
        for source, given_name in items:
            change = _add_one(
                source, given_name, settings, replace, dry_run, known, known_ids, indexed, catalog, placed
            )
            report.changes.append(change)
            say(change.line())
            tell(change)
        if dry_run or not placed:
            if not dry_run:
                # Nothing new, but the corpus may still hold unindexed changes.
                report.build = build_index([corpus], settings, progress=say, bar=bar, on_event=tell)
            return report
        try:
            report.build = build_index([corpus], settings, progress=say, bar=bar, on_event=tell)
        except ChartaError:
            _undo(corpus, placed)
            raise
        bad = {r.file for r in report.build.results if r.status in ("failed", "kept")}
        for name in bad & set(placed):
            _undo(corpus, {name: placed[name]})
            for c in report.changes:
                if c.file == name and c.action in ("added", "replaced"):
                    c.action = "rejected"
                    c.why = (
                        Reason(
                            "not_indexed_old_back",
                            "could not be indexed (see above); taken back out of the corpus; "
                            "the previous version is back",
                        )
                        if placed[name][1]
                        else Reason("not_indexed", "could not be indexed (see above); taken back out of the corpus")
                    )
                    c.reason = c.why.text
                    tell(c)
    return report


def _add_one(
    source: Path,
    given_name: str,
    settings: Settings,
    replace: bool,
    dry_run: bool,
    known: dict[str, str],
    known_ids: dict[str, str],
    indexed: dict[str, str],
    catalog: dict,
    placed: dict,
) -> FileChange:
    corpus = settings.corpus_dir
    label = given_name or source.name
    name = safe_filename(label)
    try:
        check_file(source, settings.max_file_mb)
        sha = sha256_file(source)
    except DocumentError as exc:
        return FileChange.because(label, "rejected", "", exc.why)
    except OSError as exc:
        why = Reason("unreadable", f"unreadable ({exc.strerror})", {"detail": exc.strerror})
        return FileChange.because(label, "rejected", "", why)
    if sha in known:
        text = f"same content as {known[sha]} (already in the corpus); not added"
        return FileChange.because(label, "duplicate", known[sha], Reason("in_corpus", text, {"other": known[sha]}))
    if sha in indexed:
        text = f"same content as the indexed {indexed[sha]}; not added"
        return FileChange.because(label, "duplicate", indexed[sha], Reason("indexed", text, {"other": indexed[sha]}))
    target = corpus / name
    if not _inside(corpus, target):  # defence in depth: safe_filename already ensures it
        return FileChange.because(label, "rejected", "", Reason("outside", "file name leaves the corpus folder"))
    taken = target.exists() or target.is_symlink()
    if taken and not replace:
        text = (
            f"the corpus already has a different {name}; use --replace to replace it "
            f"(the old file is kept in {REMOVED_DIR}/) or give the file another name"
        )
        return FileChange.because(label, "rejected", name, Reason("name_taken", text, {"name": name}))
    doc_id = resolve_meta(target, catalog).doc_id
    if not taken and doc_id in known_ids:
        text = f"document id {doc_id!r} is already used by {known_ids[doc_id]}; rename the file"
        why = Reason("id_taken", text, {"doc_id": doc_id, "other": known_ids[doc_id]})
        return FileChange.because(label, "rejected", name, why)
    action = "replaced" if taken else "added"
    known[sha] = name
    known_ids[doc_id] = name
    if dry_run:
        return FileChange(label, f"would be {action}", name)
    retired = None
    try:
        if taken:
            retired = _retire(corpus, target)
        _copy_in(source, target)
    except OSError as exc:
        if retired is not None and not target.exists():
            os.replace(retired, target)
        detail = str(exc.strerror or exc)
        text = f"could not copy into {corpus}: {detail}"
        why = Reason("copy_failed", text, {"folder": str(corpus), "detail": detail})
        return FileChange.because(label, "rejected", name, why)
    placed[name] = (label, retired)
    if retired is None:
        return FileChange(label, action, name)
    moved = f"{REMOVED_DIR}/{retired.name}"
    why = Reason("old_moved", f"old version moved to {moved}", {"path": moved})
    return FileChange.because(label, action, name, why)


def _undo(corpus: Path, placed: dict[str, tuple[str, Path | None]]) -> None:
    """Take added files back out of the corpus; put replaced ones back."""
    for name, (_label, retired) in placed.items():
        with contextlib.suppress(FileNotFoundError):
            (corpus / name).unlink()
        if retired is not None:
            os.replace(retired, corpus / name)


def _find(doc: str, settings: Settings) -> tuple[list[Path], list[str]]:
    """Corpus files and indexed doc ids that ``doc`` (a doc id or a file name) names."""
    disk = _scan_corpus(settings)
    paths = [d.path for d in disk if doc in (d.doc_id, d.path.name)]
    manifest, _, _ = _live_manifest(settings.index_dir)
    entries = manifest.documents if manifest else []
    ids = [e["doc_id"] for e in entries if doc in (e["doc_id"], e["file"])]
    ids += [d.doc_id for d in disk if d.path in paths and d.doc_id not in ids]
    return paths, ids


def remove(
    docs: Iterable[str],
    settings: Settings,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    lock_wait_s: float = 0.0,
    bar: bool = False,
    on_event: Callable[[Event], None] | None = None,
) -> MaintainReport:
    """Retire documents (by doc id or file name) and reindex the corpus (``progress``,
    ``on_event`` and ``bar`` as for :func:`add`).

    The PDF is moved to ``corpus/.removed/`` (restore it by moving it back). If the
    build fails the files are moved back. Raises DocumentError for a name that is
    neither in the corpus nor in the index.
    """
    say = progress or (lambda _line: None)
    tell = on_event or (lambda _event: None)
    corpus = settings.corpus_dir
    report = MaintainReport()
    lock = contextlib.nullcontext() if dry_run else store.build_lock(settings.index_dir, wait_s=lock_wait_s)
    with lock:
        targets: list[tuple[str, list[Path], list[str]]] = []
        for doc in docs:
            paths, ids = _find(doc, settings)
            if not paths and not ids:
                known = sorted({d.doc_id for d in _scan_corpus(settings)} | set(_indexed_ids(settings)))
                names = ", ".join(known) or "none"
                raise DocumentError(
                    doc, f"no such document in the corpus or the index; known: {names}", "unknown_document", known=names
                )
            if len(paths) > 1:
                files = ", ".join(str(p.relative_to(corpus)) for p in paths)
                raise DocumentError(
                    doc, f"names several files: {files}; give the document id", "ambiguous", files=files
                )
            targets.append((doc, paths, ids))
        moved: list[tuple[Path, Path]] = []
        for doc, paths, ids in targets:
            if dry_run:
                report.changes.append(FileChange(doc, "would be removed", paths[0].name if paths else ""))
            elif paths:
                moved.append((paths[0], _retire(corpus, paths[0])))
                where = f"{REMOVED_DIR}/{moved[-1][1].name}"
                why = Reason("moved_away", f"moved to {where}", {"path": where})
                report.changes.append(FileChange.because(doc, "removed", paths[0].name, why))
            else:
                why = Reason("gone", "was indexed but no longer in the corpus")
                report.changes.append(FileChange.because(doc, "removed", "", why))
            say(report.changes[-1].line())
            tell(report.changes[-1])
            for sid, title in _superseded_by(settings, ids):
                say(
                    f"  note: {sid} ({title}) is marked superseded_by {ids[0]!r} in the "
                    "catalog and stays hidden from searches unless asked for"
                )
        if dry_run:
            return report
        try:
            report.build = build_index([corpus], settings, progress=say, bar=bar, on_event=tell)
        except ChartaError:
            for original, retired in reversed(moved):
                os.replace(retired, original)
            raise
    return report


def _indexed_ids(settings: Settings) -> list[str]:
    manifest, _, _ = _live_manifest(settings.index_dir)
    return [e["doc_id"] for e in (manifest.documents if manifest else [])]


def _superseded_by(settings: Settings, ids: list[str]) -> list[tuple[str, str]]:
    rows = status(settings).rows if ids else []
    return [(r.doc_id, r.title) for r in rows if r.superseded_by in ids]
