"""The one settings object: defaults, CHARTA_* variables, overrides, validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.errors import ConfigError
from common.settings import (
    PROJECT_ROOT,
    SETTINGS,
    PassageSettings,
    Settings,
    help_text,
    load_settings,
)


def test_defaults_without_environment():
    s = load_settings(env={})
    assert s == Settings()
    assert s.corpus_dir == PROJECT_ROOT / "corpus"
    assert s.index_dir == PROJECT_ROOT / "data" / "index"
    assert s.model is None  # the default model choice happens in index.embed
    assert not s.llm_url and not s.admin_token and not s.log_questions


def test_environment_variables(tmp_path):
    env = {
        "CHARTA_CORPUS_DIR": str(tmp_path / "pdfs"),
        "CHARTA_INDEX_DIR": str(tmp_path / "idx"),
        "CHARTA_MODEL": "bundled",
        "CHARTA_IVF_THRESHOLD": "500",
        "CHARTA_MAX_FILE_MB": "1.5",
        "CHARTA_MAX_PAGES": "10",
        "CHARTA_PARSE_TIMEOUT": "2.5",
    }
    s = load_settings(env=env)
    assert (s.corpus_dir, s.index_dir) == (tmp_path / "pdfs", tmp_path / "idx")
    assert s.model == "bundled"
    assert (s.ivf_threshold, s.max_file_mb, s.max_pages, s.parse_timeout_s) == (500, 1.5, 10, 2.5)


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


@pytest.mark.parametrize(
    "var, value",
    [
        ("CHARTA_MAX_PAGES", "viele"),
        ("CHARTA_IVF_THRESHOLD", "1.5"),
        ("CHARTA_MAX_FILE_MB", "zwei"),
    ],
)
def test_bad_variable_names_variable_and_value(var, value):
    with pytest.raises(ConfigError) as err:
        load_settings(env={var: value})
    assert var in str(err.value) and repr(value) in str(err.value)
    assert isinstance(err.value, ValueError) and "\n" not in str(err.value)


def test_unknown_override_lists_allowed_names():
    with pytest.raises(ConfigError) as err:
        load_settings(env={}, max_seiten=5)
    assert "max_seiten" in str(err.value) and "max_pages" in str(err.value)


@pytest.mark.parametrize(
    "overrides, fragment",
    [
        ({"max_pages": 0}, "CHARTA_MAX_PAGES=0 must be positive"),
        ({"ivf_threshold": -1}, "CHARTA_IVF_THRESHOLD=-1 must be positive"),
        ({"candidates": 0}, "candidates=0"),
        ({"max_file_mb": 0}, "CHARTA_MAX_FILE_MB=0"),
        ({"parse_timeout_s": -2}, "CHARTA_PARSE_TIMEOUT=-2"),
        ({"passages": PassageSettings(max_tokens=8)}, "max_tokens=8"),
        ({"passages": PassageSettings(max_tokens=1000)}, "max_tokens=1000"),
        ({"passages": PassageSettings(max_tokens=100, overlap_tokens=60)}, "overlap_tokens=60"),
    ],
)
def test_invalid_values_are_refused_with_the_value(overrides, fragment):
    with pytest.raises(ConfigError) as err:
        load_settings(env={}, **overrides)
    assert fragment in str(err.value)


def test_with_overrides_returns_a_copy():
    base = load_settings(env={})
    changed = base.with_overrides(max_pages=7, model=None)
    assert changed.max_pages == 7 and base.max_pages != 7
    assert changed.model == base.model


def test_passage_settings_as_dict_is_recorded_shape():
    assert PassageSettings(max_tokens=100, overlap_tokens=20, min_tokens=30).as_dict() == {
        "max_tokens": 100,
        "overlap_tokens": 20,
        "min_tokens": 30,
    }


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CHARTA_LLM_TIMEOUT": "bald"}, "CHARTA_LLM_TIMEOUT='bald' is not a number"),
        ({"CHARTA_LLM_TIMEOUT": "-3"}, "CHARTA_LLM_TIMEOUT=-3.0 must be positive"),
        ({"CHARTA_LLM_URL": "ftp://x"}, "must start with http:// or https://"),
        ({"CHARTA_LLM_URL": "http://127.0.0.1:1/v1"}, "CHARTA_LLM_MODEL is empty"),
        ({"CHARTA_LOG_QUESTIONS": "vielleicht"}, "CHARTA_LOG_QUESTIONS='vielleicht' is not 0 or 1"),
    ],
)
def test_every_setting_is_validated_at_startup(env, message):
    # A bad CHARTA_LLM_TIMEOUT used to pass startup and then fail every question.
    with pytest.raises(ConfigError) as exc:
        load_settings(env=env)
    assert message in str(exc.value)


def test_llm_admin_and_logging_settings_from_environment():
    s = load_settings(
        env={
            "CHARTA_LLM_URL": "http://127.0.0.1:8080/v1",
            "CHARTA_LLM_MODEL": "m",
            "CHARTA_LLM_KEY": "k",
            "CHARTA_LLM_TIMEOUT": "5",
            "CHARTA_ADMIN_TOKEN": "geheim",
            "CHARTA_LOG_QUESTIONS": "1",
        }
    )
    assert (s.llm_url, s.llm_model, s.llm_key, s.llm_timeout_s) == ("http://127.0.0.1:8080/v1", "m", "k", 5.0)
    assert s.admin_token == "geheim" and s.log_questions


def test_every_charta_variable_in_the_code_is_in_the_table():
    import re

    names = {s.variable for s in SETTINGS}
    used = set()
    for folder in ("common", "text", "ingest", "index", "answer", "web", "eval"):
        for path in (PROJECT_ROOT / folder).rglob("*.py"):
            used |= set(re.findall(r"CHARTA_[A-Z_]+[A-Z]", path.read_text(encoding="utf-8")))
    used |= set(re.findall(r"CHARTA_[A-Z_]+[A-Z]", (PROJECT_ROOT / "app.py").read_text()))
    assert used <= names, used - names


def test_help_settings_lists_every_variable_with_default_and_help():
    text = help_text()
    for s in SETTINGS:
        assert s.variable in text and s.help in text
    assert "default 200\n" in text and "data/index" in text


@pytest.mark.parametrize("command", ["app", "ingest", "search"])
def test_every_command_prints_the_settings_table(command, capsys):
    from answer.cli import main as search_main
    from app import main as app_main
    from ingest.__main__ import main as ingest_main

    main = {"app": app_main, "ingest": ingest_main, "search": search_main}[command]
    with pytest.raises(SystemExit) as done:
        main(["--help-settings"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == help_text()


def test_the_readme_settings_table_is_the_code_s_table():
    """The README's table is generated from common/settings.py: it names every setting with
    the default the code uses, so the two cannot drift apart."""
    from common.settings import SETTINGS, readme_with_table

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert readme_with_table(readme) == readme, "regenerate it: python -m common.settings --readme README.md"
    for s in SETTINGS:
        assert f"| `{s.variable}` |" in readme
