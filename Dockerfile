# syntax=docker/dockerfile:1
# credcheck service image. durable-rules ships only as source and compiles a C extension, so the build
# stage carries a compiler; the runtime stage holds the virtualenv (code, rules, spec) and nothing else.

FROM python:3.11-slim-bookworm AS build
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc libc6-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md ./
COPY requirements/constraints.txt requirements/constraints.txt
COPY engine engine
COPY api api
COPY rules rules
COPY openapi openapi
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir --upgrade pip \
 && /opt/venv/bin/pip install --no-cache-dir -c requirements/constraints.txt . \
 && /opt/venv/bin/credcheck rules validate

FROM python:3.11-slim-bookworm
RUN groupadd --gid 10001 credcheck && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin credcheck
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    CREDCHECK_HOST=0.0.0.0 \
    CREDCHECK_PORT=8000 \
    CREDCHECK_WORKERS=2
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
CMD ["credcheck", "serve"]
