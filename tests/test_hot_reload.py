"""A running process picks up a new index on the next request, without failing any.

Several threads query a LiveSearcher continuously while the corpus changes and real
builds publish new generations in the same process (as the admin tab does).
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections import Counter

from conftest import write_excerpt

import index.live as live_module
from index import maintain, store
from index.build import build_index
from index.live import LiveSearcher

NEW_DOC = "leitfaden"


def test_swap_under_concurrent_queries(workspace):
    live = LiveSearcher(workspace, check_interval_s=0.05)
    first = live.get()
    stop = threading.Event()
    errors: list[BaseException] = []
    served: list[tuple[str, bool, bool]] = []  # (generation, new doc found, complete)

    def client(query: str) -> None:
        while not stop.is_set():
            try:
                searcher = live.get()
                hits = searcher.search(query, k=5, doc_ids=[NEW_DOC])
                whole = searcher.search(query, k=5)
                assert whole, "no answer from the charter"
                # Never a half-indexed document: all of its passages or none.
                rows = sum(p.doc_id == NEW_DOC for p in searcher.passages)
                expected = searcher.documents.get(NEW_DOC, {}).get("passages", 0)
                served.append((searcher.generation, bool(hits), rows == expected))
            except BaseException as exc:  # every failure counts, whatever its type
                errors.append(exc)

    questions = [
        "Datenhoheit behalten",
        "Digitale Teilhabe sichern",
        "Wer kontrolliert die Daten der Stadt?",
        "Open Data",
    ]
    threads = [threading.Thread(target=client, args=(q,)) for q in questions]
    for t in threads:
        t.start()
    try:
        deadline = time.monotonic() + 30
        while len(served) < 2 * len(questions):  # every client has been answered by the first index
            assert time.monotonic() < deadline and not errors, errors
            time.sleep(0.02)
        write_excerpt(workspace.corpus_dir / "leitfaden.pdf", range(9, 12), "Leitfaden Daten")
        report = build_index([workspace.corpus_dir], workspace)
        assert report.written and not report.failed
        deadline = time.monotonic() + 30
        while Counter(g for g, *_ in served[-40:])[report.generation] < 40:
            assert time.monotonic() < deadline, "the new index was not picked up"
            time.sleep(0.05)
        # A second swap, this time removing the document again.
        removed = maintain.remove(["leitfaden"], workspace)
        assert removed.build and removed.build.written
        third = removed.build.generation
        deadline = time.monotonic() + 30
        while Counter(g for g, *_ in served[-40:])[third] < 40:
            assert time.monotonic() < deadline, "the third index was not picked up"
            time.sleep(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)

    assert errors == []
    by_gen: dict[str, set[bool]] = {}
    for gen, found, complete in served:
        assert complete
        by_gen.setdefault(gen, set()).add(found)
    assert by_gen[first.generation] == {False}
    assert by_gen[report.generation] == {True}
    assert by_gen[third] == {False}
    assert len(served) > 100
    # The first searcher keeps working although its folder has been pruned meanwhile.
    assert not (workspace.index_dir / first.generation).exists()
    assert first.search("Datenhoheit behalten", k=3)


def test_unloadable_generation_keeps_the_old_one_serving(workspace, monkeypatch):
    live = LiveSearcher(workspace, check_interval_s=0.0)
    good = live.get()
    # A generation that says it was written by another format version.
    broken = workspace.index_dir / "gen-99990101T000000.000000-broken"
    shutil.copytree(good.stored.path, broken)
    manifest = json.loads((broken / "manifest.json").read_text(encoding="utf-8"))
    manifest["format_version"] = 999
    (broken / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (workspace.index_dir / store.CURRENT).write_text(broken.name + "\n", encoding="utf-8")

    hits = live.search("Datenhoheit behalten", k=1)
    assert hits and live.get() is good
    assert "format version 999" in live.last_error
    opened = []
    real_open = live_module.Searcher.open
    monkeypatch.setattr(live_module.Searcher, "open", lambda settings: opened.append(settings) or real_open(settings))
    live.get()
    assert opened == []  # the broken generation is not read again on every request

    report = build_index([workspace.corpus_dir], workspace)
    assert report.written
    assert live.get() is not good and live.generation == report.generation
