# The demo app. Build: docker build -t event-bus-demo .  (docker-compose.yml runs two of them behind nginx)
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Every workspace's package.json, so that npm ci can lay out the workspaces of the lock.
COPY libs/event-bus/package.json libs/event-bus/package.json
COPY libs/event-bus-client/package.json libs/event-bus-client/package.json
# sharp's prebuilt libvips comes from the npm registry (@img/sharp-linux-x64 or -arm64): nothing to compile.
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 DATA_DIR=/app/data/uploads
COPY --from=build /app /app
# Uploads (a volume in docker-compose, shared by the instances), writable by the app's user.
RUN mkdir -p /app/data/uploads && chown -R node:node /app/data
EXPOSE 3000
USER node
CMD ["node", "dist/src/main.js"]
