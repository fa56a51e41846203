"""The app's own HTTP routes beside Gradio's: the indexed PDFs, served by name.

Links to them are made in one place only: :func:`web.render.pdf_url`.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from index.live import LiveSearcher
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


def pdf_route(live: LiveSearcher) -> Route:
    """``/dokumente/<file>``: a PDF of the live index, looked up by its name only."""

    async def serve(request: Request) -> Response:
        name = request.path_params["name"]
        docs = live.get().documents.values()
        doc = next((d for d in docs if d.get("file") == name), None)
        path = Path(doc["source_path"]) if doc and doc.get("source_path") else None
        if path is None or not path.is_file():
            return PlainTextResponse("Dokument nicht gefunden", status_code=404)
        return FileResponse(
            path,
            media_type="application/pdf",
            headers={"Content-Disposition": content_disposition(path.name), "X-Content-Type-Options": "nosniff"},
        )

    return Route(PDF_ROUTE + "/{name}", serve, methods=["GET", "HEAD"])
