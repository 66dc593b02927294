#!/usr/bin/env bash
# Runs a command on the project's Node (scripts/node.sh): `bash scripts/with-node.sh tsx file.ts`.
# package.json's scripts go through it, so `npm run <anything>` uses that Node even when the npm
# that started it runs on an older one.
set -euo pipefail
source "$(dirname "$0")/node.sh"
use_project_node
exec "$@"
