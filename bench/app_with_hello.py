"""The production app plus one trivial authenticated route, for the benchmarks only (the baseline
of bench/sync_pull_throughput.py): GET /api/bench/hello goes through the same middleware (bearer
token looked up in the database), role guard, logging and encoding as /api/sync/pull, and does
nothing else. Never part of the product:

    uvicorn --app-dir bench app_with_hello:app
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from litestar import Litestar, get

import app as production
from api.auth.guards import ANY_ROLE, roles


@get("/api/bench/hello", opt=roles(ANY_ROLE), include_in_schema=False)
async def hello() -> dict[str, str]:
    return {"hello": "world"}


def create_app() -> Litestar:
    application = production.create_app()
    application.register(hello)
    return application


app = create_app()
