"""Who may call what. Every route declares the roles it admits in `opt["roles"]`; a route that
declares none is refused (fail closed), except public paths and routes marked `exclude_from_auth`."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from domain.vocabulary import Role

ANY_ROLE = frozenset(Role)
# Served without a token: the API docs, the health check, static assets, the app shell.
PUBLIC_PATHS = [
    "^/schema",
    "^/(healthz|readyz)$",
    "^/static/",
    # the technician app's shell (static/pwa/dist); its data still needs a token
    r"^/$",
    r"^/(index\.html|sw\.js|manifest\.webmanifest)$",
    "^/(assets|icons)/",
    # the dispatcher console's shell (static/pwa/dist/console)
    "^/console(/|$)",
]
_PUBLIC = re.compile("|".join(PUBLIC_PATHS))


def roles(allowed: Iterable[Role]) -> dict[str, Any]:
    """The `opt` of a handler admitting these roles."""
    return {"roles": frozenset(allowed)}


def role_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    if handler.opt.get("exclude_from_auth") or _PUBLIC.match(connection.url.path):
        return
    allowed = handler.opt.get("roles")
    if not allowed or connection.user.role not in allowed:
        raise PermissionDeniedException()
