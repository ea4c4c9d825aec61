"""/api/uploads (tus 1.0.0) and /api/work-orders/{id}/photos, /signature, /service-record."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Literal

from litestar import Controller, Request, Response, delete, get, head, patch, post, route
from litestar.enums import HttpMethod
from litestar.exceptions import InternalServerException
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

import settings as config
from api.auth.guards import ANY_ROLE, roles
from api.headers import content_security_policy
from domain.evidence import PreconditionFailed, UnsupportedMedia
from domain.messages import pick_language
from services.auth.schemas import Caller
from services.evidence import render, service, tus, uploads
from services.evidence.schemas import AttachPhoto, PhotoOut, SignatureCheck
from services.work_orders.service import retrying

OrderId = Annotated[int, PathParameter(ge=1, le=2_147_483_647, description="work-order id")]
PhotoId = Annotated[int, PathParameter(ge=1, le=2_147_483_647, description="photo id")]
Variant = Annotated[
    Literal["thumb", "display", "original"], PathParameter(description="which copy")
]
UploadPath = Annotated[str, PathParameter(max_length=36, description="upload id (a UUID)")]
# A PATCH body never exceeds the photo limit; Litestar's 10 MB default would cut larger photos.
PATCH_LIMIT = config.settings.photo_max_bytes + 1


def _tus_headers(upload: uploads.Upload | None = None) -> dict[str, str]:
    headers = {"Tus-Resumable": tus.VERSION, "Cache-Control": "no-store"}
    if upload is not None:
        headers["Upload-Offset"] = str(upload.offset)
        headers["Upload-Length"] = str(upload.length)
        if upload.status == uploads.RECEIVING:
            headers["Upload-Expires"] = tus.http_date(upload.expires_at)
    return headers


def _require_tus(request: Request) -> None:
    if request.headers.get("tus-resumable") != tus.VERSION:
        raise PreconditionFailed("upload.version")


async def _body(request: Request) -> AsyncIterator[bytes]:
    try:
        async for chunk in request.stream():
            yield chunk
    except InternalServerException as exc:
        # Litestar's word for "the client disconnected": the bytes so far are kept.
        raise ConnectionError from exc


class UploadController(Controller):
    """tus 1.0.0: core, creation, termination, checksum, expiration. Bearer token as elsewhere."""

    path = "/api/uploads"
    tags = ["evidence"]

    @route(
        "/",
        http_method=HttpMethod.OPTIONS,
        exclude_from_auth=True,
        security=[],
        status_code=HTTP_204_NO_CONTENT,
    )
    async def announce(self) -> Response[None]:
        """What this tus server supports (no token needed, as for a CORS preflight)."""
        # Named to sort before `create`: Litestar registers a controller's handlers by name, and
        # a path's first handler without OPTIONS gets Litestar's default OPTIONS in place of this.
        return Response(
            None,
            status_code=HTTP_204_NO_CONTENT,
            headers={
                **_tus_headers(),
                "Tus-Version": tus.VERSION,
                "Tus-Extension": tus.EXTENSIONS,
                "Tus-Max-Size": str(config.settings.photo_max_bytes),
                "Tus-Checksum-Algorithm": ",".join(tus.CHECKSUMS),
            },
        )

    @post("/", opt=roles(ANY_ROLE), status_code=HTTP_201_CREATED)
    async def create(self, request: Request[Caller, str, object]) -> Response[None]:
        """Create an upload (Upload-Length; Upload-Metadata: `id` a UUID chosen by the phone,
        `filename`, `location` = `allow` to keep where the photo was taken)."""
        _require_tus(request)
        length = tus.integer(request.headers.get("upload-length"), "Upload-Length")
        upload = await uploads.create(
            request.user, length, tus.metadata(request.headers.get("upload-metadata"))
        )
        return Response(
            None,
            status_code=HTTP_201_CREATED,
            headers={
                **_tus_headers(upload),
                "Location": f"/api/uploads/{upload.upload_id}",
            },
        )

    @head("/{upload_id:str}", opt=roles(ANY_ROLE))
    async def offset(
        self, upload_id: UploadPath, request: Request[Caller, str, object]
    ) -> Response[None]:
        """How many bytes the server has: resume from there."""
        _require_tus(request)
        upload = await uploads.status(request.user, upload_id)
        return Response(None, headers=_tus_headers(upload))

    @patch(
        "/{upload_id:str}",
        opt=roles(ANY_ROLE),
        status_code=HTTP_204_NO_CONTENT,
        request_max_body_size=PATCH_LIMIT,
    )
    async def append(
        self, upload_id: UploadPath, request: Request[Caller, str, object]
    ) -> Response[None]:
        """Append bytes at Upload-Offset (Upload-Checksum optional). The last byte completes
        the upload: it is verified as a photo there and then (422/415 if it is none)."""
        _require_tus(request)
        if request.headers.get("content-type", "").split(";")[0].strip() != tus.OFFSET_CONTENT_TYPE:
            raise UnsupportedMedia("upload.content_type")
        offset = tus.integer(request.headers.get("upload-offset"), "Upload-Offset")
        checksum = tus.checksum(request.headers.get("upload-checksum"))
        upload = await uploads.receive(request.user, upload_id, offset, _body(request), checksum)
        return Response(None, status_code=HTTP_204_NO_CONTENT, headers=_tus_headers(upload))

    @delete("/{upload_id:str}", opt=roles(ANY_ROLE), status_code=HTTP_204_NO_CONTENT)
    async def terminate(
        self, upload_id: UploadPath, request: Request[Caller, str, object]
    ) -> Response[None]:
        """Abandon an unfinished upload and free its space."""
        _require_tus(request)
        await uploads.terminate(request.user, upload_id)
        return Response(None, status_code=HTTP_204_NO_CONTENT, headers=_tus_headers())


RECORD_POLICY = content_security_policy(style_hashes=[render.STYLE_SHA256])


class EvidenceController(Controller):
    path = "/api/work-orders/{order_id:int}"
    tags = ["evidence"]

    @post("/photos", opt=roles(ANY_ROLE), status_code=HTTP_201_CREATED)
    async def attach(
        self, order_id: OrderId, data: JSONBody[AttachPhoto], request: Request[Caller, str, object]
    ) -> PhotoOut:
        """Attach a photo by upload id, before or after its upload finishes (pending until then)."""
        # Run again if a concurrent attach of the same upload took its key first (it then finds
        # that photo) or PostgreSQL broke a deadlock by aborting us.
        return await retrying(
            lambda: service.attach_photo(
                request.user,
                order_id,
                data.upload_id,
                data.caption,
                data.kind,
                data.device_time,
            )
        )

    @get("/photos", opt=roles(ANY_ROLE))
    async def photos(
        self, order_id: OrderId, request: Request[Caller, str, object]
    ) -> list[PhotoOut]:
        """The order's photos: pending, ready or refused. Location only for office staff."""
        return await service.list_photos(request.user, order_id)

    @get("/photos/{photo_id:int}/{variant:str}", opt=roles(ANY_ROLE), media_type="image/jpeg")
    async def photo(
        self,
        order_id: OrderId,
        photo_id: PhotoId,
        variant: Variant,
        request: Request[Caller, str, object],
    ) -> Response[bytes]:
        """thumb / display: re-encoded JPEG without EXIF. original: as uploaded, office only."""
        content, media_type = await service.photo_file(request.user, order_id, photo_id, variant)
        return Response(
            content, media_type=media_type, headers={"X-Content-Type-Options": "nosniff"}
        )

    @get("/signature/verify", opt=roles(ANY_ROLE))
    async def verify(
        self, order_id: OrderId, request: Request[Caller, str, object]
    ) -> SignatureCheck:
        """Recompute the service record's SHA-256 and compare it with what the customer signed."""
        return await service.verify_signature(request.user, order_id)

    @get("/signature.svg", opt=roles(ANY_ROLE), media_type="image/svg+xml")
    async def signature_svg(
        self, order_id: OrderId, request: Request[Caller, str, object]
    ) -> Response[bytes]:
        return Response(
            await service.signature_image(request.user, order_id, "svg"), media_type="image/svg+xml"
        )

    @get("/signature.png", opt=roles(ANY_ROLE), media_type="image/png")
    async def signature_png(
        self, order_id: OrderId, request: Request[Caller, str, object]
    ) -> Response[bytes]:
        return Response(
            await service.signature_image(request.user, order_id, "png"), media_type="image/png"
        )

    @get("/service-record", opt=roles(ANY_ROLE), media_type="text/html")
    async def service_record(
        self,
        order_id: OrderId,
        request: Request[Caller, str, object],
        lang: Annotated[Literal["zh-CN", "en"] | None, QueryParameter(required=False)] = None,
    ) -> Response[str]:
        """The printable service record (服务记录单): print it from the browser, or save as PDF."""
        language = lang or pick_language(request.headers.get("accept-language"))
        page = await service.service_record_page(request.user, order_id, language)
        return Response(
            page,
            media_type="text/html; charset=utf-8",
            headers={
                "Content-Language": language,
                "Content-Security-Policy": RECORD_POLICY,
            },
        )
