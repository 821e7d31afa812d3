# syntax=docker/dockerfile:1
#
# slawatch container image: a static binary on distroless (CA certificates and
# tzdata included; slawatch embeds the time zone database anyway).
#
#   docker build --build-arg VERSION=$(git describe --tags --always --dirty) -t slawatch .
#   docker run -d --name slawatch -p 9477:9477 \
#     -v /etc/slawatch:/etc/slawatch:ro \
#     -v slawatch-data:/var/lib/slawatch \
#     slawatch
#
# The config must set storage.path: /var/lib/slawatch/slawatch.db (the volume);
# relative paths resolve against /etc/slawatch, which is mounted read-only.
#
# Honest note: no Docker engine runs where the tests run, so CI never builds this
# image. TestDockerfile (configs/) does natively what it can: it parses this file
# and runs the build stage's RUN commands as written, less --mount and with /out
# redirected to a temporary directory, with the local Go toolchain and VERSION
# set (go mod download beside copies of go.mod and go.sum alone; the go build in
# the repo itself, not in a context filtered by .dockerignore). It checks the
# binary is static (no ELF interpreter, no shared libraries) and prints that
# version, then runs it as the runtime stage would: ENTRYPOINT + CMD as USER
# 65532:65532 from /, /etc/slawatch/slawatch.yaml and /var/lib/slawatch mapped
# to temporary directories (the config not writable by that user, storage.path
# in the state directory the build stage makes, owned as COPY --chown says) and
# --listen 0.0.0.0:9477 mapped to a free port on 127.0.0.1; it must answer
# /-/ready and stop cleanly on SIGTERM. It also checks that COPY sources exist,
# GO_VERSION is at least go.mod's, and ENTRYPOINT, EXPOSE, VOLUME and USER agree
# with the COPYs and CMD. Not checked: docker build itself (BuildKit, the syntax
# line, cache mounts, the context .dockerignore makes) and the golang and
# distroless images, which nobody pulls here (their Go, CA certificates, tzdata,
# the nonroot user). Build the image once by hand before relying on it.

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION} AS build
WORKDIR /src
# Modules first, so that a source change does not re-download them.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
# CGO_ENABLED=0: the SQLite driver is pure Go, so the binary is fully static.
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$VERSION" -o /out/slawatch ./cmd/slawatch
# An empty state directory, so that a fresh named volume is owned by nonroot.
RUN mkdir -p /out/state

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/slawatch /slawatch
COPY --from=build --chown=65532:65532 /out/state /var/lib/slawatch
USER 65532:65532
EXPOSE 9477
VOLUME /var/lib/slawatch
ENTRYPOINT ["/slawatch"]
# Inside a container the default listen address 127.0.0.1:9477 is the container's
# own loopback and unreachable from outside (even with -p), so bind 0.0.0.0 here.
# Put a TLS reverse proxy in front, or publish only on the host's loopback
# (-p 127.0.0.1:9477:9477). There is no HEALTHCHECK: distroless has no shell or
# curl; let the orchestrator probe GET /-/ready.
CMD ["run", "--config", "/etc/slawatch/slawatch.yaml", "--listen", "0.0.0.0:9477"]
