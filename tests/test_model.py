"""Model resolution (bundled alias, local folder, offline default) and the embedder."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from index.embed import _from_cache, resolve_model
from common.errors import ModelError
from common.settings import BUNDLED_MODEL, DEFAULT_MODEL


@pytest.mark.parametrize("alias", [BUNDLED_MODEL, "all-MiniLM-L6-v2", "bundled", " bundled "])
def test_bundled_aliases(alias):
    resolved = resolve_model(alias)
    assert resolved.model_id == BUNDLED_MODEL
    assert (Path(resolved.path) / "config.json").is_file()
    assert resolved.query_prefix == resolved.passage_prefix == ""


def _copy_model(dest: Path) -> Path:
    shutil.copytree(resolve_model("bundled").path, dest)
    return dest


def test_local_folder_is_its_own_model_id(tmp_path, monkeypatch):
    folder = _copy_model(tmp_path / "mein-modell")
    resolved = resolve_model(str(folder))
    assert resolved.model_id == str(folder.resolve()) == resolved.path
    # A relative path resolves to the same absolute id.
    monkeypatch.chdir(tmp_path)
    assert resolve_model("./mein-modell").model_id == resolved.model_id


def test_local_e5_folder_gets_e5_prefixes(tmp_path):
    folder = _copy_model(tmp_path / "multilingual-e5-small")
    resolved = resolve_model(str(folder))
    assert (resolved.query_prefix, resolved.passage_prefix) == ("query: ", "passage: ")


def test_default_offline_falls_back_to_bundled_with_a_log_line(caplog, monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    cached = _from_cache(DEFAULT_MODEL)
    if cached:
        pytest.skip(f"{DEFAULT_MODEL} is in the local cache, so it is the default here")
    with caplog.at_level(logging.WARNING, logger="index.embed"):
        resolved = resolve_model(None)
    assert resolved.model_id == BUNDLED_MODEL
    lines = [r.getMessage() for r in caplog.records if r.name == "index.embed"]
    assert any(DEFAULT_MODEL in m and BUNDLED_MODEL in m and "bundled" in m for m in lines), lines
    assert resolve_model("").model_id == BUNDLED_MODEL


@pytest.mark.parametrize("spec", ["/gibt/es/nicht/modell", "./kein-modell", "~/kein-modell-da"])
def test_nonexistent_local_path_is_a_model_error(spec):
    with pytest.raises(ModelError) as err:
        resolve_model(spec)
    assert "does not exist" in str(err.value)


def test_folder_without_model_files_is_a_model_error(tmp_path):
    (tmp_path / "leer").mkdir()
    with pytest.raises(ModelError) as err:
        resolve_model(str(tmp_path / "leer"))
    assert "config.json" in str(err.value)


def test_uncached_hub_name_offline_is_a_model_error(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelError) as err:
        resolve_model("charta-lotse/kein-solches-modell")
    assert "charta-lotse/kein-solches-modell" in str(err.value)
    assert "HF_HUB_OFFLINE" in str(err.value)


def test_embedder_vectors_are_normalised_and_meaningful(embedder):
    assert embedder.model_id == BUNDLED_MODEL
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    q = embedder.encode_queries(["Who owns the city's data?"])
    p = embedder.encode_passages(["Municipalities should keep sovereignty over their data.",
                                  "The football match ended in a draw."])
    assert q.shape == (1, embedder.dimension) and p.dtype == np.float32
    assert np.allclose(np.linalg.norm(p, axis=1), 1.0, atol=1e-5)
    sims = p @ q[0]
    assert sims[0] > sims[1]
    assert embedder.encode_passages([]).shape == (0, embedder.dimension)


def test_embedder_counts_model_tokens(embedder):
    short, long = embedder.count_tokens(["Daten", "Datenhoheit " * 50])
    assert 1 <= short <= 3 and long > 100
    assert embedder.count_tokens([]) == []


def test_get_embedder_loads_each_model_once(embedder):
    from index.embed import get_embedder

    assert get_embedder("bundled") is embedder
    assert get_embedder("all-MiniLM-L6-v2") is embedder
