#!/usr/bin/env bash
# Install the app's Python packages into .venv, and Debian's Tesseract with its German data
# (OCR of scanned pages), and start the app (http://127.0.0.1:7860). On the first start the
# index is built from corpus/. Extra arguments go to app.py.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps -e .

# Without Tesseract the app runs all the same; only scanned pages cannot be read.
if ! tesseract --list-langs 2>/dev/null | grep -x deu >/dev/null; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq tesseract-ocr tesseract-ocr-deu >/dev/null; } ||
    echo "note: Tesseract could not be installed; scanned pages stay unread until it is: apt-get install tesseract-ocr tesseract-ocr-deu" >&2
fi
exec .venv/bin/python app.py "$@"
