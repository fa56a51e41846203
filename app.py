"""Charta-Lotse in the browser: ask, search and browse the documents (Gradio).

    python app.py [--host 127.0.0.1] [--port 7860] [--index-dir DIR] [--corpus DIR]
    python app.py --help-settings

On a fresh clone the index is built from the corpus folder on the first start; meanwhile
the address already answers with a page that shows the progress (web/starting.py) and
switches to the app when it is ready. The page loads nothing from outside the host,
Gradio's analytics are off, and questions are not logged unless
``CHARTA_LOG_QUESTIONS=1``. The page itself is web/layout.py.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from common.errors import ChartaError
from common.settings import Settings, add_help_settings, load_settings

log = logging.getLogger("charta.app")


def _needs_build(settings: Settings) -> bool:
    from index import store

    return store.current_generation_name(settings.index_dir) is None


def _first_build(settings: Settings, progress_file: Path | None = None) -> None:
    """On the first start, build the index in a child process that may use every core
    (this process embeds questions one core each); ``progress_file`` gets its progress."""
    if not _needs_build(settings):
        return
    log.warning("no index in %s yet; building it from %s (once) …", settings.index_dir, settings.corpus_dir)
    if not settings.corpus_dir.is_dir():
        raise ChartaError(
            f"corpus folder {settings.corpus_dir} does not exist; put the PDFs there or pass --corpus DIR"
        )
    extra = ["--progress-file", str(progress_file)] if progress_file else []
    subprocess.run(
        [
            sys.executable,
            "-m",
            "ingest",
            "--corpus",
            str(settings.corpus_dir),
            "--index-dir",
            str(settings.index_dir),
            "--wait",
            "600",
            *extra,
        ],
        cwd=Path(__file__).resolve().parent,
        check=False,
    )
    if _needs_build(settings):
        raise ChartaError(f"no document in {settings.corpus_dir} could be indexed")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python app.py", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    parser.add_argument("--index-dir", help="index folder (CHARTA_INDEX_DIR)")
    parser.add_argument("--corpus", help="corpus folder with the PDFs (CHARTA_CORPUS_DIR)")
    parser.add_argument("--share", action="store_true", help="also open a public Gradio share link (off unless asked)")
    add_help_settings(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    for noisy in ("httpx", "urllib3", "sentence_transformers", "faiss"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    starting = None
    try:
        settings = load_settings(index_dir=args.index_dir, corpus_dir=args.corpus)
        progress_file = None
        if _needs_build(settings):
            # The address answers at once: a page with the build's progress, which
            # switches to the app once it serves (HTTP 200 throughout, never „refused“).
            from web.starting import StartingPage

            progress_file = Path(tempfile.mkdtemp(prefix="charta-start-")) / "progress.json"
            try:
                starting = StartingPage(args.host, args.port, progress_file)
            except OSError as exc:
                raise ChartaError(f"cannot serve on {args.host}:{args.port}: {exc.strerror or exc}") from None
            log.info("Charta-Lotse: http://%s:%d (building the index; the page shows how far)", args.host, args.port)
        _first_build(settings, progress_file)
        if starting is not None:
            starting.ready = True
        # Many visitors at once: each question embeds on one core, side by side, instead
        # of every question taking all cores in turn (and idle engine threads must not
        # spin). Set before the model's OpenMP runtime starts; an operator's values win.
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        from index.live import LiveSearcher
        from web.layout import build_app

        live = LiveSearcher(settings)
        # Model, index, word lists and the answer decision load now, not while the
        # first visitor waits.
        from answer.pipeline import ask

        ask(live.get(), "Aufwärmen")
        demo = build_app(settings, live)
    except ChartaError as exc:
        if starting is not None:
            starting.close()
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if starting is not None:
        starting.close()  # the port changes hands: the page asks again until the app answers
    log.info("Charta-Lotse: http://%s:%d", args.host, args.port)
    # systemd and `docker stop` send SIGTERM: stop as on Ctrl-C, so that uploads and
    # exports in Gradio's cache are deleted, not left behind.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        demo.launch(server_name=args.host, server_port=args.port, share=args.share)
    finally:
        _delete_cache(demo)
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _delete_cache(demo: object) -> None:
    """Gradio's uploads and copies of exports; its server does the same at a clean stop,
    but gives up after 5 s while event streams are open."""
    from gradio.route_utils import delete_files_created_by_app

    try:
        delete_files_created_by_app(demo, age=None)  # type: ignore[arg-type]
    except Exception as exc:  # on the way out: say it, do not mask the exit
        log.warning("could not delete Gradio's cache: %s", exc)


if __name__ == "__main__":
    sys.exit(main())
