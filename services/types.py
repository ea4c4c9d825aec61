"""The constrained field types and payload bases every API payload uses. They are the domain's
(domain/types.py), where structs the domain and the API share (the closure form) use them too."""

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

__all__ = [
    "NO_NUL",
    "NOT_BLANK",
    "AwareDatetime",
    "Code",
    "Hours",
    "Id",
    "Name",
    "Phone",
    "Quantity",
    "Request",
    "RequiredText",
    "Response",
    "ShortText",
    "Text",
]
