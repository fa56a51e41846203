"""Lists a trainer arranges on the page (the collection, a workshop kit): pick an entry by
its number, move it, remove it, or give it a note. Pure functions over lists of dicts, so
both tabs behave the same."""

from __future__ import annotations

from typing import Any

MAX_NOTE_CHARS = 2000

# Choosing an entry shows its note. This runs in the browser, not as a server round trip:
# a reply that arrived after the trainer had begun typing replaced the typed note with the
# stored one (seen in CI). ``items`` is the list's BrowserState copy, which every change
# writes together with the server's State; ``chosen`` is the dropdown's value. It reads
# the entry the way ``index_of`` does.
NOTE_OF_JS = """(items, chosen) => {
  if (typeof chosen === "boolean" || chosen === null || chosen === undefined || chosen === "") return "";
  const i = Number(chosen);
  if (!Array.isArray(items) || !Number.isInteger(i) || i < 0 || i >= items.length) return "";
  const entry = items[i];
  return entry && typeof entry.note === "string" ? entry.note : "";
}"""


def index_of(items: list[dict[str, Any]], chosen: Any) -> int | None:
    """The entry number ``chosen`` (a dropdown's value) if it names an entry, else None.

    >>> index_of([{}, {}], 1), index_of([{}, {}], "1"), index_of([{}], 3), index_of([{}], None), index_of([{}], True)
    (1, 1, None, None, None)
    """
    if isinstance(chosen, bool):
        return None
    try:
        number = float(chosen)
    except (TypeError, ValueError):
        return None
    idx = int(number) if number.is_integer() else -1
    return idx if 0 <= idx < len(items) else None


def moved(items: list[dict[str, Any]], idx: int, step: int) -> tuple[list[dict[str, Any]], int | None]:
    """The list with entry ``idx`` moved by ``step`` (-1 up, +1 down, kept at the ends) or
    removed (``step`` 0), and where the entry is now (None once removed).

    >>> moved([{"a": 1}, {"b": 2}, {"c": 3}], 0, -1)
    ([{'a': 1}, {'b': 2}, {'c': 3}], 0)
    >>> moved([{"a": 1}, {"b": 2}, {"c": 3}], 0, 1)
    ([{'b': 2}, {'a': 1}, {'c': 3}], 1)
    >>> moved([{"a": 1}, {"b": 2}], 1, 0)
    ([{'a': 1}], None)
    """
    items = list(items)
    if step == 0:
        del items[idx]
        return items, None
    to = min(max(idx + step, 0), len(items) - 1)
    items[idx], items[to] = items[to], items[idx]
    return items, to


def noted(items: list[dict[str, Any]], idx: int, note: str) -> list[dict[str, Any]]:
    """The list with entry ``idx``'s note set: one line, at most 2000 characters.

    >>> noted([{"id": 1, "note": ""}], 0, "  Mit   Beispiel\\n aus der Kommune ")
    [{'id': 1, 'note': 'Mit Beispiel aus der Kommune'}]
    """
    items = list(items)
    items[idx] = {**items[idx], "note": " ".join(str(note or "").split())[:MAX_NOTE_CHARS]}
    return items
