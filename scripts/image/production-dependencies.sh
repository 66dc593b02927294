#!/bin/sh
# node_modules for one service's image: its production dependencies and those of the Avro package
# (every image can run the `schemas` command, the chart's hook), nothing for development. Run by the
# Dockerfile, and by the test suite outside any container engine.
# Usage, in a folder holding package.json, package-lock.json, patches/ and every workspace's package.json:
#   production-dependencies.sh SERVICE
set -eu
service="$1"
npm ci --omit=dev --ignore-scripts --no-audit --no-fund --workspace packages/avro --workspace "services/${service}"
# The fixes in patches/ (each says why), as the root postinstall applies them to a development install:
# those of the packages this service has (patch-package fails on a patch whose package is absent).
# A patch file is named <package, / as +>+<version>.patch.
applicable=.patches-for-this-image
rm -rf "${applicable}" && mkdir "${applicable}"
for patch in patches/*.patch; do
  name="$(basename "${patch}")"
  package="$(printf '%s' "${name%+*}" | tr + /)"
  if [ -d "node_modules/${package}" ]; then cp "${patch}" "${applicable}/"; fi
done
npx --yes patch-package@8.0.1 --error-on-fail --patch-dir "${applicable}"
rm -rf "${applicable}"
