from datetime import datetime
from typing import Annotated

import msgspec

from api.auth.schemas import Password
from api.types import Id, Name, Request, Response
from domain.vocabulary import Role

Username = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]
# As the command line asks: eight characters at least, and something besides spaces.
NewPassword = Annotated[str, msgspec.Meta(min_length=8, max_length=256, pattern=r"^(?=[^\x00]*$)\s*\S")]
PhoneOrEmpty = Annotated[str, msgspec.Meta(max_length=32, pattern=r"^[0-9+\- ]*$")]


class Account(Response, kw_only=True):
    id: int
    username: str
    display_name: str
    role: str
    team_id: int | None
    area_id: int | None
    phone: str
    active: bool
    created_at: datetime


class NewAccount(Request, kw_only=True):
    username: Username
    display_name: Name
    role: Role
    password: NewPassword
    team_id: Id | None = None
    area_id: Id | None = None
    phone: PhoneOrEmpty = ""


class PasswordReset(Request, kw_only=True):
    password: NewPassword


class SessionsEnded(Response, kw_only=True):
    revoked_tokens: int
