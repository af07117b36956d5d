# The clusterops reconciler image: this repository's CLI, run as `clusterops reconcile` in the
# management cluster (manifests: `clusterops deploy-manifests`). git fetches the fleet repository;
# node and npm synthesize each revision with that revision's own code, in a bubblewrap sandbox
# (a user namespace: the pod must allow unprivileged user namespaces, or run with --insecure-synth).

# Build: compile the TypeScript with the dev dependencies.
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npx tsc -p tsconfig.json --outDir dist --rootDir . --declaration false --sourceMap false \
    && npx tsc -p src/dashboard/web/tsconfig.json && node dist/src/dashboard/bundle.js \
    && rm -rf dist/test dist/vitest.config.js

# Runtime: production dependencies, the compiled CLI, git, and an unprivileged user.
FROM node:20-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends git ca-certificates openssh-client bubblewrap \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 10001 clusterops \
    && useradd --uid 10001 --gid 10001 --home-dir /tmp --no-create-home --shell /usr/sbin/nologin clusterops
WORKDIR /app
ENV NODE_ENV=production HOME=/tmp
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY --from=build /app/dist ./dist
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["node", "bin/clusterops.js", "reconcile"]
