"""Rows of a JSONL file read on demand: a read-only list that keeps byte offsets, not objects.

An index generation holds one passage (or sentence) per line. Parsing them all at open
costs seconds and gigabytes at a million rows; :class:`LazyRows` instead maps the file
(``mmap``), keeps the byte offset where each row starts (an int64 array, written beside
the JSONL at build time, or found by one scan for older generations) and parses a row
when it is asked for, with a small LRU cache for rows read again and again (the hits of
the last answer, the sentences around them).

The mapping, not the path, is what rows are read from: a generation deleted by
:func:`index.store.prune` while a searcher still has it open stays readable.
"""

from __future__ import annotations

import functools
import json
import mmap
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar, overload

import numpy as np

from common.errors import IndexMismatchError

REBUILD_HINT = "python -m ingest --rebuild"
# What numpy, json, faiss and bm25s raise on a damaged file (RuntimeError: faiss).
DAMAGE = (OSError, ValueError, EOFError, KeyError, TypeError, IndexError, AttributeError, RuntimeError)


def damaged(path: Path, exc: BaseException) -> IndexMismatchError:
    """The one-line refusal for a file of the index that cannot be read as written.

    >>> print(damaged(Path("g/passages.jsonl"), ValueError("Expecting value: line 1\\nmore")))
    index file g/passages.jsonl is damaged (ValueError: Expecting value: line 1); rebuild with: python -m ingest ...
    """
    detail = (str(exc).strip().splitlines() or [""])[0][:160]
    return IndexMismatchError(
        f"index file {path} is damaged ({type(exc).__name__}: {detail}); rebuild with: {REBUILD_HINT}"
    )


T = TypeVar("T")

CACHE_ROWS = 4096
_CHUNK = 4096  # offsets converted to Python ints at a time while iterating


def write_jsonl_offsets(path: Path, rows: Iterable[dict[str, Any]]) -> np.ndarray:
    """Write one JSON object per line; return the byte offset of every line start and,
    last, the file size (``len(rows) + 1`` int64 values).

    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "t.jsonl"
    >>> write_jsonl_offsets(p, [{"a": 1}, {"b": "ä"}]).tolist(), p.stat().st_size
    ([0, 9, 21], 21)
    """
    offsets = [0]
    with path.open("wb") as fh:
        for row in rows:
            line = (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8")
            fh.write(line)
            offsets.append(offsets[-1] + len(line))
    return np.asarray(offsets, dtype=np.int64)


def scan_offsets(buf: bytes | mmap.mmap) -> np.ndarray:
    """Offsets of the non-blank lines of JSONL bytes, plus the end (one vectorised pass).

    A row runs from its start to the next row's, so blank lines between rows are parsed
    as trailing whitespace (what ``json.loads`` ignores), as :func:`index.store.read_jsonl`
    skips them.

    >>> scan_offsets(b'{"a": 1}\\n\\n{"b": 2}\\n').tolist()
    [0, 10, 19]
    >>> scan_offsets(b'{"a": 1}').tolist(), scan_offsets(b"").tolist()
    ([0, 8], [0])
    """
    data = np.frombuffer(buf, dtype=np.uint8) if len(buf) else np.zeros(0, dtype=np.uint8)
    ends = np.flatnonzero(data == ord("\n"))
    starts = np.concatenate(([0], ends + 1)).astype(np.int64)
    stops = np.concatenate((ends, [len(data)])).astype(np.int64)
    # Blank: nothing but whitespace between a line's start and its newline.
    blank = np.flatnonzero(~np.isin(data, np.frombuffer(b" \t\r\n", dtype=np.uint8)))
    has_text = np.searchsorted(blank, starts) < np.searchsorted(blank, stops)
    return np.concatenate((starts[has_text], [len(data)])).astype(np.int64)


def map_file(path: Path) -> bytes | mmap.mmap:
    """The file's bytes, memory-mapped (an empty file cannot be mapped: ``b""``)."""
    with path.open("rb") as fh:
        if fh.seek(0, 2) == 0:
            return b""
        return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)


def map_vectors(path: Path, scattered: bool = True) -> np.ndarray:
    """A ``.npy`` array memory-mapped; ``scattered``: for reading scattered rows
    (``MADV_RANDOM``), else for reading it front to back (the kernel's read-ahead).

    Searches read a few hundred rows of the vector files per question (the hits to
    re-score, their sentences). Without the advice every page fault reads ahead some
    hundred kilobytes around the row: measured at 1 M passages and 3 M sentences, 16 k
    scattered rows left 913 MB of the sentence vectors resident, with it 84 MB. A build
    copies whole documents' rows instead, where read-ahead pays: 1.5 GB front to back from
    a cold page cache took 3.4 s with it and 35.4 s with ``MADV_RANDOM``.
    """
    array = np.load(path, allow_pickle=False, mmap_mode="r")
    mapped = getattr(array, "_mmap", None)  # numpy.memmap's mapping; absent for an empty file
    if scattered and mapped is not None and hasattr(mmap, "MADV_RANDOM"):
        mapped.madvise(mmap.MADV_RANDOM)
    return array


