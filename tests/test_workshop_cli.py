"""``python -m workshop``: the sample kit, the four files from a kit, and clear refusals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile

import pytest
from conftest import ROOT

from workshop.__main__ import main
from workshop.exports import FILES, write_all
from workshop.kit import CHARTER_ID, load_kit, resolve
from workshop.model import Kit, KitItem

GONE = f"{CHARTER_ID}:00000000:003:000"


def run(settings, *argv: str, index_dir=None) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "CHARTA_INDEX_DIR": str(index_dir or settings.index_dir),
        "CHARTA_CORPUS_DIR": str(settings.corpus_dir),
    }
    return subprocess.run(
        [sys.executable, "-m", "workshop", *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )


def test_example_and_material_from_it(charter_index, tmp_path):
    proc = run(charter_index, "--example")
    assert proc.returncode == 0, proc.stderr
    kit = load_kit(proc.stdout, "stdout")
    assert [(i.section, i.passage_id[:31]) for i in kit.items] == [("3.2", ""), ("", f"{CHARTER_ID}:0e3fbe5b")]
    assert "3.2" in proc.stderr  # says what it chose

    data = json.loads(proc.stdout)
    data["items"].append({"doc_id": CHARTER_ID, "passage_id": GONE, "note": "aus der alten Fassung"})
    kit_file = tmp_path / "kit.json"
    kit_file.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "material"
    proc = run(charter_index, str(kit_file), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[: len(FILES)] == [
        f"wrote {out / name}" + (" (4 questions)" if name == "quiz.xml" else "") for name in FILES.values()
    ]
    assert len(lines) == len(FILES) + 1 and lines[-1].startswith(f"flagged: {CHARTER_ID}, passage {GONE}: ")
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES.values())
    assert (out / "handout.pdf").read_bytes().startswith(b"%PDF-")
    assert (out / "kursleitung.pdf").read_bytes().startswith(b"%PDF-")
    for name in ("handout.docx", "kursleitung.docx", "slides.pptx"):
        assert zipfile.ZipFile(out / name).testzip() is None
    quiz = ET.parse(out / "quiz.xml").getroot()
    assert len(quiz.findall("question[@type='multichoice']")) == 4


def test_example_without_an_index_names_sections(charter_index, tmp_path):
    proc = run(charter_index, "--example", index_dir=tmp_path / "kein-index")
    assert proc.returncode == 0, proc.stderr
    assert [i.section for i in load_kit(proc.stdout).items] == ["3.2", "III.f)"]
    assert "no usable index" in proc.stderr


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    errors = [line for line in err if line.startswith("error: ")]
    assert len(errors) == 1, err
    return errors[0]


def test_bad_kits_exit_1_with_one_line(charter_index, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CHARTA_INDEX_DIR", str(charter_index.index_dir))
    out = tmp_path / "out"
    bad = tmp_path / "kaputt.json"
    bad.write_text('{"format": "charta-lotse-kit", "version": 1, "title": "x", "items": [{"doc_id": "../x"}]}')
    assert main([str(bad), "--out", str(out)]) == 1
    assert _one_error_line(capsys).startswith("error: kaputt.json: item 1: doc_id '../x' is not a plain id")

    huge = tmp_path / "riesig.json"
    huge.write_bytes(b" " * 3_000_000)
    assert main([str(huge), "--out", str(out)]) == 1
    assert _one_error_line(capsys) == "error: riesig.json: the file has 3000000 bytes, more than 1000000"

    assert main([str(tmp_path / "fehlt.json"), "--out", str(out)]) == 1
    assert "fehlt.json: cannot read the kit" in _one_error_line(capsys)

    gone = tmp_path / "weg.json"
    gone.write_text(
        json.dumps(
            {
                "format": "charta-lotse-kit",
                "version": 1,
                "title": "x",
                "items": [{"doc_id": CHARTER_ID, "passage_id": GONE}],
            }
        )
    )
    assert main([str(gone), "--out", str(out)]) == 1
    assert "weg.json: nothing to make: none of its 1 items was found" in _one_error_line(capsys)
    assert not out.exists()


def test_usage_and_missing_index_exit_2(charter_index, tmp_path, capsys, monkeypatch):
    kit = tmp_path / "kit.json"
    kit.write_text(json.dumps({"format": "charta-lotse-kit", "version": 1, "title": "x", "items": []}))
    monkeypatch.setenv("CHARTA_INDEX_DIR", str(tmp_path / "leer"))
    assert main([str(kit), "--out", str(tmp_path / "out")]) == 2
    assert "no index in" in _one_error_line(capsys)
    for argv in ([], [str(kit)], ["--example", str(kit)]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2, argv


def test_write_all_refuses_an_empty_workshop_and_writes_nothing_else(charter_searcher, tmp_path):
    from common.errors import KitError

    ws = resolve(Kit(title="Leer", items=[KitItem(doc_id=CHARTER_ID, section="9.9")]), charter_searcher)
    with pytest.raises(KitError) as info:
        write_all(ws, [], tmp_path / "out")
    assert info.value.code == "empty_kit" and "none of its 1 items" in str(info.value)
    assert not (tmp_path / "out").exists()
