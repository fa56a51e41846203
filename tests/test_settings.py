"""The one settings object: defaults, CHARTA_* variables, overrides, validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.errors import ConfigError
from common.settings import (
    PROJECT_ROOT,
    FusionSettings,
    PassageSettings,
    Settings,
    load_settings,
)


def test_defaults_without_environment():
    s = load_settings(env={})
    assert s == Settings()
    assert s.corpus_dir == PROJECT_ROOT / "corpus"
    assert s.index_dir == PROJECT_ROOT / "data" / "index"
    assert s.model is None  # the default model choice happens in index.embed
    assert s.fusion.method in ("rrf", "score")


def test_environment_variables(tmp_path):
    env = {
        "CHARTA_CORPUS_DIR": str(tmp_path / "pdfs"),
        "CHARTA_INDEX_DIR": str(tmp_path / "idx"),
        "CHARTA_MODEL": "bundled",
        "CHARTA_HNSW_THRESHOLD": "500",
        "CHARTA_MAX_FILE_MB": "1.5",
        "CHARTA_MAX_PAGES": "10",
        "CHARTA_PARSE_TIMEOUT": "2.5",
    }
    s = load_settings(env=env)
    assert (s.corpus_dir, s.index_dir) == (tmp_path / "pdfs", tmp_path / "idx")
    assert s.model == "bundled"
    assert (s.hnsw_threshold, s.max_file_mb, s.max_pages, s.parse_timeout_s) == (500, 1.5, 10, 2.5)


def test_blank_variables_are_ignored():
    assert load_settings(env={"CHARTA_MAX_PAGES": "  ", "CHARTA_MODEL": ""}) == Settings()


def test_overrides_beat_environment_and_none_means_unset(tmp_path):
    env = {"CHARTA_INDEX_DIR": str(tmp_path / "from-env"), "CHARTA_MAX_PAGES": "10"}
    s = load_settings(env=env, index_dir=tmp_path / "from-flag", max_pages=None)
    assert s.index_dir == tmp_path / "from-flag"
    assert s.max_pages == 10


def test_relative_paths_become_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = load_settings(env={"CHARTA_INDEX_DIR": "daten/index"}, corpus_dir="~/korpus")
    assert s.index_dir == tmp_path / "daten" / "index"
    assert s.corpus_dir == Path.home() / "korpus"


def test_os_environ_is_the_default_source(monkeypatch):
    monkeypatch.setenv("CHARTA_MAX_FILE_MB", "3")
    assert load_settings().max_file_mb == 3.0


@pytest.mark.parametrize("var, value", [
    ("CHARTA_MAX_PAGES", "viele"),
    ("CHARTA_HNSW_THRESHOLD", "1.5"),
    ("CHARTA_MAX_FILE_MB", "zwei"),
])
def test_bad_variable_names_variable_and_value(var, value):
    with pytest.raises(ConfigError) as err:
        load_settings(env={var: value})
    assert var in str(err.value) and repr(value) in str(err.value)
    assert isinstance(err.value, ValueError)


def test_unknown_override_lists_allowed_names():
    with pytest.raises(ConfigError) as err:
        load_settings(env={}, max_seiten=5)
    assert "max_seiten" in str(err.value) and "max_pages" in str(err.value)


@pytest.mark.parametrize("overrides, fragment", [
    ({"max_pages": 0}, "max_pages=0"),
    ({"hnsw_threshold": -1}, "hnsw_threshold=-1"),
    ({"candidates": 0}, "candidates=0"),
    ({"max_file_mb": 0}, "max_file_mb"),
    ({"parse_timeout_s": -2}, "parse_timeout_s"),
    ({"passages": PassageSettings(max_tokens=8)}, "max_tokens=8"),
    ({"passages": PassageSettings(max_tokens=1000)}, "max_tokens=1000"),
    ({"passages": PassageSettings(max_tokens=100, overlap_tokens=60)}, "overlap_tokens=60"),
    ({"fusion": FusionSettings(method="mittel")}, "'mittel'"),
])
def test_invalid_values_are_refused_with_the_value(overrides, fragment):
    with pytest.raises(ConfigError) as err:
        load_settings(env={}, **overrides)
    assert fragment in str(err.value)


def test_fusion_error_lists_allowed_methods():
    with pytest.raises(ConfigError) as err:
        load_settings(env={}, fusion=FusionSettings(method="mittel"))
    assert "rrf" in str(err.value) and "score" in str(err.value)


def test_with_overrides_returns_a_copy():
    base = load_settings(env={})
    changed = base.with_overrides(max_pages=7, model=None)
    assert changed.max_pages == 7 and base.max_pages != 7
    assert changed.model == base.model


def test_passage_settings_as_dict_is_recorded_shape():
    assert PassageSettings(max_tokens=100, overlap_tokens=20, min_tokens=30).as_dict() == {
        "max_tokens": 100, "overlap_tokens": 20, "min_tokens": 30}


def test_fusion_weights_from_environment():
    s = load_settings(env={"CHARTA_GLOSS_WEIGHT": "0", "CHARTA_SYNONYM_WEIGHT": "0.25",
                           "CHARTA_FUSION": "score", "CHARTA_RRF_K": "60"})
    assert (s.fusion.gloss_weight, s.fusion.synonym_weight) == (0.0, 0.25)
    assert (s.fusion.method, s.fusion.rrf_k) == ("score", 60)
    assert s.fusion.dense_weight == FusionSettings().dense_weight  # the rest keep defaults


@pytest.mark.parametrize(("env", "message"), [
    ({"CHARTA_GLOSS_WEIGHT": "viel"}, "CHARTA_GLOSS_WEIGHT='viel' is not a valid float"),
    ({"CHARTA_DENSE_WEIGHT": "-1"}, "dense_weight=-1.0 must be >= 0"),
    ({"CHARTA_FUSION": "mittel"}, "'mittel' is not one of ['rrf', 'score']"),
])
def test_bad_fusion_variables_are_refused_with_the_value(env, message):
    with pytest.raises(ConfigError) as exc:
        load_settings(env=env)
    assert message in str(exc.value)
