#!/usr/bin/env bash
# The full test suite from a fresh clone: installs npm packages if missing, type-checks every
# workspace, lints, then runs the unit and integration projects in two tiers: first everything that
# runs on the local servers, two suites at a time (they mostly wait on Kafka and on the processes
# they start); then the suites on the Kubernetes cluster (k8s/), one at a time: they share one
# cluster (brought up once for the tier, and down after it if this run started it), one Strimzi
# operator and two cores (staging's release and whole-chart's together request more CPU than the
# node has).
# The integration project's global setup installs (first use: Kafka and Apicurio from Maven
# Central, PostgreSQL from Debian) and starts the local servers if they are not running; the first
# tier leaves them up for the second, and the second stops what either started.
# One summary of both tiers closes the run.
#
#   bash scripts/test.sh          both tiers (npm test, CI)
#   bash scripts/test.sh --fast   the first tier only (npm run test:fast)
#   bash scripts/test.sh <jest arguments>   one jest run with those arguments
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_node_modules
build_typescript
lint

state="$(mktemp -t eventline-suite-XXXXXX.json)"
rm -f "$state"
local_results="$(mktemp -t eventline-jest-local-XXXXXX.json)"
cluster_results="$(mktemp -t eventline-jest-cluster-XXXXXX.json)"
trap 'rm -f "$state" "$local_results" "$cluster_results"' EXIT
status=0
# The machine's busy share since a mark from cpu_mark (all cores; /proc/stat's user..steal against
# idle and iowait): it says whether a tier waits or computes, and so whether more workers would help.
cpu_mark() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $5+$6}' /proc/stat; }
cpu_busy_since() {
  local busy0 idle0 busy1 idle1
  read -r busy0 idle0 <<<"$1"
  read -r busy1 idle1 <<<"$(cpu_mark)"
  echo "$(((busy1 - busy0) * 100 / (busy1 - busy0 + idle1 - idle0 + 1)))% busy"
}
if [ "${1:-}" = "--fast" ]; then
  bash scripts/jest.sh --ci --json --outputFile="$local_results" --maxWorkers=2 --testPathIgnorePatterns /k8s/ || status=$?
  node scripts/summarise-jest.js "$local_results"
elif [ "$#" -gt 0 ]; then
  bash scripts/jest.sh --ci --json --outputFile="$local_results" "$@" || status=$?
  node scripts/summarise-jest.js "$local_results"
else
  started=$SECONDS
  cpu_at_start="$(cpu_mark)"
  EVENTLINE_SUITE_STATE="$state" EVENTLINE_KEEP_INFRA=1 \
    bash scripts/jest.sh --ci --json --outputFile="$local_results" --maxWorkers=2 --testPathIgnorePatterns /k8s/ || status=$?
  local_seconds=$((SECONDS - started))
  local_cpu="$(cpu_busy_since "$cpu_at_start")"
  started=$SECONDS
  cpu_at_start="$(cpu_mark)"
  # One cluster for the whole tier: each suite starts and stops it only when run alone.
  cluster_started_here=0
  if ! npm run -s cluster -- status >/dev/null 2>&1; then
    npm run -s cluster -- up || status=$?
    cluster_started_here=1
  fi
  # One Strimzi operator for the tier, watching every namespace: the suites declare their Kafkas for
  # it instead of each installing and removing one beside its release (EVENTLINE_SHARED_STRIMZI).
  # Beside a Strimzi release of a developer's (the owner of the cluster-wide roles) it cannot be
  # installed, and each suite installs its own as before.
  shared_strimzi=eventline-suite-strimzi
  if npm run -s cluster -- strimzi-install "$shared_strimzi" '*'; then
    export EVENTLINE_SHARED_STRIMZI="$shared_strimzi"
  else
    echo "no shared Strimzi operator (above): each cluster suite installs its own"
  fi
  # In band; each suite's heap is printed after it, so that memory one runs away with shows whose it
  # is (a CI run's tier ended "JavaScript heap out of memory" at 4 GB, where a whole run here stays
  # under 110 MB). Not in a worker: jest retries a crashed worker's suite three times.
  EVENTLINE_SUITE_STATE="$state" \
    bash scripts/jest.sh --ci --json --outputFile="$cluster_results" --maxWorkers=1 --logHeapUsage \
    --selectProjects integration --testPathPatterns /k8s/ || status=$?
  if [ -n "${EVENTLINE_SHARED_STRIMZI:-}" ]; then
    npm run -s cluster -- strimzi-uninstall "$shared_strimzi" || status=$?
    unset EVENTLINE_SHARED_STRIMZI
  fi
  if [ "$cluster_started_here" = 1 ]; then npm run -s cluster -- down || status=$?; fi
  echo "tiers: local servers ${local_seconds} s (CPU ${local_cpu}), Kubernetes cluster $((SECONDS - started)) s (CPU $(cpu_busy_since "$cpu_at_start"))"
  node scripts/summarise-jest.js "$local_results" "$cluster_results"
fi
exit "$status"
