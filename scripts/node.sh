# The project's own Node.js: the version in .nvmrc (the one place it is stated), installed on first
# use from the npm registry's official binary packages (`node-linux-<arch>`, and npm from `npm` at
# the version package.json's `packageManager` names) into $EVENTLINE_CACHE/node/<version>, each
# tarball checked against the registry's sha512 integrity before it is unpacked. Sourcing this file
# and calling `use_project_node` puts that Node first on PATH, so every `node`, `npm`, `npx`, `tsx`
# and `jest` below runs on it whatever Node the machine has (any Node able to run npm will do).

project_node_version() {
  tr -d ' \nv' < "$(dirname "${BASH_SOURCE[0]}")/../.nvmrc"
}

project_npm_version() {
  sed -n 's/^ *"packageManager": *"npm@\([0-9.]*\)".*/\1/p' "$(dirname "${BASH_SOURCE[0]}")/../package.json"
}

# Downloads PACKAGE@VERSION's tarball with `npm pack` into DIR and checks it against the sha512 the
# registry publishes for it (npm pack checks too; this makes the check explicit and fails loudly).
fetch_checked_tarball() {
  local package="$1" version="$2" dir="$3"
  local expected actual file
  expected="$(npm view "${package}@${version}" dist.integrity)"
  file="$(cd "$dir" && npm pack --silent "${package}@${version}" | tail -n 1)"
  actual="sha512-$(openssl dgst -sha512 -binary "$dir/$file" | base64 -w0)"
  if [ -z "$expected" ] || [ "$expected" != "$actual" ]; then
    echo "[node] ${package}@${version}: integrity mismatch (registry ${expected:-none}, file ${actual})" >&2
    return 1
  fi
  echo "$dir/$file"
}

install_project_node() {
  local version="$1" npm_version="$2" target="$3"
  local arch
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64) arch=arm64 ;;
    *) echo "[node] no node-linux package for $(uname -m)" >&2; return 1 ;;
  esac
  echo "[setup] installing Node.js ${version} and npm ${npm_version} from the npm registry into ${target} (first use)" >&2
  local work
  work="$(mktemp -d "${target}.partial.XXXXXX")"
  local node_tgz npm_tgz
  node_tgz="$(fetch_checked_tarball "node-linux-${arch}" "$version" "$work")" || { rm -rf "$work"; return 1; }
  npm_tgz="$(fetch_checked_tarball npm "$npm_version" "$work")" || { rm -rf "$work"; return 1; }
  mkdir -p "$work/root/bin" "$work/root/lib/node_modules/npm"
  tar -xzf "$node_tgz" -C "$work/root" --strip-components=1 package/bin/node package/LICENSE
  tar -xzf "$npm_tgz" -C "$work/root/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$work/root/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$work/root/bin/npx"
  if [ "$("$work/root/bin/node" --version)" != "v${version}" ]; then
    echo "[node] the unpacked binary is not v${version}" >&2; rm -rf "$work"; return 1
  fi
  rm -rf "$target"
  mv "$work/root" "$target"
  rm -rf "$work"
}

use_project_node() {
  local version npm_version dir
  version="$(project_node_version)"
  npm_version="$(project_npm_version)"
  dir="${EVENTLINE_CACHE:-$HOME/.cache/eventline}/node/${version}-npm${npm_version}"
  if [ ! -x "$dir/bin/node" ]; then
    mkdir -p "$(dirname "$dir")"
    install_project_node "$version" "$npm_version" "$dir" || return 1
  fi
  case ":$PATH:" in
    "$dir/bin:"*) ;;
    *) export PATH="$dir/bin:$PATH" ;;
  esac
  hash -r
}
