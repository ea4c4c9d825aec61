"""Photos on orders, signature checks and renderings, the printable service record.

`attach_photo` opens no transaction of its own: the HTTP controller wraps it in one, and the
offline sync protocol calls it inside the transaction of its batch.
"""

from __future__ import annotations

from datetime import datetime

import servertime
from db import changes
from db.engine import is_unique_violation
from db.evidence_tables import OrderPhoto, PhotoBlob
from domain.errors import Forbidden, Invalid, NotFound
from domain.evidence import PhotoKind, PhotoStatus
from domain.vocabulary import OFFICE_ROLES, Role, State
from services.auth.schemas import Caller
from services.evidence import records, render
from services.evidence.schemas import PhotoOut, SignatureCheck
from services.evidence.uploads import original_key, upload_id_of
from services.work_orders.service import _order_for, _since_reopen, history
from storage import blob_store


async def attach_photo(
    caller: Caller,
    order_id: int,
    upload_id: str,
    caption: str,
    kind: str,
    device_time: datetime | None,
) -> PhotoOut:
    """Attach an upload to an order as a photo, whether or not the upload has arrived: the
    photo stays pending until it does. Attaching the same upload again returns the same photo."""
    # Whoever may read the order may add photos to it (NotFound for one they may not read).
    order = await _order_for(caller, order_id)
    if order["state"] == State.cancelled:
        raise Invalid("photo.order_cancelled")
    try:
        kind = PhotoKind(kind).value
    except ValueError:
        raise Invalid("photo.unknown_kind", photo_kind=str(kind)[:24]) from None
    if len(caption) > 200 or "\x00" in caption:
        raise Invalid("photo.caption_invalid")
    upload_id = upload_id_of(upload_id)
    existing = await _attached(order_id, upload_id)
    if existing is None:
        try:
            await OrderPhoto.insert(
                OrderPhoto(
                    work_order=order_id,
                    upload_id=upload_id,
                    kind=kind,
                    caption=caption,
                    attached_by=caller.id,
                    attached_at=servertime.now(),
                    device_time=device_time,
                )
            )
        except Exception as exc:
            if not is_unique_violation(exc):
                raise
        existing = await _attached(order_id, upload_id)
        await changes.order_changed(order_id)  # the technician's devices pull the new photo
    return await _photo(caller, order_id, existing["id"])


async def _attached(order_id: int, upload_id: str) -> dict | None:
    return (
        await OrderPhoto.select()
        .where((OrderPhoto.work_order == order_id) & (OrderPhoto.upload_id == upload_id))
        .first()
    )


async def _photo(caller: Caller, order_id: int, photo_id: int) -> PhotoOut:
    for photo in await list_photos(caller, order_id):
        if photo.id == photo_id:
            return photo
    raise NotFound("photo.not_found", id=photo_id)


async def list_photos(caller: Caller, order_id: int) -> list[PhotoOut]:
    await _order_for(caller, order_id)
    photos = await records.photos_with_status(order_id)
    shas = [p["upload"]["sha256"] for p in photos if p["status"] == PhotoStatus.ready]
    blobs = {
        b["sha256"]: b
        for b in (await PhotoBlob.select().where(PhotoBlob.sha256.is_in(shas)) if shas else [])
    }
    office = Role(caller.role) in OFFICE_ROLES
    return [_photo_out(p, blobs, office) for p in photos]


def _photo_out(photo: dict, blobs: dict[str, dict], office: bool) -> PhotoOut:
    upload = photo["upload"] or {}
    blob = blobs.get(upload.get("sha256") or "", {})
    return PhotoOut(
        id=photo["id"],
        upload_id=photo["upload_id"],
        kind=photo["kind"],
        caption=photo["caption"],
        status=photo["status"],
        reason=upload.get("reason", "") if photo["status"] == PhotoStatus.rejected else "",
        attached_at=photo["attached_at"],
        device_time=photo["device_time"],
        taken_at=upload.get("taken_at"),
        latitude=upload.get("latitude") if office else None,
        longitude=upload.get("longitude") if office else None,
        width=blob.get("width"),
        height=blob.get("height"),
    )


async def photo_file(
    caller: Caller, order_id: int, photo_id: int, variant: str
) -> tuple[bytes, str]:
    """A photo's bytes. The original keeps its EXIF (GPS too), so only the office gets it."""
    if variant == "original" and Role(caller.role) not in OFFICE_ROLES:
        raise Forbidden("photo.original_office_only")
    await _order_for(caller, order_id)
    photo = next(
        (p for p in await records.photos_with_status(order_id) if p["id"] == photo_id), None
    )
    if photo is None:
        raise NotFound("photo.not_found", id=photo_id)
    if photo["status"] != PhotoStatus.ready:
        raise NotFound("photo.not_ready", id=photo_id)
    sha256 = photo["upload"]["sha256"]
    blob = await PhotoBlob.select().where(PhotoBlob.sha256 == sha256).output(load_json=True).first()
    if variant == "original":
        return await blob_store().read(original_key(sha256)), f"image/{blob['format'].lower()}"
    return await blob_store().read(blob["variants"][variant]), "image/jpeg"


# ---- signatures and the service record -------------------------------------------------------


async def _signed_order(caller: Caller, order_id: int) -> tuple[dict, list[dict]]:
    order = await _order_for(caller, order_id)
    return order, _since_reopen(await history(order_id))


async def verify_signature(caller: Caller, order_id: int) -> SignatureCheck:
    """Recompute the service record's hash and compare it with the one the last signature bound."""
    order, events = await _signed_order(caller, order_id)
    bound = await records.binding(order, events)
    signature = records.last_signature(events)
    said = signature["payload"] if signature else None
    return SignatureCheck(
        signed=bound.signed,
        valid=bound.holds,
        changed_after_signing=bound.signed and not bound.holds,
        signed_sha256=said.record_sha256 if said else None,
        current_sha256=bound.current_sha256,
        signed_seq=signature["seq"] if signature else None,
        signer_name=said.signer_name if said else None,
        relation=said.relation if said else None,
        satisfaction=said.satisfaction if said else None,
        signed_at_server=signature["server_time"] if signature else None,
        signed_at_device=signature["device_time"] if signature else None,
        record=bound.record,
    )


async def signature_image(caller: Caller, order_id: int, fmt: str) -> bytes:
    order, events = await _signed_order(caller, order_id)
    signature = records.last_signature(events)
    if signature is None:
        raise NotFound("signature.not_found", id=order_id)
    strokes = signature["payload"].strokes
    return render.signature_png(strokes) if fmt == "png" else render.signature_svg(strokes).encode()


async def service_record_page(caller: Caller, order_id: int, lang: str) -> str:
    """The printable service record (服务记录单): the order, the work, photos, signature, hash."""
    order, events = await _signed_order(caller, order_id)
    bound = await records.binding(order, events)
    photos = await list_photos(caller, order_id)
    thumbnails: dict[int, bytes] = {}
    for photo in photos:
        if photo.status == PhotoStatus.ready:
            thumbnails[photo.id], _ = await photo_file(caller, order_id, photo.id, "display")
    return render.service_record_html(
        order,
        events,
        photos,
        thumbnails,
        records.last_signature(events),
        bound,
        lang,
    )
