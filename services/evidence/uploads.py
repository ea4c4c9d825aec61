"""tus uploads: create, resume, receive, finish, terminate.

Bytes in flight sit in EVIDENCE_DIR/incoming/<upload id>, on local disk whatever the blob store.
The database row's offset is the truth: a file longer than it (a crash mid-write) is cut back
before the next chunk. A finished upload is verified, stored by content and its incoming file
deleted; a refused one leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from weakref import WeakValueDictionary

import anyio.to_thread
import structlog

import servertime
import settings as config
from db import changes
from db.engine import is_unique_violation, write_transaction
from db.evidence_tables import EvidenceUpload, OrderPhoto, PhotoBlob
from domain.errors import Conflict, DomainError, Invalid, NotFound, Unavailable
from domain.evidence import (
    SNIFF_BYTES,
    ChecksumMismatch,
    Gone,
    TooLarge,
    UnsupportedMedia,
    sniff_format,
)
from services.auth.schemas import Caller
from services.evidence import imaging, tus
from services.work_orders.service import TZ, retrying
from storage import StoreUnavailable, blob_store

RECEIVING, COMPLETE, REJECTED = "receiving", "complete", "rejected"
STORE_RETRY_AFTER_SECONDS = (
    5  # a phone whose last chunk met the photo store down sends it again after this
)
log = structlog.get_logger("fieldservice.evidence")
# One writer per upload in this process; the offset check in the database covers the rest.
_locks: WeakValueDictionary[str, asyncio.Lock] = WeakValueDictionary()


def incoming_dir() -> Path:
    path = config.settings.evidence_dir / "incoming"
    path.mkdir(parents=True, exist_ok=True)
    return path


def incoming_path(upload_id: str) -> Path:
    return incoming_dir() / upload_id


def original_key(sha256: str) -> str:
    return sha256


def variant_key(sha256: str, variant: str) -> str:
    return f"{sha256}.{variant}.jpg"


def upload_id_of(raw: str | None) -> str:
    """A client-chosen id must be a UUID (unguessable, and nameable offline); else one is made."""
    if raw is None:
        return str(uuid.uuid4())
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise tus.BadRequest("upload.bad_id") from None


@dataclass(frozen=True)
class Upload:
    upload_id: str
    length: int
    offset: int
    status: str
    expires_at: datetime


def _upload(row: dict) -> Upload:
    return Upload(row["upload_id"], row["length"], row["offset"], row["status"], row["expires_at"])


def _expiry(now: datetime) -> datetime:
    return now + timedelta(hours=config.settings.upload_expiry_hours)


async def create(caller: Caller, length: int, meta: dict[str, str]) -> Upload:
    """tus creation. Repeating a creation with the same client id resumes the same upload."""
    if length > config.settings.photo_max_bytes:
        raise TooLarge("upload.too_large", max_mb=config.settings.photo_max_bytes // (1024 * 1024))
    if length == 0:
        raise Invalid("photo.empty")
    upload_id = upload_id_of(meta.get("id"))
    now = servertime.now()
    existing = await EvidenceUpload.select().where(EvidenceUpload.upload_id == upload_id).first()
    if existing is not None:
        if existing["owner"] != caller.id or existing["length"] != length:
            raise Conflict("upload.id_taken")
        if existing["status"] == RECEIVING and existing["expires_at"] <= now:
            # The phone was offline past the expiry: the same id starts again, so photos
            # already attached by this id still get their file.
            _discard(upload_id)
            await EvidenceUpload.update(
                {EvidenceUpload.offset: 0, EvidenceUpload.expires_at: _expiry(now)}
            ).where(EvidenceUpload.upload_id == upload_id)
            incoming_path(upload_id).touch()
        return await status(caller, upload_id)
    try:
        async with write_transaction():
            await EvidenceUpload.insert(
                EvidenceUpload(
                    upload_id=upload_id,
                    owner=caller.id,
                    length=length,
                    offset=0,
                    filename=meta.get("filename", "")[:128],
                    share_location=meta.get("location") == "allow",
                    created_at=now,
                    expires_at=_expiry(now),
                )
            )
            incoming_path(upload_id).touch()
    except Exception as exc:
        if is_unique_violation(exc):
            raise Conflict("upload.id_taken") from exc
        raise
    return await status(caller, upload_id)


async def _mine(caller: Caller, upload_id: str) -> dict:
    row = (
        await EvidenceUpload.select()
        .where(EvidenceUpload.upload_id == upload_id_of(upload_id))
        .first()
    )
    if row is None or row["owner"] != caller.id:
        raise NotFound("upload.not_found")
    if row["status"] == RECEIVING and row["expires_at"] <= servertime.now():
        _discard(upload_id)
        raise Gone("upload.expired")
    return row


async def status(caller: Caller, upload_id: str) -> Upload:
    return _upload(await _mine(caller, upload_id))


def _discard(upload_id: str) -> None:
    incoming_path(upload_id).unlink(missing_ok=True)


async def receive(
    caller: Caller,
    upload_id: str,
    offset: int,
    body: AsyncIterator[bytes],
    checksum: tuple[str, bytes] | None,
) -> Upload:
    """tus PATCH: append the body at `offset`. What arrives before a cut connection is kept
    (unless a checksum covers the chunk, which then cannot be checked and is dropped)."""
    lock = _locks.setdefault(upload_id, asyncio.Lock())
    async with lock:
        row = await _mine(caller, upload_id)
        if row["status"] != RECEIVING:
            raise Conflict("upload.finished", offset=row["offset"])
        if offset != row["offset"]:
            raise Conflict("upload.offset_mismatch", expected=row["offset"], given=offset)
        try:
            received, complete_body = await _append(row, body, checksum)
        except UnsupportedMedia as exc:  # the first bytes say it is no photo: it never will be
            await _reject(row["upload_id"], exc)
            raise
        new_offset = offset + received
        if complete_body and new_offset == row["length"]:
            # The last bytes count only together with the upload's outcome: should storing fail
            # (the photo store down), the offset stays before them and the phone sends them again.
            return await _finish({**row, "offset": new_offset})
        written = (
            await EvidenceUpload.update({EvidenceUpload.offset: new_offset})
            .where(
                (EvidenceUpload.upload_id == row["upload_id"]) & (EvidenceUpload.offset == offset)
            )
            .returning(EvidenceUpload.id)
        )
        if not written:
            raise Conflict("upload.offset_mismatch", expected=row["offset"], given=offset)
        return _upload({**row, "offset": new_offset})


async def _append(
    row: dict, body: AsyncIterator[bytes], checksum: tuple[str, bytes] | None
) -> tuple[int, bool]:
    """Write the body after the upload's bytes. Returns (bytes kept, whether the body was whole)."""
    path = incoming_path(row["upload_id"])
    start, room = row["offset"], row["length"] - row["offset"]
    digest = tus.CHECKSUMS[checksum[0]]() if checksum else None
    received, whole = 0, False
    with open(path, "r+b" if path.exists() else "w+b") as out:
        out.truncate(start)  # bytes past the recorded offset are from a write that never committed
        out.seek(start)
        try:
            async for chunk in _until_cut(body):
                if chunk is None:
                    break
                if received + len(chunk) > room:
                    raise TooLarge("upload.past_length", length=row["length"])
                if start == 0 and received < SNIFF_BYTES <= received + len(chunk):
                    _sniff(path, out, chunk, received)
                out.write(chunk)
                received += len(chunk)
                if digest:
                    digest.update(chunk)
            else:
                whole = True
            if checksum and (not whole or digest.digest() != checksum[1]):
                raise ChecksumMismatch("upload.checksum_mismatch")
            if start == 0 and 0 < received < SNIFF_BYTES and received == room:
                raise UnsupportedMedia("photo.unsupported_type")
        except DomainError:
            out.truncate(start)
            raise
    return received, whole


