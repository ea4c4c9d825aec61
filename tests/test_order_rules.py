"""Rules the server decides once and every screen reads: a key customer (VIP or dedicated line)
and a dedicated line, sent with each order; who may read an order (detail, list and photos)."""

from __future__ import annotations

import uuid

import pytest

from domain.lifecycle import read_scope
from domain.priority import dedicated_line, key_customer
from domain.vocabulary import Kind, Role, Tier


@pytest.mark.parametrize(
    ("tier", "kind", "key", "dl"),
    [
        (Tier.ordinary, Kind.repair, False, False),
        (Tier.vip, Kind.repair, True, False),
        (Tier.dedicated_line, Kind.repair, True, True),
        (Tier.ordinary, Kind.dedicated_line, True, True),
    ],
)
def test_key_customer_is_vip_or_dedicated_line(tier, kind, key, dl):
    assert key_customer(tier, kind) is key and dedicated_line(tier, kind) is dl


def test_orders_carry_the_servers_flags(api):
    """The list, the detail and the phone's documents say whether the order is a key customer's."""
    ordinary = api.create()
    vip = api.create(customer_id=api.world.customers["vip"])
    line = api.create(customer_id=api.world.customers["company"])
    assert (ordinary["key_customer"], vip["key_customer"], line["key_customer"]) == (
        False,
        True,
        True,
    )
    assert (ordinary["dedicated_line"], vip["dedicated_line"], line["dedicated_line"]) == (
        False,
        False,
        True,
    )
    listed = {o["id"]: o for o in api.get("dispatcher", "/api/work-orders").json()["items"]}
    assert listed[vip["id"]]["key_customer"] and not listed[ordinary["id"]]["key_customer"]
    api.step("dispatcher", vip["id"], "dispatch", assignee_id=api.world.uid("tech2"))
    pulled = api.client.get(
        "/api/sync/pull", params={"client_id": "flags-check"}, headers=api.headers("tech2")
    ).json()
    assert [o["key_customer"] for o in pulled["orders"]] == [True]


def test_one_visibility_rule_for_detail_list_and_photos(api):
    """A technician who does not hold an order finds it in no list, cannot read it and cannot add a
    photo to it; back office reads what its team holds."""
    order = api.create()
    api.step("dispatcher", order["id"], "dispatch", assignee_id=api.world.uid("tech2"))
    for reader, sees in [
        ("tech2", True),
        ("tech2b", False),
        ("dispatcher", True),
        ("backoffice", False),
    ]:
        listed = {o["id"] for o in api.get(reader, "/api/work-orders").json()["items"]}
        assert (order["id"] in listed) is sees, reader
        assert api.get(reader, f"/api/work-orders/{order['id']}").status_code == (
            200 if sees else 404
        ), reader
        if reader.startswith("tech"):
            photo = api.post(
                reader,
                f"/api/work-orders/{order['id']}/photos",
                {"upload_id": str(uuid.uuid4()), "kind": "before"},
            )
            assert (photo.status_code == 404) is not sees, (reader, photo.text)
    scope = read_scope(Role.backoffice, 7, 3)
    assert scope.covers(7, None) and scope.covers(None, 3) and not scope.covers(8, 4)
    assert read_scope(Role.dispatcher, 1, None).covers(None, None)
