"""Derive the German noun-form table in ``workshop/data/`` from the ``german-nouns``
package (Wiktionary's German nouns with gender and all case forms, CC BY-SA 4.0).

    pip download --no-deps german-nouns==1.2.5 -d /tmp/gn
    unzip -q /tmp/gn/german_nouns-1.2.5-py3-none-any.whl -d /tmp/gn/x
    python scripts/make_noun_forms.py /tmp/gn/x/german_nouns/nouns.csv

Writes ``workshop/data/de_noun_forms.tsv.gz``: one line per word form (lower case), a tab,
and the form's readings as a 16-bit mask (:mod:`workshop.morphology` reads it). The
package itself is not installed: it pins an lxml older than python-docx needs, and the
quiz needs only this table.

Run once when the upstream list changes; the quiz never reads the package.
"""

from __future__ import annotations

import csv
import gzip
import re
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "workshop" / "data" / "de_noun_forms.tsv.gz"
CASES = ("nominativ", "genitiv", "dativ", "akkusativ")
GENDERS = {"m": 0, "f": 1, "n": 2}
PLURAL = 3
_WORD = re.compile(r"[A-ZÄÖÜ][a-zäöüß]+")


def readings(csv_path: Path) -> dict[str, int]:
    """Every form of every simple noun with its readings (bit ``4 * case + gender``,
    gender 3 for the plural)."""
    forms: dict[str, int] = {}
    with csv_path.open(encoding="utf-8", newline="") as f:
        rows = csv.reader(f)
        header = next(rows)
        for row in rows:
            d = dict(zip(header, row))
            if "Substantiv" not in d["pos"].split(",") or not _WORD.fullmatch(d["lemma"]):
                continue
            for column, form in d.items():
                parts = column.split()
                if not form or len(parts) < 2 or parts[0] not in CASES or not _WORD.fullmatch(form):
                    continue
                case = CASES.index(parts[0])
                if parts[1].startswith("plural"):
                    bits = 1 << (4 * case + PLURAL)
                else:
                    which = parts[2] if len(parts) > 2 and parts[2].isdigit() else ""
                    genders = {d.get(f"genus {which}", "")} if which else set()
                    genders = {g for g in genders if g} or {d["genus"], *(d[f"genus {i}"] for i in "1234")}
                    bits = 0
                    for g in genders:
                        if g in GENDERS:
                            bits |= 1 << (4 * case + GENDERS[g])
                if bits:
                    key = form.lower()
                    forms[key] = forms.get(key, 0) | bits
    return forms


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    forms = readings(Path(argv[0]))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    lines = "".join(f"{form}\t{bits:x}\n" for form, bits in sorted(forms.items()))
    with gzip.open(OUT, "wt", encoding="utf-8", compresslevel=9) as f:
        f.write(lines)
    print(f"wrote {OUT} ({len(forms)} forms, {OUT.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
