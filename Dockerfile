# mono-reauth: one image for both roles (SERVICE_ROLE=ingress | worker). Node 24, the active LTS line; CI tests
# the service on Node 20 and 24 (.ci/run).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# `npm install` rather than `npm ci`: the lockfile may lack other platforms' optional packages, which `npm ci`
# refuses (.ci/run says the same).
RUN npm install --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The service as JavaScript, and the workflow bundle built once here instead of at every start.
RUN npm run build && node dist/workflow-bundle.js dist/workflow-bundle.js

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm install --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
# The built-in templates of the owners' messages and the re-auth page, read at start (src/messages): beside dist/.
COPY templates ./templates
ENV WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js
USER node
# With WORKER_MAX_CACHED_WORKFLOWS=500 (the default) this keeps the service under 512 MiB RSS (npm run bench).
ENV NODE_OPTIONS=--max-old-space-size=256
EXPOSE 3000 3001 9464
# Node runs the service itself (no wrapper process), so SIGTERM reaches the service's own shutdown.
# TEMPORAL_ADDRESS must point at the cluster: no dev server is ever started in the image.
CMD ["node", "dist/main.js"]
