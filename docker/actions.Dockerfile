# syntax=docker/dockerfile:1
# The action server: rasa-sdk 3.6 as in .venv-bot (Python 3.10.13, the interpreter requirements/bot.lock was
# resolved with), with only what the actions import; it talks to the api over HTTP and never loads the model.

FROM python:3.10.13-slim-bookworm AS deps
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY requirements/bot.lock docker/actions.requirements.in /tmp/requirements/
RUN pip install -r /tmp/requirements/actions.requirements.in -c /tmp/requirements/bot.lock \
 && pip check

FROM python:3.10.13-slim-bookworm
# /data holds the referral outbox; a new named volume mounted there takes this owner.
RUN useradd --create-home --uid 10001 --user-group navigator \
 && mkdir /data && chown navigator:navigator /data
COPY --from=deps /opt/venv /opt/venv
WORKDIR /app
COPY actions/ actions/
# knowledge.sms / knowledge.language (SMS formatting, language), the crisis lexicon, and sealing typed numbers.
COPY knowledge/ knowledge/
COPY bot/__init__.py bot/
COPY bot/components/ bot/components/
COPY bot/channels/ bot/channels/
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SANIC_HOST=0.0.0.0 \
    NAVIGATOR_REFERRAL_OUTBOX=/data/referral-outbox.db
USER navigator
VOLUME ["/data"]
EXPOSE 5055
CMD ["python", "-m", "rasa_sdk", "--actions", "actions", "--port", "5055"]
