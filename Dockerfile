# syntax=docker/dockerfile:1
# scribe: one image, one binary. Each Deployment runs one subcommand (`scribe operator`,
# `webhook`, `worker`, `report daily|weekly`, `migrate`); `scribe run` is the all-in-one mode.
#
#   docker build -t ghcr.io/scribe-dev/scribe:0.1.0 .
#
# Base images are pinned by version tag: Rust 1.95 on Debian 12 (bookworm) to build, Debian 12
# slim to run, so the binary links against the same glibc. No registry was reachable to read
# their digests when this was written: when publishing, pin both by digest as well
# (`docker buildx imagetools inspect rust:1.95.0-bookworm`) and bump them with the Rust
# toolchain and Debian point releases.
ARG RUST_IMAGE=rust:1.95.0-bookworm
ARG RUNTIME_IMAGE=debian:12.11-slim

FROM ${RUST_IMAGE} AS build
WORKDIR /src
COPY . .
# The registry and target caches speed up rebuilds (BuildKit); the binary is copied out of the
# cached target directory so the next stage can take it.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin scribe \
    && install -D -m 0755 target/release/scribe /out/scribe

FROM ${RUNTIME_IMAGE}
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="scribe" \
      org.opencontainers.image.description="Telegram transcription bot: webhook, workers, operator and an all-in-one mode" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
# ffmpeg (with ffprobe) decodes, probes and splits audio; ca-certificates is the trust store for
# TLS to Telegram, DashScope, Gemini and RabbitMQ. Debian package versions are not pinned: the
# image takes the point release's security updates when it is rebuilt.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ffmpeg ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 65532 nonroot \
    && useradd --uid 65532 --gid 65532 --no-create-home --home-dir /tmp \
        --shell /usr/sbin/nologin nonroot
COPY --from=build /out/scribe /usr/local/bin/scribe
# Non-root, and writes only under /tmp (an emptyDir in Kubernetes; the root filesystem can be
# read-only): downloads, audio work files, and `scribe run`'s ./scribe.db.
USER 65532:65532
WORKDIR /tmp
ENV TEMP_DIR=/tmp \
    HOME=/tmp
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/scribe"]
CMD ["--help"]
