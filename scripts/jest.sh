#!/usr/bin/env bash
# jest on the project's Node with Node's require(esm) available to it: some chosen packages are
# ES modules only (@kubernetes/client-node 2) while the project compiles to CommonJS, and jest
# supports require(esm) on Node >= 24.9 behind --experimental-vm-modules. That flag's one
# ExperimentalWarning per worker is silenced; the services the tests start get neither flag.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/scripts/node.sh"
use_project_node
exec node --experimental-vm-modules --disable-warning=ExperimentalWarning "$root/node_modules/jest/bin/jest.js" "$@"