class LazyRows(Sequence[T]):
    """A read-only list of the rows of a JSONL file, each parsed by ``decode`` on access.

    ``len``, indexing (negative too), slicing (a plain list), iteration, ``in`` and
    ``==`` against any sequence behave like the list the file would load as.

    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "t.jsonl"
    >>> rows = LazyRows(p, write_jsonl_offsets(p, [{"n": i} for i in range(5)]), lambda d: d["n"])
    >>> len(rows), rows[0], rows[-1], rows[1:3], list(rows) == [0, 1, 2, 3, 4], rows == [0, 1, 2, 3, 4]
    (5, 0, 4, [1, 2], True, True)
    """

    def __init__(
        self,
        path: Path,
        offsets: np.ndarray | None,
        decode: Callable[[dict[str, Any]], T],
        cache_rows: int = CACHE_ROWS,
    ) -> None:
        self.path = path
        self._buf = map_file(path)
        if offsets is None or len(offsets) < 1 or int(offsets[-1]) != len(self._buf):
            offsets = scan_offsets(self._buf)
        self.offsets = np.asarray(offsets, dtype=np.int64)
        self._decode = decode
        buf, starts = self._buf, self.offsets

        def read(i: int) -> T:
            a, b = int(starts[i]), int(starts[i + 1])
            try:
                return decode(json.loads(buf[a:b]))
            except DAMAGE as exc:
                raise damaged(path, exc) from None

        # A closure, not a bound method: no reference cycle, so the mapping (and a deleted
        # generation's disk space) is released as soon as the table is dropped.
        self._read = read
        self._cached = functools.lru_cache(maxsize=cache_rows)(read)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @overload
    def __getitem__(self, i: int) -> T: ...

    @overload
    def __getitem__(self, i: slice) -> list[T]: ...

    def __getitem__(self, i: int | slice) -> T | list[T]:
        n = len(self)
        if isinstance(i, slice):
            return [self._read(j) for j in range(*i.indices(n))]
        i = int(i)  # numpy integers index too
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"row {i} out of range (0 … {n - 1})")
        return self._cached(i)

    def __iter__(self) -> Iterator[T]:
        # Straight through the file, past the cache: a full pass would only evict it.
        buf, decode = self._buf, self._decode
        for lo in range(0, len(self), _CHUNK):
            bounds = self.offsets[lo : lo + _CHUNK + 1].tolist()
            for a, b in zip(bounds, bounds[1:]):
                try:
                    row = decode(json.loads(buf[a:b]))
                except DAMAGE as exc:
                    raise damaged(self.path, exc) from None
                yield row

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str | bytes):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other))

    __hash__ = None  # type: ignore[assignment]  # like list: equal by content, so unhashable

    def __repr__(self) -> str:
        return f"LazyRows({self.path.name}, {len(self)} rows)"


class RowGroups:
    """For each of ``n`` keys, the rows that belong to it: a compressed sparse row list
    (``rows[indptr[k]:indptr[k + 1]]``, ascending), built without a Python loop.

    From ranges: key ``r`` holds row ``i`` if ``first[i] <= r < last[i]`` (the passages
    that hold each sentence). From labels: key ``c`` holds the rows labelled ``c``.

    >>> g = RowGroups.from_ranges(np.array([0, 1, 3]), np.array([2, 3, 4]), 4)
    >>> [g[r].tolist() for r in range(4)]
    [[0], [0, 1], [1], [2]]
    >>> g = RowGroups.from_labels(np.array([2, 0, 2, 1]), 3)
    >>> [g[c].tolist() for c in range(3)], g.rows_of([0, 2]).tolist()
    ([[1], [3], [0, 2]], [1, 0, 2])
    """

    def __init__(self, indptr: np.ndarray, rows: np.ndarray) -> None:
        self.indptr = indptr
        self.rows = rows

    @classmethod
    def from_ranges(cls, first: np.ndarray, last: np.ndarray, n: int) -> RowGroups:
        lengths = np.maximum(np.asarray(last, dtype=np.int64) - first, 0)
        owner = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
        starts = np.cumsum(lengths) - lengths
        keys = np.arange(int(lengths.sum()), dtype=np.int64) - np.repeat(starts - first, lengths)
        order = np.argsort(keys, kind="stable")  # stable: rows stay ascending per key
        indptr = np.searchsorted(keys[order], np.arange(n + 1), side="left")
        return cls(indptr.astype(np.int64), owner[order].astype(np.int32))

    @classmethod
    def from_labels(cls, labels: np.ndarray, n: int) -> RowGroups:
        order = np.argsort(labels, kind="stable")
        indptr = np.searchsorted(labels[order], np.arange(n + 1), side="left")
        return cls(indptr.astype(np.int64), order.astype(np.int32))

    def __len__(self) -> int:
        return len(self.indptr) - 1

    def __getitem__(self, key: int) -> np.ndarray:
        return self.rows[self.indptr[key] : self.indptr[key + 1]]

    def rows_of(self, keys: Sequence[int] | np.ndarray) -> np.ndarray:
        """The rows of several keys, one after the other."""
        parts = [self[int(k)] for k in keys]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)
