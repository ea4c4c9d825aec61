"""GET /metrics: what an operator's Prometheus sees, and who may see it (SQLite and PostgreSQL).
Several processes summed into one scrape are checked through nginx in test_production_path."""

from __future__ import annotations

import dataclasses
import re

import pytest

import settings as config
from services.metrics.service import address_allowed
from tests.evidence_fixtures import evidence_dir  # noqa: F401 (fixture)
from tests.test_evidence import create_upload
from tests.test_push import at, dispatch, push, subscribe  # noqa: F401 (fixture)

TOKEN = "scrape-me-0123456789"


@pytest.fixture
def scrape(api, monkeypatch):
    monkeypatch.setattr(
        config, "settings", dataclasses.replace(config.settings, metrics_token=TOKEN)
    )

    def metrics() -> str:
        response = api.client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/plain")
        assert response.headers["cache-control"] == "no-store"  # answered to a token
        return response.text

    return metrics


def value(text: str, name: str, **labels: str) -> float:
    """The sample `name{labels…}` (labels in any order, others ignored); 0 when absent."""
    for line in text.splitlines():
        match = re.fullmatch(rf"{re.escape(name)}(?:\{{(.*)\}})? (\S+)", line)
        if match:
            have = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(1) or ""))
            if all(have.get(k) == v for k, v in labels.items()):
                return float(match.group(2))
    return 0.0


def test_metrics_follow_the_branchs_work(api, scrape, push, evidence_dir):  # noqa: F811
    at(0)
    before = scrape()
    assert value(before, "fieldservice_orders_clock_breached") == 0
    assert value(before, "fieldservice_push_outbox_depth") == 0
    order = api.create(
        customer_id=api.world.customers["vip"]
    )  # VIP: technician in contact within 30 min
    subscribe(api, "tech2", push.subscriber().subscription("phone"))
    at(1)
    dispatch(api, order["id"], "tech2")
    api.get("tech2", "/api/sync/pull")
    api.get("tech2", "/api/sync/pull")
    assert create_upload(api, "tech2", 1000).status_code == 201
    at(29)  # the contact clock is at risk
    during = scrape()
    assert value(during, "fieldservice_orders_clock_at_risk") == 1
    assert value(during, "fieldservice_push_outbox_depth") == 1  # the assignment, not yet sent
    assert value(during, "fieldservice_push_outbox_oldest_age_seconds") == 28 * 60
    assert value(during, "fieldservice_uploads_in_progress") == 1
    # Latency by route template: one series for every order's steps, none per order id.
    step = {"path": "/api/work-orders/{order_id}/dispatch", "method": "POST", "status_code": "200"}
    assert value(during, "fieldservice_request_duration_seconds_count", **step) >= 1
    assert f"/api/work-orders/{order['id']}/" not in during
    pulls = value(during, "fieldservice_requests_total", path="/api/sync/pull", status_code="200")
    assert pulls >= 2
    at(31)
    api.get("tech2", "/api/sync/pull")
    after = scrape()
    assert value(after, "fieldservice_orders_clock_breached") == 1
    assert value(after, "fieldservice_orders_clock_at_risk") == 0
    assert (
        value(after, "fieldservice_requests_total", path="/api/sync/pull", status_code="200")
        == pulls + 1
    )


def test_metrics_are_refused_outside_the_office_without_the_token(api, scrape):
    # The test client's address ("testclient") is in no allowed network.
    for headers in (
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": f"Basic {TOKEN}"},
    ):
        refused = api.client.get("/metrics", headers=headers)
        assert refused.status_code == 403
        assert refused.headers["content-type"].startswith("application/problem+json")
    # A staff member's login token is no metrics token either.
    assert api.get("supervisor", "/metrics").status_code == 403


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("10.20.1.7", True),
        ("10.21.0.1", False),
        ("127.0.0.1", True),
        ("::1", True),
        ("2001:db8::5", True),
        ("192.168.1.1", False),
        ("testclient", False),
        (None, False),
    ],
)
def test_the_office_networks(address, allowed):
    assert (
        address_allowed(address, ("10.20.0.0/16", "127.0.0.1", "::1/128", "2001:db8::/32"))
        is allowed
    )
