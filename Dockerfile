# The manager's image: a static binary on distroless, running as non-root.
#   docker build -t <registry>/tenantstorage-operator:<tag> .
# test/image runs this file's build stage (its COPY and RUN lines) without
# Docker and checks the binary, so keep its commands plain.

# Build stage.
FROM golang:1.26 AS builder
WORKDIR /workspace
# Modules first, so that a source change reuses the download layer.
COPY go.mod go.sum ./
RUN go mod download
COPY main.go ./
COPY api/ api/
COPY controllers/ controllers/
COPY internal/ internal/
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o manager .

# Run stage: no shell, no package manager, uid 65532.
FROM gcr.io/distroless/static:nonroot
WORKDIR /
COPY --from=builder /workspace/manager /manager
USER 65532:65532
ENTRYPOINT ["/manager"]
