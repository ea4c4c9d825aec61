"""Rules of job evidence: which files count as photos, what a photo is of, what a signature is.

Plain functions over bytes and numbers; reading pixels is services/evidence/imaging.py's job.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from enum import StrEnum
from itertools import pairwise

from domain.errors import DomainError, Issue

# ---- errors the upload protocol needs beyond domain.errors ----------------------------------


class Gone(DomainError):
    status = 410  # an upload that expired before it finished


class PreconditionFailed(DomainError):
    status = 412  # a tus version we do not speak


class TooLarge(DomainError):
    status = 413


class UnsupportedMedia(DomainError):
    status = 415


class ChecksumMismatch(DomainError):
    status = 460  # tus checksum extension: the chunk is discarded


# ---- photos ----------------------------------------------------------------------------------


class PhotoKind(StrEnum):
    before = "before"  # 施工前
    after = "after"  # 施工后
    signal_meter = "signal_meter"  # 信号测试仪读数
    device_label = "device_label"  # 设备标签 / 序列号
    wiring = "wiring"  # 布线
    site = "site"  # 现场环境
    other = "other"


class PhotoStatus(StrEnum):
    pending = "pending"  # attached; the upload has not arrived (or not finished)
    ready = "ready"
    rejected = "rejected"  # the upload arrived but is not an acceptable photo


HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
SNIFF_BYTES = 16
# No side of a phone photo is this long; a 1×60000 strip is an attack on the thumbnailer.
MAX_SIDE = 20_000


def sniff_format(head: bytes) -> str | None:
    """The format the first bytes announce, or None when they announce no accepted one."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        return "HEIF"
    return None


def trailing_bytes(fmt: str, data: bytes) -> int:
    """How many bytes follow the end of the image itself.

    A photo followed by something else (an archive, a script, an HTML page) is a polyglot: one
    file that other programs read as another type. Phones write none, so any is refused.
    """
    end = {"JPEG": _jpeg_end, "PNG": _png_end, "WEBP": _webp_end, "HEIF": _bmff_end}[fmt](data)
    return len(data) - end


def _jpeg_end(data: bytes) -> int:
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            return len(data)  # not a marker where one must be: let the decoder judge it
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == 0xD9:
            return position + 2
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            position += 2
            continue
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        position += 2 + length
        if marker == 0xDA:  # start of scan: entropy-coded data runs to the next real marker
            position = _next_marker(data, position)
    return len(data)


def _next_marker(data: bytes, position: int) -> int:
    """Inside entropy-coded data 0xFF is followed by 0x00 (stuffing), a restart marker or more
    0xFF fill; anything else starts the next segment. (find() keeps this fast on megabytes.)"""
    while (position := data.find(b"\xff", position)) != -1 and position + 1 < len(data):
        following = data[position + 1]
        if following != 0x00 and following != 0xFF and not 0xD0 <= following <= 0xD7:
            return position
        position += 1
    return len(data)


def _png_end(data: bytes) -> int:
    position = 8
    while position + 8 <= len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        position += 12 + length
        if kind == b"IEND":
            return min(position, len(data))
    return len(data)


def _webp_end(data: bytes) -> int:
    (size,) = struct.unpack("<I", data[4:8])
    return min(8 + size + (size & 1), len(data))


def _bmff_end(data: bytes) -> int:
    position = 0
    while position + 8 <= len(data):
        (size,) = struct.unpack(">I", data[position : position + 4])
        if size == 1 and position + 16 <= len(data):
            (size,) = struct.unpack(">Q", data[position + 8 : position + 16])
        elif size == 0:  # the last box runs to the end of the file
            return len(data)
        kind = data[position + 4 : position + 8]
        if size < 8 or position + size > len(data) or not kind.isascii() or not kind.isalnum():
            return position  # not a whole box: what follows is not part of the image
        position += size
    return min(position, len(data))


def image_problem(
    sniffed: str, decoded: str, width: int, height: int, max_pixels: int
) -> str | None:
    """Why decoded image facts make a file unacceptable (a message key), or None."""
    if decoded != sniffed:
        return "photo.type_mismatch"
    if width < 1 or height < 1 or width > MAX_SIDE or height > MAX_SIDE:
        return "photo.absurd_dimensions"
    if width * height > max_pixels:
        return "photo.too_many_pixels"
    return None


# ---- signatures ------------------------------------------------------------------------------

MAX_POINTS = 20_000
# A signature covers at least this much of the pad in one direction: a tap is not a signature.
MIN_EXTENT = 20.0


def stroke_issues(strokes: Sequence[Sequence[tuple[float, float, int]]]) -> list[Issue]:
    """What is wrong with stroke data ([x, y, t] points per stroke), beyond each value's range."""
    issues: list[Issue] = []
    total = sum(len(stroke) for stroke in strokes)
    if total > MAX_POINTS:
        issues.append(Issue("signature.too_many_points", {"max": MAX_POINTS}, "strokes"))
    for index, stroke in enumerate(strokes):
        times = [t for _, _, t in stroke]
        if any(later < earlier for earlier, later in pairwise(times)):
            issues.append(
                Issue("signature.time_goes_back", {"stroke": index + 1}, f"strokes[{index}]")
            )
    xs = [x for stroke in strokes for x, _, _ in stroke]
    ys = [y for stroke in strokes for _, y, _ in stroke]
    if xs and max(max(xs) - min(xs), max(ys) - min(ys)) < MIN_EXTENT:
        issues.append(Issue("signature.too_small", {"min": int(MIN_EXTENT)}, "strokes"))
    return issues
