"""GET /metrics, for Prometheus: only from the office network or with the metrics token."""

from __future__ import annotations

import hmac
from typing import Any

from litestar import get
from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.response import Response
from prometheus_client import CONTENT_TYPE_LATEST

import settings as config
from services.metrics.service import address_allowed, exposition


def metrics_access(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    settings = config.settings
    scheme, _, presented = connection.headers.get("authorization", "").partition(" ")
    if (
        settings.metrics_token
        and scheme.lower() == "bearer"
        and hmac.compare_digest(presented.encode(), settings.metrics_token.encode())
    ):
        return
    if address_allowed(
        connection.client.host if connection.client else None, settings.metrics_allowed_networks
    ):
        return
    raise PermissionDeniedException()


@get(
    "/metrics",
    exclude_from_auth=True,
    guards=[metrics_access],
    tags=["ops"],
    security=[],
    include_in_schema=False,
)
async def metrics() -> Response[bytes]:
    """Prometheus text format: per-process metrics summed over the app processes, and the
    database's shared figures."""
    return Response(await exposition(), media_type=CONTENT_TYPE_LATEST)
