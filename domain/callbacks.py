"""Callbacks (回访) after a completed service (service rules; §2.1.3 B e).

Satisfaction is the same 1–5 score the customer gives when signing on the technician's device,
so the two can be compared; the call centre's three words (满意 / 基本满意 / 不满意) are a reading
of it. A customer reached and dissatisfied reopens the order. An attempt that did not reach the
customer is kept in the history but neither stops the callback clock nor carries a score.
"""

from __future__ import annotations

from enum import StrEnum

from domain.errors import Issue

SCORES = (1, 2, 3, 4, 5)


class Level(StrEnum):
    satisfied = "satisfied"  # 满意: 4–5
    fair = "fair"  # 基本满意: 3
    dissatisfied = "dissatisfied"  # 不满意: 1–2


def level(score: int) -> Level:
    if score >= 4:
        return Level.satisfied
    return Level.fair if score == 3 else Level.dissatisfied


def callback_issues(reached: bool, satisfaction: int | None, remark: str) -> list[Issue]:
    """What a recorded callback must contain: a score when the customer was reached (and none when
    not), and in the customer's words what is wrong when they are dissatisfied: the remark is what
    the reopened order is worked from."""
    if not reached:
        return (
            [Issue("callback.score_without_customer", {}, "satisfaction")]
            if satisfaction is not None
            else []
        )
    if satisfaction is None:
        return [Issue("callback.satisfaction_required", {}, "satisfaction")]
    if level(satisfaction) == Level.dissatisfied and not remark.strip():
        return [Issue("callback.remark_required", {}, "remark")]
    return []


def reopens(reached: bool, satisfaction: int | None) -> bool:
    """A dissatisfied customer reopens the order (§2.1.3 B e)."""
    return reached and satisfaction is not None and level(satisfaction) == Level.dissatisfied
