#!/usr/bin/env bash
# The test command: set up everything the tests need (from the lock) and run the whole suite:
# lint and type checks, unit tests, and system tests on real Airflow components.
#
# System tests run on four stack configurations: sqlite, postgres, postgres-split (a split
# API server) and production (CeleryExecutor with Redis, the FAB auth manager, two of each
# component; only the tests marked for it). Without PostgreSQL on 127.0.0.1:5432 or Redis on
# 127.0.0.1:6379 the stacks that need them are skipped with a printed reason, except under
# CI=true, where they must run. HITL_STACKS=sqlite narrows the set.
# Extra arguments go to pytest, e.g. scripts/test.sh -k approval.
set -euo pipefail
source "$(dirname "$0")/_env.sh"
install_env test
build_ui
ensure_chromium
cd "$REPO_ROOT"

log "Lint (ruff) and types (mypy)"
ruff check airflow-core providers tests airflow-ctl
ruff format --check airflow-core providers tests airflow-ctl
mypy airflow-core/src providers/hitl/src airflow-ctl/src

log "Manual: mkdocs build, warnings are errors (broken links and anchors, pages not in the nav)"
# Not with -q: MkDocs then drops the warnings before strict mode counts them, and passes.
site="$(mktemp -d)"
mkdocs build --strict --site-dir "$site"
rm -rf "$site"

log "UI: lint (eslint, tsc) and component tests (vitest)"
npm --prefix ui run lint
npm --prefix ui test

log "Tests (unit and system)"
# Keep the developer's own Airflow settings out of the tests.
unset AIRFLOW_HOME
while IFS= read -r name; do unset "$name"; done < <(env | grep -o '^AIRFLOW__[^=]*' || true)
exec python -m pytest "$@"
