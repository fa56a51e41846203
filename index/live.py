"""A searcher that follows the live index generation, for long-running processes.

``LiveSearcher.get()`` returns the current :class:`Searcher`; when ``CURRENT`` names a
new complete generation, the next call loads it and swaps it in. A request that is
already running keeps the searcher object it started with (everything it needs is in
memory), so a swap never fails a request in flight. If the new generation cannot be
loaded, the old one keeps serving and the error is logged.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from common.settings import Settings
from index import store
from index.search import Hit, Searcher

log = logging.getLogger(__name__)


class LiveSearcher:
    def __init__(self, settings: Settings, check_interval_s: float = 1.0) -> None:
        self.settings = settings
        self.check_interval_s = check_interval_s
        self._lock = threading.Lock()
        self._searcher: Searcher | None = None
        self._generation: str | None = None
        self._checked = 0.0
        self._failed: str | None = None  # a generation that would not load: not retried
        self.last_error: str | None = None

    def _live_name(self) -> str | None:
        try:
            return store.current_generation(Path(self.settings.index_dir)).name
        except store.IndexNotFoundError:
            return None

    def get(self) -> Searcher:
        """The searcher for the newest complete index (loading it if needed)."""
        now = time.monotonic()
        current = self._searcher
        if current is not None and now - self._checked < self.check_interval_s:
            return current
        if current is None:
            self._lock.acquire()
        elif not self._lock.acquire(blocking=False):
            # Another request is loading the new generation; do not wait for it.
            return current
        try:
            return self._refresh()
        finally:
            self._lock.release()

    def _refresh(self) -> Searcher:
        """Load the live generation if it is not the one being served."""
        self._checked = time.monotonic()
        name = self._live_name()
        if self._searcher is not None and name in (None, self._generation, self._failed):
            return self._searcher
        try:
            searcher = Searcher.open(self.settings)
        except Exception as exc:
            if self._searcher is None:
                raise
            self.last_error, self._failed = str(exc), name
            log.error("keeping index %s; the new one failed to load: %s", self._generation, exc)
            return self._searcher
        if self._generation is not None:
            log.info("switched to index %s", searcher.generation)
        self._searcher, self._generation = searcher, searcher.generation
        self.last_error = None
        return searcher

    def switch(self) -> Searcher:
        """Serve the live generation from now on, waiting for a load in progress; for a
        caller that has just published a build and is about to say so."""
        with self._lock:
            return self._refresh()

    @property
    def generation(self) -> str | None:
        return self._generation

    def search(self, query: str, k: int = 10, **kwargs) -> list[Hit]:
        return self.get().search(query, k, **kwargs)
