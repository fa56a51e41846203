#!/usr/bin/env bash
# The one writer: indexes the shared corpus and publishes a new generation (atomic
# rename of CURRENT); the replicas switch to it within a second of seeing it. Run on ONE
# machine only (the build lock is an flock, which NFS does not share reliably across
# machines), by hand or from cron after documents change:
#   CHARTA_SHARED=/srv/charta deploy/writer.sh
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${CHARTA_SHARED:?set CHARTA_SHARED to the folder holding corpus/ and index/}
export HF_HUB_OFFLINE=1
exec "${PYTHON:-.venv/bin/python}" -m ingest --corpus "$shared/corpus" --index-dir "$shared/index" --wait 3600 "$@"
