from datetime import datetime
from typing import Annotated

import msgspec

from services.types import NO_NUL, Name, Request, Response

Password = Annotated[str, msgspec.Meta(max_length=256, pattern=NO_NUL)]


class Caller(msgspec.Struct, frozen=True, kw_only=True):
    """Who is making the request, as the token resolved it (also what /me and login answer)."""

    id: int
    username: str
    display_name: str
    role: str
    team_id: int | None
    area_id: int | None


class LoginRequest(Request, kw_only=True):
    username: Name
    password: Password


class LoginResponse(Response, kw_only=True):
    token: str
    expires_at: datetime
    user: Caller
    token_type: str = "Bearer"
