# vinbot: build on Debian bookworm, run on bookworm-slim as a non-root user.
FROM docker.io/library/debian:bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      gcc make pkg-config libc6-dev \
      libmicrohttpd-dev libcurl4-openssl-dev libjson-c-dev libhiredis-dev libpq-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile ./
COPY src ./src
COPY migrations ./migrations
RUN make -j"$(nproc)" WERROR=1 BUILD=/out all

FROM docker.io/library/debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates libmicrohttpd12 libcurl4 libjson-c5 libhiredis0.14 libpq5 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin vinbot
WORKDIR /app
COPY --from=build /out/vinbot /app/vinbot
COPY entrypoint.sh /app/entrypoint.sh
USER vinbot
ENV PORT=8080 BIND_ADDRESS=0.0.0.0
EXPOSE 8080
# The service handles SIGTERM and SIGINT (drain); entrypoint.sh execs it so signals reach it.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/app/entrypoint.sh"]
