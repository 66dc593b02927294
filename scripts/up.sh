#!/usr/bin/env bash
# Brings the whole local system up: npm packages, the compiled workspaces, the real servers
# (installed on first use into ~/.cache/eventline), the Avro schemas in the registry and the
# services on them; then prints where each part answers. Idempotent: what already runs is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_node_modules
build_typescript
tsx infra/src/cli.ts up
# The registry infra started (REGISTRY_PORT moves it), unless the caller names another.
export SCHEMA_REGISTRY_URL="${SCHEMA_REGISTRY_URL:-http://127.0.0.1:${REGISTRY_PORT:-8085}/apis/ccompat/v7}"
tsx packages/avro/src/cli.ts register
tsx scripts/dev/services.ts up
cat <<'TEXT'

Where things answer (the seeds' curl commands work as written):
  gateway (the ingress's routes)  http://localhost:8080
    curl localhost:8080/user-service/users
    curl -X PUT localhost:8080/user-service/update -H 'content-type: application/json' \
      -d '{"id":1,"firstname":"Neha","lastname":"Parate","email":"neha.parate@hotmail.com"}'
    curl localhost:8080/product-service/products
    curl -X POST localhost:8080/order-service/orders -H 'content-type: application/json' -d '{"userId":1,"productId":1,"qty":1}'
    curl localhost:8080/order-service/all
    curl -X POST localhost:8080/api/v1/add -H 'content-type: application/json' -d '{"customerId":"123","itemId":"1","qty":1}'
    curl -X POST localhost:8080/api/v1/remove -H 'content-type: application/json' -d '{"customerId":"123","itemId":"1","qty":1}'
    curl -X POST localhost:8080/api/v1/checkout -H 'content-type: application/json' -d '{"customerId":"123"}'
    curl localhost:8080/api/v1/123
    curl -X POST localhost:8080/api/SOA/home/checkin -H 'Content-Type: application/json' -d '{"internetNo":"8850049302","orderNo":"5960915_106347524.2","staffCode":"cs_eng_ftth","jobStatus":"homecheckedin","checkinLatitude":13.7827811,"checkinLongitude":100.5465937,"checkinDate":"2021-03-18 10:13:43"}'
    curl -X POST localhost:8080/order-service/orders/<id>/cancel
  the seeds' own ports            order-service http://localhost:8081/order-service/all
                                  cart-query http://localhost:7000/api/v1/123
                                  fulfillment-service http://localhost:3000/api/SOA/home/checkin
  traces (Zipkin; every service sends its spans there)  http://localhost:9411/zipkin/
                                  a request's trace id is in its access log line (traceId)
  metrics (Prometheus; scrapes every service)  http://localhost:9090   (queries: README, Traces and metrics)
  config-service (cluster-internal; not on the gateway)  http://localhost:8094/config/<service>
                                  serves config/<service>.json; edits apply live (config/README.md)
  status                          npm run infra -- status;  npm run services -- status
TEXT
echo "  logs                            ${EVENTLINE_STATE:-${EVENTLINE_CACHE:-$HOME/.cache/eventline}/state}/logs/<name>.log"
