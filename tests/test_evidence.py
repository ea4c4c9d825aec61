"""Job evidence through the API: tus uploads (with the independent tuspy client against a real
server), photos on orders, pending photos, access, signatures bound to the service record,
the printable record, S3 storage against moto's server, and bad files (SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import socket
import time
import uuid
import xml.etree.ElementTree as ET

import pytest
import requests
from PIL import Image
from tusclient.client import TusClient

import settings as config
from db.engine import write_transaction
from db.evidence_tables import EvidenceUpload, PhotoBlob
from tests.app_server import free_port
from tests.conftest import run
from tests.evidence_fixtures import evidence_dir, live, s3, stored_files  # noqa: F401 (fixtures)
from tests.photos import photo
from tests.test_work_orders import FIELD_CLOSE, sign

TUS = {"Tus-Resumable": "1.0.0"}
STROKES = [[[10 + i * 4, 20 + (i % 3) * 5, i * 16] for i in range(12)], [[40, 30, 0], [60, 45, 30]]]


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def on_site(api, tech: str = "tech2") -> int:
    order = api.create()
    api.step("dispatcher", order["id"], "dispatch", assignee_id=api.world.uid(tech))
    api.step(tech, order["id"], "accept")
    api.step(tech, order["id"], "arrive")
    return order["id"]


def create_upload(api, user: str, length: int, **meta: str):
    headers = {**api.headers(user), **TUS, "Upload-Length": str(length)}
    if meta:
        headers["Upload-Metadata"] = ",".join(f"{k} {b64(v)}" for k, v in meta.items())
    return api.client.post("/api/uploads/", headers=headers)


def patch(api, user: str, location: str, data: bytes, offset: int = 0, **extra: str):
    headers = {
        **api.headers(user),
        **TUS,
        "Upload-Offset": str(offset),
        "Content-Type": "application/offset+octet-stream",
        **extra,
    }
    return api.client.patch(location, content=data, headers=headers)


def upload(api, user: str, data: bytes, **meta: str) -> str:
    """The whole file in one PATCH; returns the upload id."""
    upload_id = meta.pop("id", None) or str(uuid.uuid4())
    created = create_upload(api, user, len(data), id=upload_id, **meta)
    assert created.status_code == 201, created.text
    response = patch(api, user, created.headers["location"], data)
    assert response.status_code == 204, response.text
    assert response.headers["upload-offset"] == str(len(data))
    return upload_id


def attach(
    api,
    user: str,
    order_id: int,
    upload_id: str,
    kind: str = "after",
    caption: str = "",
    expect: int = 201,
):
    response = api.post(
        user,
        f"/api/work-orders/{order_id}/photos",
        {"upload_id": upload_id, "kind": kind, "caption": caption},
    )
    assert response.status_code == expect, response.text
    return response.json()


def jpeg_exif(data: bytes) -> dict:
    return dict(Image.open(io.BytesIO(data)).getexif())


# ---- the tus protocol with an independent client --------------------------------------------


def test_tuspy_upload_in_checksummed_chunks_gives_an_oriented_photo_without_exif(api, live):
    order_id = on_site(api)
    original = photo("JPEG", (64, 48), orientation=6, gps=True, taken="2026:11:23 10:15:00")
    upload_id = str(uuid.uuid4())
    client = TusClient(
        f"{live.url}/api/uploads/", headers={"Authorization": f"Bearer {api.token('tech2')}"}
    )
    uploader = client.uploader(
        file_stream=io.BytesIO(original),
        chunk_size=300,
        upload_checksum=True,
        metadata={"filename": "meter.jpg", "location": "allow", "id": upload_id},
    )
    uploader.upload()
    assert uploader.url.endswith(f"/api/uploads/{upload_id}")

    mine = attach(api, "tech2", order_id, upload_id, kind="signal_meter", caption="光功率 -18dBm")
    assert mine["status"] == "ready" and mine["kind"] == "signal_meter"
    assert mine["taken_at"].startswith("2026-11-23T02:15:00")  # 10:15 in Chengdu
    assert mine["latitude"] is None  # the technician's view carries no location
    office = api.get("dispatcher", f"/api/work-orders/{order_id}/photos").json()[0]
    assert office["latitude"] == pytest.approx(30.655) and office["longitude"] == pytest.approx(
        104.08
    )
    assert (office["width"], office["height"]) == (48, 64)  # EXIF orientation 6: portrait

    base = f"/api/work-orders/{order_id}/photos/{mine['id']}"
    for variant in ("thumb", "display"):
        served = api.get("tech2", f"{base}/{variant}")
        assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
        image = Image.open(io.BytesIO(served.content))
        assert image.size == (48, 64) and jpeg_exif(served.content) == {}
        red, _, blue = image.convert("RGB").getpixel((24, 5))  # the red half turned to the top
        assert red > 200 and blue < 60
    assert api.get("tech2", f"{base}/original").status_code == 403
    kept = api.get("dispatcher", f"{base}/original")
    assert kept.content == original and 0x8825 in jpeg_exif(kept.content)  # the office keeps GPS


def test_upload_cut_mid_way_resumes_from_the_servers_offset(api, live):
    data = photo("PNG", (300, 200), noise=True)
    token = api.token("tech2")
    created = requests.post(
        f"{live.url}/api/uploads/",
        headers={"Authorization": f"Bearer {token}", **TUS, "Upload-Length": str(len(data))},
    )
    location = created.headers["location"]
    half = len(data) // 2
    with socket.create_connection(("127.0.0.1", live.port)) as raw:  # the phone loses signal
        raw.sendall(
            f"PATCH {location} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            f"Tus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\n"
            f"Content-Length: {len(data)}\r\n\r\n".encode()
            + data[:half]
        )
        time.sleep(0.3)
    deadline = time.monotonic() + 60  # the server may be slow to take in what arrived
    while True:
        head = requests.head(
            f"{live.url}{location}", headers={"Authorization": f"Bearer {token}", **TUS}
        )
        offset = int(head.headers["upload-offset"])
        if offset == half or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert offset == half and head.headers["cache-control"] == "no-store"

    client = TusClient(f"{live.url}/api/uploads/", headers={"Authorization": f"Bearer {token}"})
    uploader = client.uploader(file_stream=io.BytesIO(data), url=f"{live.url}{location}")
    resumed_at = uploader.offset
    assert resumed_at == half
    uploader.upload()
    resent = half + (len(data) - resumed_at) - len(data)
    assert uploader.offset == len(data) and resent == 0
    assert run(EvidenceUpload.select(EvidenceUpload.status, EvidenceUpload.sha256).first()) == {
        "status": "complete",
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def test_tus_discovery_and_termination(api, evidence_dir):
    options = api.client.options("/api/uploads/")
    assert options.status_code == 204
    assert options.headers["tus-version"] == "1.0.0"
    assert set(options.headers["tus-extension"].split(",")) == {
        "creation",
        "termination",
        "checksum",
        "expiration",
    }
    assert "sha1" in options.headers["tus-checksum-algorithm"]
    data = photo("JPEG")
    created = create_upload(api, "tech2", len(data))
    assert "upload-expires" in created.headers
    location = created.headers["location"]
    assert patch(api, "tech2", location, data[:100]).status_code == 204
    assert (
        api.client.head(location, headers={**api.headers("tech2b"), **TUS}).status_code == 404
    )  # not theirs
    assert api.client.delete(location, headers={**api.headers("tech2"), **TUS}).status_code == 204
    assert api.client.head(location, headers={**api.headers("tech2"), **TUS}).status_code == 404
    assert stored_files(evidence_dir) == []


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "HEIF"])
def test_each_photo_format_is_accepted_and_served_as_jpeg(api, evidence_dir, fmt):
    order_id = on_site(api)
    upload_id = upload(api, "tech2", photo(fmt, (80, 60), orientation=6))
    shown = attach(api, "tech2", order_id, upload_id)
    assert shown["status"] == "ready" and (shown["width"], shown["height"]) == (60, 80)
    thumb = api.get("tech2", f"/api/work-orders/{order_id}/photos/{shown['id']}/thumb")
    assert Image.open(io.BytesIO(thumb.content)).format == "JPEG"
    assert run(PhotoBlob.select(PhotoBlob.format).first())["format"] == fmt


def test_a_duplicated_upload_is_stored_once(api, evidence_dir):
    data = photo("JPEG", seed=7)
    first, second = upload(api, "tech2", data), upload(api, "tech2", data)
    assert first != second
    assert len(stored_files(evidence_dir / "blobs")) == 3  # original, display, thumbnail
    assert stored_files(evidence_dir / "incoming") == []
    assert run(PhotoBlob.count()) == 1
    shas = {r["sha256"] for r in run(EvidenceUpload.select(EvidenceUpload.sha256))}
    assert shas == {hashlib.sha256(data).hexdigest()}


# ---- photos on orders ------------------------------------------------------------------------


def test_order_closes_with_photos_pending_and_completes_when_they_arrive(api, evidence_dir):
    order_id = on_site(api)
    upload_id = str(uuid.uuid4())  # named on the phone, offline; the file comes later
    pending = attach(api, "tech2", order_id, upload_id, kind="before", caption="入户前光猫")
    assert pending["status"] == "pending"
    assert (
        attach(api, "tech2", order_id, upload_id, kind="before")["id"] == pending["id"]
    )  # replay: one link
    sign(api, "tech2", order_id)
    closed = api.step("tech2", order_id, "close", **FIELD_CLOSE)
    assert closed["state"] == "closed"
    assert closed["evidence"] == {
        "photos": 1,
        "photos_pending": 1,
        "photos_rejected": 0,
        "signature": "valid",
        "complete": False,
    }
    page = api.get("tech2", f"/api/work-orders/{order_id}/service-record").text
    assert "已结单 — 1 张照片待上传" in page
    english = api.get("tech2", f"/api/work-orders/{order_id}/service-record?lang=en").text
    assert "closed - 1 photos pending" in english

    upload(api, "tech2", photo("JPEG"), id=upload_id)
    done = api.get("dispatcher", f"/api/work-orders/{order_id}").json()
    assert done["evidence"]["photos_pending"] == 0 and done["evidence"]["complete"] is True
    assert done["evidence"]["signature"] == "valid"  # the link was signed; the file only arrived
    page = api.get("dispatcher", f"/api/work-orders/{order_id}/service-record").text
    assert "data:image/jpeg;base64," in page and "待上传" not in page


def test_only_the_assigned_technician_and_the_office_see_and_add_photos(api, evidence_dir):
    order_id = on_site(api)
    theirs = upload(api, "tech2b", photo("JPEG", seed=3))
    attach(
        api, "tech2b", order_id, theirs, expect=404
    )  # another technician: the order is not theirs
    assert api.get("tech2b", f"/api/work-orders/{order_id}/photos").status_code == 404
    assert api.get("contractor1", f"/api/work-orders/{order_id}/photos").status_code == 404
    # The holder cannot adopt someone else's file by naming its upload id: it stays pending.
    assert attach(api, "tech2", order_id, theirs)["status"] == "pending"
    assert api.get("agent", f"/api/work-orders/{order_id}/photos").status_code == 200
    office = attach(
        api, "dispatcher", order_id, upload(api, "dispatcher", photo("PNG")), kind="site"
    )
    assert office["status"] == "ready"
    bad = api.post(
        "tech2",
        f"/api/work-orders/{order_id}/photos",
        {"upload_id": str(uuid.uuid4()), "kind": "selfie"},
    )
    assert bad.status_code == 400


def test_attach_photo_runs_inside_the_callers_write_transaction(api, evidence_dir):
    """The sync protocol replays "attach photo" inside its own batch transaction."""
    from services.evidence.service import attach_photo

    order_id = on_site(api)
    upload_id = str(uuid.uuid4())

    async def replay():
        async with write_transaction():
            first = await attach_photo(
                api.world.users["tech2"], order_id, upload_id, "机顶盒标签", "device_label", None
            )
            again = await attach_photo(
                api.world.users["tech2"], order_id, upload_id, "机顶盒标签", "device_label", None
            )
        return first, again

    first, again = run(replay())
    assert first.id == again.id and first.status == "pending"
    with pytest.raises(Exception) as refused:
        run(attach_photo(api.world.users["tech2b"], order_id, upload_id, "", "after", None))
    assert type(refused.value).__name__ == "NotFound"


# ---- signatures ------------------------------------------------------------------------------


def test_signature_binds_the_record_and_a_change_after_signing_needs_a_new_one(api, evidence_dir):
    order_id = on_site(api)
    attach(api, "tech2", order_id, upload(api, "tech2", photo("JPEG")), kind="before")
    signed = sign(api, "tech2", order_id)
    record_hash = signed["history"][-1]["payload"]["record_sha256"]
    check = api.get("dispatcher", f"/api/work-orders/{order_id}/signature/verify").json()
    assert check["valid"] and check["signed_sha256"] == check["current_sha256"] == record_hash
    assert check["record"]["photos"][0]["kind"] == "before" and check["signer_name"] == "客户本人"

    attach(
        api, "tech2", order_id, upload(api, "tech2", photo("PNG")), kind="after"
    )  # after signing
    check = api.get("dispatcher", f"/api/work-orders/{order_id}/signature/verify").json()
    assert check["changed_after_signing"] and not check["valid"]
    refused = api.post("tech2", f"/api/work-orders/{order_id}/close", FIELD_CLOSE)
    assert refused.status_code == 422
    assert [e["code"] for e in refused.json()["errors"]] == ["closure.changed_after_signing"]

    sign(api, "tech2", order_id)  # the customer signs the record with both photos
    assert (
        api.get("tech2", f"/api/work-orders/{order_id}").json()["evidence"]["signature"] == "valid"
    )
    api.step(
        "tech2",
        order_id,
        "record-work",
        work_done="加装皮线",
        materials=[{"code": "FIBER", "quantity": 5}],
    )
    refused = api.post("tech2", f"/api/work-orders/{order_id}/close", FIELD_CLOSE)
    assert [e["code"] for e in refused.json()["errors"]] == ["closure.changed_after_signing"]
    signed = sign(api, "tech2", order_id)  # and again, with the materials recorded
    check = api.get("dispatcher", f"/api/work-orders/{order_id}/signature/verify").json()
    assert check["valid"] and check["record"]["work"][0]["materials"] == [
        {"code": "FIBER", "quantity": "5"}
    ]
    closed = api.step("tech2", order_id, "close", **FIELD_CLOSE)
    assert closed["evidence"]["signature"] == "valid"
    api.step("tech2", order_id, "append", text="次日回访:网络稳定")
    after = api.get("dispatcher", f"/api/work-orders/{order_id}").json()
    assert after["evidence"]["signature"] == "changed_after_signing"
    page = api.get("dispatcher", f"/api/work-orders/{order_id}/service-record").text
    assert "签名后记录已变更" in page and signed["history"][-1]["payload"]["record_sha256"] in page
    assert record_hash not in page  # the first signature was replaced by the last


def test_signature_renders_as_png_and_svg(api, evidence_dir):
    order_id = on_site(api)
    assert api.get("tech2", f"/api/work-orders/{order_id}/signature.png").status_code == 404
    sign(api, "tech2", order_id)
    png = api.get("tech2", f"/api/work-orders/{order_id}/signature.png")
    image = Image.open(io.BytesIO(png.content))
    assert png.headers["content-type"] == "image/png" and image.format == "PNG"
    assert image.convert("L").getextrema()[0] < 50  # there is ink
    svg = api.get("tech2", f"/api/work-orders/{order_id}/signature.svg")
    paths = ET.fromstring(svg.content).findall(".//{http://www.w3.org/2000/svg}path")
    assert len(paths) == 2 and paths[0].get("d").count("L") == 11


@pytest.mark.parametrize(
    "strokes, code",
    [
        ([[[10, 10, 100], [80, 40, 50]]], "signature.time_goes_back"),
        ([[[10, 10, 0], [12, 11, 10], [13, 12, 20]]], "signature.too_small"),
    ],
)
def test_invalid_stroke_data_is_refused_and_nothing_recorded(api, evidence_dir, strokes, code):
    order_id = on_site(api)
    response = api.post(
        "tech2",
        f"/api/work-orders/{order_id}/sign",
        {
            "signer_name": "客户本人",
            "relation": "account_holder",
            "strokes": strokes,
            "satisfaction": 5,
        },
    )
    assert response.status_code == 422 and [e["code"] for e in response.json()["errors"]] == [code]
    history = api.get("tech2", f"/api/work-orders/{order_id}").json()["history"]
    assert history[-1]["action"] == "arrive"


# ---- S3-compatible storage -------------------------------------------------------------------


def test_photos_go_to_s3_compatible_storage(api, s3):
    order_id = on_site(api)
    data = photo("JPEG", seed=11)
    first = upload(api, "tech2", data)
    upload(api, "tech2", data)
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="evidence")["Contents"])
    sha = hashlib.sha256(data).hexdigest()
    assert keys == [sha, f"{sha}.display.jpg", f"{sha}.thumb.jpg"]  # stored once
    shown = attach(api, "tech2", order_id, first)
    thumb = api.get("tech2", f"/api/work-orders/{order_id}/photos/{shown['id']}/thumb")
    assert Image.open(io.BytesIO(thumb.content)).format == "JPEG"
    assert (
        api.get("dispatcher", f"/api/work-orders/{order_id}/photos/{shown['id']}/original").content
        == data
    )
    assert stored_files(config.settings.evidence_dir) == []  # nothing on local disk


def test_an_upload_whose_last_part_meets_the_photo_store_down_finishes_when_sent_again(
    api, s3, monkeypatch
):
    order_id = on_site(api)
    data = photo("JPEG", seed=12)
    half = len(data) // 2
    location = create_upload(api, "tech2", len(data)).headers["location"]
    assert patch(api, "tech2", location, data[:half]).status_code == 204
    working = config.settings
    monkeypatch.setattr(
        config,
        "settings",
        dataclasses.replace(working, s3_endpoint=f"http://127.0.0.1:{free_port()}"),
    )
    refused = patch(api, "tech2", location, data[half:], offset=half)
    assert refused.status_code == 503 and refused.headers["retry-after"] == "5", refused.text
    assert refused.json()["code"] == "upload.store_unavailable"
    # The last part does not count yet: the phone's client, asking where to go on, sends it again.
    head = api.client.head(location, headers={**api.headers("tech2"), **TUS})
    assert head.headers["upload-offset"] == str(half)
    monkeypatch.setattr(config, "settings", working)
    done = patch(api, "tech2", location, data[half:], offset=half)
    assert done.status_code == 204 and done.headers["upload-offset"] == str(len(data)), done.text
    sha = hashlib.sha256(data).hexdigest()
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="evidence", Prefix=sha)["Contents"])
    assert keys == [sha, f"{sha}.display.jpg", f"{sha}.thumb.jpg"]
    assert attach(api, "tech2", order_id, location.rsplit("/", 1)[-1])["status"] == "ready"


# ---- bad input -------------------------------------------------------------------------------


def _polyglot_jpeg() -> bytes:
    archive = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("payload.html", "<script>alert(1)</script>")
    return photo("JPEG") + archive.getvalue()


def _bilevel_png(size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("1", size).save(out, format="PNG")
    return out.getvalue()


BAD_FILES = {
    "truncated": (lambda: photo("JPEG", (200, 150), noise=True)[:-2000], 422, "photo.truncated"),
    "gif": (lambda: photo("GIF"), 415, "photo.unsupported_type"),
    "text": (lambda: "这不是照片,只是一段文字。".encode() * 20, 415, "photo.unsupported_type"),
    "jpeg_zip_polyglot": (_polyglot_jpeg, 422, "photo.polyglot"),
    "png_html_polyglot": (
        lambda: photo("PNG") + b"<html><script>alert(1)</script></html>",
        422,
        "photo.polyglot",
    ),
    "absurd_dimensions": (lambda: _bilevel_png((1, 25_000)), 422, "photo.absurd_dimensions"),
    "decompression_bomb": (lambda: _bilevel_png((8_000, 8_000)), 422, "photo.too_many_pixels"),
    "header_only": (lambda: photo("JPEG")[:400], 422, "photo.corrupt"),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_bad_files_are_refused_and_leave_nothing_behind(api, evidence_dir, name):
    make, status, code = BAD_FILES[name]
    data = make()
    upload_id = str(uuid.uuid4())
    created = create_upload(api, "tech2", len(data), id=upload_id)
    response = patch(api, "tech2", created.headers["location"], data, **{"Accept-Language": "en"})
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code
    assert stored_files(evidence_dir) == []
    assert run(PhotoBlob.count()) == 0
    row = run(EvidenceUpload.select(EvidenceUpload.status, EvidenceUpload.reason).first())
    assert row == {"status": "rejected", "reason": code}
    order_id = on_site(api)
    assert attach(api, "tech2", order_id, upload_id)["status"] == "rejected"


def test_protocol_errors_are_4xx_and_keep_the_upload_as_it_was(api, evidence_dir):
    data = photo("JPEG", (120, 90), noise=True)
    too_big = create_upload(api, "tech2", config.settings.photo_max_bytes + 1)
    assert too_big.status_code == 413 and run(EvidenceUpload.count()) == 0
    no_version = api.client.post(
        "/api/uploads/", headers={**api.headers("tech2"), "Upload-Length": "10"}
    )
    assert no_version.status_code == 412
    assert (
        api.client.post("/api/uploads/", headers={**api.headers("tech2"), **TUS}).status_code == 400
    )
    location = create_upload(api, "tech2", len(data)).headers["location"]
    assert patch(api, "tech2", location, data[:1000]).status_code == 204
    incoming = evidence_dir / "incoming" / location.rsplit("/", 1)[1]

    def unchanged():
        head = api.client.head(location, headers={**api.headers("tech2"), **TUS})
        assert head.headers["upload-offset"] == "1000" and incoming.stat().st_size == 1000
        assert stored_files(evidence_dir) == [f"incoming/{incoming.name}"]

    wrong_offset = patch(api, "tech2", location, data[500:], offset=500)
    assert (
        wrong_offset.status_code == 409 and wrong_offset.json()["code"] == "upload.offset_mismatch"
    )
    unchanged()
    digest = base64.b64encode(hashlib.sha1(b"something else").digest()).decode()
    mismatch = patch(
        api, "tech2", location, data[1000:], offset=1000, **{"Upload-Checksum": f"sha1 {digest}"}
    )
    assert mismatch.status_code == 460
    unchanged()
    unknown = patch(
        api, "tech2", location, data[1000:], offset=1000, **{"Upload-Checksum": "crc32 AAAA"}
    )
    assert unknown.status_code == 400
    form = api.client.patch(
        location,
        content=data[1000:],
        headers={
            **api.headers("tech2"),
            **TUS,
            "Upload-Offset": "1000",
            "Content-Type": "multipart/form-data",
        },
    )
    assert form.status_code == 415
    past_end = patch(api, "tech2", location, data[1000:] + b"\xff" * 10, offset=1000)
    assert past_end.status_code == 413
    unchanged()
    good = base64.b64encode(hashlib.sha256(data[1000:]).digest()).decode()
    done = patch(
        api, "tech2", location, data[1000:], offset=1000, **{"Upload-Checksum": f"sha256 {good}"}
    )
    assert done.status_code == 204 and done.headers["upload-offset"] == str(len(data))
    assert stored_files(evidence_dir / "incoming") == []
    again = patch(api, "tech2", location, b"x", offset=len(data))
    assert again.status_code == 409
