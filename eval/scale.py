"""Scale benchmark: a synthetic corpus of N passages through the real index code.

    python -m eval.scale --passages 100000
    python -m eval.scale --passages 100000 --recall-sweep hashed   # IVF lists × nprobe

Passages are 2–4 sentences drawn (fixed seed) from the charter's own text, so BM25 sees
realistic German. The vectors are NOT the model's: a hashed bag of words projected to
384 dimensions and L2-normalised (cheap and deterministic; embedding 100 k passages with
the model would take hours on a laptop). What is measured is the index layer:
``store.write_generation`` (FAISS for passages and sentences, with the recall-tuned IVF
from ``CHARTA_IVF_THRESHOLD`` on; BM25; the plain files), ``store.load_stored`` plus the
:class:`~index.search.Searcher` that opens the retrievers, and ``Searcher.search`` in the
three modes with the hashed query vector. The PDF parsing and the model are left out.

Peak RSS is the build process's high-water mark (``ru_maxrss``): corpus, vectors and
the write, mapped file pages included (the vectors are spooled to disk as ``index.build``
spools the model's, :mod:`index.spool`, and the write reads them mapped). In brackets the
process's own memory (``RssAnon``): its peak during the write (:class:`AnonPeak`), and
before the write began (the corpus as Python objects). Opening and searching run in a
fresh process (``--open``), so their numbers hold nothing of the build: open time, the
resident memory after opening (``VmRSS``, memory-mapped pages of the index included, and
the process's own ``RssAnon``), and the p50 of each search mode. The index files' pages
are first dropped from the page cache (``--cold``, the default of a build-and-measure
run): a server restarted, or a replica opening a generation another host built, starts
that way; right after a build every page is cached, and mapping cached pages counts them
in the resident memory of the process.

    python -m eval.scale --passages 100000 --keep /tmp/idx   # keep the index
    python -m eval.scale --open /tmp/idx [--cold]            # open and search it again
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from index.store import Manifest

ROOT = Path(__file__).resolve().parent.parent
CHARTER = ROOT / "corpus" / "smart-city-charta-2021.pdf"
DIM = 384
BUCKETS = 1 << 14
DOC_PASSAGES = 1000  # passages per synthetic document

_WORD = re.compile(r"\w+", re.UNICODE)


def charter_sentences() -> list[str]:
    """Sentences of the charter (40–300 characters), in reading order."""
    from pypdf import PdfReader

    text = " ".join((page.extract_text() or "") for page in PdfReader(CHARTER).pages)
    text = re.sub(r"-\s*\n\s*", "", text)
    text = re.sub(r"\s+", " ", text)
    parts = re.split(r"(?<=[.!?])\s+(?=[A-ZÄÖÜ])", text)
    return [s.strip() for s in parts if 40 <= len(s.strip()) <= 300]


class HashedVectors:
    """Hashed bag of words → fixed random projection → L2-normalised 384-dim vector.

    Not the model: a cheap, deterministic stand-in with the same shape and norm.

    >>> h = HashedVectors()
    >>> v = h.encode(["Die Stadt plant Radwege.", "Die Stadt plant Radwege."])
    >>> v.shape, round(float(v[0] @ v[1]), 4), round(float(np.linalg.norm(v[0])), 4)
    ((2, 384), 1.0, 1.0)
    """

    def __init__(self, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.projection = rng.standard_normal((BUCKETS, DIM)).astype(np.float32)
        self._bucket: dict[str, int] = {}

    def _buckets(self, text: str) -> list[int]:
        out = []
        for w in _WORD.findall(text.lower()):
            b = self._bucket.get(w)
            if b is None:
                b = self._bucket[w] = zlib.crc32(w.encode("utf-8")) % BUCKETS
            out.append(b)
        return out or [0]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.empty((len(texts), DIM), dtype=np.float32)
        for i, t in enumerate(texts):
            out[i] = self.projection[self._buckets(t)].sum(axis=0)
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)
        return out


class HashedEmbedder:
    """The :class:`~index.embed.Embedder` interface over :class:`HashedVectors` (for search)."""

    def __init__(self, vectors: HashedVectors) -> None:
        from index.embed import ModelSpec

        self.vectors = vectors
        self.spec = ModelSpec("hashed", "bag-of-words", "none")
        self.dimension = DIM
        self.max_tokens = 512

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self.vectors.encode(texts)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.vectors.encode(texts)

    def query_vector(self, text: str) -> np.ndarray:
        return self.vectors.encode([text])[0]

    def forget_queries(self) -> None:
        pass


@dataclass
class Corpus:
    passages: list[Any]
    sentences: list[Any]
    manifest_docs: list[dict[str, Any]]
    documents: list[dict[str, Any]]


def synthetic_corpus(n: int, seed: int = 0) -> Corpus:
    """``n`` passages of 2–4 sentences each, in documents of 1000 passages; the sentences
    are the charter's with a quarter of their words swapped for other charter words."""
    from ingest.passages import Passage, Sentence

    pool = [s.split(" ") for s in charter_sentences()]
    vocab = sorted({w for words in pool for w in words})
    rng = np.random.default_rng(seed)

    def sentence() -> str:
        # A charter sentence with about a quarter of its words swapped for other charter
        # words: every sentence is new (the charter has only some 200), the words stay real.
        words = list(pool[int(rng.integers(len(pool)))])
        for j in rng.choice(len(words), max(1, len(words) // 4), replace=False):
            words[int(j)] = vocab[int(rng.integers(len(vocab)))]
        return " ".join(words)

    passages: list[Passage] = []
    sentences: list[Sentence] = []
    docs: list[dict[str, Any]] = []
    documents: list[dict[str, Any]] = []
    for d, start in enumerate(range(0, n, DOC_PASSAGES)):
        doc_id = f"synth{d:05d}"
        title = f"Synthetischer Leitfaden {d + 1}"
        file = f"{doc_id}.pdf"
        entry: dict[str, Any] = {"doc_id": doc_id, "file": file, "title": title, "sha256": doc_id, "pdf_path": file}
        entry.update(row_start=len(passages), sentence_row_start=len(sentences))
        doc_sentences: list[Sentence] = []
        for pos in range(min(DOC_PASSAGES, n - start)):
            picked = [sentence() for _ in range(int(rng.integers(2, 5)))]
            first = len(doc_sentences)
            page = str(1 + pos // 4)
            for j, s in enumerate(picked):
                sep = " " if j < len(picked) - 1 else ""
                doc_sentences.append(Sentence(doc_id, pos, s, sep, False, int(page), int(page), page, page))
            text = " ".join(picked)
            section = f"{1 + pos // 10} Abschnitt"
            passages.append(
                Passage(
                    id=f"{doc_id}-{pos}",
                    doc_id=doc_id,
                    title=title,
                    file=file,
                    section=section,
                    section_path=[section],
                    section_idx=pos,
                    position=0,
                    pdf_page=int(page),
                    pdf_page_end=int(page),
                    page=page,
                    page_end=page,
                    text=text,
                    spans=[],
                    n_tokens=len(text.split()),
                    sentences=(first, len(doc_sentences)),
                )
            )
        sentences.extend(doc_sentences)
        entry.update(row_end=len(passages), sentence_row_end=len(sentences))
        docs.append(entry)
        documents.append({"doc_id": doc_id, "pages": [], "sections": []})
    return Corpus(passages, sentences, docs, documents)


class AnonPeak:
    """The highest ``RssAnon`` seen while it runs, sampled every 0.1 s in a thread: the
    process's own memory. ``ru_maxrss`` also counts the pages of mapped files (the spooled
    vectors the write reads), which are page cache the kernel can take back."""

    def __init__(self) -> None:
        self.peak = _status_mb().get("RssAnon", 0.0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.1):
            self.peak = max(self.peak, _status_mb().get("RssAnon", 0.0))

    def __enter__(self) -> AnonPeak:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _status_mb().get("RssAnon", 0.0))


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _status_mb() -> dict[str, float]:
    """Current resident memory (``VmRSS``) and its anonymous part (``RssAnon``, what is
    not a mapped file's pages), MB; empty where ``/proc`` is missing."""
    try:
        lines = Path("/proc/self/status").read_text().splitlines()
    except OSError:
        return {}
    out = {}
    for line in lines:
        key, _, value = line.partition(":")
        if key in ("VmRSS", "RssAnon"):
            out[key] = int(value.split()[0]) / 1024
    return out


def _du_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


QUESTIONS = [
    "Wie sichern Kommunen ihre Daten?",
    "Welche Rolle spielt Bürgerbeteiligung in der Smart City?",
    "Was sagt die Charta zu offenen Standards?",
    "Digitalisierung und Nachhaltigkeit in der Stadtentwicklung",
    "Wer trägt Verantwortung für Algorithmen?",
    "Datensouveränität der Kommunen",
    "Wie bleibt die Stadt lebenswert?",
    "Infrastruktur für den Klimaschutz",
]


def synthetic_manifest(corpus: Corpus, embedder: HashedEmbedder, passage_settings: dict[str, int]) -> Manifest:
    """The manifest of an index of ``corpus`` with hashed vectors (``write_generation``
    fills in the counts and the dense index kind)."""
    from index import store
    from index.fusion import profile_for
    from text.analysis import analyzer_version

    return store.Manifest(
        model=embedder.spec,
        dimension=DIM,
        max_tokens=embedder.max_tokens,
        passage_settings=passage_settings,
        analyzer=analyzer_version(),
        dense_kind="",
        fusion=profile_for("hashed", "bag-of-words"),
        documents=corpus.manifest_docs,
    )


def run(n: int, index_dir: Path, ivf_threshold: int = 20_000, queries: int = 40) -> dict[str, Any]:
    """Build, open and search an index of ``n`` synthetic passages; one row of the table."""
    from common.settings import load_settings
    from index import store
    from index.spool import VectorSpool

    vectors = HashedVectors()
    embedder = HashedEmbedder(vectors)
    corpus = synthetic_corpus(n)
    settings = load_settings(env={}, corpus_dir=index_dir / "corpus", index_dir=index_dir, ivf_threshold=ivf_threshold)
    manifest = synthetic_manifest(corpus, embedder, settings.passages.as_dict())
    # Spooled to disk in document-sized pieces, as index.build does with the model's vectors.
    with VectorSpool(index_dir) as pv, VectorSpool(index_dir) as sv:
        t0 = time.perf_counter()
        for spool, texts in ((pv, [p.text for p in corpus.passages]), (sv, [s.text for s in corpus.sentences])):
            for start in range(0, len(texts), DOC_PASSAGES):
                spool.append(vectors.encode(texts[start : start + DOC_PASSAGES]))
        vectors_s = time.perf_counter() - t0
        inputs_rss = _status_mb().get("RssAnon", 0.0)  # the corpus as objects, before the build
        t0 = time.perf_counter()
        with AnonPeak() as anon:
            gen = store.write_generation(
                index_dir,
                manifest,
                corpus.passages,
                pv.array(DIM),
                corpus.sentences,
                sv.array(DIM),
                corpus.documents,
                ivf_threshold,
            )
        build_s = time.perf_counter() - t0
    build_rss = _rss_mb()
    m = manifest
    del corpus
    # In a fresh process: the build's memory (freed or not) must not count as the open's.
    child = subprocess.run(
        [sys.executable, "-m", "eval.scale", "--open", str(index_dir), "--cold", "--queries", str(queries)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    opened = json.loads(child.stdout.strip().splitlines()[-1])
    return {
        "passages": n,
        "sentences": m.sentences,
        "kind": m.dense_kind,
        "vectors_s": vectors_s,
        "build_s": build_s,
        "peak_rss_mb": build_rss,
        "peak_anon_mb": anon.peak,
        "inputs_rss_mb": inputs_rss,
        "disk_mb": _du_mb(gen),
        **opened,
        "dense_params": m.dense_params,
        "sentence_dense_params": m.sentence_dense_params,
    }


def evict(folder: Path) -> None:
    """Drop the pages of every file under ``folder`` from the page cache (written back
    first; ``POSIX_FADV_DONTNEED``, no privileges needed, other files untouched)."""
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as fh:
                os.fsync(fh.fileno())
                os.posix_fadvise(fh.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)


def open_and_search(index_dir: Path, queries: int = 40, cold: bool = False) -> dict[str, float]:
    """Open the index in ``index_dir`` and search it (k 10, ``queries`` questions per mode);
    open time, memory before and after opening, p50 per mode. ``cold``: the index files
    are dropped from the page cache first (:func:`evict`)."""
    import faiss  # noqa: F401  # loaded before the clock starts: a library, not the index

    from common.settings import load_settings
    from index import store
    from index.retrievers import _bm25s
    from index.search import Searcher

    _bm25s()
    if cold:
        evict(index_dir)
    settings = load_settings(env={}, corpus_dir=index_dir / "corpus", index_dir=index_dir)
    embedder = HashedEmbedder(HashedVectors())
    before = _status_mb()
    t0 = time.perf_counter()
    searcher = Searcher(store.load_stored(index_dir), embedder, settings)  # type: ignore[arg-type]
    open_s = time.perf_counter() - t0
    after = _status_mb()
    qs = [f"{q} ({i})" if i >= len(QUESTIONS) else q for i, q in enumerate(QUESTIONS * (queries // len(QUESTIONS)))]
    p50 = {}
    # Filtered: one document (its row range) and one section path, hybrid.
    doc = searcher.stored.manifest.documents[len(searcher.stored.manifest.documents) // 2]["doc_id"]
    filters: dict[str, dict[str, Any]] = {
        "bm25": {},
        "dense": {},
        "hybrid": {},
        "doc": {"doc_ids": [doc]},
        "section": {"section": "3 Abschnitt"},
    }
    for name, where in filters.items():
        mode = name if name in ("bm25", "dense") else "hybrid"
        times = []
        for q in qs:
            t0 = time.perf_counter()
            searcher.search(q, k=10, mode=mode, **where)
            times.append(time.perf_counter() - t0)
        p50[name] = statistics.median(times) * 1000
    searched = _status_mb()
    return {
        "open_s": open_s,
        "base_rss_mb": before.get("VmRSS", 0.0),
        "open_rss_mb": after.get("VmRSS", 0.0),
        "open_anon_mb": after.get("RssAnon", 0.0),
        "searched_rss_mb": searched.get("VmRSS", 0.0),
        "searched_anon_mb": searched.get("RssAnon", 0.0),
        "bm25_ms": p50["bm25"],
        "dense_ms": p50["dense"],
        "hybrid_ms": p50["hybrid"],
        "doc_ms": p50["doc"],
        "section_ms": p50["section"],
    }


def sweep_vectors(n: int, kind: str, queries: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """``n`` unit vectors and held-out queries: ``hashed`` (synthetic passages; the queries
    are more passages, not indexed), ``clustered`` (topics, clusters, noise; queries near
    the data) or ``uniform`` (Gaussian, the worst case: no structure at all)."""
    rng = np.random.default_rng(0)
    if kind == "hashed":
        allv = HashedVectors().encode([p.text for p in synthetic_corpus(n + queries).passages])
        return allv[:n].copy(), allv[n:].copy()
    if kind == "uniform":
        x, q = rng.standard_normal((n, DIM)), rng.standard_normal((queries, DIM))
    else:
        k = max(1, n // 50)
        topics = rng.standard_normal((max(1, k // 20), DIM))
        centers = topics[rng.integers(0, len(topics), k)] + 0.8 * rng.standard_normal((k, DIM))
        centers /= np.linalg.norm(centers, axis=1, keepdims=True)
        x = centers[rng.integers(0, k, n)] + 0.6 / np.sqrt(DIM) * rng.standard_normal((n, DIM))
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        q = x[rng.integers(0, n, queries)] + 0.5 / np.sqrt(DIM) * rng.standard_normal((queries, DIM))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    return x.astype(np.float32), q.astype(np.float32)


def recall_sweep(n: int, kind: str, lists: Sequence[int], nprobe: Sequence[int]) -> None:
    """Print recall@10 against exact search of IVF with 8-bit codes (lists × nprobe), what
    it finds re-scored from the exact vectors as searches do."""
    import faiss

    from index.retrievers import ivf_index, recall_at_k, rescored

    x, q = sweep_vectors(n, kind)
    truth, _ = faiss.knn(q, x, 10, metric=faiss.METRIC_INNER_PRODUCT)
    print("| vectors | n | lists | train + add s | nprobe | recall@10 | ms/query |")
    print("|---|---|---|---|---|---|---|")
    for nlist in lists:
        t0 = time.perf_counter()
        index = ivf_index(x, nlist)
        build_s = time.perf_counter() - t0
        for probe in nprobe:
            index.nprobe = probe
            t0 = time.perf_counter()
            found = np.stack([index.search(v.reshape(1, -1), 10)[1][0] for v in q])
            ms = (time.perf_counter() - t0) / len(q) * 1000
            recall = recall_at_k(rescored(q, x, found), truth)
            print(f"| {kind} | {n} | {nlist} | {build_s:.1f} | {probe} | {recall:.3f} | {ms:.2f} |")


HEADER = "| passages | sentences | index | build s | build peak RSS MB (own; own before the write) | on disk MB | open index s | RSS after open MB (anon) | RSS after searches MB (anon) | BM25 p50 ms | dense p50 ms | hybrid p50 ms | hybrid, one document / one section p50 ms | IVF lists/nprobe, recall@10 (passages; sentences) |"  # noqa: E501


def table_row(r: dict[str, Any]) -> str:
    def ivf(p: dict[str, Any]) -> str:
        return f"{p['lists']}/{p['nprobe']}, {p['recall_at_10']:.3f}" if p else "exact"

    return (
        f"| {r['passages']} | {r['sentences']} | {r['kind']} | {r['build_s']:.1f} | "
        f"{r['peak_rss_mb']:.0f} ({r['peak_anon_mb']:.0f}; {r['inputs_rss_mb']:.0f}) | "
        f"{r['disk_mb']:.0f} | {r['open_s']:.2f} | {r['open_rss_mb']:.0f} ({r['open_anon_mb']:.0f}) | "
        f"{r['searched_rss_mb']:.0f} ({r['searched_anon_mb']:.0f}) | "
        f"{r['bm25_ms']:.1f} | {r['dense_ms']:.1f} | {r['hybrid_ms']:.1f} | "
        f"{r.get('doc_ms', float('nan')):.1f} / {r.get('section_ms', float('nan')):.1f} | "
        f"{ivf(r['dense_params'])}; {ivf(r['sentence_dense_params'])} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.scale", description=__doc__.split("\n")[0])
    parser.add_argument("--passages", type=int, nargs="+", default=[10_000], help="corpus sizes (one row each)")
    parser.add_argument("--ivf-threshold", type=int, default=20_000, help="CHARTA_IVF_THRESHOLD for the build")
    parser.add_argument("--queries", type=int, default=40, help="searches per mode for the p50")
    parser.add_argument("--recall-sweep", choices=["hashed", "clustered", "uniform"], help="IVF recall sweep instead")
    parser.add_argument("--lists", default="256 1024", help="IVF list counts of the sweep")
    parser.add_argument("--nprobe", default="4 8 16 32 64 128", help="nprobe values of the sweep")
    parser.add_argument("--keep", type=Path, help="build the index here and keep it (one size only)")
    parser.add_argument("--open", type=Path, metavar="INDEX_DIR", help="only open and search this index; one JSON line")
    parser.add_argument("--cold", action="store_true", help="with --open: drop the index's pages from the page cache")
    args = parser.parse_args(argv)
    if args.open:
        print(json.dumps(open_and_search(args.open, args.queries, args.cold)))
        return 0
    if args.recall_sweep:
        lists, nprobe = [int(x) for x in args.lists.split()], [int(p) for p in args.nprobe.split()]
        for n in args.passages:
            recall_sweep(n, args.recall_sweep, lists, nprobe)
        return 0
    print("synthetic passages from the charter's sentences; hashed bag-of-words vectors, NOT the model")
    print(HEADER)
    print("|" + "---|" * (HEADER.count("|") - 1))
    if args.keep:
        (n,) = args.passages
        print(table_row(run(n, args.keep, args.ivf_threshold, args.queries)), flush=True)
        return 0
    for n in args.passages:
        with tempfile.TemporaryDirectory(prefix="charta-scale-") as tmp:
            print(table_row(run(n, Path(tmp) / "index", args.ivf_threshold, args.queries)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
