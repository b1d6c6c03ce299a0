# MediaNest: the app, a worker and the first-party plugins, as a non-root user.
FROM python:3.11-slim AS build
RUN pip install --no-cache-dir uv
WORKDIR /src
COPY . .
RUN uv build --all-packages --wheel -o /wheels

FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 medianest
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER medianest
WORKDIR /home/medianest
ENV MEDIANEST_DATA_DIR=/data MEDIANEST_HOST=0.0.0.0 MEDIANEST_PORT=8080 MEDIANEST_LOG_FORMAT=json
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/healthz').status != 200)"
CMD ["medianest", "serve"]
