"""Who may call what. Every route declares the roles it admits in `opt["roles"]`; a route that
declares none is refused (fail closed), except the few marked `exclude_from_auth`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from domain.vocabulary import Role

ANY_ROLE = frozenset(Role)


def roles(allowed: Iterable[Role]) -> dict[str, Any]:
    """The `opt` of a handler admitting these roles."""
    return {"roles": frozenset(allowed)}


def role_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    if handler.opt.get("exclude_from_auth"):
        return
    allowed = handler.opt.get("roles")
    if not allowed or connection.user.role not in allowed:
        raise PermissionDeniedException()
