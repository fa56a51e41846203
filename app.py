"""Charta-Lotse in the browser: ask, search and browse the documents (Gradio).

    python app.py [--host 127.0.0.1] [--port 7860] [--index-dir DIR] [--corpus DIR]
    python app.py --help-settings

On a fresh clone the index is built from the corpus folder on the first start. The
page loads nothing from outside the host, Gradio's analytics are off, and questions are
not logged unless ``CHARTA_LOG_QUESTIONS=1``. The page itself is web/layout.py.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from common.errors import ChartaError
from common.settings import add_help_settings, load_settings

log = logging.getLogger("charta.app")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python app.py", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    parser.add_argument("--index-dir", help="index folder (CHARTA_INDEX_DIR)")
    parser.add_argument("--corpus", help="corpus folder with the PDFs (CHARTA_CORPUS_DIR)")
    parser.add_argument("--share", action="store_true",
                        help="also open a public Gradio share link (off unless asked)")
    add_help_settings(parser)
    args = parser.parse_args(argv)
    # Many visitors at once: each question embeds on one core, side by side, instead of
    # every question taking all cores in turn (and idle engine threads must not spin).
    # Set before the model's OpenMP runtime starts; an operator's own values win.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    for noisy in ("httpx", "urllib3", "sentence_transformers", "faiss"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        settings = load_settings(index_dir=args.index_dir, corpus_dir=args.corpus)
        from index.build import ensure_index
        from index.live import LiveSearcher
        from web.layout import build_app

        ensure_index(settings)
        live = LiveSearcher(settings)
        # Model, index, word lists and the answer decision load now, not while the
        # first visitor waits.
        from answer.pipeline import ask

        ask(live.get(), "Aufwärmen")
        demo = build_app(settings, live)
    except ChartaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    log.info("Charta-Lotse: http://%s:%d", args.host, args.port)
    demo.launch(server_name=args.host, server_port=args.port, share=args.share)
    return 0


if __name__ == "__main__":
    sys.exit(main())
