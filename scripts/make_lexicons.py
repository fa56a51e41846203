"""Derive the compact synonym list in ``text/data/`` from Debian's OpenThesaurus package.

    apt-get download mythes-de
    dpkg-deb -x mythes-de_*.deb /tmp/lex
    python scripts/make_lexicons.py /tmp/lex

Writes ``text/data/de_synonyms.txt.gz``: OpenThesaurus synonym sets (LGPL-2.1), one line
per set of single words, ``|``-separated.

Run once when the upstream lists change; the search itself never reads the packages.
"""

from __future__ import annotations

import gzip
import re
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "text" / "data"
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
        for line in lines[i + 1 : i + 1 + n]:
            words = {_clean(t) for t in line.split("|")[1:]}
            words = sorted(w for w in words if _WORD.fullmatch(w))
            if len(words) >= 2:
                out[tuple(words)] = None
        i += 1 + n
    return [list(s) for s in out]


def _write(path: Path, lines: list[str]) -> None:
    # mtime=0 keeps the gzip bytes identical for identical content (clean git diffs).
    with gzip.GzipFile(path, "wb", mtime=0) as fh:
        fh.write("".join(lines).encode("utf-8"))


def main(root: str) -> None:
    base = Path(root)
    sets = synsets(base / "usr/share/mythes/th_de_DE_v2.dat")
    _write(OUT / "de_synonyms.txt.gz", ["|".join(s) + "\n" for s in sets])
    print(f"{len(sets)} synonym sets written to {OUT}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/lex")
