#!/usr/bin/env bash
# Stops everything `npm run up` started (by pid file), leaving data in place.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsx infra/src/cli.ts down
