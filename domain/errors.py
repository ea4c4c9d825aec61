"""Errors the rules raise. Each carries a message key (see messages.py) and its parameters;
api/errors.py turns them into RFC 9457 problem details in the caller's language."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Issue:
    """One thing wrong with a submission, optionally naming the field."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)
    field: str | None = None


class DomainError(Exception):
    status = 400

    def __init__(self, key: str, issues: list[Issue] | None = None, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params
        self.issues = issues or []


class NotFound(DomainError):
    status = 404


class Unauthorized(DomainError):
    status = 401


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409


class Invalid(DomainError):
    status = 422


class RateLimited(DomainError):
    status = 429

    def __init__(self, key: str, retry_after: int, **params: Any) -> None:
        super().__init__(key, **params)
        self.retry_after = retry_after


class Unavailable(RateLimited):
    """A service the request needs is down for now (the photo store): the same request, sent
    again after `retry_after` seconds, may succeed."""

    status = 503


class BadRequest(DomainError):
    status = 400
