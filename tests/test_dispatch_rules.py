"""Whereabouts and assignment suggestions (domain/dispatch.py): pure rules, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.dispatch import HeldOrder, OrderToPlace, Person, Status, suggest, whereabouts

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
AREA, OTHER = 1, 2


def held(id_: int, state: str, minutes: int = 0, area: int = AREA) -> HeldOrder:
    return HeldOrder(
        id=id_,
        code=f"GD{id_:03d}",
        state=state,
        area_id=area,
        changed_at=T0 + timedelta(minutes=minutes),
    )


def person(
    id_: int,
    name: str,
    *orders: HeldOrder,
    function: str = "repair",
    network: str = "two_way",
    areas: frozenset[int] = frozenset({AREA}),
) -> Person:
    return Person(
        id=id_,
        name=name,
        role="technician",
        team_name="维修队",
        team_function=function,
        team_network=network,
        home_area_ids=areas,
        held=orders,
    )


REPAIR = OrderToPlace(
    id=99, kind="repair", customer_network="two_way", area_id=AREA, assignee_id=None
)


def test_nobody_travelling_or_on_site_is_idle_even_holding_orders():
    assert whereabouts([]).status == Status.idle
    assert whereabouts([held(1, "accepted"), held(2, "dispatched")]).status == Status.idle


def test_on_site_wins_over_a_later_departure_and_names_the_order():
    w = whereabouts([held(1, "en_route", minutes=30), held(2, "on_site", minutes=10)])
    assert (w.status, w.order_code, w.since) == (
        Status.on_site,
        "GD002",
        T0 + timedelta(minutes=10),
    )


def test_among_two_trips_the_latest_step_counts():
    w = whereabouts([held(1, "en_route", minutes=5), held(2, "en_route", minutes=20)])
    assert (w.status, w.order_id) == (Status.en_route, 2)


def test_teams_the_routing_matrix_refuses_are_never_suggested():
    people = [
        person(1, "安装", function="install"),
        person(2, "单向维修", network="one_way"),
        person(3, "双向维修"),
    ]
    assert [s.person.id for s in suggest(REPAIR, people)] == [3]


def test_people_in_the_area_come_first_then_the_lightest_load_then_idle_before_busy():
    people = [
        person(1, "外区空闲", areas=frozenset({OTHER})),
        person(2, "两单在途", held(10, "en_route"), held(11, "accepted")),
        person(3, "一单到场", held(12, "on_site")),
        person(4, "一单已接", held(13, "accepted")),
        person(5, "零单"),
    ]
    assert [s.person.id for s in suggest(REPAIR, people)] == [5, 4, 3, 2, 1]


def test_holding_an_order_in_the_area_counts_as_working_there():
    visitor = person(1, "借调", held(10, "on_site", area=AREA), areas=frozenset({OTHER}))
    stranger = person(2, "外区", areas=frozenset({OTHER}))
    ranked = suggest(REPAIR, [stranger, visitor])
    assert [(s.person.id, s.in_area) for s in ranked] == [(1, True), (2, False)]


def test_the_current_holder_is_marked_and_the_list_is_cut_at_the_limit():
    order = OrderToPlace(
        id=99, kind="repair", customer_network="two_way", area_id=AREA, assignee_id=3
    )
    ranked = suggest(order, [person(i, f"人{i}") for i in range(1, 6)], limit=3)
    assert len(ranked) == 3
    assert [s.current for s in ranked] == [False, False, True]
