"""Payloads of /api/policies/contractor-routing: which kinds contractors' teams may take, per area."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from domain.vocabulary import Kind
from services.types import Id, Request, Response


class ContractorRoutingSet(Request, kw_only=True):
    area_id: Id | None = None  # None: branch-wide, for areas without their own
    kinds: Annotated[
        list[Kind], msgspec.Meta(max_length=len(Kind))
    ]  # empty: contractors take nothing there


class ContractorRoutingOut(Response, kw_only=True):
    id: int | None  # None: the built-in default, never edited
    area_id: int | None
    area_name: str | None
    kinds: list[str]
    effective_from: datetime | None
    updated_by: int | None
