#!/bin/sh
# The process of the Dockerfile's `dev` image (`skaffold dev -p local,dev`): skaffold syncs edited
# TypeScript sources into /app, the compiler's watch build turns them into dist/ within a second,
# and Node's watch mode restarts the service on its new output. No image is rebuilt for a code edit.
# Each run of the service listens for a debugger on port 9229 (the image is the dev target only, never
# shipped): `kubectl port-forward deploy/<service> 9229`, then attach (chrome://inspect, VS Code).
set -eu
service="${SERVICE:?SERVICE names the service to run}"
npx tsc -b "services/${service}" --watch --preserveWatchOutput &
exec node --watch --watch-preserve-output --inspect=0.0.0.0:9229 "services/${service}/dist/main.js"
