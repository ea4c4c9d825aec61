"""/api/accounts: staff accounts, for admins (services/accounts/service.py)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.params import JSONBody, PathParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.auth.guards import roles
from domain.vocabulary import ACCOUNT_ADMINS
from services.accounts import schemas as s
from services.accounts import service
from services.auth.schemas import Caller

UserId = Annotated[int, PathParameter(ge=1, le=2_147_483_647, description="staff account id")]


class AccountController(Controller):
    path = "/api/accounts"
    tags = ["accounts"]
    opt = roles(ACCOUNT_ADMINS)

    @get("/")
    async def list_accounts(self) -> list[s.Account]:
        """Every staff account, active or not, by username."""
        return await service.accounts()

    @post("/", status_code=HTTP_201_CREATED)
    async def create(
        self, data: JSONBody[s.NewAccount], request: Request[Caller, str, object]
    ) -> s.Account:
        """A new account (409 if the username is taken)."""
        return await service.create(request.user, data)

    @post("/{user_id:int}/deactivate", status_code=HTTP_200_OK)
    async def deactivate(self, user_id: UserId, request: Request[Caller, str, object]) -> s.Account:
        """No more logins; every session, event stream and push subscription of the person ends."""
        return await service.set_active(request.user, user_id, False)

    @post("/{user_id:int}/reactivate", status_code=HTTP_200_OK)
    async def reactivate(self, user_id: UserId, request: Request[Caller, str, object]) -> s.Account:
        return await service.set_active(request.user, user_id, True)

    @post("/{user_id:int}/reset-password", status_code=HTTP_200_OK)
    async def reset_password(
        self,
        user_id: UserId,
        data: JSONBody[s.PasswordReset],
        request: Request[Caller, str, object],
    ) -> s.Account:
        """A new password; every session, event stream and push subscription of the person ends."""
        return await service.reset_password(request.user, user_id, data)

    @post("/{user_id:int}/end-sessions", status_code=HTTP_200_OK)
    async def end_sessions(
        self, user_id: UserId, request: Request[Caller, str, object]
    ) -> s.SessionsEnded:
        """Every device of the person logs in again (their push subscriptions stay)."""
        return await service.end_sessions(request.user, user_id)
