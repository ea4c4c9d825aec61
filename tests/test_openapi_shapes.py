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


def test_every_sync_mutation_is_documented_by_name_with_the_arguments_the_server_reads():
    """A client author (and schemathesis) sees each mutation's arguments; what the document
    describes is what the server applies, and what it forbids the server rejects."""
    from app import app
    from sync.mutations import MUTATIONS

    document = app.openapi_schema.to_schema()
    push = document["paths"]["/api/sync/push"]["post"]["requestBody"]["content"]["application/json"]
    body = document["components"]["schemas"][push["schema"]["$ref"].rsplit("/", 1)[1]]
    kinds = {
        alternative["properties"]["name"]["enum"][0]: alternative
        for alternative in body["properties"]["mutations"]["items"]["anyOf"]
    }
    assert kinds.keys() == MUTATIONS.keys()
    for name, mutation in MUTATIONS.items():
        args = kinds[name]["properties"]["args"]
        fields = {f.name for f in msgspec.structs.fields(mutation.body)} - {"device_time"}
        assert set(args["properties"]) == fields | {"order_id"}, name
        assert args["additionalProperties"] is False and "order_id" in args["required"], name
        required = {f.name for f in msgspec.structs.fields(mutation.body) if f.required}
        assert required <= set(args["required"]), name
    record_work = kinds["record_work"]["properties"]["args"]["properties"]
    assert record_work["materials"]["items"]["required"] == ["code", "quantity"]
    assert kinds["close"]["properties"]["args"]["properties"]["outcome"]["enum"] == [
        "appointment",
        "resolved",
        "unresolved",
    ]
