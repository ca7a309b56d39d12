# syntax=docker/dockerfile:1
# ECGLens web app.
#   docker build -t ecglens . && docker run -p 7860:7860 ecglens
# or, from a binary built on a Debian bookworm (or compatible) host, without the Swift image:
#   ECG_TARGET_CPU=x86-64 swift build -c release --product ecg --static-swift-stdlib
#   mkdir -p dist && strip -o dist/ecg .build/release/ecg && cp -R .build/release/ECGLens_Server.resources dist/
#   docker build --target prebuilt -t ecglens .
# docs/deployment.md has the details: mounting other weights, the container test, Kubernetes.

# Build stage: the official Swift image. ECG_TARGET_CPU=x86-64 compiles the Swift numeric code for
# any x86-64 CPU (Package.swift defaults to `haswell`, AVX2 + FMA). The GEMM micro-kernels are
# picked at run time by cpuid whatever this says (AVX-512, AVX2 or portable), so the image is fast
# on AVX2 and AVX-512 hosts and still runs on older ones. Set it to `native` with --build-arg when
# building on the machine that runs the image, to vectorise the code around the GEMM for it too.
FROM swift:6.3-bookworm AS build
ARG ECG_TARGET_CPU=x86-64
ENV ECG_TARGET_CPU=${ECG_TARGET_CPU}
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       libopenblas-dev libturbojpeg0-dev libpng-dev zlib1g-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Resolve dependencies in their own layer, so code changes do not refetch them.
COPY Package.swift ./
RUN swift package resolve
COPY Sources ./Sources
# The binary and its template and asset bundle (looked up next to the executable).
RUN swift build -c release --product ecg --static-swift-stdlib \
    && mkdir -p /staging \
    && strip -o /staging/ecg .build/release/ecg \
    && cp -R .build/release/ECGLens_Server.resources /staging/

# Runtime base: slim Debian with only the shared libraries the binary links (zlib is in the
# base), a non-root user, the registry, the trained weights and int8 calibrations it names, the model cards and the
# bundled samples. No weights are generated here: a model whose weights are absent (InceptionV3,
# VGG16) shows as not installed, never as random weights. Mount more on /app/models/weights,
# or a registry of your own with ECG_MODELS (docs/deployment.md).
FROM debian:bookworm-slim AS runtime-base
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       libopenblas0 libturbojpeg0 libpng16-16 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin ecg
WORKDIR /app
COPY models/models.json ./models/models.json
COPY models/trained/*.safetensors ./models/trained/
COPY models/trained/*.int8.json ./models/trained/
COPY models/cards ./models/cards
COPY samples ./samples
ENV PORT=7860
EXPOSE 7860
# Liveness without curl: bash's /dev/tcp, one HTTP/1.0 request to /health.
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${PORT} && printf 'GET /health HTTP/1.0\\r\\n\\r\\n' >&3 && head -n1 <&3 | grep -q ' 200 '"]
# PORT (as hosting platforms set it) wins over the default; models load on first use.
ENTRYPOINT ["/app/ecg", "serve", "--host", "0.0.0.0"]
CMD []

# `--target prebuilt`: the runtime with a binary built outside (dist/, see the top of this file).
FROM runtime-base AS prebuilt
COPY --chown=root:root dist/ecg /app/ecg
COPY --chown=root:root dist/ECGLens_Server.resources /app/ECGLens_Server.resources
USER ecg

# The default target: the runtime with the binary from the build stage.
FROM runtime-base AS runtime
COPY --from=build --chown=root:root /staging/ /app/
USER ecg
