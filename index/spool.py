"""Vectors of a build in the making, kept on disk instead of in memory.

A build embeds document after document and writes the generation at the end. Held in
memory, the vectors of a million passages and their sentences are ~4.8 GB, and joining
the per-document arrays into one doubles that for a moment. A :class:`VectorSpool`
appends each document's rows to an unnamed temporary file in the index folder and hands
them back as one memory-mapped array: the page cache holds what fits, the disk the rest,
and the file vanishes with the spool, or with the process if it is killed (``O_TMPFILE``
where the file system has it).

>>> import tempfile
>>> with VectorSpool(Path(tempfile.mkdtemp())) as spool:
...     spool.append(np.ones((2, 3), dtype=np.float32))
...     spool.append(np.zeros((1, 3), dtype=np.float32))
...     len(spool), spool.array(3).tolist()
(3, [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [0.0, 0.0, 0.0]])
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from types import TracebackType
from typing import IO

import numpy as np


class VectorSpool:
    """float32 rows appended to a temporary file, read back as one ``(rows, dim)`` array."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._file: IO[bytes] = tempfile.TemporaryFile(dir=folder, prefix=".spool-")
        self._rows = 0
        self._dim: int | None = None

    def __len__(self) -> int:
        return self._rows

    def append(self, rows: np.ndarray) -> None:
        """Add ``rows`` (n × dim, any float dtype) after the rows added before."""
        rows = np.ascontiguousarray(rows, dtype=np.float32)
        if rows.ndim != 2:
            raise ValueError(f"rows must be a 2-d array, got shape {rows.shape}")
        if not len(rows):
            return
        if self._dim is None:
            self._dim = rows.shape[1]
        elif rows.shape[1] != self._dim:
            raise ValueError(f"rows of dimension {rows.shape[1]}, the spool holds dimension {self._dim}")
        self._file.write(rows.tobytes())
        self._rows += len(rows)

    def array(self, dim: int) -> np.ndarray:
        """All rows so far, memory-mapped read-only (valid while the spool is open); an
        empty ``(0, dim)`` array when nothing was added."""
        if self._dim is not None and self._dim != dim:
            raise ValueError(f"dim={dim}, the spool holds dimension {self._dim}")
        if not self._rows:
            return np.zeros((0, dim), dtype=np.float32)
        self._file.flush()
        return np.memmap(self._file, dtype=np.float32, mode="r", shape=(self._rows, dim))

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> VectorSpool:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
