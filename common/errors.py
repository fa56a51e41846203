"""The project's exceptions, in one place.

Library code raises these; only the edges (CLI exit codes, ``gr.Error`` in the app)
turn them into user-facing messages. Every message is one line that names the file
or setting and the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Reason:
    """Why something was refused or noted: the English line (``text``), and a code with
    its details for an interface that words it in another language (the app's texts
    ``reason_<code>`` in web/i18n.py); ``cause`` is a reason the line quotes.

    >>> DocumentError("a.pdf", "the PDF has no pages", "no_pages").why
    Reason(code='no_pages', text='the PDF has no pages', details={}, cause=None)
    """

    code: str
    text: str
    details: dict[str, object] = field(default_factory=dict)
    cause: Reason | None = None


class ChartaError(Exception):
    """Base class for all Charta-Lotse errors."""


class DocumentError(ChartaError):
    """A single input document cannot be ingested; the others are unaffected.

    ``code`` and ``details`` name the reason for an interface that words it in another
    language (the app's German upload messages); ``reason`` is the English line.
    """

    def __init__(self, file: str, reason: str, code: str = "", **details: object) -> None:
        self.file = file
        self.reason = reason
        self.code = code
        self.details = details
        super().__init__(f"{file}: {reason}")

    @property
    def why(self) -> Reason:
        return Reason(self.code, self.reason, dict(self.details))


class IndexError_(ChartaError):
    """Base for problems with the persisted index."""


class IndexNotFoundError(IndexError_):
    """No index has been built in the configured folder yet."""


class IndexMismatchError(IndexError_):
    """The index on disk cannot be used with the current code or settings."""


class IndexWriteError(IndexError_):
    """A new index generation could not be written (full disk, I/O error)."""


class IndexLockedError(IndexError_):
    """Another ingest run holds the index lock."""


class ModelError(ChartaError):
    """The embedding model cannot be loaded."""


class LLMError(ChartaError):
    """The language model gave no usable answer (error, timeout or unchecked output)."""


class FeedbackFullError(ChartaError):
    """The feedback file has reached its size limit; nothing more is stored."""


class FeedbackWriteError(ChartaError):
    """The feedback file cannot be written (a read-only folder, as on a replica serving a
    shared index; no permission; a full disk)."""


class ConfigError(ChartaError, ValueError):
    """A setting has a value that is not allowed."""


class KitError(ChartaError, ValueError):
    """A workshop kit file cannot be used (see :mod:`workshop.kit` for the codes).

    Like :class:`DocumentError`: ``name`` is the kit's file name, ``reason`` the English
    line, ``code`` and ``details`` let the app word it in German.
    """

    def __init__(self, name: str, reason: str, code: str = "", **details: object) -> None:
        self.name = name
        self.reason = reason
        self.code = code
        self.details = details
        super().__init__(f"{name}: {reason}")
