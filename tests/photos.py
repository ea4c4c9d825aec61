"""Photos made on the spot for the evidence tests and the benchmark: real encoders, known EXIF."""

from __future__ import annotations

import io
import random

import pillow_heif
from PIL import Image

pillow_heif.register_heif_opener()

# Chengdu, Chunxi Road: 30°39'18"N 104°04'48"E
GPS = {1: "N", 2: (30.0, 39.0, 18.0), 3: "E", 4: (104.0, 4.0, 48.0)}


def photo(
    fmt: str = "JPEG",
    size: tuple[int, int] = (64, 48),
    orientation: int | None = None,
    gps: bool = False,
    taken: str | None = None,
    seed: int = 1,
    noise: bool = False,
) -> bytes:
    """An image in `fmt`; a left half red and right half blue, so orientation can be checked."""
    width, height = size
    if noise:
        image = Image.frombytes("RGB", size, random.Random(seed).randbytes(width * height * 3))
    else:
        image = Image.new("RGB", size, (255 - seed % 64, 0, 0))
        image.paste((0, 0, 255), (width // 2, 0, width, height))
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    if taken:
        exif.get_ifd(0x8769)[0x9003] = taken
        exif.get_ifd(0x8769)[0x9011] = "+08:00"
    if gps:
        exif.get_ifd(0x8825).update(GPS)
    out = io.BytesIO()
    options = {"quality": 95} if fmt in ("JPEG", "WEBP", "HEIF") else {}
    image.save(out, format=fmt, exif=exif.tobytes(), **options)
    return out.getvalue()


def big_jpeg(megabytes: float, seed: int = 1) -> bytes:
    """A noisy JPEG of about this size: noise does not compress, like a real high-detail photo."""
    side = int((megabytes * 1024 * 1024 / 1.2) ** 0.5)
    return photo("JPEG", (side * 4 // 3, side * 3 // 4), noise=True, seed=seed)
