"""Every failure leaves the previous index loadable: a bad PDF, a second ingest run,
``kill -9`` while embedding or writing, a full disk during the write.

The crash and disk tests run the real ``python -m ingest`` in a child process.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest
from conftest import CHARTER, ROOT, write_excerpt

from index import store
from ingest.__main__ import main

QUERY = "Niemand soll zur Nutzung digitaler Strukturen gezwungen werden"


def ingest_cmd(settings, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "ingest",
        "--corpus",
        str(settings.corpus_dir),
        "--index-dir",
        str(settings.index_dir),
        *extra,
    ]


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHARTA_")}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", PYTHONUNBUFFERED="1")
    return env


def live(settings) -> str:
    return store.current_generation(settings.index_dir).name


def assert_searchable(settings, generation: str) -> None:
    """The index on disk loads, is the expected generation, and answers a question."""
    from index.search import Searcher

    searcher = Searcher.open(settings)
    assert searcher.generation == generation
    hits = searcher.search(QUERY, k=3)
    assert hits and hits[0].doc_id == "smart-city-charta-2021" and hits[0].page == "8"


class Lines:
    """Collects a child's output lines in the background (pipes must not fill up)."""

    def __init__(self, stream) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        for line in stream:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            assert time.monotonic() < deadline, f"no {text!r} in {self.lines}"
            time.sleep(0.02)

    def text(self) -> str:
        self._thread.join(timeout=10)
        return "\n".join(self.lines)


