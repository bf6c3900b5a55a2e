#!/usr/bin/env bash
# The run command: set up everything from the lock and start Airflow 3.0.6 with the
# human-in-the-loop feature on http://localhost:8080 (see README.md).
set -euo pipefail
source "$(dirname "$0")/_env.sh"
install_env runtime
build_ui
configure_airflow
log "Migrating the metadata database (Airflow and the HITL tables)"
airflow db migrate
log "Starting Airflow (api-server, scheduler, dag-processor, triggerer) on http://localhost:8080"
log "Log in as 'admin'; the password is in $AIRFLOW_HOME/simple_auth_manager_passwords.json.generated"
exec airflow standalone
