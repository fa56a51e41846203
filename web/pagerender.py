"""A PDF page as a PNG, rendered in a child process with a time and a memory limit.

PDFium cannot be stopped from another thread, and one page of vector art can keep it
busy for minutes (the attack probe's 679 kB PDF: 17–24 s a page). So each render runs
in ``python -m web.pagerender``, which the parent kills at the deadline: a page that
takes longer is refused (:class:`TooSlow`), and no lock is held by a render that hangs.
The child imports PDFium and Pillow only.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

_PROJECT_ROOT = Path(__file__).resolve().parent.parent
MEMORY_BYTES = 2 * 1024**3  # address space of one render


class TooSlow(Exception):
    """The page did not render within its time budget."""


class RenderFailed(Exception):
    """The child could not render the page (a broken PDF, a page that is not there)."""


def render_png(path: Path, pdf_page: int, scale: tuple[float, int, int], timeout_s: float) -> bytes:
    """Page ``pdf_page`` (1-based) of ``path`` as a PNG, at ``scale`` = (pixels per point,
    maximum width, maximum height); :class:`TooSlow` after ``timeout_s`` seconds."""
    request = json.dumps({"path": str(path), "page": pdf_page, "scale": list(scale)})
    proc = subprocess.Popen(
        [sys.executable, "-m", "web.pagerender"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=str(_PROJECT_ROOT),
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(request.encode("utf-8"), timeout=timeout_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise TooSlow(f"page {pdf_page} of {path.name} takes longer than {timeout_s:g} s to render") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    if proc.returncode != 0 or not out.startswith(b"\x89PNG"):
        tail = (err.decode("utf-8", "replace").strip().splitlines() or [f"exit {proc.returncode}"])[-1]
        raise RenderFailed(f"page {pdf_page} of {path.name}: {tail[:160]}")
    return out


def _child_main() -> None:
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    import pypdfium2 as pdfium

    req = json.loads(sys.stdin.read())
    max_scale, max_width, max_height = req["scale"]
    pdf = pdfium.PdfDocument(req["path"])
    try:
        number = int(req["page"])
        if not 1 <= number <= len(pdf):
            raise SystemExit(f"no page {number} (of {len(pdf)})")
        page = pdf[number - 1]
        width, height = page.get_width(), page.get_height()
        # The pixel budget: never more than max_width × max_height, however large the page.
        scale = min(max_scale, max_width / max(width, 1.0), max_height / max(height, 1.0))
        image = page.render(scale=scale).to_pil()
        page.close()
    finally:
        pdf.close()
    out = io.BytesIO()
    # Level 3 compresses a charter page about as well as the default and 3× faster.
    image.save(out, "PNG", compress_level=3)
    sys.stdout.buffer.write(out.getvalue())
    sys.stdout.flush()


if __name__ == "__main__":
    _child_main()
