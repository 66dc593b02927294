#!/bin/sh
# The runtime layout of one service's image: package.json and dist/ of the workspaces, the Avro
# schemas, and main.js → the service's entry point. Run by the Dockerfile's build stage, and by the
# test suite (charts/eventline/test/integration/images.test.ts) outside any container engine.
# Usage, from the sources' root after compiling: assemble.sh SERVICE OUT
set -eu
service="$1"
out="$2"
if [ ! -d "services/${service}" ]; then
  echo "assemble.sh: no service named '${service}' under services/" >&2
  exit 2
fi
mkdir -p "${out}"
for dir in packages/* "services/${service}"; do
  mkdir -p "${out}/${dir}"
  cp "${dir}/package.json" "${out}/${dir}/"
  if [ -d "${dir}/dist" ]; then cp -R "${dir}/dist" "${out}/${dir}/"; fi
done
cp -R schemas package.json "${out}/"
ln -s "services/${service}/dist/main.js" "${out}/main.js"
