#!/usr/bin/env bash
# The user manual (docs/) as a site, built by MkDocs with the Material theme (mkdocs.yml).
#
#   scripts/docs.sh            serve it at http://127.0.0.1:8001, rebuilt on every change
#                              (HITL_DOCS_ADDRESS=host:port to change the address)
#   scripts/docs.sh build      build it into site/ (open site/index.html)
#
# Both treat every warning as an error (a broken link or anchor, a page missing from the
# navigation), as the test command does.
set -euo pipefail
mode="${1:-serve}"
case "$mode" in
  serve | build) ;;
  *)
    echo "usage: scripts/docs.sh [serve|build]" >&2
    exit 2
    ;;
esac
source "$(dirname "$0")/_env.sh"
install_env test
cd "$REPO_ROOT"

if [ "$mode" = serve ]; then
  log "Serving the manual at http://${HITL_DOCS_ADDRESS:-127.0.0.1:8001}"
  exec mkdocs serve --strict -a "${HITL_DOCS_ADDRESS:-127.0.0.1:8001}"
fi
mkdocs build --strict --site-dir "$REPO_ROOT/site"
log "Built the manual: open $REPO_ROOT/site/index.html"
