"""Probes for the process manager and the proxy: /healthz (the process answers) and /readyz (it
can serve: the database answers and has every migration this code needs)."""

from litestar import get
from litestar.response import Response
from litestar.status_codes import HTTP_503_SERVICE_UNAVAILABLE

from db.engine import ping
from db.migration_state import pending_migrations


@get("/healthz", exclude_from_auth=True, tags=["ops"], security=[])
async def healthz() -> dict[str, str]:
    """Alive: the process answers. Nothing else is asked, so a slow database never gets a live
    process restarted."""
    return {"status": "ok"}


@get("/readyz", exclude_from_auth=True, tags=["ops"], security=[])
async def readyz() -> Response[dict[str, str | int]]:
    """Ready to serve: the database is reachable and migrated as far as this code needs."""
    try:
        await ping()
        pending = await pending_migrations()
    except Exception as exc:  # any failure to reach the database is "not ready", never a 500
        return Response(
            {"status": "unavailable", "database": type(exc).__name__},
            status_code=HTTP_503_SERVICE_UNAVAILABLE,
        )
    if pending:
        return Response(
            {"status": "unavailable", "database": "ok", "pending_migrations": len(pending)},
            status_code=HTTP_503_SERVICE_UNAVAILABLE,
        )
    return Response({"status": "ok", "database": "ok"})
