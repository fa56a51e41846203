"""Ingest parses the next PDFs in their child processes while the model embeds.

What a user must not notice: the index holds exactly what indexing the documents one by
one gives, in the same order; a bad PDF still fails alone, in one line. What they do
notice: the summary line says how fast it went, and a terminal gets a progress bar with
pages, passages and the time left (a log file only plain lines).
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from index import build, store
from index.build import build_index
from index.progress import EMBED, READ, WRITE, BuildProgress
from ingest.__main__ import main
from ingest.pdf import PdfParse
from tests import pdf_factory as pf
from tests.conftest import CHARTER, FIXTURES, ROOT, charter_corpus, make_settings

pytestmark = pytest.mark.slow  # builds indexes with the real model

SENTENCE = "Die Stadt gestaltet digitale Dienste so, dass alle Menschen sie ohne Hürden nutzen können."
SUMMARY = re.compile(
    r"^(?P<docs>\d+) documents, (?P<pages>\d+) pages, (?P<passages>\d+) passages \((?P<counts>[^)]*)\); "
    r"index updated; (?P<seconds>[\d.]+) s(?P<speed>.*) → "
)
SPEED = re.compile(
    r"^ \((?:(?P<pages>\d+) pages, (?P<passages>\d+) passages indexed now: )?"
    r"(?P<pages_s>[\d.]+) pages/s, (?P<passages_s>[\d.]+) passages/s, embedding (?P<share>\d+) %\)$"
)


@pytest.fixture
def three_ahead(monkeypatch):
    """Every document of the small corpora parsed at once, whatever the machine's cores."""
    monkeypatch.setattr(build, "look_ahead", lambda: 3)


def _small_pdf(path: Path, topic: str, pages: int = 1) -> Path:
    """A text PDF about ``topic``; each page says something else (no running heads)."""
    words = ["Beteiligung", "Verwaltung", "Wohnen", "Klima", "Verkehr", "Bildung"]
    return pf.text_pdf(
        path,
        [
            [
                f"{topic} und {words[n % len(words)]} sind Thema {n + 1} der Stadtentwicklung.",
                SENTENCE.replace("digitale Dienste", f"{words[(n + 1) % len(words)]} im Bereich {topic}"),
                f"Im Abschnitt {n + 1} geht es um {topic} in Quartieren mit {n + 2} Schwerpunkten.",
            ]
            for n in range(pages)
        ],
    )


def _rows(index_dir: Path) -> dict[str, dict]:
    """Per document, in index order: its passages, sentences, vectors and page texts."""
    stored = store.load_stored(index_dir)
    out = {}
    for e in stored.manifest.documents:
        rows = range(e["row_start"], e["row_end"])
        srows = range(e["sentence_row_start"], e["sentence_row_end"])
        out[e["doc_id"]] = {
            "passages": [stored.passages[i].as_dict() for i in rows],
            "sentences": [stored.sentences[i].as_dict() for i in srows],
            "vectors": np.asarray(stored.embeddings[list(rows)]),
            "sentence_vectors": np.asarray(stored.sentence_embeddings[list(srows)]),
            "pages": stored.documents[e["doc_id"]]["pages"],
        }
    return out


