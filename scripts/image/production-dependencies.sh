#!/bin/sh
# node_modules for one service's image: its production dependencies and those of the Avro package
# (every image can run the `schemas` command, the chart's hook), nothing for development. Run by the
# Dockerfile, and by the test suite outside any container engine.
# Usage, in a folder holding package.json, package-lock.json, patches/ and every workspace's package.json:
#   production-dependencies.sh SERVICE
set -eu
service="$1"
npm ci --omit=dev --ignore-scripts --no-audit --no-fund --workspace packages/avro --workspace "services/${service}"
# The fixes in patches/ (each says why), as the root postinstall applies them to a development install.
npx --yes patch-package@8.0.1 --error-on-fail
