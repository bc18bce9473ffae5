# The demo app. Build: docker build -t event-bus-demo .
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY libs/event-bus/package.json libs/event-bus/package.json
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
COPY --from=build /app /app
EXPOSE 3000
USER node
CMD ["node", "dist/src/main.js"]
