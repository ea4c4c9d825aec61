import ipaddress

from litestar import Controller, Request, get, post
from litestar.params import JSONBody
from litestar.status_codes import HTTP_204_NO_CONTENT

from api.auth.guards import ANY_ROLE, roles
from services.auth import service
from services.auth.schemas import Caller, LoginRequest, LoginResponse
from settings import settings


def client_address(request: Request) -> str:
    """The address a request came from: the peer, or behind TRUSTED_PROXIES the last address of
    X-Forwarded-For that is not one of them (each proxy appends the address it saw, so what a
    client writes into the header itself stays to the left and is never believed)."""
    peer = (request.client.host if request.client else "") or "unknown"
    if not _trusted(peer):
        return peer
    forwarded = [
        part.strip()
        for value in request.headers.getall("x-forwarded-for", [])
        for part in value.split(",")
    ]
    for address in reversed(forwarded):
        if not _trusted(address):
            return address if _ip(address) else peer
    return peer


def _ip(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(address)
    except ValueError:
        return None


def _trusted(address: str) -> bool:
    ip = _ip(address)
    return ip is not None and any(ip in network for network in settings.trusted_proxies)


class AuthController(Controller):
    path = "/api/auth"
    tags = ["auth"]

    @post("/login", exclude_from_auth=True, security=[], status_code=200)
    async def login(self, data: JSONBody[LoginRequest], request: Request) -> LoginResponse:
        """Exchange a username and password for a bearer token (rate-limited per user and address)."""
        token, user, expires_at = await service.login(
            data.username, data.password, client_address(request)
        )
        return LoginResponse(token=token, expires_at=expires_at, user=service.caller_of(user))

    @post("/logout", status_code=HTTP_204_NO_CONTENT, opt=roles(ANY_ROLE))
    async def logout(self, request: Request[Caller, str, object]) -> None:
        """Revoke the token this request carries."""
        await service.logout(request.auth, request.user)

    @get("/me", opt=roles(ANY_ROLE))
    async def me(self, request: Request[Caller, str, object]) -> Caller:
        return request.user
