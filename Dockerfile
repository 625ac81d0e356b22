# The operator image: `statsmoln run` against the cluster it is deployed in (deploy/).
# Build: docker build -t statsmoln:0.1.0 .

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The locked tree (npm install, not npm ci: README, "Installing"). No install scripts: esbuild's
# binary comes in its platform package, and no dependency of the image runs native code.
RUN npm install --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
# One self-contained module (scripts/bundle.ts): tree-shaking leaves out client-node's generated
# API client, about 50 MB of the operator's memory, and the image needs no node_modules.
RUN npm run bundle

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/dist/statsmoln.mjs /app/dist/statsmoln.mjs.LICENSES.txt ./dist/
# crds/ and examples/ let `statsmoln validate` and `statsmoln plan` run from the image too.
COPY crds ./crds
COPY examples ./examples
# The numeric id of the image's `node` user, so that runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 8080
ENTRYPOINT ["node", "dist/statsmoln.mjs"]
CMD ["run"]
