"""Messages for the visitor, as Gradio shows them: titled in the page's language, and
without a traceback in the server log (they are answers, not faults)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import gradio as gr

from web.handlers import Refused
from web.i18n import t


def shown(message: str, lang: str = "de") -> gr.Error:
    """A ``gr.Error`` to raise with a message the visitor can act on. It stays until it is
    closed (Gradio's default hides it after 10 s, too soon for some readers; WCAG 2.2.1)."""
    return gr.Error(message, title=t("error_title", lang), print_exception=False, duration=None)


@contextmanager
def refusals_shown() -> Iterator[None]:
    """Inside it, a :class:`web.handlers.Refused` reaches the visitor as :func:`shown`."""
    try:
        yield
    except Refused as exc:
        raise shown(str(exc), exc.lang) from None
