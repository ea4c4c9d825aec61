"""The pure rules of job evidence: which bytes are a photo, polyglots, stroke data, and the
canonical service record and its hash."""

from __future__ import annotations

import io
import zipfile

import pytest

from domain.evidence import image_problem, sniff_format, stroke_issues, trailing_bytes
from domain.service_record import canonical, record_hash, service_record
from tests.photos import photo

ORDER = {
    "code": "GD20261123000001",
    "kind": "repair",
    "customer_name": "客户ordinary",
    "address": "锦江区春熙路1号",
    "description": "宽带断网",
}


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "HEIF"])
def test_a_photo_is_known_by_its_first_bytes_and_ends_where_its_format_says(fmt):
    data = photo(fmt, (40, 30), orientation=6, gps=True)  # EXIF carries an embedded structure too
    assert sniff_format(data[:16]) == fmt
    assert trailing_bytes(fmt, data) == 0
    assert trailing_bytes(fmt, data + b"<script>alert(1)</script>") == 25


def test_a_jpeg_with_an_archive_after_it_is_seen_as_a_polyglot():
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("x.txt", "hidden")
    noisy = photo("JPEG", (120, 90), noise=True)  # entropy data full of 0xFF bytes
    assert trailing_bytes("JPEG", noisy) == 0
    assert trailing_bytes("JPEG", noisy + archive.getvalue()) == len(archive.getvalue())


@pytest.mark.parametrize(
    "head", [b"GIF89a\x01\x00", b"<svg xmlns=", b"%PDF-1.7", b"PK\x03\x04", b""]
)
def test_other_files_are_not_photos(head):
    assert sniff_format(head) is None


@pytest.mark.parametrize(
    "facts, problem",
    [
        (("JPEG", "JPEG", 4032, 3024), None),
        (("JPEG", "PNG", 40, 30), "photo.type_mismatch"),
        (("PNG", "PNG", 1, 25_000), "photo.absurd_dimensions"),
        (("PNG", "PNG", 8_000, 8_000), "photo.too_many_pixels"),
    ],
)
def test_image_policy(facts, problem):
    assert image_problem(*facts, max_pixels=50_000_000) == problem


def test_stroke_rules():
    good = [[(0, 0, 0), (60, 20, 40)], [(10, 30, 0)]]
    assert stroke_issues(good) == []
    back = stroke_issues([[(0, 0, 50), (60, 20, 10)]])
    assert [i.key for i in back] == ["signature.time_goes_back"]
    assert [i.key for i in stroke_issues([[(5, 5, 0), (6, 6, 5)]])] == ["signature.too_small"]
    crowded = [[(i % 100, i % 50, i) for i in range(2000)]] * 11
    assert "signature.too_many_points" in [i.key for i in stroke_issues(crowded)]


def test_canonical_record_is_stable_and_every_part_changes_its_hash():
    work = [
        {
            "work_done": "更换皮线",
            "labour_hours": 1.5,
            "materials": [{"code": "FIBER", "quantity": 20}],
        }
    ]
    photos = [
        {"upload_id": "b", "kind": "after", "caption": ""},
        {"upload_id": "a", "kind": "before", "caption": "前"},
    ]
    record = service_record(ORDER, work, [], photos)
    same = service_record(
        ORDER, [{**work[0], "materials": [{"code": "FIBER", "quantity": 20.0}]}], [], photos[::-1]
    )
    assert canonical(record) == canonical(same)  # 20 == 20.0, photo order does not matter
    assert "更换皮线".encode() in canonical(record)  # UTF-8, not \\u escapes
    base = record_hash(record)
    assert len(base) == 64
    changed = [
        service_record(
            ORDER, [{**work[0], "materials": [{"code": "FIBER", "quantity": 25}]}], [], photos
        ),
        service_record(ORDER, [*work, {"work_done": "加装分支器"}], [], photos),
        service_record(ORDER, work, [{"text": "次日回访正常", "final_outcome": None}], photos),
        service_record(ORDER, work, [], photos[:1]),
        service_record({**ORDER, "address": "锦江区春熙路2号"}, work, [], photos),
    ]
    assert len({base, *(record_hash(r) for r in changed)}) == 6
