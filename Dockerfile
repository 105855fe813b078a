# syntax=docker/dockerfile:1
# The Cloak operator image: `cloak operator` on Node.js 24, which runs the TypeScript sources directly (no build
# step, docs/adr/0001). Two stages: npm installs the runtime dependencies (no dev dependencies, no install
# scripts) on a Debian image with npm, and the result is copied onto a distroless Node.js 24 image: no shell,
# no package manager, running as the numeric non-root user 65532 (the deployment's runAsUser). See
# docs/adr/0013-deployment.md; deploy/helm/cloak runs it.

FROM node:24-bookworm-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM gcr.io/distroless/nodejs24-debian12:nonroot
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY src ./src
USER 65532:65532
EXPOSE 8080 8081
# The operator's memory settings (src/cli/commands/operator-memory.ts, docs/adr/0014), given here so that the
# process does not restart itself to apply them. The compile cache (on the Deployment's /tmp emptyDir) is named
# so that worker threads use it too.
ENV MALLOC_MMAP_THRESHOLD_=131072 NODE_COMPILE_CACHE=/tmp/node-compile-cache
ENTRYPOINT ["/nodejs/bin/node", "--max-semi-space-size=2", "--optimize-for-size", "bin/cloak", "operator"]
