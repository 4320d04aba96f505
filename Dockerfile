# syntax=docker/dockerfile:1
# Tandem: the sync server with the web app, in one image.
#   docker build -t tandem .
#   docker run -p 1234:1234 -v tandem-data:/data tandem
# Configuration is by environment variables (README.md); see docs/DEPLOY.md for a cluster.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: install with dev dependencies, compile the server, the protocol and the web app
FROM ${NODE_IMAGE} AS build
# better-sqlite3 compiles its native addon from source.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
RUN npm install -g pnpm@10.34.9
# The image's Node headers (the repository's .npmrc points at a Debian-packaged Node in /usr).
ENV npm_config_nodedir=/usr/local
WORKDIR /src
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
COPY apps/sync-server/package.json apps/sync-server/
COPY apps/web/package.json apps/web/
COPY packages/protocol/package.json packages/protocol/
COPY e2e/package.json e2e/
COPY bench/package.json bench/pnpmfile.cjs bench/
RUN pnpm install --frozen-lockfile --filter . --filter "@tandem/sync-server..." --filter "@tandem/web..."
COPY tsconfig.base.json ./
COPY packages/protocol packages/protocol
COPY apps/sync-server apps/sync-server
COPY apps/web apps/web
RUN pnpm exec tsc -b packages/protocol apps/sync-server/tsconfig.src.json \
  && pnpm --filter @tandem/web build
# Production dependencies of the server alone, from the store the build filled (the compiled
# better-sqlite3 included), laid out as in the repository.
WORKDIR /prod
RUN cp /src/package.json /src/pnpm-lock.yaml /src/pnpm-workspace.yaml /src/.npmrc ./ \
  && for p in apps/sync-server apps/web packages/protocol e2e; do \
       mkdir -p "$p" && cp "/src/$p/package.json" "$p/"; \
     done \
  && mkdir -p bench && cp /src/bench/package.json /src/bench/pnpmfile.cjs bench/ \
  && pnpm install --frozen-lockfile --prod --offline --filter "@tandem/sync-server..." \
  && cp -r /src/packages/protocol/dist packages/protocol/dist \
  && cp -r /src/apps/sync-server/dist apps/sync-server/dist \
  && cp -r /src/apps/web/dist apps/web/dist \
  && rm -rf e2e bench

# ---- runtime: Node and what the server needs, as an unprivileged user
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=1234 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=build /prod ./
RUN mkdir -p /data && chown node:node /data
USER node
# SQLite database and the generated token key (unused with DATABASE_URL and AUTH_SECRET).
VOLUME ["/data"]
EXPOSE 1234
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM: stores everything received, closes every socket with 1001, exits 0.
STOPSIGNAL SIGTERM
CMD ["node", "apps/sync-server/dist/main.js"]
