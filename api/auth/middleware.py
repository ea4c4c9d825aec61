"""Bearer-token authentication: resolves `Authorization: Bearer …` to a Caller."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from services.auth.service import caller_for_token
from services.system_clients.service import caller_for_key, is_system_key


def bearer_token(connection: ASGIConnection) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


class TokenAuthMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        token = bearer_token(connection)
        if token is None or len(token) > 128:
            raise NotAuthorizedException()
        caller = await (caller_for_key(token) if is_system_key(token) else caller_for_token(token))
        if caller is None:
            raise NotAuthorizedException()
        return AuthenticationResult(user=caller, auth=token)
