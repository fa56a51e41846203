"""The ``charta`` command: one name for every task, options from the modules that own them."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import charta

ROOT = Path(__file__).resolve().parent.parent


def run(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "charta", *argv],
        cwd=ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_help_lists_every_command_and_each_has_a_main():
    out = run("--help")
    assert out.returncode == 0
    for name, command in charta.COMMANDS.items():
        assert f"  {name} " in out.stdout
        assert callable(importlib.import_module(command.module).main)


def test_an_unknown_command_is_one_line_naming_it():
    out = run("indexieren")
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [f"error: no command 'indexieren'; one of: {', '.join(charta.COMMANDS)}"]


def test_a_command_s_help_shows_the_options_of_its_module():
    out = run("ask", "--help")
    assert out.returncode == 0 and "--queries" in out.stdout and "--doc" in out.stdout


def test_ask_answers_with_a_citation_from_the_index(charter_index):
    out = run("ask", "--json", "Was ist eine Smart City?", env={"CHARTA_INDEX_DIR": str(charter_index.index_dir)})
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout.splitlines()[0])
    assert answer["status"] == "answered"
    assert answer["hits"][0]["citation"].startswith("Smart City Charta") and answer["hits"][0]["page"]
    assert all(s["text"] in answer["hits"][0]["text"] for s in answer["sentences"] if s["marker"] == 1)


def test_status_reports_the_index(charter_index):
    env = {"CHARTA_INDEX_DIR": str(charter_index.index_dir), "CHARTA_CORPUS_DIR": str(charter_index.corpus_dir)}
    out = run("status", env=env)
    assert out.returncode == 0, out.stderr
    assert "smart-city-charta-2021" in out.stdout
