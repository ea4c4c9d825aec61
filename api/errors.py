"""Every error becomes an RFC 9457 problem-details response, in the caller's language.

This is the one place exceptions are mapped to HTTP: the rules raise DomainError subclasses,
Litestar raises its own HTTP exceptions for malformed requests, the drivers raise their own.
"""

from __future__ import annotations

import traceback
from typing import Any

import asyncpg
import structlog
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from db.engine import is_connection_lost, is_unique_violation
from domain.errors import DomainError, RateLimited
from domain.messages import pick_language, render

log = structlog.get_logger("fieldservice.errors")
PROBLEM_JSON = "application/problem+json"

TITLES = {
    400: ("请求有误", "Bad request"),
    401: ("未登录", "Unauthorized"),
    403: ("无权操作", "Forbidden"),
    404: ("不存在", "Not found"),
    405: ("方法不允许", "Method not allowed"),
    409: ("状态冲突", "Conflict"),
    413: ("内容过大", "Content too large"),
    422: ("内容不符合规则", "Unprocessable content"),
    429: ("请求过于频繁", "Too many requests"),
    500: ("服务器错误", "Internal server error"),
    503: ("服务暂不可用", "Service unavailable"),
}
DATABASE_RETRY_AFTER_SECONDS = 2


def _language(request: Request[Any, Any, Any]) -> str:
    return pick_language(request.headers.get("accept-language"))


def problem(
    request: Request[Any, Any, Any],
    status: int,
    key: str,
    params: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[dict[str, Any]]:
    lang = _language(request)
    zh_title, en_title = TITLES.get(status, TITLES[400])
    body: dict[str, Any] = {
        "type": f"/problems/{key.replace('.', '-')}",
        "title": zh_title if lang == "zh-CN" else en_title,
        "status": status,
        "detail": render(key, lang, params),
        "instance": request.url.path,
        "code": key,
    }
    body.update(extra or {})
    return Response(
        body,
        status_code=status,
        media_type=PROBLEM_JSON,
        headers={"Content-Language": lang, **(headers or {})},
    )


def domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[dict[str, Any]]:
    lang = _language(request)
    extra: dict[str, Any] = {}
    if exc.issues:
        extra["errors"] = [
            {"code": i.key, "field": i.field, "message": render(i.key, lang, i.params)}
            for i in exc.issues
        ]
    if exc.key == "lifecycle.illegal":
        extra["current_state"] = exc.params["state"]
        extra["allowed_actions"] = exc.params["allowed"]
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    params = dict(exc.params)
    if isinstance(exc, RateLimited):
        params["retry_after"] = exc.retry_after
    return problem(request, exc.status, exc.key, params, extra, headers)


def validation_error(
    request: Request[Any, Any, Any], exc: ValidationException
) -> Response[dict[str, Any]]:
    errors = []
    for item in exc.extra or []:
        if isinstance(item, dict):
            errors.append(
                {
                    "field": item.get("key"),
                    "message": item.get("message"),
                    "source": item.get("source"),
                }
            )
    return problem(request, 400, "request.invalid", extra={"errors": errors, "reason": exc.detail})


HTTP_KEYS = {
    401: "auth.required",
    403: "auth.role_forbidden",
    404: "request.not_found",
    405: "request.method_not_allowed",
    413: "request.too_large",
}


def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    status = exc.status_code
    if status >= 500:
        return internal_error(request, exc)
    key = HTTP_KEYS.get(status, "request.invalid")
    extra = {"reason": exc.detail} if status == 400 else None
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return problem(request, status, key, extra=extra, headers=headers)


BAD_INPUT = (
    (asyncpg.DataError, "a value is out of the range the database can hold"),
    (UnicodeDecodeError, "the request is not UTF-8"),
    (OverflowError, "a date or number is out of range"),
)


def internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    # Input refused below the schema is still bad input: a body that is not UTF-8, a datetime
    # that leaves the calendar when converted to UTC, what the database itself refuses.
    for kind, reason in BAD_INPUT:
        if isinstance(exc, kind):  # said in words: a Python class name means nothing to a client
            return problem(request, 400, "request.invalid", extra={"reason": reason})
    if is_unique_violation(exc):
        return problem(request, 409, "request.conflict")
    if is_connection_lost(exc):  # PostgreSQL restarting: expected, brief, and the client retries
        log.warning(
            "database unavailable", method=request.method, path=request.url.path, error=repr(exc)
        )
        return problem(
            request,
            503,
            "server.database_unavailable",
            {"retry_after": DATABASE_RETRY_AFTER_SECONDS},
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
        )
    log.error(
        "unhandled error",
        method=request.method,
        path=request.url.path,
        traceback="".join(traceback.format_exception(exc)),
    )
    return problem(request, HTTP_500_INTERNAL_SERVER_ERROR, "server.error")


EXCEPTION_HANDLERS = {
    DomainError: domain_error,
    ValidationException: validation_error,
    NotAuthorizedException: http_error,
    PermissionDeniedException: http_error,
    NotFoundException: http_error,
    HTTPException: http_error,
    Exception: internal_error,
}
