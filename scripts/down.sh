#!/usr/bin/env bash
# Stops everything `npm run up` started (by pid file), leaving data in place: the services first
# (gracefully), then the servers they use.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
tsx scripts/dev/services.ts down
tsx infra/src/cli.ts down
