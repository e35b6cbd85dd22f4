# The Customer Graph API as a container image, for docker-compose.yml and deployments.
FROM python:3.11-slim AS app
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY domain ./domain
COPY graph ./graph
COPY resolvers ./resolvers
COPY sources ./sources
COPY server ./server
COPY demo_company ./demo_company
COPY demo_systems ./demo_systems
COPY scripts ./scripts
COPY schema.graphql ./
RUN pip install --no-cache-dir . && bash scripts/install_playground.sh
ENV CG_HOST=0.0.0.0 CG_PORT=8000
EXPOSE 8000
CMD ["uvicorn", "--factory", "server.main:app", "--host", "0.0.0.0", "--port", "8000"]
