"""A replica serves an index it cannot write: the index and corpus folders on a
read-only mount (here a read-only bind mount of the writer's folders), as
docs/SCALING.md describes. It searches, switches to the generation the writer
publishes, and keeps feedback in a file of its own. Bind mounts need root with the
right to mount; elsewhere the test is skipped, saying so."""

from __future__ import annotations

import errno
import subprocess
import time

import pytest
from conftest import write_excerpt

from answer.pipeline import ask
from common.errors import FeedbackWriteError
from index.build import build_index
from index.live import LiveSearcher
from web.feedback import FeedbackStore, feedback_from

NEW_DOC = "leitfaden"


@pytest.fixture
def read_only_view(workspace, tmp_path_factory):
    """The writer's folder (corpus and index) mounted read-only at another path."""
    view = tmp_path_factory.mktemp("replica-view")
    source = workspace.index_dir.parent
    mounted = subprocess.run(["mount", "--bind", str(source), str(view)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"no bind mount here ({mounted.stderr.strip()}): the replica test needs root with mount rights")
    read_only = subprocess.run(["mount", "-o", "remount,bind,ro", str(view)], capture_output=True, text=True)
    if read_only.returncode != 0:
        subprocess.run(["umount", "--lazy", str(view)], check=True, capture_output=True)
        pytest.skip(f"the bind mount cannot be made read-only here ({read_only.stderr.strip()})")
    try:
        yield view
    finally:
        # Lazily: the searchers' memory maps keep the mount busy until they are freed.
        subprocess.run(["umount", "--lazy", str(view)], check=True, capture_output=True)


def test_a_replica_on_a_read_only_mount_serves_switches_and_keeps_feedback_apart(
    workspace, read_only_view, tmp_path_factory
):
    replica = workspace.with_overrides(
        index_dir=read_only_view / "index", corpus_dir=read_only_view / "corpus", feedback=True
    )
    with pytest.raises(OSError) as denied:
        (read_only_view / "index" / "probe").touch()
    assert denied.value.errno == errno.EROFS  # the replica really cannot write there

    # Feedback beside a read-only index is refused at start-up; a file of its own works.
    with pytest.raises(FeedbackWriteError, match="CHARTA_FEEDBACK_FILE"):
        FeedbackStore.for_settings(replica)
    own = tmp_path_factory.mktemp("replica-own") / "feedback.jsonl"
    store = FeedbackStore.for_settings(replica.with_overrides(feedback_file=own))
    assert store is not None

    live = LiveSearcher(replica, check_interval_s=0.05)
    first = live.get()
    hits = first.search("Datenhoheit behalten", k=3)
    assert hits and hits[0].doc_id == "smart-city-charta-2021"
    assert not first.search("Datenhoheit behalten", k=3, doc_ids=[NEW_DOC])

    # The writer adds a document and publishes a generation; the replica switches to it.
    write_excerpt(workspace.corpus_dir / "leitfaden.pdf", range(9, 12), "Leitfaden Daten")
    report = build_index([workspace.corpus_dir], workspace)
    assert report.written and not report.failed
    deadline = time.monotonic() + 10
    while live.get().generation == first.generation and time.monotonic() < deadline:
        time.sleep(0.05)
    now = live.get()
    assert now.generation != first.generation, "the replica did not switch"
    found = now.search("Datenhoheit behalten", k=3, doc_ids=[NEW_DOC])
    assert found and (replica.corpus_dir / found[0].file).is_file()  # its PDF, for the source view

    answer = ask(now, "Wie behält eine Kommune die Hoheit über ihre Daten?")
    store.add(feedback_from(answer, 1, "", now.generation, "de"))
    assert [r.generation for r in store.read()] == [now.generation]
