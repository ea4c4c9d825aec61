"""/api/system-clients (admins): the credentials of machines that call the API (the telephony system)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.params import JSONBody, PathParameter

from api.auth.guards import roles
from domain.vocabulary import ACCOUNT_ADMINS
from services.auth.schemas import Caller
from services.system_clients import schemas as s
from services.system_clients import service

ClientId = Annotated[int, PathParameter(ge=1, le=2_147_483_647)]


class SystemClientController(Controller):
    path = "/api/system-clients"
    tags = ["system clients"]

    @get("/", opt=roles(ACCOUNT_ADMINS))
    async def list(self) -> list[s.SystemClientOut]:
        return await service.list_clients()

    @post("/", opt=roles(ACCOUNT_ADMINS))
    async def create(
        self, data: JSONBody[s.SystemClientCreate], request: Request[Caller, str, object]
    ) -> s.SystemClientOut:
        """A new key. `key` is in this answer only: give it to the system (`Authorization: Bearer <key>`)."""
        return await service.create(request.user, data)

    @post("/{client_id:int}/deactivate", opt=roles(ACCOUNT_ADMINS), status_code=200)
    async def deactivate(
        self, client_id: ClientId, request: Request[Caller, str, object]
    ) -> s.SystemClientOut:
        """Refuse the key from now on (rotate: create a new client, switch the system over, deactivate this)."""
        return await service.deactivate(request.user, client_id)
