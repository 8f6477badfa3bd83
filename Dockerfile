# One image for every Fleet service: python -m fleet.<service>.
FROM python:3.11-slim AS build
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /app
COPY pyproject.toml uv.lock ./
COPY libs ./libs
COPY services ./services
RUN uv sync --frozen --all-packages --no-dev --no-editable

FROM python:3.11-slim
RUN useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin fleet
COPY --from=build /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH PYTHONUNBUFFERED=1 FLEET_HTTP_HOST=0.0.0.0 FLEET_HTTP_PORT=8000
USER 10001
EXPOSE 8000
CMD ["python", "-m", "fleet.gateway"]
