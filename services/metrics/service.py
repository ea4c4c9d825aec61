"""What /metrics reports.

Per-process measurements (request latency by route template, event streams open) are
prometheus-client metrics; with PROMETHEUS_MULTIPROC_DIR set every app process writes them to
that directory and a scrape of any one process sums them all (prometheus-client's multi-process
mode). Facts shared by all processes (the push outbox, the clocks, unfinished uploads) are read
from the database at each scrape, so no process counts them twice.
"""

from __future__ import annotations

import glob
import ipaddress
import os
import re
from datetime import datetime

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

import servertime
import settings as config
from db.evidence_tables import EvidenceUpload
from db.push_tables import PushOutbox
from db.tables import WorkOrder
from domain.vocabulary import OPEN_STATES

PREFIX = "fieldservice"
_LIVE_GAUGE_FILE = re.compile(r"gauge_live\w*?_(\d+)\.db$")


def address_allowed(address: str | None, networks: tuple[str, ...]) -> bool:
    """Whether a client address lies in one of the networks (CIDRs or single addresses)."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(net, strict=False) for net in networks)


class _Snapshot(Collector):
    """Gauges whose values were read before the scrape."""

    def __init__(self, families: list[GaugeMetricFamily]) -> None:
        self._families = families

    def collect(self):
        return self._families


async def _shared_gauges(now: datetime) -> list[GaugeMetricFamily]:
    open_orders = WorkOrder.state.is_in(list(OPEN_STATES))
    at_risk = await WorkOrder.count().where(
        open_orders, WorkOrder.clock_next_risk <= now, WorkOrder.clock_next_due > now
    )
    breached = await WorkOrder.count().where(
        open_orders, (WorkOrder.clock_breached > 0) | (WorkOrder.clock_next_due <= now)
    )
    pending = PushOutbox.state == "pending"
    depth = await PushOutbox.count().where(pending)
    oldest = (
        await PushOutbox.select(PushOutbox.created_at)
        .where(pending)
        .order_by(PushOutbox.created_at)
        .first()
    )
    uploads = await EvidenceUpload.count().where(
        EvidenceUpload.status == "receiving", EvidenceUpload.expires_at > now
    )

    def gauge(name: str, text: str, value: float) -> GaugeMetricFamily:
        return GaugeMetricFamily(f"{PREFIX}_{name}", text, value=value)

    return [
        gauge("orders_clock_at_risk", "Open orders whose next clock is at risk", at_risk),
        gauge("orders_clock_breached", "Open orders with a breached clock", breached),
        gauge("push_outbox_depth", "Notifications waiting to be sent", depth),
        gauge(
            "push_outbox_oldest_age_seconds",
            "Age of the oldest notification waiting (0: none)",
            (now - oldest["created_at"]).total_seconds() if oldest else 0.0,
        ),
        gauge(
            "uploads_in_progress", "Photo uploads begun and neither finished nor expired", uploads
        ),
    ]


def _forget_dead_processes(directory: str) -> None:
    """A process killed without its shutdown (kill -9, OOM) leaves its live gauges behind (streams
    it had open): they no longer count. Its counters stay, so totals never go backwards."""
    for path in glob.glob(os.path.join(directory, "gauge_live*.db")):
        match = _LIVE_GAUGE_FILE.search(os.path.basename(path))
        if match and not _alive(int(match.group(1))):
            multiprocess.mark_process_dead(int(match.group(1)), directory)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


async def exposition() -> bytes:
    """The metrics in Prometheus' text format."""
    shared = CollectorRegistry(auto_describe=True)
    shared.register(_Snapshot(await _shared_gauges(servertime.now())))
    directory = config.settings.metrics_multiprocess_dir
    if directory:
        _forget_dead_processes(directory)
        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes, directory)
    else:
        processes = REGISTRY
    return generate_latest(processes) + generate_latest(shared)
