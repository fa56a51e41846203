"""The app's own HTTP routes beside Gradio's: the indexed PDFs, served by name, and the
view of a passage on its PDF page (web/sourceview.py).

Links to them are made in one place each: :func:`web.render.pdf_url`,
:func:`web.sourceview.source_url` and :func:`web.sourceview.page_image_url`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pypdfium2 as pdfium
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from index.live import LiveSearcher
from web import sourceview
from web.guard import TooManyRequests
from web.pagerender import RenderFailed, TooSlow
from web.render import PDF_ROUTE


def content_disposition(name: str) -> str:
    """RFC 6266: an ASCII fallback name and the real one, UTF-8 encoded, so names with
    „–“, „€“, emoji or control characters neither break the header nor the response.

    >>> print(content_disposition("Leitfaden – 2021 €.pdf"))
    inline; filename="Leitfaden _ 2021 _.pdf"; filename*=UTF-8''Leitfaden%20%E2%80%93%202021%20%E2%82%AC.pdf
    """
    from urllib.parse import quote

    ascii_name = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in name)
    return f"inline; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def indexed_pdf(live: LiveSearcher, name: str) -> Path | None:
    """The PDF of the live index with this file name, if it is there; nothing else."""
    doc = next((d for d in live.get().documents.values() if d.get("file") == name), None)
    path = Path(doc["source_path"]) if doc and doc.get("source_path") else None
    return path if path is not None and path.is_file() else None


def pdf_route(live: LiveSearcher) -> Route:
    """``/dokumente/<file>``: a PDF of the live index, looked up by its name only."""

    async def serve(request: Request) -> Response:
        path = indexed_pdf(live, request.path_params["name"])
        if path is None:
            return PlainTextResponse("Dokument nicht gefunden", status_code=404)
        return FileResponse(
            path,
            media_type="application/pdf",
            headers={"Content-Disposition": content_disposition(path.name), "X-Content-Type-Options": "nosniff"},
        )

    return Route(PDF_ROUTE + "/{name}", serve, methods=["GET", "HEAD"])


HEALTH_ROUTE = "/healthz"


def health_route(live: LiveSearcher) -> Route:
    """``/healthz``: 200 and the generation this process serves, or 503 when it has no
    index to answer from; for the load balancer's operator and the replica test
    (deploy/README.md). Reading it also lets the process notice a new generation."""

    def health(request: Request) -> Response:
        try:
            generation = live.get().generation
        except Exception as exc:  # no index loadable: the replica cannot answer
            return JSONResponse({"status": "unavailable", "reason": str(exc)}, status_code=503)
        return JSONResponse({"status": "ok", "generation": generation}, headers={"Cache-Control": "no-store"})

    return Route(HEALTH_ROUTE, health, methods=["GET", "HEAD"])


def source_routes(live: LiveSearcher) -> list[Route]:
    """``/stelle/<passage id>?hl=<start>-<end>``: a passage's sentences marked on their PDF
    pages; ``/seitenbild/<file>/<page>``: a page of an indexed PDF as a PNG.

    Both are sync endpoints, run in the server's thread pool. Page images render in a
    child process within :data:`web.sourceview.RENDER_TIMEOUT_S` (else 422), one per
    client at a time (web/sourceview.py); a request waits at most
    :data:`web.sourceview.RENDER_WAIT_S` for its turn (then 503).
    """

    def view(request: Request) -> Response:
        spans = sourceview.parse_spans(request.query_params.get("hl", ""))
        if spans is None:
            return PlainTextResponse("Ungültige Angabe der Stelle", status_code=400)
        lang = "en" if request.query_params.get("lang") == "en" else "de"
        try:
            found = sourceview.build_view(live.get(), request.path_params["passage_id"], spans)
        except sourceview.Busy:
            return PlainTextResponse("Zu viele Anfragen; bitte gleich noch einmal", status_code=503)
        except (OSError, IndexError, pdfium.PdfiumError):
            found = None
        if found is None:
            return PlainTextResponse("Textstelle nicht gefunden", status_code=404)
        page, style_hash = sourceview.render_view(found, lang)
        return HTMLResponse(
            page,
            headers={
                # Nothing but this page's own style block and the app's own page images.
                "Content-Security-Policy": (
                    f"default-src 'none'; img-src 'self'; style-src 'sha256-{style_hash}'; "
                    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
                ),
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "no-store",
            },
        )

    def image(request: Request) -> Response:
        # Matched as text: Starlette's int converter turns 5,000 digits into HTTP 500.
        page = request.path_params["page"]
        if not re.fullmatch(r"[0-9]{1,6}", page):
            return PlainTextResponse("Seite nicht gefunden", status_code=404)
        path, number = indexed_pdf(live, request.path_params["name"]), int(page)
        client = request.client.host if request.client else ""
        try:
            if path is None or not 1 <= number <= sourceview.page_count(path):
                return PlainTextResponse("Seite nicht gefunden", status_code=404)
            png = sourceview.page_png(path, number, client)
        except TooManyRequests:
            return PlainTextResponse("Zu viele Seitenbilder auf einmal; bitte gleich noch einmal", status_code=429)
        except sourceview.Busy:
            return PlainTextResponse("Zu viele Anfragen; bitte gleich noch einmal", status_code=503)
        except TooSlow:
            return PlainTextResponse(
                f"Diese Seite braucht länger als {sourceview.RENDER_TIMEOUT_S:g} s, um als Bild zu erscheinen; "
                "bitte öffnen Sie das PDF.",
                status_code=422,
            )
        except (OSError, IndexError, pdfium.PdfiumError, RenderFailed):
            return PlainTextResponse("Seite nicht gefunden", status_code=404)
        return Response(
            png,
            media_type="image/png",
            headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=300"},
        )

    return [
        Route(sourceview.SOURCE_ROUTE + "/{passage_id:path}", view, methods=["GET", "HEAD"]),
        Route(sourceview.PAGE_IMAGE_ROUTE + "/{name}/{page}", image, methods=["GET", "HEAD"]),
    ]
