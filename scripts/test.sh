#!/usr/bin/env bash
# The full test suite from a fresh clone: installs npm packages if missing, type-checks every
# workspace, lints, then runs the unit and integration projects. The integration project's global setup
# installs (first use: Kafka and Apicurio from Maven Central, PostgreSQL from Debian) and starts the
# local servers if they are not running, and stops again only what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_node_modules
build_typescript
lint
results="$(mktemp -t eventline-jest-XXXXXX.json)"
status=0
bash scripts/jest.sh --ci --json --outputFile="$results" "$@" || status=$?
node scripts/summarise-jest.js "$results"
rm -f "$results"
exit "$status"
