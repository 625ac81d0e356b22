# The operator image: `statsmoln run` against the cluster it is deployed in (deploy/).
# Build: docker build -t statsmoln:0.1.0 .

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The locked tree (npm install, not npm ci: README, "Installing"). No install scripts: the build
# needs only tsc, and no dependency of the image runs native code.
RUN npm install --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# crds/ and examples/ let `statsmoln validate` and `statsmoln plan` run from the image too.
COPY crds ./crds
COPY examples ./examples
# The numeric id of the image's `node` user, so that runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 8080
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["run"]
