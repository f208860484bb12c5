# syntax=docker/dockerfile:1
# TiSpace image: node dist/bot/main.js as a non-root user, production dependencies only.
#   docker build -t registry.example.com/tispace/tispace:$(git describe --tags --always) .

ARG NODE_IMAGE=node:20-bookworm-slim

# --- deps: production node_modules (better-sqlite3 is a native addon: compiled here if no prebuilt
# binary matches, which needs Python, make and a C++ compiler; none of them reach the final image).
FROM ${NODE_IMAGE} AS deps
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force

# --- build: all dependencies (TypeScript), then tsc -p tsconfig.build.json -> dist/
FROM deps AS build
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY bot ./bot
COPY provisioner ./provisioner
COPY web ./web
# The web's stylesheet and script are served from beside the compiled app.js.
RUN npm run build && cp -r web/static dist/web/static

# --- runtime
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    TISPACE_DB_PATH=/data/tispace.db
WORKDIR /app
# Owned by root and read-only to the app: the Deployment also mounts the root filesystem read-only.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json app-manifest.yml ./
# The database directory (a volume in Kubernetes) belongs to the unprivileged "node" user (uid 1000).
RUN mkdir -p /data && chown node:node /data
USER 1000:1000
EXPOSE 3000
# tsx stays a runtime dependency (`npm start` runs the sources), but the image runs the compiled output.
CMD ["node", "dist/bot/main.js"]