async def _until_cut(body: AsyncIterator[bytes]) -> AsyncIterator[bytes | None]:
    """The body's chunks; None when the connection was cut (the body iterator raised)."""
    try:
        async for chunk in body:
            if chunk:
                yield chunk
    except ConnectionError:
        yield None


def _sniff(path: Path, out, chunk: bytes, received: int) -> None:
    """Refuse a file that is no photo as soon as its first bytes say so, before storing megabytes."""
    out.flush()
    head = (path.read_bytes()[:received] + chunk)[:SNIFF_BYTES]
    if sniff_format(head) is None:
        raise UnsupportedMedia("photo.unsupported_type")


async def _finish(row: dict) -> Upload:
    """Verify the whole file, store it and its served copies once per content, record the
    capture facts. A refused file is deleted and the upload marked rejected."""
    upload_id = row["upload_id"]
    data = await anyio.to_thread.run_sync(incoming_path(upload_id).read_bytes)
    sha256 = hashlib.sha256(data).hexdigest()
    try:
        if not await PhotoBlob.exists().where(PhotoBlob.sha256 == sha256):
            await _store(sha256, data)
        facts = await anyio.to_thread.run_sync(imaging.capture, data, TZ)
    except Unavailable:
        raise  # no fault of the photo's: sent again, it goes through
    except DomainError as exc:
        await _reject(upload_id, exc)
        raise
    keep_location = row["share_location"]
    await _settle(
        upload_id,
        {
            EvidenceUpload.status: COMPLETE,
            EvidenceUpload.offset: row["offset"],
            EvidenceUpload.sha256: sha256,
            EvidenceUpload.completed_at: servertime.now(),
            EvidenceUpload.taken_at: facts.taken_at,
            EvidenceUpload.latitude: facts.latitude if keep_location else None,
            EvidenceUpload.longitude: facts.longitude if keep_location else None,
        },
    )
    _discard(upload_id)
    return _upload({**row, "status": COMPLETE})


