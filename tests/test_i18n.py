"""Every text the interface asks for exists in German and English, with the same values
in both; every reason the library can give for refusing a file or noting a document has
its words; no text is defined that nothing uses.

The keys are found in the code itself: the ``t()`` calls and label registrations of the
web layer (a conditional picks among literal keys; an f-string names a family of keys by
its prefix), and the reason codes of every ``DocumentError`` and ``Reason`` the library
creates. A key that is missing would reach the page as the key itself.
"""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

from index.maintain import STATES
from web.i18n import LANGS, STRINGS, t

ROOT = Path(__file__).resolve().parent.parent
WEB = sorted((ROOT / "web").glob("*.py"))
LIBRARY = sorted(p for layer in ("common", "ingest", "index") for p in (ROOT / layer).glob("*.py"))


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _keys(node: ast.AST) -> set[str]:
    """The keys an expression can give: a literal, either branch of a conditional, either
    side of an ``or``, the items of a list."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _keys(node.body) | _keys(node.orelse)
    if isinstance(node, ast.BoolOp):
        return set().union(*(_keys(v) for v in node.values))
    if isinstance(node, ast.List | ast.Tuple):
        return set().union(*(_keys(e) for e in node.elts))
    return set()


# Calls that take a text key, and at which argument: t(key, lang), the page's and the
# admin tab's label registrations tr/label(component, attribute, key), the admin tab's
# own log lines Said(key, values), and the page's clean_text(text, lang, key_if_empty) (web/handlers.py).
KEY_ARGUMENT = {"t": 0, "tr": 2, "label": 2, "Said": 0, "clean_text": 2}


def used_keys() -> tuple[dict[str, str], set[str]]:
    """Keys the web layer asks for (key → where), and the families of keys it builds with
    an f-string (``f"reason_{code}"``: the family "reason_")."""
    keys: dict[str, str] = {}
    families: set[str] = set()
    for path in WEB:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        # A key held in a variable first (key = "a" if … else "b"; t(key, lang)).
        held: dict[str, set[str]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        held.setdefault(target.id, set()).update(_keys(node.value))
        for node in ast.walk(tree):
            found: set[str] = set()
            if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
                prefix = str(node.values[0].value)
                if prefix.endswith("_") and prefix.replace("_", "").isalpha():
                    families.add(prefix)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in KEY_ARGUMENT:
                at = KEY_ARGUMENT[node.func.id]
                if len(node.args) > at:
                    arg = node.args[at]
                    found = held.get(arg.id, set()) if isinstance(arg, ast.Name) else _keys(arg)
            elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == "STRINGS":
                found = _keys(node.slice)
            elif isinstance(node, ast.Assign) and any(
                isinstance(n, ast.Name) and n.id == "COLUMNS" for n in node.targets
            ):
                found = _keys(node.value)
            # Put together by the page: title and intro; the question's label and placeholder.
            for key in found - {"_header", "_question"}:
                keys.setdefault(key, f"{path.name}:{getattr(node, 'lineno', 0)}")
    return keys, families


def reasons_created() -> list[tuple[str, set[str], str]]:
    """Every reason code the library creates: (code, the names of its values, where)."""
    out = []
    for path in LIBRARY:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if node.func.id == "DocumentError":
                code = (
                    node.args[2]
                    if len(node.args) > 2
                    else next((k.value for k in node.keywords if k.arg == "code"), None)
                )
                names = {k.arg for k in node.keywords if k.arg and k.arg != "code"}
            elif node.func.id == "Reason":
                code = node.args[0] if node.args else None
                details = node.args[2] if len(node.args) > 2 else None
                details = details or next((k.value for k in node.keywords if k.arg == "details"), None)
                names = (
                    {k.value for k in details.keys if isinstance(k, ast.Constant)}
                    if isinstance(details, ast.Dict)
                    else set()
                )
                names |= {"cause"} if any(k.arg == "cause" for k in node.keywords) else set()
            else:
                continue
            # A code that is not a literal (a reason passed on) is checked where it is made;
            # Reason("", text) words nothing and shows its English text: only as a fallback
            # for a result that carries no reason (the library makes none).
            if code is None:
                out.append(("", names, where))
            elif isinstance(code, ast.Constant) and code.value:
                out.append((code.value, names, where))
    return out


def test_every_text_has_both_languages_with_the_same_values():
    for key, texts in STRINGS.items():
        assert len(texts) == len(LANGS) and all(text.strip() for text in texts), key
        de, en = texts
        assert placeholders(de) == placeholders(en), key


def test_every_key_the_interface_asks_for_exists():
    keys, families = used_keys()
    assert {"admin_added", "progress_pages", "sr_complete", "col_note", "ask_button"} <= set(keys)
    assert {"reason_", "state_", "lacks_", "kit_err_"} <= families
    assert {key: where for key, where in keys.items() if key not in STRINGS} == {}
    for family in families:
        assert any(key.startswith(family) for key in STRINGS), family


def test_no_text_is_defined_that_nothing_uses():
    keys, families = used_keys()
    unused = [k for k in STRINGS if k not in keys and not any(k.startswith(f) for f in families)]
    assert unused == []


@pytest.mark.parametrize("lang", LANGS)
def test_every_reason_the_library_gives_is_worded(lang):
    created = reasons_created()
    assert len(created) > 30
    for code, names, where in created:
        assert code, f"{where}: a reason without a code cannot be worded in another language"
        key = f"reason_{code}"
        assert key in STRINGS, f"{where}: no text {key} in web/i18n.py"
        assert placeholders(STRINGS[key][0]) <= names, f"{where}: {key} needs {placeholders(STRINGS[key][0])}"
        values = {name: 7 for name in names}
        assert "{" not in t(key, lang, **values)


@pytest.mark.parametrize("state", STATES)
def test_every_state_of_the_status_table_is_worded(state):
    assert t(f"state_{state}", "de") and t(f"state_{state}", "en")
