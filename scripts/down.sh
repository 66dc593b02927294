#!/usr/bin/env bash
# Stops everything `npm run up` started (by pid file), leaving data in place: the services first
# (gracefully), then the servers they use.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsx scripts/dev/services.ts down
npx tsx infra/src/cli.ts down
