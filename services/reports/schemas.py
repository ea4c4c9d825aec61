"""Payloads of /api/reports: figure groups as domain/reports.py computes them, named in the
caller's language."""

from __future__ import annotations

from datetime import date, datetime

from services.types import Ref, Response


class BreakdownRow(Response, kw_only=True):
    key: str  # a send-back reason code, a score 1–5, an outage status
    label: str
    count: int


class FigureOut(Response, kw_only=True):
    key: str
    title: str
    unit: str  # rate (value 0–1) / mean / minutes (a mean, in minutes) / count
    value: float | None  # None: nothing to count in the period
    numerator: float  # met, counted, or the sum of the scores or minutes
    denominator: (
        int  # decided clocks, closures, orders, scores or durations it is out of (0 for a count)
    )
    pending: int  # clocks (outages, handovers) still running before their due time, left out
    target: float | None
    breakdown: list[BreakdownRow]


class GroupOut(Response, kw_only=True):
    key: str
    title: str
    branch_wide: bool  # counted over every area whatever area the report is of (handover)
    figures: list[FigureOut]


class ReportOut(Response, kw_only=True):
    first_day: date
    last_day: date
    area: Ref | None  # None: every area
    generated_at: datetime
    orders: int  # orders with a step in the period
    groups: list[GroupOut]
