# syntax=docker/dockerfile:1
# MediaNest: the app, a worker and the first-party plugins, as a non-root user.
# Dependencies come from uv.lock (`uv sync --locked`): the image runs exactly what CI tested.
FROM python:3.11-slim AS build
RUN pip install --no-cache-dir "uv==0.13.9"
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/medianest
WORKDIR /src
# .dockerignore keeps .venv, data/ (the key, the database), secrets and TLS keys out.
COPY . .
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev --no-editable

FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 medianest \
    && mkdir -p /data && chown medianest:medianest /data
COPY --from=build /opt/medianest /opt/medianest
ENV PATH=/opt/medianest/bin:$PATH \
    MEDIANEST_DATA_DIR=/data MEDIANEST_HOST=0.0.0.0 MEDIANEST_PORT=8080 MEDIANEST_LOG_FORMAT=json
USER medianest
WORKDIR /home/medianest
# A new named volume takes the ownership of the image's /data: the app's user.
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["medianest", "serve", "--check"]
CMD ["medianest", "serve"]
