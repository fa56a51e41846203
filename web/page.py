"""What every tab of the page shares: the library's actions, the session's state and the
list of texts the language switch changes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gradio as gr

from common.settings import Settings
from index.live import LiveSearcher
from index.search import Hit
from web.export import ExportFolder, document_link
from web.feedback import FeedbackStore
from web.handlers import Lotse, base_url


@dataclass
class Page:
    """The app's parts and the session's state, as the tab modules need them."""

    blocks: gr.Blocks
    settings: Settings
    live: LiveSearcher
    lotse: Lotse
    exports: ExportFolder
    feedback_store: FeedbackStore | None
    lang: gr.State
    previous: gr.State  # questions of the conversation so far
    last_answer: gr.State  # the current answer as JSON, for export
    thread: gr.State  # earlier answers of the conversation (JSON), oldest first
    # Passages a trainer collected (JSON, with a note each). A copy is kept in the
    # browser's storage so that a reload does not lose them (document text only, no
    # question); the server-side state keeps the API as it was.
    collection: gr.State
    saved_collection: gr.BrowserState
    kit_items: gr.State  # the Workshop tab's kit, and its copy in the browser
    saved_kit: gr.BrowserState
    texts: list[tuple[Any, str, str]] = field(default_factory=list)  # (component, attribute, string key)

    def tr(self, component: Any, attr: str, key: str) -> Any:
        """``component``, with its ``attr`` set from the string ``key`` in the chosen language."""
        self.texts.append((component, attr, key))
        return component

    def export_links(self, request: gr.Request | None) -> Callable[[Hit], str]:
        """Absolute links for an export (web/export.py document_link)."""
        base = self.settings.public_url or base_url(request)
        documents = self.live.get().documents
        return lambda hit: document_link(documents.get(hit.doc_id, {}), hit.file, hit.pdf_page, base)
