"""The server's clock. One function, so the demo loader and tests can stand it at any instant."""

from __future__ import annotations

from datetime import UTC, datetime

_fixed: datetime | None = None


def now() -> datetime:
    return _fixed if _fixed is not None else datetime.now(UTC)


def travel_to(instant: datetime | None) -> None:
    """Stand the clock at `instant` (aware); None returns to real time. Process-wide on purpose:
    the test client serves the app from another thread."""
    global _fixed
    if instant is not None and instant.tzinfo is None:
        raise ValueError("travel_to needs an aware datetime")
    _fixed = instant
