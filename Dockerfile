# dataprod worker image: `docker build -t dataprod .`, then
#   docker run --rm -p 9464:9464 -e KAFKA_BROKERS=... -e SCHEMA_REGISTRY_URL=... dataprod
# runs the products baked in under /app/products. Mount your own over them (keep them under /app
# so their `import ... from 'dataprod'` resolves to this package):
#   docker run ... -v "$PWD/products:/app/products:ro" dataprod
# Any other command: docker run --rm dataprod validate /app/products (or rules, test, ...).
# docs/deploy-compose.md describes the image and the compose stack around it.

# The same Node as the `node` devDependency that npm scripts run on (package.json).
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

# --- build: all dependencies, compile src/ to dist/ ----------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
COPY patches ./patches
# --ignore-scripts: `prepare` would build before the sources are copied; the build runs below.
# patch-package applies patches/ (a kafkajs read_committed fix) that postinstall would apply.
RUN npm ci --ignore-scripts --no-audit --no-fund && npx patch-package
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- runtime: production dependencies, dist/, bin/, the products -------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    DATAPROD_HTTP_PORT=9464
# No NODE_OPTIONS: `dataprod run` starts itself with the V8 flags a worker needs
# (src/cli/worker-node-flags.ts); one you set in NODE_OPTIONS wins.
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only. tsx is one of them: transforms are TypeScript, loaded at run time.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
    && npm cache clean --force
COPY --from=build /src/dist ./dist
# kafkajs as patched in the build stage (patches/), over the unpatched production install.
COPY --from=build /src/node_modules/kafkajs ./node_modules/kafkajs
COPY bin ./bin
COPY products ./products
# Everything stays owned by root and read-only for the process; tsx caches in /tmp.
USER node
EXPOSE 9464
# Liveness of the control port (200, or 503 when a product is halted or failed). No curl in slim
# images: node itself asks.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.DATAPROD_HTTP_PORT||9464)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "/app/bin/dataprod.js"]
CMD ["run", "/app/products"]
