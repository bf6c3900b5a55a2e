#!/usr/bin/env bash
# Re-resolve the dependency locks from requirements/*.in (see requirements/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_env.sh
ensure_uv
for name in runtime production test; do
  "$UV" pip compile --quiet --python-version 3.11 \
    --exclude-newer 2025-09-01 --exclude-newer-package apache-airflow-ctl=2026-11-01 --exclude-newer-package playwright=2026-11-01 \
    "requirements/$name.in" -o "requirements/$name.lock"
done
