"""The opened index reads rows on demand and maps its vectors (index/table.py, index/store.py).

Checked against what the index held before: the eager lists ``read_jsonl`` gives, the
filters that scanned every passage, a generation written without the offset and column
files.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from index import store
from index.search import MODES, Searcher
from index.table import LazyRows
from ingest.passages import Passage, Sentence
from tests.conftest import make_settings

NEW_FILES = (
    store.PASSAGE_OFFSETS,
    store.PASSAGE_COLUMNS,
    store.PASSAGE_SECTIONS,
    store.SENTENCE_OFFSETS,
    store.SENTENCE_COLUMNS,
)
QUESTIONS = ["Muss jeder Bürger Online-Dienste nutzen?", "Datensouveränität der Kommunen", "Breitband"]


def eager(gen: Path) -> tuple[list[Passage], list[Sentence]]:
    """Passages and sentences as the store loaded them before: every row parsed."""
    passages = [Passage.from_dict(r) for r in store.read_jsonl(gen / store.PASSAGES)]
    sentences = [Sentence.from_dict(r) for r in store.read_jsonl(gen / store.SENTENCES)]
    return passages, sentences


def scanning_mask(searcher: Searcher, passages: list[Passage], doc_ids, section, include_superseded):
    """The filter as it was: a scan over every passage object (the reference)."""
    allowed = set(doc_ids) if doc_ids else set(searcher.documents)
    if not include_superseded:
        allowed -= {
            d for d, e in searcher.documents.items() if e.get("superseded_by") and not (doc_ids and d in doc_ids)
        }
    doc_of = np.array([p.doc_id for p in passages], dtype=object)
    mask = np.isin(doc_of, list(allowed)) if allowed != set(searcher.documents) else None
    if section:
        sec = np.array([p.section == section or p.section.startswith(section + " › ") for p in passages])
        mask = sec if mask is None else (mask & sec)
    return mask


def old_generation(settings, tmp: Path):
    """A copy of the live index whose generation lacks the files this change added."""
    target = tmp / "old-index"
    shutil.copytree(settings.index_dir, target)
    gen = store.current_generation(target)
    for name in NEW_FILES:
        (gen / name).unlink()
    return make_settings(tmp, index_dir=target, corpus_dir=settings.corpus_dir), gen


def same_hits(a: Searcher, b: Searcher, **filters) -> None:
    for q in QUESTIONS:
        for mode in MODES:
            ha = [h.to_json() for h in a.search(q, k=8, mode=mode, **filters)]
            hb = [h.to_json() for h in b.search(q, k=8, mode=mode, **filters)]
            assert ha == hb, (q, mode, filters)


def test_lazy_rows_equal_the_eager_lists(charter_index):
    stored = store.load_stored(charter_index.index_dir)
    passages, sentences = eager(stored.path)
    for lazy, rows in ((stored.passages, passages), (stored.sentences, sentences)):
        assert isinstance(lazy, LazyRows) and len(lazy) == len(rows) > 100
        for i, row in enumerate(rows):
            assert lazy[i] == row  # dataclass equality: every field
        assert list(lazy) == rows and lazy == rows and rows == lazy
        assert lazy[-1] == rows[-1] and lazy[np.int64(3)] == rows[3]
        assert lazy[5:9] == rows[5:9] and lazy[::50] == rows[::50] and lazy[len(rows) :] == []
        with pytest.raises(IndexError):
            lazy[len(rows)]
        assert lazy != rows[:-1]


def test_columns_equal_what_the_rows_say(charter_searcher):
    stored = charter_searcher.stored
    passages, sentences = eager(stored.path)
    saved = stored.columns
    computed = store.Columns.of(passages, sentences, stored.manifest.documents)
    assert saved.sections == computed.sections
    for name in ("passage_section", "passage_sentences", "sentence_section"):
        assert np.array_equal(getattr(saved, name), getattr(computed, name)), name
    base = stored.manifest.documents[0]["sentence_row_start"]
    for i, p in enumerate(passages):
        assert saved.sections[saved.passage_section[i]] == p.section
        holding = range(base + p.sentences[0], base + p.sentences[1])
        assert list(charter_searcher.sentence_rows(charter_searcher.passage_hit(i))) == list(holding)
        for r in holding:
            assert i in charter_searcher._passages_of[r].tolist()
    # Each sentence is held by the passages whose range covers it, and by no other.
    held = sum(len(charter_searcher._passages_of[r]) for r in range(len(sentences)))
    assert held == sum(p.sentences[1] - p.sentences[0] for p in passages)


def test_section_sentence_rows_match_a_walk_over_the_sentences(charter_searcher):
    _, sentences = eager(charter_searcher.stored.path)
    for row in range(0, len(sentences), 7):
        s = sentences[row]
        same = [
            r for r, t in enumerate(sentences) if (t.doc_id, t.section_idx) == (s.doc_id, s.section_idx)
        ]  # one block: sentences are stored in reading order
        assert list(charter_searcher.section_sentence_rows(row)) == same


def test_section_filter_equals_the_scan_and_searches_the_same(charter_searcher):
    passages, _ = eager(charter_searcher.stored.path)
    tops = sorted({p.section_path[0] for p in passages if p.section_path})
    deeper = next(p.section for p in passages if len(p.section_path) > 1)
    assert len(tops) > 3
    for section in [*tops, deeper, "keine solche Überschrift", tops[0][:-1]]:
        want = scanning_mask(charter_searcher, passages, None, section, False)
        got = charter_searcher._mask(None, section, False)
        assert np.array_equal(got, want), section
        for h in charter_searcher.search(QUESTIONS[0], k=5, section=section):
            assert h.section == section or h.section.startswith(section + " › ")


def test_a_generation_without_the_new_files_opens_and_searches_the_same(charter_index, charter_searcher, tmp_path):
    settings, gen = old_generation(charter_index, tmp_path)
    old = Searcher(store.load_stored(settings.index_dir), charter_searcher.embedder, settings)
    assert not any((gen / name).exists() for name in NEW_FILES)
    assert old.passages == charter_searcher.passages and old.sentences == charter_searcher.sentences
    for name in ("passage_section", "passage_sentences", "sentence_section"):
        assert np.array_equal(getattr(old.stored.columns, name), getattr(charter_searcher.stored.columns, name))
    section = charter_searcher.passages[len(charter_searcher.passages) // 2].section_path[0]
    same_hits(old, charter_searcher)
    same_hits(old, charter_searcher, section=section)


def test_a_pruned_generation_stays_readable_while_open(charter_index, tmp_path):
    settings, _ = old_generation(charter_index, tmp_path)
    stored = store.load_stored(settings.index_dir)
    first, last = stored.passages[0], stored.sentences[len(stored.sentences) - 1]
    shutil.rmtree(stored.path)  # what store.prune does to an old generation
    for rows in (stored.passages, stored.sentences):
        rows._cached.cache_clear()  # type: ignore[attr-defined]  # read from the mapping again
    assert stored.passages[0] == first and stored.sentences[len(stored.sentences) - 1] == last
    assert stored.embeddings.shape[0] == len(stored.passages) and np.isfinite(stored.embeddings[-1]).all()


def test_rows_that_lie_about_their_manifest_are_refused(charter_index, tmp_path):
    import json

    from common.errors import IndexMismatchError

    settings, gen = old_generation(charter_index, tmp_path)
    raw = json.loads((gen / store.MANIFEST).read_text(encoding="utf-8"))
    raw["documents"][0]["row_end"] -= 1
    (gen / store.MANIFEST).write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(IndexMismatchError, match="rebuild"):
        store.load_stored(settings.index_dir)


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads /proc/self/maps (Linux)")
def test_vectors_and_indexes_are_mapped_not_copied(charter_searcher):
    stored = charter_searcher.stored
    for array, name in ((stored.embeddings, store.EMBEDDINGS), (stored.sentence_embeddings, store.SENTENCE_EMBEDDINGS)):
        assert isinstance(array, np.memmap) and Path(array.filename) == stored.path / name
        assert not array.flags.writeable
    bm25 = charter_searcher.bm25.retriever.scores["data"]
    assert isinstance(bm25, np.memmap)
    # FAISS maps its vector files itself: they show up among the process's mappings.
    mapped = Path("/proc/self/maps").read_text()
    for name in (store.DENSE, store.SENTENCE_DENSE, store.PASSAGES, store.SENTENCES):
        assert str(stored.path / name) in mapped, name


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """An index of 3500 synthetic passages in 4 documents (the second superseded), with
    hashed vectors (eval/scale.py): several documents, built in seconds."""
    from eval.scale import HashedEmbedder, HashedVectors, synthetic_corpus, synthetic_manifest

    corpus = synthetic_corpus(3500)
    corpus.manifest_docs[1]["superseded_by"] = corpus.manifest_docs[3]["doc_id"]
    vectors = HashedVectors()
    settings = make_settings(tmp_path_factory.mktemp("synthetic"))
    embedder = HashedEmbedder(vectors)
    manifest = synthetic_manifest(corpus, embedder, settings.passages.as_dict())
    pv = vectors.encode([p.text for p in corpus.passages])
    sv = vectors.encode([s.text for s in corpus.sentences])
    store.write_generation(
        settings.index_dir, manifest, corpus.passages, pv, corpus.sentences, sv, corpus.documents, 10**9
    )
    searcher = Searcher(store.load_stored(settings.index_dir), embedder, settings)  # type: ignore[arg-type]
    return searcher, corpus, settings


def test_document_filter_equals_the_scan(synthetic):
    """The document filter from row ranges equals the old scan, and searches with it give
    the same hits as with the scanning filter."""
    searcher, corpus, settings = synthetic
    assert searcher.passages == corpus.passages and searcher.sentences == corpus.sentences
    ids = [d["doc_id"] for d in corpus.manifest_docs]
    cases = [(None, False), (None, True), ([ids[1]], False), ([ids[0], ids[2]], False), (["fehlt"], False)]
    for doc_ids, superseded in cases:
        for section in (None, "3 Abschnitt"):
            want = scanning_mask(searcher, corpus.passages, doc_ids, section, superseded)
            got = searcher._mask(doc_ids, section, superseded)
            assert (got is None) == (want is None) and (got is None or np.array_equal(got, want))

    class Scanning(Searcher):
        def _mask(self, doc_ids, section, include_superseded):
            return scanning_mask(self, corpus.passages, doc_ids, section, include_superseded)

    before = Scanning(searcher.stored, searcher.embedder, settings)
    same_hits(searcher, before, doc_ids=[ids[0], ids[2]])
    same_hits(searcher, before, doc_ids=[ids[1]], section="7 Abschnitt")
    hits = searcher.search(QUESTIONS[1], k=20, mode="hybrid")
    assert hits and all(h.doc_id != ids[1] for h in hits)  # superseded: left out by default


@pytest.mark.parametrize("exact_limit", [20_000, 0])
def test_filtered_vector_rankings_equal_the_full_ranking_filtered(synthetic, monkeypatch, exact_limit):
    """Filtered dense and sentence rankings, scored exactly over the allowed rows or
    searched with a FAISS selector (limit 0), equal what filtering the complete exact
    ranking of every vector gives (the old way: search all, drop the rest)."""
    import index.search

    searcher, corpus, _ = synthetic
    monkeypatch.setattr(index.search, "EXACT_FILTERED", exact_limit)
    ids = [d["doc_id"] for d in corpus.manifest_docs]
    for doc_ids, section in (([ids[2]], None), (None, "5 Abschnitt"), ([ids[0], ids[3]], "2 Abschnitt")):
        mask = searcher._mask(doc_ids, section, False)
        for q in QUESTIONS:
            qvec = searcher.embedder.query_vector(q)
            rows, sims = searcher.dense.search(qvec, len(corpus.passages))
            want = [(int(r), round(float(s), 4)) for r, s in zip(rows, sims) if mask[r]][:8]
            hits = searcher.search(q, k=8, mode="dense", doc_ids=doc_ids, section=section)
            assert [(h.row, h.dense_score) for h in hits] == want
            srows, ssims = searcher.sentence_dense.search(qvec, len(corpus.sentences))
            best: dict[int, float] = {}
            for r, sim in zip(srows.tolist(), ssims.tolist()):
                for i in searcher._passages_of[r].tolist():
                    if mask[i] and i not in best:
                        best[i] = sim
            want_s = sorted(best.items(), key=lambda x: (-x[1], x[0]))[:8]
            got_s = [
                (h.row, h.score) for h in searcher.search(q, k=8, mode="sentence", doc_ids=doc_ids, section=section)
            ]
            assert [r for r, _ in got_s] == [r for r, _ in want_s]
            assert np.allclose([x for _, x in got_s], [x for _, x in want_s], atol=1e-5)


def test_a_dropped_table_releases_its_mapping_at_once(tmp_path):
    """No reference cycle: an old generation's file mapping (and, once pruned, its disk
    space) goes with the last reference, not at some later garbage collection."""
    import gc
    import weakref

    from index.table import write_jsonl_offsets

    path = tmp_path / "t.jsonl"
    table = LazyRows(path, write_jsonl_offsets(path, [{"n": i} for i in range(5)]), lambda d: d["n"])
    assert table[2] == 2
    gone = weakref.ref(table)
    gc.disable()
    try:
        del table
        assert gone() is None
    finally:
        gc.enable()


def test_best_first_equals_sorting_the_pairs():
    from index.backend import Ranked
    from index.search import _best_first

    rng = np.random.default_rng(1)
    for _ in range(300):
        rows = rng.choice(1000, int(rng.integers(0, 60)), replace=False).tolist()
        scores = {r: float(rng.choice([0.1, 0.5, rng.random()])) for r in rows}  # ties too
        ranked = Ranked(np.array(list(scores), dtype=np.int64), np.array(list(scores.values()), dtype=np.float32))
        expected = sorted(((r, float(np.float32(v))) for r, v in scores.items()), key=lambda x: (-x[1], x[0]))
        got = _best_first(ranked)
        assert list(zip(got.rows.tolist(), got.scores.tolist())) == expected


def test_a_passage_id_finds_its_row_reading_only_its_document(charter_searcher):
    rows = {p.id: i for i, p in enumerate(charter_searcher.passages)}
    assert all(charter_searcher.row_of(pid) == row for pid, row in rows.items())
    some = next(iter(rows))
    doc, sha, rest = some.split(":", 2)
    assert charter_searcher.row_of(f"{doc}:00000000:{rest}") is None  # an older version's id
    assert charter_searcher.row_of(f"anderes-dokument:{sha}:{rest}") is None
    assert charter_searcher.row_of("") is None


def test_a_sections_rows_come_from_the_columns_as_a_scan_finds_them(charter_searcher):
    s = charter_searcher
    for doc_id, doc in s.stored.documents.items():
        for sec in doc["sections"]:
            passages, sentences = s.section_rows(doc_id, sec["idx"])
            want_p = [r for r in s.passages_of(doc_id) if s.passages[r].section_idx == sec["idx"]]
            want_s = [r for r, x in enumerate(s.sentences) if x.doc_id == doc_id and x.section_idx == sec["idx"]]
            assert list(passages) == want_p and list(sentences) == want_s, sec["title"]