def test_parsing_ahead_indexes_what_one_document_at_a_time_gives(tmp_path, charter_index, three_ahead):
    corpus = charter_corpus(tmp_path / "corpus")
    shutil.copy(FIXTURES / "pdflatex-4-pages.pdf", corpus)  # sorts before the charter
    _small_pdf(corpus / "zukunft.pdf", "Mobilität", pages=2)  # and this one after it
    settings = make_settings(tmp_path)
    events: list = []
    report = build_index([corpus], settings, on_event=events.append)
    assert [(r.file, r.status) for r in report.results] == [
        ("pdflatex-4-pages.pdf", "new"),
        ("smart-city-charta-2021.pdf", "new"),
        ("zukunft.pdf", "new"),
    ]
    _progress_is_told_in_order(events, report)
    together = _rows(settings.index_dir)
    assert list(together) == ["pdflatex-4-pages", "smart-city-charta-2021", "zukunft"]

    # Each document indexed alone (nothing to parse ahead): the charter's session index,
    # and one index for each small PDF.
    alone = _rows(charter_index.index_dir)
    for name in ("pdflatex-4-pages.pdf", "zukunft.pdf"):
        single = tmp_path / name
        (single / "corpus").mkdir(parents=True)
        shutil.copy(corpus / name, single / "corpus")
        build_index([single / "corpus"], make_settings(single))
        alone |= _rows(single / "index")

    for doc_id, rows in together.items():
        assert rows["passages"] == alone[doc_id]["passages"], doc_id
        assert rows["sentences"] == alone[doc_id]["sentences"], doc_id
        assert rows["pages"] == alone[doc_id]["pages"], doc_id
        np.testing.assert_allclose(rows["vectors"], alone[doc_id]["vectors"], atol=1e-5, err_msg=doc_id)
        np.testing.assert_allclose(
            rows["sentence_vectors"], alone[doc_id]["sentence_vectors"], atol=1e-5, err_msg=doc_id
        )
    assert len(together["smart-city-charta-2021"]["passages"]) > 50  # the charter, not an excerpt


def _progress_is_told_in_order(events: list, report: build.BuildReport) -> None:
    """What an interface hears of a build: per document, in order, its pages read, then
    its passages and sentences embedded up to their totals with the time left, then its
    result; at the end the writing of the index."""
    assert [e for e in events if isinstance(e, build.DocResult)] == report.results
    progress = [e for e in events if isinstance(e, BuildProgress)]
    assert progress[-1].stage == WRITE
    for number, result in enumerate(report.results, 1):
        told = [p for p in progress if p.doc == number]
        assert {(p.file, p.docs) for p in told} == {(result.file, 3)}
        stages = [p.stage for p in told]
        assert stages[0] == READ and stages[-1] == EMBED and stages == sorted(stages, key=[READ, EMBED].index)
        embedding = [p for p in told if p.stage == EMBED]
        assert all(p.pages == result.pages for p in embedding)
        assert (embedding[-1].passages_done, embedding[-1].passages) == (result.passages, result.passages)
        assert embedding[-1].sentences_done == embedding[-1].sentences > 0
        assert embedding[-1].embedded == 1.0 and embedding[-1].seconds_left == 0.0
        shares = [p.embedded for p in embedding]
        assert shares == sorted(shares)
        # The time left: from the build's first measured batch on, always.
        assert all(p.seconds_left is not None for p in embedding[1:])


def test_a_long_parse_tells_the_pages_it_has_read(tmp_path):
    pdf = pf.text_pdf(
        tmp_path / "lang.pdf", [[f"Seite {n}: Die Stadt plant {n} neue Radwege im Quartier."] for n in range(400)]
    )
    job = PdfParse(pdf, max_pages=2000, timeout_s=120)
    seen = {job.pages_read()}
    while not job.wait(0.005):
        seen.add(job.pages_read())
    assert len(job.result().pages) == 400
    assert job.pages_read() == (400, 400)
    assert any(0 < read < 400 and count == 400 for read, count in seen), sorted(seen)


