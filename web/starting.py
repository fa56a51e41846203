"""The page served while the app's first start builds the index (app.py).

Every path answers HTTP 200 with one self-contained page (no external loads) that says
the documents are being indexed: pages read, the share embedded and the time left, read
from the build's progress file (``python -m ingest --progress-file``). The page asks
``/fortschritt.json`` every two seconds and reloads itself once that address is no
longer this server's (the app has taken the port over).
"""

from __future__ import annotations

import html
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from index.progress import EMBED, READ, BuildProgress, read_progress, rounded, time_left
from web.i18n import t

STATUS_PATH = "/fortschritt.json"


def time_left_de(seconds: float | None) -> str:
    """German words for an estimate of the time left.

    >>> time_left_de(None), time_left_de(12), time_left_de(250), time_left_de(4000)
    ('Restzeit wird gemessen', 'noch etwa 15 s', 'noch etwa 5 min', 'noch etwa 1 h 7 min')
    """
    if seconds is None:
        return "Restzeit wird gemessen"
    h, m, s = rounded(seconds)
    if h:
        return f"noch etwa {h} h {m} min"
    return f"noch etwa {m} min" if m else f"noch etwa {s} s"


def progress_words(p: BuildProgress | None, lang: str) -> str:
    """Where the build is, in a sentence for the page.

    >>> progress_words(BuildProgress(READ, "c.pdf", 1, 1, pages_read=12, pages=40), "de")
    'Dokument 1 von 1 (c.pdf): Seite 12 von 40 gelesen.'
    >>> progress_words(BuildProgress(EMBED, "c.pdf", 1, 1, 40, 40, embedded=0.5, seconds_left=30), "en")
    'Document 1 of 1 (c.pdf): 40 pages read, 50 % of the text indexed, about 30 s left.'
    """
    if p is None:
        return t("starting_begin", lang)
    if p.stage == READ:
        return t("starting_read", lang, doc=p.doc, docs=p.docs, file=p.file, read=p.pages_read, pages=p.pages or "?")
    if p.stage == EMBED:
        left = time_left_de(p.seconds_left) if lang == "de" else time_left(p.seconds_left)
        return (
            t("starting_embed", lang, doc=p.doc, docs=p.docs, file=p.file, pages=p.pages, share=round(100 * p.embedded))
            + f", {left}."
        )
    return t("starting_write", lang)


def status(progress_file: Path, ready: bool) -> dict[str, Any]:
    """What ``/fortschritt.json`` says: the words in both languages and the share done."""
    if ready:
        return {"de": t("starting_ready", "de"), "en": t("starting_ready", "en"), "fraction": 1.0}
    p = read_progress(progress_file)
    return {
        "de": progress_words(p, "de"),
        "en": progress_words(p, "en"),
        "fraction": round(p.fraction, 3) if p else 0.0,
    }


def page(first: dict[str, Any]) -> str:
    """The whole page, German first; its script switches to English for a visitor who
    chose English in the app or whose browser asks for it."""
    texts = {lang: {k: t(k, lang) for k in ("starting_title", "starting_intro")} for lang in ("de", "en")}
    return f"""<!doctype html>
<html lang="de"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{t("starting_title", "de")}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: #111827;
  background: #fff; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5; }}
h1 {{ font-size: 1.6rem; }}
progress {{ width: 100%; height: 1rem; appearance: none; border: 1px solid #6b7280; border-radius: 4px;
  background: #f3f4f6; }}
progress::-webkit-progress-bar {{ background: #f3f4f6; border-radius: 4px; }}
progress::-webkit-progress-value {{ background: #1d4ed8; border-radius: 4px; }}
.lotse-starting {{ border-left: 4px solid #1d4ed8; background: #eff6ff; padding: .75rem 1rem; }}
</style></head>
<body><main>
<h1 id="titel">{t("starting_title", "de")}</h1>
<p id="einleitung">{t("starting_intro", "de")}</p>
<div class="lotse-starting">
<p id="stand" role="status" aria-live="polite">{html.escape(first["de"])}</p>
<progress id="balken" max="1" value="{first["fraction"]}" aria-labelledby="stand"></progress>
</div>
<noscript><p>{t("starting_noscript", "de")}</p></noscript>
</main>
<script>
(() => {{
  const TEXTS = {_script_json(texts)};
  let lang = "de";
  try {{ lang = localStorage.getItem("charta-lotse-sprache") || ""; }} catch (err) {{ lang = ""; }}
  if (lang !== "de" && lang !== "en") {{
    const wanted = (navigator.languages && navigator.languages.length)
      ? navigator.languages : [navigator.language || "de"];
    lang = wanted.map((l) => String(l).slice(0, 2).toLowerCase()).find((l) => l === "de" || l === "en") || "de";
  }}
  document.documentElement.lang = lang;
  document.title = TEXTS[lang].starting_title;
  document.getElementById("titel").textContent = TEXTS[lang].starting_title;
  document.getElementById("einleitung").textContent = TEXTS[lang].starting_intro;
  const show = (s) => {{
    document.getElementById("stand").textContent = s[lang];
    document.getElementById("balken").value = s.fraction;
  }};
  show({_script_json(first)});
  const poll = () => fetch("{STATUS_PATH}", {{cache: "no-store"}})
    .then((r) => r.ok ? r.json().then((s) => {{ if (s && s[lang]) show(s); else location.reload(); }})
                      : location.reload())
    .catch(() => {{}})  // the port is changing hands: ask again
    .finally(() => setTimeout(poll, 2000));
  setTimeout(poll, 2000);
}})();
</script></body></html>
"""


# Nothing from elsewhere: the page's own script and style, and requests to this host only.
_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'"


def _script_json(value: Any) -> str:
    """``value`` as JSON safe inside a ``<script>`` element (a file name could hold ``</script>``)."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c")


class StartingPage:
    """The page on ``host:port`` until :meth:`close`; ``ready()`` says the index is built."""

    def __init__(self, host: str, port: int, progress_file: Path) -> None:
        self.progress_file = progress_file
        self.ready = False
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                state = status(owner.progress_file, owner.ready)
                if self.path.split("?", 1)[0] == STATUS_PATH:
                    self._send(json.dumps(state, ensure_ascii=False).encode(), "application/json")
                else:
                    self._send(page(state).encode(), "text/html; charset=utf-8")

            def do_HEAD(self) -> None:
                self._send(b"", "text/html; charset=utf-8")

            def _send(self, body: bytes, kind: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.send_header("Content-Security-Policy", _CSP)
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="starting-page", daemon=True)
        self.thread.start()

    def close(self) -> None:
        """Stop serving and free the port for the app."""
        self.server.shutdown()
        self.server.server_close()
