# Shared set-up for scripts/run.sh and scripts/test.sh (sourced, not executed).
# Creates .venv from the committed lock and installs this repository's packages into it.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${HITL_VENV:-$REPO_ROOT/.venv}"
UV_VERSION="0.13.9"
UV="$VENV/bin/uv"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

ensure_uv() {
  if [ ! -x "$VENV/bin/python" ]; then
    local py="${PYTHON:-python3.11}"
    command -v "$py" >/dev/null 2>&1 || py=python3
    "$py" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' || {
      echo "Python 3.11 is required (found: $("$py" --version 2>&1)); set PYTHON=/path/to/python3.11" >&2
      exit 1
    }
    log "Creating virtual environment in $VENV"
    "$py" -m venv "$VENV"
  fi
  if [ ! -x "$UV" ] || [ "$("$UV" --version | awk '{print $2}')" != "$UV_VERSION" ]; then
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
  fi
}

# install_env runtime|test: the locked dependency set, then our packages (editable).
install_env() {
  local lock="$1"
  ensure_uv
  log "Installing locked dependencies (requirements/$lock.lock)"
  "$UV" pip install --quiet --python "$VENV/bin/python" -r "$REPO_ROOT/requirements/$lock.lock"
  log "Installing airflow-hitl, airflow-provider-hitl and airflowctl-hitl"
  "$UV" pip install --quiet --python "$VENV/bin/python" --no-deps --no-build-isolation \
    -e "$REPO_ROOT/airflow-core" -e "$REPO_ROOT/providers/hitl" -e "$REPO_ROOT/airflow-ctl"
  export PATH="$VENV/bin:$PATH"
}

# api_workers_for_machine: API server worker processes for this machine: one per two cores, at
# least 1 and at most Airflow's default of 4 (2 cores: 1, 4 cores: 2, 8 and more: 4). The
# all-in-one deployment runs the scheduler, DAG processor, triggerer and the tasks on the same
# cores. With more than one worker, uvicorn's supervisor kills a worker that does not answer its
# 5-second health ping, and a worker starting (spawned, importing Airflow) on a busy machine does
# not: with Airflow's 4 workers on 2 cores it restarted them again and again, dropping requests in
# flight. With one worker there is no supervisor, so nothing to restart.
api_workers_for_machine() {
  local cores workers
  cores="$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)"
  workers=$((cores / 2))
  [ "$workers" -ge 1 ] || workers=1
  [ "$workers" -le 4 ] || workers=4
  echo "$workers"
}

# configure_airflow: environment for a local Airflow with the feature switched on. Settings the
# user has set in the environment are kept (the executor and the API workers also when set in
# airflow.cfg).
configure_airflow() {
  export AIRFLOW_HOME="${AIRFLOW_HOME:-$REPO_ROOT/.airflow-home}"
  mkdir -p "$AIRFLOW_HOME/dags"
  local examples
  examples="$("$VENV/bin/python" -c 'import airflow.providers.hitl.example_dags as m, os; print(os.path.dirname(m.__file__))')"
  export AIRFLOW__DATABASE__EXTERNAL_DB_MANAGERS="${AIRFLOW__DATABASE__EXTERNAL_DB_MANAGERS:-airflow.hitl.db_manager.HITLDBManager}"
  export AIRFLOW__CORE__LOAD_EXAMPLES="${AIRFLOW__CORE__LOAD_EXAMPLES:-False}"
  # Airflow 3.0.6's LocalExecutor can start a task before the scheduler has committed it as queued
  # (the task then fails without running, apache/airflow#56010); this one waits for the commit.
  _default_setting core executor airflow.hitl.executors.local_executor.LocalExecutor
  # [api] workers: see api_workers_for_machine.
  _default_setting api workers "$(api_workers_for_machine)"
  local bundle='{"name": "%s", "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle", "kwargs": {"path": "%s"}}'
  local bundles
  # shellcheck disable=SC2059
  bundles="[$(printf "$bundle" dags-folder "$AIRFLOW_HOME/dags"), $(printf "$bundle" hitl-examples "$examples")]"
  export AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST="${AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST:-$bundles}"
}

# _default_setting SECTION KEY VALUE: sets AIRFLOW__SECTION__KEY unless the user set the option,
# in the environment or in airflow.cfg.
_default_setting() {
  local var
  var="AIRFLOW__$(printf '%s' "$1" | tr '[:lower:]' '[:upper:]')__$(printf '%s' "$2" | tr '[:lower:]' '[:upper:]')"
  [ -z "${!var:-}" ] || return 0
  _airflow_cfg_sets "$1" "$2" && return 0
  export "$var=$3"
}

# _airflow_cfg_sets SECTION KEY: whether $AIRFLOW_HOME/airflow.cfg sets KEY in [SECTION] (Airflow
# writes a commented-out default for every option; only an uncommented line counts).
_airflow_cfg_sets() {
  local cfg="${AIRFLOW_CONFIG:-$AIRFLOW_HOME/airflow.cfg}"
  [ -f "$cfg" ] || return 1
  awk -v section="[$1]" -v key="$2" '
    /^[[:space:]]*\[/ { in_section = ($1 == section) }
    in_section && $0 ~ "^[[:space:]]*" key "[[:space:]]*=" { found = 1 }
    END { exit found ? 0 : 1 }
  ' "$cfg"
}

# ensure_chromium: the browser tests drive Debian's Chromium (a test tool's own browser download
# does not work on closed networks). Installed with apt when missing and we may; otherwise the
# browser tests report why they cannot run.
ensure_chromium() {
  [ -x /usr/bin/chromium ] && return 0
  local sudo=""
  [ "$(id -u)" -eq 0 ] || { command -v sudo >/dev/null 2>&1 && sudo="sudo -n"; } || return 0
  log "Installing Debian's chromium for the browser tests"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null ||
    log "Could not install chromium; the browser tests will say why they cannot run"
}

# build_ui: the Required Actions web app (ui/), built by Vite into airflow/hitl/ui_dist (served at
# /required_actions). npm packages are installed only when missing or the lock changed; the app is
# rebuilt only when a source is newer than the build.
build_ui() {
  local ui="$REPO_ROOT/ui"
  local index="$REPO_ROOT/airflow-core/src/airflow/hitl/ui_dist/index.html"
  command -v npm >/dev/null 2>&1 || {
    echo "npm is required to build the Required Actions UI (ui/): install Node.js 20.19+ with npm" >&2
    exit 1
  }
  if [ ! -d "$ui/node_modules" ] || [ "$ui/package-lock.json" -nt "$ui/node_modules/.package-lock.json" ]; then
    log "Installing the UI's npm packages (npm ci in ui/)"
    npm --prefix "$ui" ci --no-audit --no-fund
  fi
  local changed=""
  if [ -f "$index" ]; then
    changed="$(find "$ui/src" "$ui/public" "$ui/index.html" "$ui/package-lock.json" "$ui/vite.config.ts" \
      -newer "$index" -print -quit 2>/dev/null || true)"
  fi
  if [ ! -f "$index" ] || [ -n "$changed" ]; then
    log "Building the Required Actions UI (npm run build in ui/)${changed:+; changed: ${changed#"$ui/"}}"
    npm --prefix "$ui" run build
  else
    log "The Required Actions UI is up to date"
  fi
}
