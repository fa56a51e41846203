"""Derive the two compact word lists in ``index/data/`` from Debian's dictionary packages.

    apt-get download mythes-de trans-de-en
    dpkg-deb -x mythes-de_*.deb /tmp/lex && dpkg-deb -x trans-de-en_*.deb /tmp/lex
    python scripts/make_lexicons.py /tmp/lex

Writes
- ``index/data/de_synonyms.txt.gz``: OpenThesaurus synonym sets (LGPL-2.1), one line
  per set of single words, ``|``-separated;
- ``index/data/de_en_gloss.tsv.gz``: German word → its most common English translation,
  from Ding's German–English dictionary (GPL-2+).

Run once when the upstream lists change; the search itself never reads the packages.
"""

from __future__ import annotations

import gzip
import math
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

from wordfreq import zipf_frequency

OUT = Path(__file__).resolve().parent.parent / "index" / "data"
_WORD = re.compile(r"[^\W\d_]{2,}(?:-[^\W\d_]+)*")
_BRACKETS = re.compile(r"\{[^}]*\}|\[[^\]]*\]|\([^)]*\)|<[^>]*>")
# Placeholders of dictionary entries ("to use sth", "sb's") say nothing about meaning.
_PLACEHOLDER = re.compile(r"\b(?:sth|sb|sb's|sth's|one's|oneself)\b\.?")


def _clean(term: str) -> str:
    return " ".join(_BRACKETS.sub(" ", term).split()).strip(" ,.;")


def synsets(dat: Path) -> list[list[str]]:
    """Single-word members of every OpenThesaurus synonym set (MyThes format)."""
    lines = dat.read_text(encoding="utf-8").split("\n")
    out: dict[tuple[str, ...], None] = {}
    i = 1  # line 0 names the encoding
    while i < len(lines):
        _, _, count = lines[i].rpartition("|")
        if not count.isdigit() or lines[i].startswith(("-|", "(")):
            i += 1
            continue
        n = int(count)
        for line in lines[i + 1:i + 1 + n]:
            words = {_clean(t) for t in line.split("|")[1:]}
            words = sorted(w for w in words if _WORD.fullmatch(w))
            if len(words) >= 2:
                out[tuple(words)] = None
        i += 1 + n
    return [list(s) for s in out]


def glosses(ding: Path) -> dict[str, str]:
    """German single word → English translation, the best-supported and most common one."""
    cands: dict[str, Counter] = defaultdict(Counter)
    with ding.open(encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#") or "::" not in line:
                continue
            de, en = line.rstrip("\n").split("::", 1)
            de_parts, en_parts = de.split("|"), en.split("|")
            if len(de_parts) != len(en_parts):
                continue
            for dp, ep in zip(de_parts, en_parts):
                english = [_PLACEHOLDER.sub("", _clean(t)).removeprefix("to ").strip()
                           for t in ep.split(";")]
                english = [" ".join(e.split()) for e in english if e and len(e.split()) <= 3]
                english = [e for e in english if e]
                for word in (_clean(t) for t in dp.split(";")):
                    if not word or " " in word:
                        continue
                    # An entry's first translations are its main senses.
                    for j, e in enumerate(english[:4]):
                        cands[word][e] += 1.0 / (1 + j)
    out = {}
    for word, c in cands.items():
        def rank(e: str, c: Counter = c) -> float:
            return 2 * math.log1p(c[e]) + max(zipf_frequency(w, "en") for w in e.split())
        out[word] = max(c, key=rank)
    return out


def _write(path: Path, lines: list[str]) -> None:
    # mtime=0 keeps the gzip bytes identical for identical content (clean git diffs).
    with gzip.GzipFile(path, "wb", mtime=0) as fh:
        fh.write("".join(lines).encode("utf-8"))


def main(root: str) -> None:
    base = Path(root)
    sets = synsets(base / "usr/share/mythes/th_de_DE_v2.dat")
    _write(OUT / "de_synonyms.txt.gz", ["|".join(s) + "\n" for s in sets])
    table = glosses(base / "usr/share/trans/de-en")
    _write(OUT / "de_en_gloss.tsv.gz", [f"{w}\t{e}\n" for w, e in sorted(table.items())])
    print(f"{len(sets)} synonym sets, {len(table)} glosses written to {OUT}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/lex")
