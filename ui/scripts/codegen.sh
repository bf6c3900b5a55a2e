#!/bin/sh
# Regenerate ui/openapi/openapi.json from the feature's FastAPI app, then the TypeScript types.
# Needs the project's virtualenv (.venv at the repository root; scripts/run.sh or scripts/test.sh create it).
set -eu
ui_dir=$(cd "$(dirname "$0")/.." && pwd)
repo_dir=$(cd "$ui_dir/.." && pwd)
python_bin=${PYTHON:-"$repo_dir/.venv/bin/python"}
"$python_bin" - "$ui_dir/openapi/openapi.json" <<'PY'
import json
import sys

from airflow.hitl.api.app import create_api_app

with open(sys.argv[1], "w", encoding="utf-8") as out:
    json.dump(create_api_app().openapi(), out, indent=2)
    out.write("\n")
PY
cd "$ui_dir"
npx openapi-typescript openapi/openapi.json --output src/api/schema.gen.ts
echo "openapi/openapi.json and src/api/schema.gen.ts regenerated"
