# mono-reauth: one image for both roles (SERVICE_ROLE=ingress | worker). Node 24 is the active LTS line.
FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# A clean install from the lockfile (`npm install` rather than `npm ci`: the lockfile may lack other platforms'
# optional packages, which `npm ci` refuses; see .ci/run).
RUN npm install --no-audit --no-fund && npm cache clean --force
COPY tsconfig.json ./
COPY src ./src
COPY scripts ./scripts
COPY bin ./bin
# The workflow bundle, built once here instead of at every start (WORKFLOW_BUNDLE_PATH).
RUN node --import tsx src/workflow-bundle.ts /app/workflow-bundle.js
ENV WORKFLOW_BUNDLE_PATH=/app/workflow-bundle.js
USER node
# With WORKER_MAX_CACHED_WORKFLOWS=500 (the default) this keeps the service under 512 MiB RSS (npm run bench).
ENV NODE_OPTIONS=--max-old-space-size=256
EXPOSE 3000 3001 9464
# Node itself runs the service (tsx as a loader, no wrapper process), so SIGTERM reaches the service's own
# shutdown. TEMPORAL_ADDRESS must point at the cluster: no dev server is ever started in the image.
CMD ["node", "--import", "tsx", "src/main.ts"]
