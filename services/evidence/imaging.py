"""Reading photos with Pillow: verify, orient, make the served copies, read capture facts.

CPU-bound; callers run it in a worker thread. Served copies are re-encoded JPEGs without EXIF:
GPS and device data never leave the office inside a file.
"""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pillow_heif
from PIL import Image, ImageOps, UnidentifiedImageError

from domain.errors import Invalid
from domain.evidence import (
    SNIFF_BYTES,
    UnsupportedMedia,
    image_problem,
    sniff_format,
    trailing_bytes,
)

pillow_heif.register_heif_opener()
# Pixel counts are checked against the policy before anything is decoded; this is a backstop.
Image.MAX_IMAGE_PIXELS = 200_000_000

DISPLAY_SIDE = 2560
THUMBNAIL_SIDE = 320
EXIF_IFD, GPS_IFD = 0x8769, 0x8825
DATETIME_ORIGINAL, OFFSET_TIME_ORIGINAL = 0x9003, 0x9011


@dataclass(frozen=True)
class Photo:
    format: str
    width: int  # as displayed, after EXIF orientation
    height: int
    display: bytes  # JPEG, at most DISPLAY_SIDE, no EXIF
    thumbnail: bytes  # JPEG, at most THUMBNAIL_SIDE, no EXIF


@dataclass(frozen=True)
class Capture:
    taken_at: datetime | None
    latitude: float | None
    longitude: float | None


def _open(data: bytes) -> tuple[Image.Image, str]:
    sniffed = sniff_format(data[:SNIFF_BYTES])
    if sniffed is None:
        raise UnsupportedMedia("photo.unsupported_type")
    if trailing_bytes(sniffed, data) > 0:
        raise Invalid("photo.polyglot")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[sniffed])
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, struct.error):
        raise Invalid("photo.corrupt") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Invalid("photo.too_many_pixels") from None
    return image, sniffed


def verify(data: bytes, max_pixels: int) -> Photo:
    """The photo's facts and served copies; Invalid / UnsupportedMedia when it is no photo."""
    image, sniffed = _open(data)
    width, height = image.size
    problem = image_problem(sniffed, image.format or "", width, height, max_pixels)
    if problem:
        limit = {"max": max_pixels} if problem == "photo.too_many_pixels" else {}
        raise Invalid(problem, width=width, height=height, **limit)
    if sniffed == "JPEG":
        # Decode at a reduced scale: the DCT does the first downscaling almost for free.
        image.draft("RGB", (DISPLAY_SIDE, DISPLAY_SIDE))
    try:
        image.load()
        oriented = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise Invalid("photo.truncated") from None
    rgb = _flatten(oriented)
    display = rgb.copy()
    display.thumbnail((DISPLAY_SIDE, DISPLAY_SIDE), Image.Resampling.LANCZOS)
    thumbnail = display.copy()
    thumbnail.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.BICUBIC)
    oriented_w, oriented_h = (height, width) if _swaps_sides(image) else (width, height)
    return Photo(sniffed, oriented_w, oriented_h, _jpeg(display, 85), _jpeg(thumbnail, 80))


def _swaps_sides(image: Image.Image) -> bool:
    return image.getexif().get(0x0112) in (5, 6, 7, 8)


def _flatten(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "P"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality, optimize=True)  # no exif= : none is written
    return out.getvalue()


def capture(data: bytes, tz: ZoneInfo) -> Capture:
    """When and where the photo was taken, from its EXIF (cheap: reads no pixels)."""
    image, _ = _open(data)
    exif = image.getexif()
    details = exif.get_ifd(EXIF_IFD)
    taken = _taken_at(
        details.get(DATETIME_ORIGINAL) or exif.get(0x0132), details.get(OFFSET_TIME_ORIGINAL), tz
    )
    gps = exif.get_ifd(GPS_IFD)
    latitude = _degrees(gps.get(2), gps.get(1), "S")
    longitude = _degrees(gps.get(4), gps.get(3), "W")
    if latitude is None or longitude is None:
        latitude = longitude = None
    return Capture(taken, latitude, longitude)


def _taken_at(text: object, offset: object, tz: ZoneInfo) -> datetime | None:
    """EXIF times are local and naive; the offset tag says which zone, else the branch's."""
    if not isinstance(text, str):
        return None
    try:
        naive = datetime.strptime(text.strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    zone: timezone | ZoneInfo = tz
    if isinstance(offset, str) and len(offset) >= 6 and offset[0] in "+-":
        try:
            sign = -1 if offset[0] == "-" else 1
            zone = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))
        except ValueError:
            pass
    return naive.replace(tzinfo=zone).astimezone(UTC)


def _degrees(dms: object, ref: object, negative: str) -> float | None:
    try:
        degrees, minutes, seconds = (float(part) for part in dms)  # type: ignore[union-attr]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    value = degrees + minutes / 60 + seconds / 3600
    if not -180 <= value <= 180:
        return None
    return -value if isinstance(ref, str) and ref.strip("\x00").upper() == negative else value
