"""Headers every answer carries, set in one place (the app's `before_send` hook, so 401s, 404s
and problem details get them too).

- Every answer under /api is `Cache-Control: no-store`: it carries a token (login), the caller's
  identity or the operator's data, none of which a browser or proxy cache may keep.
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope


async def security_headers(message: Message, scope: Scope) -> None:
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    if scope["path"].startswith("/api/"):
        headers["Cache-Control"] = "no-store"