def test_a_corrupt_pdf_costs_only_itself(workspace, capsys):
    corpus = workspace.corpus_dir
    write_excerpt(corpus / "leitfaden.pdf", range(9, 12), "Leitfaden Daten")
    data = CHARTER.read_bytes()
    (corpus / "kaputt.pdf").write_bytes(data[: len(data) // 3])  # a PDF cut off mid-way
    generation = live(workspace)

    assert main(["--corpus", str(corpus), "--index-dir", str(workspace.index_dir)]) == 1
    out = capsys.readouterr().out
    failed = [line for line in out.splitlines() if line.startswith("✗")]
    assert len(failed) == 1 and failed[0].startswith("✗ kaputt.pdf: ")
    assert "1 new" in out and "1 failed" in out
    assert live(workspace) != generation
    from index.search import Searcher

    assert set(Searcher.open(workspace).documents) == {"leitfaden", "smart-city-charta-2021"}

    # A new version of an indexed PDF that is broken: the indexed version stays.
    shutil.copy(corpus / "kaputt.pdf", corpus / "smart-city-charta-2021.pdf")
    (corpus / "kaputt.pdf").unlink()
    assert main(["--corpus", str(corpus), "--index-dir", str(workspace.index_dir)]) == 1
    assert "smart-city-charta-2021.pdf: " in capsys.readouterr().out
    assert_searchable(workspace, live(workspace))


def test_lock_kill_during_embedding_and_a_waiting_run(workspace):
    corpus = workspace.corpus_dir
    # A second, full-length document: long enough to embed that we can kill mid-way.
    write_excerpt(corpus / "charta-neu.pdf", range(21), "Smart City Charta (neu)")
    before = live(workspace)
    lock_file = workspace.index_dir / store.LOCK

    first = subprocess.Popen(
        ingest_cmd(workspace), cwd=ROOT, env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    first_err = Lines(first.stderr)
    first_out = Lines(first.stdout)
    waiter = None
    try:
        deadline = time.monotonic() + 60
        while not (lock_file.exists() and lock_file.read_text() == f"pid {first.pid}"):
            assert first.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)

        second = subprocess.run(
            ingest_cmd(workspace), cwd=ROOT, env=child_env(), capture_output=True, text=True, timeout=120, check=False
        )
        assert second.returncode == 2
        assert second.stderr.strip().splitlines() == [
            (
                f"error: index {workspace.index_dir} is being built by pid {first.pid}; wait for "
                "it to finish and run again (or use --wait SECONDS)"
            )
        ]

        waiter = subprocess.Popen(
            ingest_cmd(workspace, "--wait", "300"),
            cwd=ROOT,
            env=child_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        waiter_out = Lines(waiter.stdout)
        first_err.wait_for("loaded intfloat/multilingual-e5-small", timeout=120)
        time.sleep(1.0)  # now embedding the 21-page document
        assert first.poll() is None, first_out.text()
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        assert first.returncode == -signal.SIGKILL
        assert "index updated" not in first_out.text()

        # Right after the crash: the previous index is live and answers.
        assert live(workspace) == before
        assert_searchable(workspace, before)

        # The waiting run gets the lock the dead process held and finishes the job.
        assert waiter.wait(timeout=300) == 0, waiter_out.text()
        assert "1 new" in waiter_out.text() and "index updated" in waiter_out.text()
    finally:
        for proc in (first, waiter):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
    from index.search import Searcher

    assert set(Searcher.open(workspace).documents) == {"charta-neu", "smart-city-charta-2021"}


def test_kill_during_the_write_leaves_the_old_index_and_is_cleaned_up(workspace):
    corpus = workspace.corpus_dir
    write_excerpt(corpus / "leitfaden.pdf", range(9, 12), "Leitfaden Daten")
    before = live(workspace)
    old_gens = {p.name for p in workspace.index_dir.glob("gen-*")}

    proc = subprocess.Popen(
        ingest_cmd(workspace), cwd=ROOT, env=child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 120
        while not {p.name for p in workspace.index_dir.glob("gen-*")} - old_gens:
            assert proc.poll() is None, "the build ended before writing"
            assert time.monotonic() < deadline
            time.sleep(0.002)
        proc.send_signal(signal.SIGKILL)  # the new generation folder is being filled
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert live(workspace) == before  # killed before the switch
    half = [p for p in workspace.index_dir.glob("gen-*") if p.name not in old_gens]
    assert len(half) == 1 and not (half[0] / "manifest.json").exists()
    assert_searchable(workspace, before)

    # Looking at the index is enough to tidy up: the half-written folder is gone.
    assert main(["status", "--corpus", str(corpus), "--index-dir", str(workspace.index_dir)]) == 0
    assert not half[0].exists()
    assert live(workspace) == before

    assert main(["-q", "--corpus", str(corpus), "--index-dir", str(workspace.index_dir)]) == 0
    assert live(workspace) != before


def test_remains_of_a_killed_build_go_at_the_next_build_but_never_a_running_one(workspace):
    from index.build import build_index

    # What a build killed while writing leaves: a generation folder without a manifest,
    # named as store.new_generation names them, and a temporary pointer file.
    dead = workspace.index_dir / "gen-20260101T000000.000000-dead00"
    dead.mkdir()
    (dead / "passages.jsonl").write_text('{"id": "halb"}\n', encoding="utf-8")
    pointer = workspace.index_dir / ".CURRENT.dead00"
    pointer.write_text(dead.name + "\n", encoding="utf-8")

    # While another build holds the lock, its folder looks just like that: status keeps it.
    holding, release = threading.Event(), threading.Event()

    def other_build() -> None:
        with store.build_lock(workspace.index_dir):
            holding.set()
            release.wait(30)

    thread = threading.Thread(target=other_build)
    thread.start()
    try:
        assert holding.wait(30)
        assert main(["status", "--corpus", str(workspace.corpus_dir), "--index-dir", str(workspace.index_dir)]) == 0
        assert dead.is_dir() and pointer.exists()
    finally:
        release.set()
        thread.join(30)

    # A build with nothing to write still tidies up first.
    report = build_index([workspace.corpus_dir], workspace)
    assert not report.written and not dead.exists() and not pointer.exists()
    assert_searchable(workspace, live(workspace))


@pytest.mark.parametrize("stage", ["spooling", "writing"])
def test_full_disk_during_the_write(workspace, tmp_path, stage):
    corpus = workspace.corpus_dir
    write_excerpt(corpus / "leitfaden.pdf", range(9, 12), "Leitfaden Daten")
    before = live(workspace)
    old_gens = sorted(p.name for p in workspace.index_dir.glob("gen-*"))
    if stage == "spooling":
        # The new passage vectors are more than the live ones: spooling them while the
        # documents are embedded fails as on a full disk (EFBIG; Python ignores SIGXFSZ).
        limit = (workspace.index_dir / before / "embeddings.npy").stat().st_size
    else:
        # Room for the spooled sentence vectors exactly, not for the generation's files
        # made of them (a header more): the write fails after every document is embedded.
        # How many sentences the new index holds: the same build, into a copy.
        trial = tmp_path / "trial"
        shutil.copytree(workspace.index_dir, trial / "index")
        assert main(["-q", "--corpus", str(corpus), "--index-dir", str(trial / "index")]) == 0
        limit = store.load_stored(trial / "index").sentence_embeddings.nbytes

    def small_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    proc = subprocess.run(
        ingest_cmd(workspace),
        cwd=ROOT,
        env=child_env(),
        preexec_fn=small_disk,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr
    assert errors[0].startswith(f"error: could not write the new index in {workspace.index_dir}: ")
    assert errors[0].endswith("; the previous index, if any, stays live")
    assert live(workspace) == before
    assert sorted(p.name for p in workspace.index_dir.glob("gen-*")) == old_gens
    assert_searchable(workspace, before)

    # With space again the same command succeeds.
    assert main(["-q", "--corpus", str(corpus), "--index-dir", str(workspace.index_dir)]) == 0
    assert live(workspace) != before