async def _reject(upload_id: str, exc: DomainError) -> None:
    """A file that is no acceptable photo: its bytes go, the row stays to say why."""
    _discard(upload_id)
    await _settle(upload_id, {EvidenceUpload.status: REJECTED, EvidenceUpload.reason: exc.key[:48]})


async def _settle(upload_id: str, values: dict) -> None:
    """The upload's outcome and the orders its photos are attached to (changed for devices: a
    pending photo arrived or was refused), in one transaction; run again should PostgreSQL
    abort it to break a deadlock."""

    async def write() -> None:
        await EvidenceUpload.update(values).where(EvidenceUpload.upload_id == upload_id)
        for photo in await OrderPhoto.select(OrderPhoto.work_order).where(
            OrderPhoto.upload_id == upload_id
        ):
            await changes.order_changed(photo["work_order"])

    await retrying(write)


async def _store(sha256: str, data: bytes) -> None:
    photo = await anyio.to_thread.run_sync(imaging.verify, data, config.settings.photo_max_pixels)
    store = blob_store()
    variants = {"display": variant_key(sha256, "display"), "thumb": variant_key(sha256, "thumb")}
    try:
        await store.put(original_key(sha256), data, f"image/{photo.format.lower()}")
        await store.put(variants["display"], photo.display, "image/jpeg")
        await store.put(variants["thumb"], photo.thumbnail, "image/jpeg")
    except (
        StoreUnavailable
    ) as exc:  # keys are contents: what was stored before is skipped next time
        log.warning("photo store unavailable", error=str(exc))
        raise Unavailable(
            "upload.store_unavailable", retry_after=STORE_RETRY_AFTER_SECONDS
        ) from exc
    try:
        await PhotoBlob.insert(
            PhotoBlob(
                sha256=sha256,
                format=photo.format,
                width=photo.width,
                height=photo.height,
                size=len(data),
                variants=variants,
            )
        )
    except Exception as exc:
        if not is_unique_violation(exc):  # the same photo finished twice at once: stored once
            raise


async def terminate(caller: Caller, upload_id: str) -> None:
    """tus termination: an unfinished upload is dropped; a finished one stays (photos use it)."""
    row = await _mine(caller, upload_id)
    if row["status"] == COMPLETE:
        raise Conflict("upload.finished", offset=row["offset"])
    _discard(row["upload_id"])
    await EvidenceUpload.delete().where(EvidenceUpload.upload_id == row["upload_id"])
