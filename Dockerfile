# One image for every Fleet service and the simulator: python -m fleet.<service>.
# Runtime dependencies only (uv sync --no-dev: no test tools, no testcontainers, no
# nats-server / PostgreSQL / OpenBao binaries), byte-compiled, non-root (uid 10001).
#   podman build -t fleet:dev .        (or: docker build -t fleet:dev .)
# Bases pinned to exact versions; add their digests at release (deploy/RUNBOOKS.md).
# Size (bench/image_size.py: the same dependency set installed into a venv, byte-compiled,
# shared libraries stripped): ~111 MB over the ~125 MB base (was ~299 MB with polars and
# unstripped). polars is the strategy's backtest extra, not installed here
# (tests/deploy/test_image.py).
FROM python:3.11.14-slim-bookworm AS build
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never
WORKDIR /app
COPY pyproject.toml uv.lock ./
COPY libs ./libs
COPY services ./services
RUN uv sync --frozen --no-dev --no-editable
# the web UI's npm packages, checked against the lockfile's integrity, into the installed package
RUN /app/.venv/bin/python -m fleet.gateway.web.vendor
# debug symbols of the wheels' shared libraries: ~34 MB nobody reads in production
RUN apt-get update && apt-get install -y --no-install-recommends binutils \
    && find /app/.venv -type f -name '*.so*' -exec strip --strip-unneeded {} +

FROM python:3.11.14-slim-bookworm
# /run/fleet/*: empty and owned by fleet, so the named volumes compose mounts there start
# with this owner (openbao-init writes the operator's keys and the vault service's token).
RUN useradd --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin fleet \
    && install -d -o 10001 -g 10001 -m 0700 /run/fleet/operator /run/fleet/vault
COPY --from=build /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    FLEET_HTTP_HOST=0.0.0.0 FLEET_HTTP_PORT=8000
USER 10001:10001
EXPOSE 8000
CMD ["python", "-m", "fleet.gateway"]
