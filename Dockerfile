# release-promote: one image for the worker (`worker`) and the Slack gateway (`slack-gateway`);
# the command is the CLI's, e.g. `docker run IMAGE worker`.
#
# Stage 1 installs everything, compiles src/ to dist/ (tsc) and bundles the workflow code once
# (dist/workflow-bundle.js, so the worker does not run webpack at start-up), then drops the
# dev dependencies. Stage 2 holds only package.json, the pruned node_modules, dist/ and bin/:
# no sources, so bin/release-promote.mjs runs the compiled CLI (dist/client/cli.js).
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts/build.mjs scripts/build-workflow-bundle.ts ./scripts/
COPY bin ./bin
RUN npm run build \
 && test -f dist/client/cli.js \
 && test -f dist/workflow-bundle.js \
 && npm prune --omit=dev

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
# The files store's records directories, also where `audit export` and `collect-evidence` write by
# default (a named volume mounted here takes these directories' ownership, so the unprivileged user
# can write to it). With records.store: postgres nothing needs to be mounted here.
RUN mkdir -p /app/operational_audit /app/TEST/release /app/.release-promote \
 && chown -R node:node /app/operational_audit /app/TEST /app/.release-promote
USER node
# 8080: worker /healthz, /readyz, /metrics; 9464: the SDK's Prometheus metrics; 3000: Slack gateway.
EXPOSE 8080 9464 3000
ENTRYPOINT ["node", "bin/release-promote.mjs"]
CMD ["--help"]
