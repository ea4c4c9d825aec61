"""Schemathesis over the app's own OpenAPI spec: valid and invalid requests alike, on both
engines, as an office user and as a technician. Whatever it sends, the answer is never a 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from app import create_app
from tests.world import PASSWORD

EXAMPLES_PER_OPERATION = 15


@pytest.mark.parametrize("caller", ["dispatcher", "tech2"])
def test_no_input_makes_a_server_error(api, caller):
    # A few real orders, so generated ids sometimes hit something.
    for kind in ("repair", "consultation", "complaint"):
        order = api.create(kind=kind)
    api.step("dispatcher", order["id"], "dispatch", assignee_id=api.world.uid("complaints"))
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", create_app())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 25
    # A token per operation, all taken before fuzzing starts: fuzzing logout revokes its token,
    # and fuzzing login trips the per-address rate limit.
    tokens = [
        api.client.post("/api/auth/login", json={"username": caller, "password": PASSWORD}).json()[
            "token"
        ]
        for _ in operations
    ]

    failures: list[str] = []
    for operation, token in zip(operations, tokens, strict=True):
        headers = {"Authorization": f"Bearer {token}"}

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def no_server_error(case):  # called at once, inside this loop's turn
            case.call_and_validate(headers=headers, checks=[not_a_server_error])  # noqa: B023

        try:
            no_server_error()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)
