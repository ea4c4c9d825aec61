"""The service record (服务记录单) the customer signs, in one canonical form, and its SHA-256.

The signature binds this hash. Anything the record shows changing after signing (work or
materials recorded, an information append, another photo) changes the hash, so the signature no longer
holds and a new one is needed. Canonical: JSON with sorted keys, no spaces, UTF-8, numbers as
shortest decimal strings (so 20, 20.0 and "20" are one quantity).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from domain.lifecycle import Action
from domain.payloads import Payload, typed

RECORD_VERSION = 1


def _number(value: Any) -> str | None:
    return None if value is None else format(float(value), ".10g")


def work_entry(recorded: Payload | Mapping[str, Any]) -> dict[str, Any]:
    """One recording of work done, labour and materials, as the record shows it."""
    work = typed(Action.record_work, recorded)
    return {
        "work_done": work.work_done,
        "labour_hours": _number(work.labour_hours),
        "materials": sorted(
            ({"code": m.code, "quantity": _number(m.quantity)} for m in work.materials),
            key=lambda m: (m["code"], m["quantity"]),
        ),
    }


def service_record(
    order: Mapping[str, Any],
    work: Sequence[Payload | Mapping[str, Any]],
    appends: Sequence[Payload | Mapping[str, Any]],
    photos: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """The record: the order as reported, the work and materials recorded on site, later
    information appends, and the photos by upload id (an upload's content is fixed once it
    completes, so the id stands for the content)."""
    return {
        "version": RECORD_VERSION,
        "order": {
            "code": order["code"],
            "kind": order["kind"],
            "customer": order["customer_name"],
            "address": order["address"],
            "description": order["description"],
        },
        "work": [work_entry(w) for w in work],
        "appends": [_append(typed(Action.append, a)) for a in appends],
        "photos": sorted(
            (
                {"upload_id": p["upload_id"], "kind": p["kind"], "caption": p["caption"]}
                for p in photos
            ),
            key=lambda p: p["upload_id"],
        ),
    }


def _append(append: Payload) -> dict[str, Any]:
    return {"text": append.text or "", "final_outcome": append.final_outcome}


def canonical(record: Mapping[str, Any]) -> bytes:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def record_hash(record: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(record)).hexdigest()