def test_bad_pdfs_among_good_ones_fail_alone_and_an_indexed_version_stays(tmp_path, capsys, three_ahead):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _small_pdf(corpus / "a-bauen.pdf", "Bauen", pages=2)
    pf.truncated(CHARTER, corpus / "b-halb.pdf", keep=0.3)
    _small_pdf(corpus / "c-daten.pdf", "Daten")
    pf.looping_page_tree(corpus / "d-schleife.pdf")
    _small_pdf(corpus / "e-energie.pdf", "Energie")
    settings = make_settings(tmp_path)
    argv = ["--corpus", str(corpus), "--index-dir", str(settings.index_dir)]

    assert main(argv) == 1
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines[:-1]] == [
        "✓ a-bauen.pdf",
        "✗ b-halb.pdf",
        "✓ c-daten.pdf",
        "✗ d-schleife.pdf",
        "✓ e-energie.pdf",
    ]
    assert "(3 new, 2 failed)" in lines[-1]
    docs = store.load_stored(settings.index_dir).manifest.documents
    assert [d["doc_id"] for d in docs] == ["a-bauen", "c-daten", "e-energie"]
    before = _rows(settings.index_dir)["a-bauen"]["passages"]

    # A new, broken version of an indexed PDF: its line says the old one stays, and it does.
    pf.truncated(CHARTER, corpus / "a-bauen.pdf", keep=0.2)
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "✗ a-bauen.pdf: " in out and out.count("(previous version stays indexed)") == 1
    after = _rows(settings.index_dir)
    assert list(after) == ["a-bauen", "c-daten", "e-energie"]
    assert after["a-bauen"]["passages"] == before


def _summary(out: str) -> tuple[re.Match, re.Match | None]:
    line = out.splitlines()[-1]
    found = SUMMARY.match(line)
    assert found, line
    return found, SPEED.match(found["speed"]) if found["speed"] else None


def _rate_of(rate: float, count: int, seconds: float) -> bool:
    """Whether ``rate`` (printed to 0.1) is ``count`` per second of a wall time printed as
    ``seconds`` (to 0.1 s): a quick build's 0.4 s may have been 0.35 or 0.45."""
    low, high = count / (seconds + 0.05), count / max(seconds - 0.05, 1e-3)
    return low - 0.05 <= rate <= high + 0.05


def test_the_summary_line_says_pages_and_passages_per_second_and_the_embedding_share(tmp_path, capsys, three_ahead):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _small_pdf(corpus / "a-bauen.pdf", "Bauen", pages=3)
    _small_pdf(corpus / "b-daten.pdf", "Daten", pages=2)
    settings = make_settings(tmp_path)
    argv = ["--corpus", str(corpus), "--index-dir", str(settings.index_dir)]

    assert main(argv) == 0
    total, speed = _summary(capsys.readouterr().out)
    assert (total["docs"], total["pages"]) == ("2", "5")
    assert speed is not None and speed["pages"] is None  # everything indexed is new: no counts
    assert _rate_of(float(speed["pages_s"]), 5, float(total["seconds"]))
    assert _rate_of(float(speed["passages_s"]), int(total["passages"]), float(total["seconds"]))
    assert 1 <= int(speed["share"]) < 100  # the model ran, and not all of the time

    # One more document: the speed is that of what this run indexed itself.
    _small_pdf(corpus / "c-energie.pdf", "Energie", pages=4)
    assert main(argv) == 0
    total, speed = _summary(capsys.readouterr().out)
    assert (total["docs"], total["pages"], total["counts"]) == ("3", "9", "2 unchanged, 1 new")
    new = store.load_stored(settings.index_dir).manifest.documents[-1]
    assert speed is not None and (speed["pages"], speed["passages"]) == ("4", str(new["passages"]))

    # Nothing to do: the totals, and no speed.
    assert main(argv) == 0
    line = capsys.readouterr().out.splitlines()[-1]
    assert line.startswith(f"3 documents, 9 pages, {total['passages']} passages (3 unchanged); index unchanged; ")
    assert "pages/s" not in line


def _run_ingest(corpus: Path, index_dir: Path, *extra: str, terminal: bool) -> tuple[str, str]:
    """``python -m ingest`` with stderr on a terminal (a pseudo-terminal, 100 columns) or a pipe."""
    cmd = [sys.executable, "-m", "ingest", "--corpus", str(corpus), "--index-dir", str(index_dir), *extra]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHARTA_")} | {"HF_HUB_OFFLINE": "1"}
    if not terminal:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout, proc.stderr
    leader, follower = os.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))  # tqdm needs a width
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO: the child has closed the terminal
                return
            if not chunk:
                return
            chunks.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        proc = subprocess.run(
            cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=follower, text=True, timeout=300, check=False
        )
    finally:
        os.close(follower)
        reader.join(timeout=10)
        os.close(leader)
    err = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0, err
    return proc.stdout, err


