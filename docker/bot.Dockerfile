# syntax=docker/dockerfile:1
# The bot: Rasa 3.6.21 (Python 3.10.13, the interpreter requirements/bot.lock was resolved with), our components and
# channels, and a model trained while the image is built, so the image that was tested is the image that answers.

FROM python:3.10.13-slim-bookworm AS deps
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY requirements/bot.lock requirements/bot.in /tmp/requirements/
RUN pip install -r /tmp/requirements/bot.in -c /tmp/requirements/bot.lock \
 && pip check

# Training: the same command and paths as `make train`; our components import from the source root.
FROM deps AS train
WORKDIR /build
COPY config.yml ./
COPY bot/ bot/
COPY knowledge/ knowledge/
ENV PYTHONPATH=/build RASA_TELEMETRY_ENABLED=false SQLALCHEMY_SILENCE_UBER_WARNING=1
RUN rasa train --config config.yml --domain bot/domain --data bot/data --out models --fixed-model-name navigator

FROM python:3.10.13-slim-bookworm
RUN useradd --create-home --uid 10001 --user-group navigator
COPY --from=deps /opt/venv /opt/venv
WORKDIR /app
COPY bot/ bot/
COPY knowledge/ knowledge/
COPY --from=train /build/models/navigator.tar.gz models/navigator.tar.gz
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    RASA_TELEMETRY_ENABLED=false \
    RASA_CACHE_DIRECTORY=/tmp/rasa-cache \
    SQLALCHEMY_SILENCE_UBER_WARNING=1 \
    NAVIGATOR_BOT_ENDPOINTS=bot/endpoints-scaled.yml
USER navigator
EXPOSE 5005
HEALTHCHECK --interval=15s --timeout=6s --start-period=180s --retries=5 \
    CMD ["python", "-c", "import urllib.request; assert b'Hello from Rasa' in urllib.request.urlopen('http://127.0.0.1:5005/', timeout=5).read()"]
# As the Procfile's bot line, on every interface of the container; endpoints from NAVIGATOR_BOT_ENDPOINTS.
CMD ["sh", "-c", "exec rasa run --model models/navigator.tar.gz --endpoints \"${NAVIGATOR_BOT_ENDPOINTS:-bot/endpoints-scaled.yml}\" --credentials bot/credentials.yml --port 5005 --interface 0.0.0.0"]
