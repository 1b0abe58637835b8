# The image behind docker-compose.yml: the same package and assets `make run` builds.
FROM node:20-bookworm-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
COPY web/assets web/assets
RUN npm ci --no-audit --no-fund && npm run build

FROM python:3.11-slim-bookworm
WORKDIR /app
COPY pyproject.toml README.md ./
COPY engine engine
COPY web web
COPY bpmn bpmn
COPY forms forms
COPY --from=assets /src/web/static/vendor web/static/vendor
RUN pip install --no-cache-dir . && useradd --create-home juntos && mkdir -p /var/lib/juntos \
    && chown juntos /var/lib/juntos
USER juntos
EXPOSE 5000
CMD ["juntos", "web", "--bind", "0.0.0.0:5000"]
