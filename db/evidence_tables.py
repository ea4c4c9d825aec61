"""Job evidence: resumable uploads, the photo files they produce, photos on orders.

Signatures need no table of their own: a signature is the `sign` event in the order history
(append-only), carrying the SHA-256 of the service record it binds.
"""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    BigInt,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Real,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from db.tables import StaffUser, WorkOrder


class EvidenceUpload(Table, tablename="evidence_upload"):
    """One tus upload. Its bytes sit in EVIDENCE_DIR/incoming until complete, then become a blob.

    `upload_id` is chosen by the phone (a UUID, so it can be named offline before the upload
    exists here) or by the server.
    """

    upload_id = Varchar(length=36, unique=True)
    owner = ForeignKey(references=StaffUser, null=False, on_delete=OnDelete.restrict, index=True)
    length = BigInt()
    offset = BigInt(default=0)
    status = Varchar(length=16, default="receiving")  # receiving / complete / rejected
    reason = Varchar(length=48, default="")  # why it was rejected: a message key
    filename = Varchar(length=128, default="")
    share_location = Boolean(
        default=False
    )  # the technician allowed the photo's location to be kept
    sha256 = Varchar(length=64, null=True, default=None, index=True)
    # Capture facts read from EXIF, kept apart from the served copies, which carry no EXIF.
    taken_at = Timestamptz(null=True, default=None)
    latitude = Real(null=True, default=None)
    longitude = Real(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    completed_at = Timestamptz(null=True, default=None)


class PhotoBlob(Table, tablename="photo_blob"):
    """A verified photo, stored once per content (sha256), with its served variants."""

    sha256 = Varchar(length=64, unique=True)
    format = Varchar(length=8)  # JPEG / PNG / WEBP / HEIF
    width = Integer()
    height = Integer()
    size = BigInt()
    variants = JSON(default="{}")  # variant name → storage key
    created_at = Timestamptz(default=TimestamptzNow())


class OrderPhoto(Table, tablename="order_photo"):
    """A photo attached to an order, by upload id: pending until the upload arrives."""

    work_order = ForeignKey(
        references=WorkOrder, null=False, on_delete=OnDelete.restrict, index=True
    )
    upload_id = Varchar(length=36)
    kind = Varchar(length=24)
    caption = Varchar(length=200, default="")
    attached_by = ForeignKey(references=StaffUser, null=False, on_delete=OnDelete.restrict)
    attached_at = Timestamptz(default=TimestamptzNow())
    device_time = Timestamptz(null=True, default=None)
