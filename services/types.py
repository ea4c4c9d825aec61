"""The constrained field types and payload bases every API payload uses. They are the domain's
(domain/types.py), where structs the domain and the API share (the closure form) use them too; Ref is how payloads name a person, a place or a team."""

from domain.types import (
    NO_NUL,
    NOT_BLANK,
    AwareDatetime,
    Code,
    Hours,
    Id,
    Name,
    Phone,
    Quantity,
    Request,
    RequiredText,
    Response,
    ShortText,
    Text,
)


class Ref(Response, kw_only=True):
    """A person, a place or a team as payloads name it: its id and its name."""

    id: int
    name: str


__all__ = [
    "NO_NUL",
    "NOT_BLANK",
    "AwareDatetime",
    "Code",
    "Hours",
    "Id",
    "Name",
    "Ref",
    "Phone",
    "Quantity",
    "Request",
    "RequiredText",
    "Response",
    "ShortText",
    "Text",
]
