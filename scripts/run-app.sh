#!/usr/bin/env bash
# Install the app's Python packages into .venv and start it (http://127.0.0.1:7860).
# On the first start the index is built from corpus/. Extra arguments go to app.py.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps -e .
exec .venv/bin/python app.py "$@"
