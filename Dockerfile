FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY scripts ./scripts
USER node
# With WORKER_MAX_CACHED_WORKFLOWS=500 (the default) this keeps the service under 512 MiB RSS (npm run bench).
ENV NODE_OPTIONS=--max-old-space-size=256
EXPOSE 3000
# The worker and HTTP server in one process; TEMPORAL_ADDRESS must point at the cluster (no dev server here).
CMD ["node_modules/.bin/tsx", "src/main.ts"]
