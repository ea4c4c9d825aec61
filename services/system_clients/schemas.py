from datetime import datetime
from typing import Literal

from services.types import Name, Request, Response


class SystemClientOut(Response, kw_only=True):
    id: int
    name: str
    role: str
    key_id: str
    active: bool
    created_at: datetime
    last_used_at: datetime | None
    key: str | None = None  # the whole key, in the answer to its creation only: it is not stored


class SystemClientCreate(Request, kw_only=True):
    name: Name
    role: Literal["telephony"] = "telephony"
