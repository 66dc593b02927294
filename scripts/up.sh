#!/usr/bin/env bash
# Brings the whole local system up: npm packages, the compiled workspaces, the real servers
# (installed on first use into ~/.cache/eventline) and everything that runs on them; then prints
# where each part answers. Idempotent: what already runs is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_node_modules
build_typescript
npx tsx infra/src/cli.ts up
