"""The OpenAPI document describes bodies as the server decodes them."""

from __future__ import annotations

import msgspec
import pytest

from services.work_orders import schemas as s


def test_signature_strokes_are_documented_as_the_arrays_the_server_takes():
    from app import app

    strokes = app.openapi_schema.to_schema()["components"]["schemas"]["Sign"]["properties"][
        "strokes"
    ]
    point = strokes["items"]["items"]
    assert point["type"] == "array"
    assert [p["type"] for p in point["prefixItems"]] == ["number", "number", "integer"]
    body = {
        "signer_name": "客户本人",
        "relation": "account_holder",
        "satisfaction": 5,
        "strokes": [[[1, 2, 0]]],
    }
    assert msgspec.convert(body, s.Sign).strokes == [[(1.0, 2.0, 0)]]
    with pytest.raises(msgspec.ValidationError):  # the old document's {x, y, t} objects
        msgspec.convert({**body, "strokes": [[{"x": 1, "y": 2, "t": 0}]]}, s.Sign)
