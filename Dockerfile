# syntax=docker/dockerfile:1
# One image per service from one file: `docker build --build-arg SERVICE=user-service .`
# (skaffold.yaml builds all of them). Stages: manifests (the workspaces' package.json files) →
# dependencies (npm ci from manifests alone) → build (TypeScript compile) and production-dependencies
# (only what the service needs at runtime) → runtime (non-root, no compiler, no sources; read-only
# root filesystem friendly). The two scripts in scripts/image/ are
# also run by the test suite, which starts each service from the layout they produce.
ARG NODE_IMAGE=node:24.22.3-bookworm-slim

# The workspaces' package.json files and nothing else, each named (infra/test/unit/dockerfile.test.ts
# holds this list to the workspaces): the dependency layers below are keyed on these and the lock
# file, so a source edit never reruns `npm ci`, and skaffold counts no other service's sources as
# this image's (an edit in one service rebuilds that service's image only).
FROM ${NODE_IMAGE} AS manifests
COPY packages/avro/package.json /manifests/packages/avro/
COPY packages/config/package.json /manifests/packages/config/
COPY packages/eventstore/package.json /manifests/packages/eventstore/
COPY packages/http/package.json /manifests/packages/http/
COPY packages/idempotency/package.json /manifests/packages/idempotency/
COPY packages/inbox/package.json /manifests/packages/inbox/
COPY packages/kafka/package.json /manifests/packages/kafka/
COPY packages/mongo/package.json /manifests/packages/mongo/
COPY packages/observability/package.json /manifests/packages/observability/
COPY packages/operator-kit/package.json /manifests/packages/operator-kit/
COPY packages/outbox/package.json /manifests/packages/outbox/
COPY packages/postgres/package.json /manifests/packages/postgres/
COPY packages/runtime/package.json /manifests/packages/runtime/
COPY packages/testkit/package.json /manifests/packages/testkit/
COPY services/cart-aggregator/package.json /manifests/services/cart-aggregator/
COPY services/cart-query/package.json /manifests/services/cart-query/
COPY services/cart-service/package.json /manifests/services/cart-service/
COPY services/config-service/package.json /manifests/services/config-service/
COPY services/fulfillment-service/package.json /manifests/services/fulfillment-service/
COPY services/gateway/package.json /manifests/services/gateway/
COPY services/operator/package.json /manifests/services/operator/
COPY services/order-service/package.json /manifests/services/order-service/
COPY services/product-service/package.json /manifests/services/product-service/
COPY services/user-service/package.json /manifests/services/user-service/

FROM ${NODE_IMAGE} AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
COPY infra/package.json infra/
COPY --from=manifests /manifests/ ./
# Before `ARG SERVICE`: the images share this layer instead of running `npm ci` once each.
RUN npm ci --ignore-scripts --no-audit --no-fund

FROM dependencies AS build
COPY tsconfig.base.json tsconfig.json ./
COPY packages/ packages/
COPY schemas/ schemas/
COPY scripts/image/ scripts/image/
ARG SERVICE
# This service's sources only: the others are neither compiled nor part of its build's inputs.
COPY services/${SERVICE}/ services/${SERVICE}/
# Every image can also run `node packages/avro/dist/cli.js` (the chart's schemas hook).
RUN test -n "${SERVICE}" \
 && npx tsc -b packages/avro "services/${SERVICE}" \
 && sh scripts/image/assemble.sh "${SERVICE}" /out

# `skaffold dev -p local,dev` (its `dev` target): the sources, every dependency and the compiler,
# owned by the unprivileged user so that skaffold's sync and the watch build can write them; the
# process restarts on each compiled edit (scripts/image/dev.sh). Never shipped.
FROM build AS dev
ARG SERVICE
RUN chown -R 1000:1000 packages services schemas
ENV SERVICE=${SERVICE} \
    SCHEMAS_DIR=/app/schemas \
    NODE_OPTIONS="--disable-warning=ExperimentalWarning"
USER 1000:1000
CMD ["sh", "scripts/image/dev.sh"]

FROM ${NODE_IMAGE} AS production-dependencies
ARG SERVICE
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches/ patches/
COPY infra/package.json infra/
COPY --from=manifests /manifests/ ./
COPY scripts/image/ scripts/image/
RUN sh scripts/image/production-dependencies.sh "${SERVICE}" \
 && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ARG SERVICE
LABEL org.opencontainers.image.title="eventline-${SERVICE}" \
      org.opencontainers.image.source="https://github.com/eventline/eventline"
ENV NODE_ENV=production \
    SCHEMAS_DIR=/app/schemas \
    NODE_OPTIONS="--disable-warning=ExperimentalWarning"
WORKDIR /app
COPY --from=production-dependencies /app/node_modules/ node_modules/
COPY --from=build /out/ ./
# The `node` user of the base image (uid 1000); the chart's securityContext expects that uid.
USER 1000:1000
EXPOSE 8080
CMD ["node", "main.js"]
