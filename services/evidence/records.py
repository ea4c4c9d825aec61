"""The service record of an order as stored now, and what its signatures say of it.

Called by the work-order steps (sign, close) and reads, so it imports nothing from them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from db.evidence_tables import EvidenceUpload, OrderPhoto
from domain import payloads
from domain.errors import Invalid
from domain.evidence import PhotoStatus, stroke_issues
from domain.lifecycle import Action
from domain.service_record import RECORD_VERSION, record_hash, service_record
from domain.vocabulary import State
from services.evidence.schemas import EvidenceSummary

UPLOAD_STATUS = {"complete": PhotoStatus.ready, "rejected": PhotoStatus.rejected}


async def photos_with_status(order_id: int) -> list[dict]:
    """The order's photos, each with its upload's status (pending until the upload arrives)."""
    return (await photos_of([order_id]))[order_id]


async def photos_of(order_ids: Sequence[int]) -> dict[int, list[dict]]:
    """`photos_with_status` for many orders in two queries (a device's pull)."""
    photos = (
        await OrderPhoto.select()
        .where(OrderPhoto.work_order.is_in(list(order_ids)))
        .order_by(OrderPhoto.id)
        if order_ids
        else []
    )
    ids = list({p["upload_id"] for p in photos})
    uploads = {
        (u["upload_id"], u["owner"]): u
        for u in (
            await EvidenceUpload.select().where(EvidenceUpload.upload_id.is_in(ids)) if ids else []
        )
    }
    for photo in photos:
        # Only the attacher's own upload fills a photo: nobody can slip a file into another's order.
        upload = uploads.get((photo["upload_id"], photo["attached_by"]))
        photo["upload"] = upload
        photo["status"] = (
            UPLOAD_STATUS.get(upload["status"], PhotoStatus.pending)
            if upload
            else PhotoStatus.pending
        )
    by_order: dict[int, list[dict]] = {order_id: [] for order_id in order_ids}
    for photo in photos:
        by_order[photo["work_order"]].append(photo)
    return by_order


async def record_now(
    order: Mapping[str, Any],
    events: Sequence[Mapping[str, Any]],
    photos: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The record from the order, its history since the last reopen, and its photos (read now
    unless the caller has just read them)."""
    work = [e["payload"] for e in events if e["action"] == Action.record_work]
    appends = [e["payload"] for e in events if e["action"] == Action.append]
    if photos is None:
        photos = (await record_photos([order["id"]]))[order["id"]]
    return service_record(order, work, appends, photos)


async def record_photos(order_ids: Sequence[int]) -> dict[int, list[dict]]:
    """What the service record keeps of each order's photos (its upload id, kind and caption)."""
    rows = await OrderPhoto.select(
        OrderPhoto.work_order, OrderPhoto.upload_id, OrderPhoto.kind, OrderPhoto.caption
    ).where(OrderPhoto.work_order.is_in(list(order_ids)))
    by_order: dict[int, list[dict]] = {order_id: [] for order_id in order_ids}
    for row in rows:
        by_order[row.pop("work_order")].append(row)
    return by_order


def last_signature(events: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    return next((e for e in reversed(events) if e["action"] == Action.sign), None)


async def signing_facts(
    order: Mapping[str, Any],
    events: Sequence[Mapping[str, Any]],
    body: Any,
    photos: Sequence[Mapping[str, Any]] | None = None,
) -> payloads.Signed:
    """What a signature records besides its body: the hash of the record it binds."""
    issues = stroke_issues(body.strokes)
    if issues:
        raise Invalid("signature.invalid", issues)
    record = await record_now(order, events, photos)
    return payloads.Signed(record_sha256=record_hash(record), record_version=RECORD_VERSION)


@dataclass(frozen=True)
class Binding:
    signed: bool  # a signature exists (since the last reopen)
    holds: bool  # and the record still hashes to what it signed
    record: dict[str, Any]
    current_sha256: str


async def binding(
    order: Mapping[str, Any],
    events: Sequence[Mapping[str, Any]],
    photos: Sequence[Mapping[str, Any]] | None = None,
) -> Binding:
    """Whether the last signature (events since the last reopen) still holds for the record."""
    record = await record_now(order, events, photos)
    current = record_hash(record)
    signature = last_signature(events)
    signed = signature is not None
    holds = signed and signature["payload"].record_sha256 == current
    return Binding(signed, holds, record, current)


async def evidence_summary(
    order: Mapping[str, Any],
    events: Sequence[Mapping[str, Any]],
    photos: Sequence[Mapping[str, Any]],
) -> EvidenceSummary:
    """From the order's photos as `photos_with_status` gives them."""
    pending = sum(p["status"] == PhotoStatus.pending for p in photos)
    bound = await binding(order, events, photos)
    signature = "none" if not bound.signed else "valid" if bound.holds else "changed_after_signing"
    return EvidenceSummary(
        photos=len(photos),
        photos_pending=pending,
        photos_rejected=sum(p["status"] == PhotoStatus.rejected for p in photos),
        signature=signature,
        complete=order["state"] == State.closed and pending == 0,
    )
