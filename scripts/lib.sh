# Shared by scripts/*.sh. Installs npm packages when node_modules is missing or older than the lock file.
ensure_node_modules() {
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "[setup] installing npm packages (npm ci)" >&2
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

build_typescript() {
  echo "[setup] compiling TypeScript (tsc -b) and type-checking tests and benchmarks" >&2
  npx tsc -b
  npx tsc -p tsconfig.typecheck.json
  npx tsc -p scripts/dev
}
