from litestar.params import JSONBody
from litestar import Controller, Request, get, post
from litestar.status_codes import HTTP_204_NO_CONTENT

from api.auth import service
from api.auth.guards import ANY_ROLE, roles
from api.auth.schemas import Caller, LoginRequest, LoginResponse


def client_address(request: Request) -> str:
    return (request.client.host if request.client else "") or "unknown"


class AuthController(Controller):
    path = "/api/auth"
    tags = ["auth"]

    @post("/login", exclude_from_auth=True, security=[], status_code=200)
    async def login(self, data: JSONBody[LoginRequest], request: Request) -> LoginResponse:
        """Exchange a username and password for a bearer token (rate-limited per user and address)."""
        token, user, expires_at = await service.login(data.username, data.password, client_address(request))
        return LoginResponse(token=token, expires_at=expires_at, user=service.caller_of(user))

    @post("/logout", status_code=HTTP_204_NO_CONTENT, opt=roles(ANY_ROLE))
    async def logout(self, request: Request[Caller, str, object]) -> None:
        """Revoke the token this request carries."""
        await service.logout(request.auth, request.user)

    @get("/me", opt=roles(ANY_ROLE))
    async def me(self, request: Request[Caller, str, object]) -> Caller:
        return request.user
