#!/usr/bin/env bash
# One app replica: serves the shared index and corpus read-only, no admin tab, feedback
# (if on) in a file of its own. Run one per port (or per machine) behind nginx:
#   CHARTA_SHARED=/srv/charta deploy/replica.sh 7861
# CHARTA_SHARED holds corpus/ and index/ (an NFS mount on other machines, read-only).
set -euo pipefail
cd "$(dirname "$0")/.."
port=${1:?usage: deploy/replica.sh PORT [HOST]}
host=${2:-127.0.0.1}
shared=${CHARTA_SHARED:?set CHARTA_SHARED to the folder holding corpus/ and index/}
export CHARTA_INDEX_DIR="$shared/index" CHARTA_CORPUS_DIR="$shared/corpus" CHARTA_ADMIN_TOKEN=""
export HF_HUB_OFFLINE=1
if [ "${CHARTA_FEEDBACK:-0}" = 1 ] && [ -z "${CHARTA_FEEDBACK_FILE:-}" ]; then
  export CHARTA_FEEDBACK_FILE="$PWD/feedback-$(hostname)-$port.jsonl"
fi
exec "${PYTHON:-.venv/bin/python}" app.py --host "$host" --port "$port"
