# syntax=docker/dockerfile:1
# The service as a small image: `docker build -t sunvillage .` (docs/deploy.md).
# SQL is checked against .sqlx/ at build time, so no database is needed to build.

# The toolchain of rust-toolchain.toml, exactly, so rustup inside does not fetch another.
FROM rust:1.95.0-bookworm AS build
WORKDIR /src
ENV SQLX_OFFLINE=true CARGO_INCREMENTAL=0 CARGO_TERM_COLOR=never
COPY . .
# Cache mounts keep the registry and the build between image builds without putting
# either into a layer.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin sunvillage \
    && install -m 0755 target/release/sunvillage /usr/local/bin/sunvillage

# Runtime: no compiler, no shell tools beyond Debian's base, no root. Templates, assets,
# migrations, the 信阳市 divisions and the topic model are compiled into the binary; TLS
# roots are webpki's, built in too, so not even ca-certificates is needed.
FROM debian:bookworm-slim AS runtime
RUN groupadd --system --gid 10001 sunvillage \
    && useradd --system --uid 10001 --gid sunvillage --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin sunvillage
COPY --from=build /usr/local/bin/sunvillage /usr/local/bin/sunvillage
COPY config/production.toml /etc/sunvillage/production.toml
COPY menu.json /usr/share/sunvillage/menu.json
USER 10001:10001
EXPOSE 8080
# bash's /dev/tcp instead of curl, which the slim image does not have. /readyz answers
# 200 only when Postgres and Redis answer and the schema is migrated (compose waits for
# it); an orchestrator's liveness probe should use /healthz, which does not depend on them.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /readyz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["/usr/local/bin/sunvillage", "--config", "/etc/sunvillage/production.toml"]
CMD ["serve"]
