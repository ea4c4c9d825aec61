"""/api/push: the server's VAPID public key, and each device's push subscription."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.params import JSONBody, PathParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from api.auth.guards import ANY_ROLE, roles
from domain.messages import pick_language
from services.auth.schemas import Caller
from services.push import schemas as s
from services.push import service

DeviceIdPath = Annotated[
    str, PathParameter(min_length=1, max_length=64, pattern=s.DEVICE_ID_PATTERN)
]


class PushController(Controller):
    path = "/api/push"
    tags = ["push"]

    @get("/vapid-public-key", opt=roles(ANY_ROLE))
    async def vapid_public_key(self) -> s.VapidPublicKey:
        """The applicationServerKey the app subscribes with (the same for every device and server)."""
        return await service.public_key()

    @post("/subscriptions", opt=roles(ANY_ROLE), status_code=HTTP_201_CREATED)
    async def subscribe(
        self, data: JSONBody[s.Subscribe], request: Request[Caller, str, Any]
    ) -> Response[s.SubscriptionOut]:
        """Register this device's push subscription, or refresh it (the app sends it on every
        start: 201 when new, 200 when refreshed). Notifications come in `language`."""
        language = pick_language(request.headers.get("accept-language"))
        out, created = await service.subscribe(request.user, data, language)
        return Response(out, status_code=HTTP_201_CREATED if created else HTTP_200_OK)

    @delete("/subscriptions/{device_id:str}", opt=roles(ANY_ROLE), status_code=HTTP_204_NO_CONTENT)
    async def unsubscribe(
        self, device_id: DeviceIdPath, request: Request[Caller, str, Any]
    ) -> None:
        """Stop pushing to this device (logout, notifications turned off)."""
        await service.unsubscribe(request.user, device_id)
