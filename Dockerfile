# syntax=docker/dockerfile:1
# PostgreSQL (the official image) with pgrst_jwt and its pgjwt drop-in installed.
#   docker build --build-arg PG_MAJOR=18 -t postgres-pgrst-jwt:18 .
# The builder runs .ci/package, the script CI runs and tests (PG 15 and 18 are tested;
# 13, 14, 16 and 17 build the same way but are only declared).
ARG PG_MAJOR=18

FROM postgres:${PG_MAJOR}-bookworm AS builder
ARG PG_MAJOR
ARG RUST_VERSION=1.95.0
ARG CARGO_PGRX_VERSION=0.18.1
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl build-essential \
      pkg-config clang libclang-dev "postgresql-server-dev-${PG_MAJOR}" \
 && rm -rf /var/lib/apt/lists/*
RUN curl -sSf https://sh.rustup.rs \
      | sh -s -- -y --profile minimal --default-toolchain "${RUST_VERSION}"
ENV PATH=/root/.cargo/bin:$PATH
RUN cargo install cargo-pgrx --version "${CARGO_PGRX_VERSION}" --locked
RUN cargo pgrx init "--pg${PG_MAJOR}" "/usr/lib/postgresql/${PG_MAJOR}/bin/pg_config"
WORKDIR /src
COPY . .
RUN PG_CONFIG="/usr/lib/postgresql/${PG_MAJOR}/bin/pg_config" bash .ci/package \
 && mkdir /out \
 && tar -C /out -xzf target/dist/pgrst_jwt-*-pg${PG_MAJOR}-*.tar.gz

FROM postgres:${PG_MAJOR}-bookworm
COPY --from=builder /out/ /
# pgrst.jwt_secret is superuser-only in every session once the library is preloaded
CMD ["postgres", "-c", "shared_preload_libraries=pgrst_jwt"]
