# syntax=docker/dockerfile:1
# credcheck service image.
#
# The build context holds a wheelhouse made beforehand on a machine with the same Python minor version
# (3.11) and architecture, plus the pins:
#     pip wheel -c requirements/constraints.txt -w wheels .
# durable-rules ships only as source and compiles a C extension; it is compiled there, into a wheel, so no
# stage here needs a compiler or the network (`pip install --no-index`). `deploy/image.sh` does all of this
# daemon-less (buildah + podman) on a Debian base it bootstraps; README "Container image" has the Docker way.
#
# BASE is any Debian-like image with Python 3.11, `python3 -m venv`, groupadd and useradd: the public
# default below (Python in /usr/local), or a Debian bookworm root filesystem with Debian's python3 and
# python3-venv (Python in /usr). Both stages must use the same BASE: the virtualenv links to its Python.
ARG BASE=python:3.11-slim-bookworm
# checkov:skip=CKV_DOCKER_7: the base is the ARG above, a fixed tag (python:3.11-slim-bookworm) or a local base; checkov cannot resolve ARGs

FROM ${BASE} AS build
COPY requirements/constraints.txt /tmp/constraints.txt
COPY wheels /tmp/wheels
# Install from the wheelhouse only, then drop the installers (nothing at run time installs packages) and
# refuse to produce an image whose rule set does not validate.
RUN python3 -m venv /opt/venv \
 && /opt/venv/bin/python -m pip install --no-cache-dir --no-index --find-links /tmp/wheels \
        -c /tmp/constraints.txt credcheck \
 && /opt/venv/bin/python -m pip uninstall --yes --quiet pip setuptools \
 && /opt/venv/bin/credcheck rules validate

FROM ${BASE}
RUN groupadd --gid 10001 credcheck \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin credcheck
COPY --from=build /opt/venv /opt/venv
# Two service processes (one per core of a small node); the counters of both go to a directory under /tmp,
# the only place the service writes: run it with a read-only root and a small tmpfs on /tmp.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    CREDCHECK_HOST=0.0.0.0 \
    CREDCHECK_PORT=8000 \
    CREDCHECK_WORKERS=2
USER 10001:10001
EXPOSE 8000
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
CMD ["credcheck", "serve"]
