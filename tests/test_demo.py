"""The demo data: loaded by `cli.py seed-demo` in demo mode only, into an empty database."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from litestar.testing import TestClient

from app import create_app
from db.dispatch_tables import HandoverSheet, Outage, OutageNotice
from db.duty_tables import BroadcastEvent, DutyEntry
from db.tables import StaffUser, WorkOrder
from demo.seed import DEMO_PASSWORD, load_demo
from domain.vocabulary import Kind, State
from tests.conftest import POSTGRES_URL, ROOT, run

REQUIRED_USERS = {
    "admin": "admin",
    "supervisor": "supervisor",
    "dispatcher": "dispatcher",
    "agent": "agent",
    "tech1": "technician",
    "tech2": "technician",
    "tech3": "technician",
    "contractor1": "contractor",
    "backoffice": "backoffice",
}


def _database_url(engine) -> str:
    return f"sqlite:///{engine.path}" if engine.engine_type == "sqlite" else POSTGRES_URL


def test_demo_covers_every_kind_and_state_with_live_clocks(db):
    summary = run(load_demo())
    assert 35 <= summary["orders"] <= 60
    orders = run(
        WorkOrder.select(
            WorkOrder.kind, WorkOrder.state, WorkOrder.clock_breached, WorkOrder.clock_next_due
        )
    )
    assert {o["kind"] for o in orders} == {k.value for k in Kind}
    assert {o["state"] for o in orders} == {s.value for s in State}
    assert summary["overdue"] > 0 and summary["at_risk"] > 0
    # One outage just suspected, one with its notice published (and revised); last shift's handover.
    assert sorted(o["status"] for o in run(Outage.select(Outage.status))) == [
        "published",
        "suspected",
    ]
    assert run(OutageNotice.count()) == 2
    [sheet] = run(
        HandoverSheet.select(HandoverSheet.status, HandoverSheet.items).output(load_json=True)
    )
    assert (
        sheet["status"] == "completed"
        and sheet["items"]["a"]
        and sheet["items"]["b"]
        and sheet["items"]["c"]
    )
    # The duty desk: a roster checked by the supervisor, someone called in for the outage, and a
    # reported broadcast-safety event on the next handover's item B.
    assert summary["roster_entries"] >= 9 and summary["broadcast_events"] == 1
    attendance = {e["attendance"] for e in run(DutyEntry.select(DutyEntry.attendance))}
    assert {"present", "absent", "called_in"} <= attendance
    assert [e["status"] for e in run(BroadcastEvent.select(BroadcastEvent.status))] == ["reported"]
    users = {
        u["username"]: u["role"] for u in run(StaffUser.select(StaffUser.username, StaffUser.role))
    }
    assert REQUIRED_USERS.items() <= users.items()

    with TestClient(create_app()) as client:
        for username in REQUIRED_USERS:
            response = client.post(
                "/api/auth/login", json={"username": username, "password": DEMO_PASSWORD}
            )
            assert response.status_code == 200, username
        token = client.post(
            "/api/auth/login", json={"username": "dispatcher", "password": DEMO_PASSWORD}
        ).json()["token"]
        page = client.get(
            "/api/work-orders?clock=breached&limit=200",
            headers={"Authorization": f"Bearer {token}"},
        ).json()
        assert page["total"] >= summary["overdue"]
        assert page["items"] and all(o["breached"] for o in page["items"])
        # The callbacks and reports panels have something to show.
        callbacks = client.get(
            "/api/callbacks", headers={"Authorization": f"Bearer {token}"}
        ).json()
        assert callbacks["overdue"] >= 2 and any(i["attempts"] for i in callbacks["items"])
        today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
        week = f"from={today - timedelta(days=7)}&to={today}"
        # Reports are the supervisor's.
        supervisor = client.post(
            "/api/auth/login", json={"username": "supervisor", "password": DEMO_PASSWORD}
        ).json()["token"]
        report = client.get(
            f"/api/reports?{week}", headers={"Authorization": f"Bearer {supervisor}"}
        ).json()
        figures = {f["key"]: f for g in report["groups"] for f in g["figures"]}
        assert 0 < figures["callback_coverage"]["value"] < 1
        assert figures["complaint_callback_coverage"]["value"] < 1
        assert figures["satisfaction_callback"]["denominator"] >= 5
        # Calls (issue 19): one recorded within 3 minutes, one over, a night-time tap never recorded.
        assert summary["calls"] == 4
        assert (
            figures["calls_within_limit"]["numerator"],
            figures["calls_within_limit"]["denominator"],
        ) == (1, 2)
        assert (
            figures["calls_recorded"]["numerator"] == 2
            and figures["calls_recorded"]["denominator"] == 4
        )
        # (The others' hours follow the time the demo is loaded at: the night-time tap is always in rest hours.)
        assert (
            figures["calls_outside_rest_hours"]["numerator"]
            < figures["calls_outside_rest_hours"]["denominator"]
            == 4
        )


def test_seed_demo_refuses_in_production_and_into_a_used_database(db):
    env = {**os.environ, "DATABASE_URL": _database_url(db), "APP_MODE": "production"}
    refused = subprocess.run(
        [sys.executable, "cli.py", "seed-demo"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert refused.returncode == 2 and "APP_MODE=demo" in refused.stderr
    assert run(StaffUser.count()) == 0
    env["APP_MODE"] = "demo"
    loaded = subprocess.run(
        [sys.executable, "cli.py", "seed-demo"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert loaded.returncode == 0, loaded.stderr
    orders = run(WorkOrder.count())
    again = subprocess.run(
        [sys.executable, "cli.py", "seed-demo"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert again.returncode == 0 and "already has users" in again.stdout
    assert run(WorkOrder.count()) == orders
