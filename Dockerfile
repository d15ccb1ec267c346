# syntax=docker/dockerfile:1
# scribe: one binary, two images from one build.
#
#   docker build --target operator -t ghcr.io/scribe-dev/scribe-operator:0.1.0 .
#   docker build --target bot      -t ghcr.io/scribe-dev/scribe:0.1.0 .
#
# `bot` (the default, last stage) runs the bot pods — `scribe webhook`, `worker`, `report`,
# `migrate`, and `scribe run`, the all-in-one mode — and carries ffmpeg. `operator` runs
# `scribe operator` on a distroless base: no shell, no package manager, no ffmpeg.
#
# Base images are pinned by version tag: Rust 1.95 on Debian 12 (bookworm) to build, Debian 12
# slim and distroless's Debian 12 `cc` image to run, so the binary links against the same glibc.
# No registry was reachable to read their digests when this was written: the release workflow
# (.github/workflows/release.yml) publishes by digest; pin the bases by digest as well when
# publishing (`docker buildx imagetools inspect rust:1.95.0-bookworm`) and bump them with the
# Rust toolchain and Debian point releases.
ARG RUST_IMAGE=rust:1.95.0-bookworm
ARG RUNTIME_IMAGE=debian:12.11-slim
ARG OPERATOR_IMAGE=gcr.io/distroless/cc-debian12:nonroot

FROM ${RUST_IMAGE} AS build
WORKDIR /src
COPY . .
# The registry and target caches speed up rebuilds (BuildKit); the binary is copied out of the
# cached target directory so the next stages can take it.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin scribe \
    && install -D -m 0755 target/release/scribe /out/scribe

# The operator: the same binary, nothing else. distroless `nonroot` runs as 65532 and carries
# CA certificates for TLS to the API server and Telegram.
FROM ${OPERATOR_IMAGE} AS operator
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="scribe-operator" \
      org.opencontainers.image.description="The scribe operator: runs TranscriptionBots on Kubernetes" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /out/scribe /usr/local/bin/scribe
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/scribe"]
CMD ["operator"]

FROM ${RUNTIME_IMAGE} AS bot
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="scribe" \
      org.opencontainers.image.description="Telegram transcription bot: webhook, workers and an all-in-one mode" \
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
# Non-root (numeric, so `runAsNonRoot` can verify it; a platform may assign another UID), and
# writes only under /tmp (an emptyDir in Kubernetes; the root filesystem can be read-only):
# downloads, audio work files, and `scribe run`'s ./scribe.db.
USER 65532:65532
WORKDIR /tmp
ENV TEMP_DIR=/tmp \
    HOME=/tmp
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/scribe"]
CMD ["--help"]
