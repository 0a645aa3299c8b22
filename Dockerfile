# syntax=docker/dockerfile:1
# Cutover gateway image. The same image also runs the simulated legacy IM server
# (node dist/src/sim/legacy-im-server.js) and the `cutover` CLI (node dist/src/cli/cutover.js).
#
#   docker build -t cutover:local .
#   docker run --rm -p 8080:8080 cutover:local      # embedded default: memory sides, no Redis

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: compile TypeScript with the dev dependencies -------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the root package's `prepare` runs tsc, and the sources are not copied yet
# (copying them first would bust this layer's cache on every code change). No dependency needs
# an install script to build: the only ones with scripts are dev-only (telemetry, ssh2).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src/ ./src/
RUN npm run build

# ---- runtime: production dependencies, compiled code, Lua scripts, config files ---------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    CUTOVER_HOST=0.0.0.0
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would run tsc, a dev dependency that is not installed here.
# No production dependency has an install script.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force
# Only the application's compiled code (dist/test and dist/bench stay behind).
COPY --from=build /app/dist/src/ ./dist/src/
# The Redis scripts are read at run time from src/infra/redis/lua/, relative to dist/.
COPY --from=build /app/src/infra/redis/lua/ ./src/infra/redis/lua/
# config/flags.json is the flags of a gateway without an Unleash server (flags.bootstrapFile's default, relative to /app).
COPY config/ ./config/
# Everything above is owned by root and only readable by the process, which runs as the image's
# `node` user; numeric so that Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 8080
# Liveness only (the process answers). Readiness (/readyz) is for load balancers, not restarts.
# No curl in the slim image: Node's own fetch does the request.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.CUTOVER_PORT || 8080) + '/healthz', { signal: AbortSignal.timeout(2000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node as PID 1 is fine here: the gateway handles SIGTERM itself (drain, then close; docs/deploy.md).
CMD ["node", "dist/src/server.js"]
