FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY scripts ./scripts
USER node
EXPOSE 3000
# The worker and HTTP server in one process; TEMPORAL_ADDRESS must point at the cluster (no dev server here).
CMD ["node_modules/.bin/tsx", "src/main.ts"]
