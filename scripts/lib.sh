# Shared by scripts/*.sh: the project's Node first on PATH (scripts/node.sh), npm packages installed
# when node_modules is missing or older than the lock file, the TypeScript build.
source "$(dirname "${BASH_SOURCE[0]}")/node.sh"
use_project_node
# The workspace's own tools (tsc, tsx, jest) by name, as `npm run` would put them.
export PATH="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/node_modules/.bin:$PATH"
ensure_node_modules() {
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] \
    || [ -n "$(find patches -newer node_modules/.package-lock.json 2>/dev/null)" ]; then
    echo "[setup] installing npm packages (npm ci)" >&2
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

build_typescript() {
  echo "[setup] compiling TypeScript (tsc -b) and type-checking tests and benchmarks" >&2
  tsc -b
  tsc -p tsconfig.typecheck.json
  tsc -p scripts/dev
}

# Lint and formatting (Biome, biome.json): fails on a finding or an unformatted file.
lint() {
  echo "[setup] linting and checking the formatting (biome ci)" >&2
  biome ci --reporter=summary .
}
