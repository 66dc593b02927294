# syntax=docker/dockerfile:1
# One image per service from one file: `docker build --build-arg SERVICE=user-service .`
# (skaffold.yaml builds all of them). Stages: manifests (the workspaces' package.json files) →
# dependencies (npm ci from manifests alone) → build (TypeScript compile) and production-dependencies
# (only what the service needs at runtime) → runtime (non-root, no compiler, no sources; read-only
# root filesystem friendly). The two scripts in scripts/image/ are
# also run by the test suite, which starts each service from the layout they produce.
ARG NODE_IMAGE=node:24.22.3-bookworm-slim

# The workspaces' package.json files and nothing else: the dependency layers below are keyed on
# these and the lock file, so a source edit never reruns `npm ci`.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY packages/ packages/
COPY services/ services/
RUN mkdir -p /manifests \
 && for manifest in packages/*/package.json services/*/package.json; do \
      mkdir -p "/manifests/$(dirname "${manifest}")" && cp "${manifest}" "/manifests/${manifest}"; \
    done

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
COPY services/ services/
COPY schemas/ schemas/
COPY scripts/image/ scripts/image/
ARG SERVICE
# Every image can also run `node packages/avro/dist/cli.js` (the chart's schemas hook).
RUN test -n "${SERVICE}" \
 && npx tsc -b packages/avro "services/${SERVICE}" \
 && sh scripts/image/assemble.sh "${SERVICE}" /out

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
