# syntax=docker/dockerfile:1
# AuthMCP Gateway: build the single executable, then ship it FROM scratch with only the shared
# libraries it links, a writable /data and an unprivileged user.

ARG BUN_VERSION=1.4.5
FROM oven/bun:${BUN_VERSION}-debian AS build
WORKDIR /src
COPY package.json bun.lock ./
RUN bun install --frozen-lockfile
COPY . .
RUN bun run build && ./dist/authmcp-gateway --version

# Gather exactly what the final image holds: the executable, the libraries `ldd` lists (with the
# dynamic loader), /data owned by the runtime user, and a minimal /etc/passwd naming that user.
FROM debian:bookworm-slim AS rootfs
COPY --from=build /src/dist/authmcp-gateway /rootfs/authmcp-gateway
RUN set -eu; \
    for lib in $(ldd /rootfs/authmcp-gateway | grep -o '/[^ ]*'); do \
      mkdir -p "/rootfs$(dirname "$lib")"; cp -L "$lib" "/rootfs$lib"; \
    done; \
    mkdir -p /rootfs/data /rootfs/etc; \
    chown 65532:65532 /rootfs/data; chmod 0700 /rootfs/data; \
    echo 'gateway:x:65532:65532:authmcp-gateway:/data:/nonexistent' > /rootfs/etc/passwd; \
    echo 'gateway:x:65532:' > /rootfs/etc/group

FROM scratch
COPY --from=rootfs /rootfs/ /
USER 65532:65532
WORKDIR /data
ENV AUTH_SQLITE_PATH=/data/users.db \
    HOST=0.0.0.0 \
    PORT=8000
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/authmcp-gateway", "healthcheck"]
ENTRYPOINT ["/authmcp-gateway"]
CMD ["start"]
