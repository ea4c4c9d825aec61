"""Payloads of job evidence: photos on orders, signature checks."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from domain.evidence import PhotoKind, PhotoStatus
from services.types import AwareDatetime, Request, Response, ShortText

UploadId = Annotated[str, msgspec.Meta(min_length=36, max_length=36, pattern=r"^[0-9a-fA-F-]{36}$")]


class AttachPhoto(Request, kw_only=True):
    upload_id: UploadId
    kind: PhotoKind
    caption: ShortText = ""
    device_time: AwareDatetime | None = None


class PhotoOut(Response, kw_only=True):
    id: int
    upload_id: str
    kind: str
    caption: str
    status: PhotoStatus
    reason: str  # why a rejected upload was refused (a message key); "" otherwise
    attached_at: datetime
    device_time: datetime | None
    taken_at: datetime | None
    # Only where the technician allowed it, and only for office roles.
    latitude: float | None = None
    longitude: float | None = None
    width: int | None = None
    height: int | None = None


class EvidenceSummary(Response, kw_only=True):
    """What an order's detail says of its evidence: "closed — 2 photos pending"."""

    photos: int
    photos_pending: int
    photos_rejected: int
    signature: str  # none / valid / changed_after_signing
    complete: bool  # closed, and nothing pending


class SignatureCheck(Response, kw_only=True):
    signed: bool
    valid: bool  # the record as it is now hashes to what was signed
    changed_after_signing: bool
    signed_sha256: str | None
    current_sha256: str
    signed_seq: int | None
    signer_name: str | None
    relation: str | None
    satisfaction: int | None
    signed_at_server: datetime | None
    signed_at_device: datetime | None
    record: dict  # the canonical service record as it is now
