# The athar API image. docker-compose.yml pairs it with postgis/postgis; DATABASE_URL says where.

# The web map's libraries come from the npm registry, installed from the lock file.
FROM node:20-slim AS webmap
WORKDIR /web
COPY api/web/package.json api/web/package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    ATHAR_HOME=/var/lib/athar

WORKDIR /app
COPY pyproject.toml README.md ./
COPY athar ./athar
COPY db ./db
COPY gazetteer ./gazetteer
COPY etl ./etl
COPY api ./api
COPY migrations ./migrations
COPY --from=webmap /web/node_modules ./api/web/node_modules
# Editable install keeps migrations/ beside the packages, where `athar migrate` finds it.
RUN pip install -e . \
    && useradd --system --home-dir /var/lib/athar --create-home athar
USER athar

EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=5 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status == 200 else 1)"
CMD ["sh", "-c", "athar migrate && athar load && athar serve --host 0.0.0.0 --port 8000"]
