"""The tus 1.0.0 resumable-upload protocol's headers (https://tus.io/protocols/resumable-upload).

Core, plus the creation, termination, checksum and expiration extensions.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable
from datetime import datetime
from email.utils import format_datetime
from typing import Any

from domain.errors import DomainError

VERSION = "1.0.0"
EXTENSIONS = "creation,termination,checksum,expiration"
OFFSET_CONTENT_TYPE = "application/offset+octet-stream"
CHECKSUMS: dict[str, Callable[[], Any]] = {
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
    "md5": hashlib.md5,
}


class BadRequest(DomainError):
    status = 400


def metadata(header: str | None) -> dict[str, str]:
    """Upload-Metadata: comma-separated `key base64(value)` pairs; a key alone has no value."""
    pairs: dict[str, str] = {}
    for part in (header or "").split(","):
        part = part.strip()
        if not part:
            continue
        key, _, encoded = part.partition(" ")
        try:
            pairs[key] = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise BadRequest("upload.bad_metadata", key=key[:32]) from None
    return pairs


def checksum(header: str | None) -> tuple[str, bytes] | None:
    """Upload-Checksum: `algorithm base64(digest)`."""
    if not header:
        return None
    name, _, encoded = header.strip().partition(" ")
    if name not in CHECKSUMS:
        raise BadRequest("upload.checksum_algorithm", algorithm=name[:16])
    try:
        return name, base64.b64decode(encoded.strip(), validate=True)
    except binascii.Error:
        raise BadRequest("upload.bad_checksum") from None


def integer(header: str | None, name: str) -> int:
    if header is None or not header.isdigit() or len(header) > 18:
        raise BadRequest("upload.bad_header", header=name)
    return int(header)


def http_date(instant: datetime) -> str:
    return format_datetime(instant, usegmt=True)
