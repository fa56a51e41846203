#!/usr/bin/env bash
# Install everything the tests need (Python packages into .venv, Debian's chromium for the
# browser test, Tesseract with its German data for OCR, nginx for the replica test,
# axe-core from npm), check lint and types, and run the whole suite. Extra arguments go
# to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps -e .

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# OCR of scanned pages (ingest/ocr.py): the tesseract command and its German data.
tesseract --list-langs 2>/dev/null | grep -x deu >/dev/null || missing+=(tesseract-ocr tesseract-ocr-deu)
# The workshop slides are rendered headless to check that no text box overflows.
command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-impress)
# The replicas-behind-a-load-balancer test (tests/test_nginx_replicas.py, deploy/).
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ -f package-lock.json ]; then
  npm ci --silent --no-audit --no-fund
fi

export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
# Lint and types first: a quick failure beats a slow one.
.venv/bin/python -m ruff check .
.venv/bin/python -m ruff format --check .
.venv/bin/python -m mypy
set +e
.venv/bin/python -m pytest "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "error: pytest collected no tests" >&2
  exit 1
fi
exit "$rc"
