"""Constrained field types shared by every payload, the API's and the domain's own structs (one
struct set: the closure form is the close step's body): bounded, and free of NUL characters
(PostgreSQL text cannot hold them)."""

from datetime import datetime
from typing import Annotated

import msgspec

NO_NUL = r"^[^\x00]*$"

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=NO_NUL)]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.\-]+$")]
Phone = Annotated[str, msgspec.Meta(min_length=3, max_length=32, pattern=r"^[0-9+\- ]+$")]
ShortText = Annotated[str, msgspec.Meta(max_length=200, pattern=NO_NUL)]
Text = Annotated[str, msgspec.Meta(max_length=2000, pattern=NO_NUL)]
# Where the manual requires words (a reason, a result, a description): no NUL, and something
# besides whitespace (spaces, tabs, newlines, 全角空格 all count as nothing).
NOT_BLANK = r"^(?=[^\x00]*$)\s*\S"
RequiredText = Annotated[str, msgspec.Meta(min_length=1, max_length=2000, pattern=NOT_BLANK)]
Id = Annotated[int, msgspec.Meta(ge=1, le=2_147_483_647)]
AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]
Hours = Annotated[float, msgspec.Meta(ge=0, le=24)]
Quantity = Annotated[float, msgspec.Meta(gt=0, le=10_000)]


class Request(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of every request body: an unknown field is an error, never silently dropped."""


class Response(msgspec.Struct, kw_only=True):
    """Base of every response body."""