def test_a_terminal_gets_a_progress_bar_and_a_log_plain_lines(tmp_path, three_ahead):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("a-bauen", "b-daten", "c-energie"):
        _small_pdf(corpus / f"{name}.pdf", name.split("-")[1].title())
    index_dir = tmp_path / "index"

    out, err = _run_ingest(corpus, index_dir, terminal=True)
    # One line that follows the build: which document of how many, its pages read, its
    # passages and sentences embedded of their totals, and the time left once measured.
    assert re.search(r"indexing 1/3 a-bauen\.pdf +\d+%\|", err), err
    assert "indexing 3/3 c-energie.pdf" in err, err
    assert re.search(r"\| about \d+ (s|min) left; 1 pages, passages \d+/[1-9]\d*, sentences \d+/[1-9]\d* ", err), err
    lines = out.splitlines()
    assert [line.split(":")[0] for line in lines[:3]] == ["✓ a-bauen.pdf", "✓ b-daten.pdf", "✓ c-energie.pdf"]
    assert "\r" not in out and "pages/s" in lines[3]

    out, err = _run_ingest(corpus, index_dir, "--rebuild", terminal=False)
    assert "indexing" not in err and "\r" not in err
    assert len(out.splitlines()) == 4 and "pages/s" in out

    out, err = _run_ingest(corpus, index_dir, "--rebuild", "-q", terminal=True)
    assert "indexing" not in err and "\r" not in err.replace("\r\n", "\n")
    assert len(out.splitlines()) == 1 and "pages/s" in out


def _parsers_of(pid: int) -> list[int]:
    """Living ``python -m ingest.pdf`` children of process ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:  # gone meanwhile
            continue
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if int(ppid) == pid and state != "Z" and b"ingest.pdf" in cmdline:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _as_from_a_terminal() -> None:
    """Ctrl-C reaches the build as from a shell: an ignored or blocked SIGINT is
    inherited across exec, and a test run can leave one behind (in two full-suite runs
    the build never saw the signal, while it stopped at once when run alone)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")
def test_ctrl_c_leaves_no_parser_running(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("a", "b", "c"):  # each takes seconds to parse
        lines = [f"Zeile {i} über die Stadt {name}, Seite {{n}}." for i in range(40)]
        pf.text_pdf(corpus / f"{name}.pdf", [[line.format(n=n) for line in lines] for n in range(1500)])
    # Over the default text limit, a parser would give up early and the build could end
    # before the signal: the limit is raised so that the parses are still running.
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHARTA_")} | {
        "HF_HUB_OFFLINE": "1",
        "CHARTA_MAX_DOC_CHARS": "100000000",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "ingest", "--corpus", str(corpus), "--index-dir", str(tmp_path / "index")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=_as_from_a_terminal,
    )
    try:
        deadline = time.monotonic() + 60
        while not (parsers := _parsers_of(proc.pid)):
            assert proc.poll() is None and time.monotonic() < deadline, "no parser child seen"
            time.sleep(0.05)
        time.sleep(0.5)  # the build is waiting for its first parse now
        parsers = _parsers_of(proc.pid)
        proc.send_signal(signal.SIGINT)  # what Ctrl-C sends (here to the build alone, not its children)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    deadline = time.monotonic() + 10
    while [pid for pid in parsers if _alive(pid)]:  # a killed child may take a moment to be reaped
        assert time.monotonic() < deadline, f"parsers still alive: {parsers}"
        time.sleep(0.02)
    assert parsers
    assert not list(tmp_path.glob(f"index/*/{store.MANIFEST}"))  # nothing was written
