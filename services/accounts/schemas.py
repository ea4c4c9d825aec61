from datetime import datetime
from typing import Annotated

import msgspec

from domain.vocabulary import Role
from services.auth.schemas import Caller
from services.types import NOT_BLANK, Id, Name, Request, Response

Username = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]
# As the command line asks: eight characters at least, and something besides spaces.
NewPassword = Annotated[str, msgspec.Meta(min_length=8, max_length=256, pattern=NOT_BLANK)]
PhoneOrEmpty = Annotated[str, msgspec.Meta(max_length=32, pattern=r"^[0-9+\- ]*$")]


class Account(Caller, kw_only=True):
    """A staff account: who the person is (as a token resolves them), and its state."""

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
