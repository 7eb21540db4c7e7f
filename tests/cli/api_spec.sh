#!/usr/bin/env bash
# docs/api.yaml lists exactly the routes the service's APIs register (src/service/*_api.cpp: admin,
# login, followers), method by method, and nothing else. Usage: api_spec.sh REPO_ROOT
set -euo pipefail
root=$1
served=$(grep -oh -E '(route\(router, |router\.add\()"[A-Z]+", "/api/v1/[^"]*"' \
    "$root"/src/service/*_api.cpp |
  sed -E 's/.*"([A-Z]+)", "([^"]*)"/\1 \2/' | sort)
documented=$(awk '
  /^  \/api\/v1\// { path = $1; sub(/:$/, "", path); next }
  /^[^ ]/ { path = "" }
  path != "" && /^    (get|post|patch|put|delete):/ { m = $1; sub(/:$/, "", m); print toupper(m), path }
' "$root/docs/api.yaml" | sort)
[ -n "$served" ] || { echo "FAIL: found no routes in src/service/*_api.cpp"; exit 1; }
if [ "$served" != "$documented" ]; then
  echo "FAIL: docs/api.yaml and the service differ (< served, > documented):"
  diff <(echo "$served") <(echo "$documented") || true
  exit 1
fi
echo "all $(echo "$served" | wc -l) routes documented"
