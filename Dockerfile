# syntax=docker/dockerfile:1
# ECGLens web app: `docker build -t ecglens . && docker run -p 7860:7860 ecglens`
#
# Build stage: the official Swift image. ECG_TARGET_CPU=x86-64 compiles the numeric kernels for
# any x86-64 CPU (Package.swift defaults to the building machine's own CPU, `native`, which
# could use instructions the machine running the image lacks). Set it to `native` with
# --build-arg when building on the machine that runs the image, for the fastest kernels.
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
RUN swift build -c release --product ecg --static-swift-stdlib
# The binary, its template and asset bundle (looked up next to the executable), the registry
# with the model cards, the bundled samples, and the trained Small CNN and MobileNetV2 weights.
# InceptionV3 and VGG16 show as not trained: mount their trained weights on /app/models/weights.
COPY models ./models
COPY samples ./samples
RUN mkdir -p /staging/models \
    && cp .build/release/ecg /staging/ \
    && cp -R .build/release/ECGLens_Server.resources /staging/ \
    && cp -R models/models.json models/cards models/trained /staging/models/ \
    && cp -R samples /staging/samples

# Runtime stage: slim Debian with only the shared libraries the binary links (zlib is in the base).
FROM debian:bookworm-slim
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       libopenblas0 libturbojpeg0 libpng16-16 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin ecg
WORKDIR /app
COPY --from=build --chown=root:root /staging/ /app/
USER ecg
ENV PORT=7860
EXPOSE 7860
# Liveness without curl: bash's /dev/tcp, one HTTP/1.0 request to /health.
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${PORT} && printf 'GET /health HTTP/1.0\\r\\n\\r\\n' >&3 && head -n1 <&3 | grep -q ' 200 '"]
# PORT (as hosting platforms set it) wins over the default; models load on first use.
ENTRYPOINT ["/app/ecg", "serve", "--host", "0.0.0.0"]
CMD []
