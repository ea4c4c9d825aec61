from litestar import get
from litestar.status_codes import HTTP_503_SERVICE_UNAVAILABLE
from litestar.response import Response

from db.engine import ping


@get("/healthz", exclude_from_auth=True, tags=["ops"], security=[])
async def healthz() -> Response[dict[str, str]]:
    """Liveness and database reachability."""
    try:
        await ping()
    except Exception as exc:  # any failure to reach the database is "unhealthy", never a 500
        return Response({"status": "unhealthy", "database": type(exc).__name__}, status_code=HTTP_503_SERVICE_UNAVAILABLE)
    return Response({"status": "ok", "database": "ok"})
