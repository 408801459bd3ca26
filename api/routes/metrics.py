"""GET /metrics: the api's Prometheus metrics, for Prometheus only.

With NAVIGATOR_METRICS_TOKEN set, a scrape must send it as a bearer token (401 otherwise). Without one, only clients
on this machine's loopback interface are answered (403 otherwise): metrics say how busy the service is and how many
referrals wait, which is nobody else's business.
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.security import HTTPAuthorizationCredentials
from prometheus_client import CONTENT_TYPE_LATEST

from api.core.metrics import MetricsDep
from api.core.security import bearer, security_settings
from api.core.settings import SecuritySettings

router = APIRouter(tags=["operations"], include_in_schema=False)


def loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def scraper(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    settings: Annotated[SecuritySettings, Depends(security_settings)],
) -> None:
    expected = settings.metrics_token.get_secret_value()
    if expected:
        if credentials is None or not hmac.compare_digest(credentials.credentials.encode(), expected.encode()):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, "A metrics token is required.", headers={"WWW-Authenticate": "Bearer"}
            )
        return
    if not loopback(request.client.host if request.client else None):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Metrics are served to this machine only (no token is set).")


@router.get("/metrics", dependencies=[Depends(scraper)])
def metrics(registry: MetricsDep) -> Response:
    return Response(registry.exposition(), media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})
