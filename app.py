"""The application, assembled in one place: routes, authentication, guards, error mapping,
OpenAPI docs, logging, and the database's start-up and shut-down."""

from __future__ import annotations

import gc
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.datastructures import CacheControlHeader
from litestar.logging.config import (
    LoggingConfig,
    StructLoggingConfig,
    default_structlog_standard_lib_processors,
)
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.logging import LoggingMiddlewareConfig
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.prometheus import PrometheusConfig
from litestar.plugins.structlog import StructlogConfig, StructlogPlugin
from litestar.static_files import create_static_files_router
from piccolo.engine.postgres import PostgresEngine

from api.accounts.controller import AccountController
from api.auth.controller import AuthController
from api.auth.guards import PUBLIC_PATHS, role_guard
from api.auth.middleware import TokenAuthMiddleware
from api.callbacks.controller import CallbackController
from api.calls.controller import CallPolicyController, OrderCallController, TelephonyController
from api.dispatch.controller import DispatchController
from api.duty.controller import BroadcastController, CallInController, RosterController
from api.errors import EXCEPTION_HANDLERS
from api.events.controller import EventController
from api.evidence.controller import EvidenceController, UploadController
from api.handover.controller import HandoverController
from api.headers import inline_script_hashes, security_headers
from api.health import healthz, readyz
from api.metrics.controller import metrics
from api.outages.controller import DetectionPolicyController, OutageController
from api.policies.controller import PolicyController
from api.push.controller import PushController
from api.reach.controller import EscalationPolicyController, ReachController
from api.reference.controller import ReferenceController
from api.reports.controller import ReportController
from api.routing.controller import ContractorRoutingController
from api.sync.controller import SyncController
from api.system_clients.controller import SystemClientController
from api.work_orders.controller import work_order_router
from db.engine import current_engine, prepare
from db.migration_state import require_migrated
from events.listener import live_events
from push.worker import push_sender
from reach.worker import reach_worker
from services.policies.service import ensure_default_policies
from settings import ROOT, settings
from sync.housekeeping import sync_housekeeping

SWAGGER_ASSETS = ROOT / "node_modules" / "swagger-ui-dist"
PWA_DIST = ROOT / "static" / "pwa" / "dist"  # the technician app, built by `npm run build`


@asynccontextmanager
async def database(app: Litestar) -> AsyncIterator[None]:
    engine = current_engine()
    await prepare(engine)
    pooled = isinstance(engine, PostgresEngine) and settings.db_pool
    if pooled:
        await engine.start_connection_pool()
    try:
        await require_migrated()
        await ensure_default_policies()
        yield
    finally:
        if pooled:
            await engine.close_connection_pool()


@asynccontextmanager
async def settled_heap(app: Litestar) -> AsyncIterator[None]:
    """Once started, the app's own objects (modules, routes, schemas, pools: a few hundred
    thousand) live as long as the process; freezing them keeps the collector's full passes, which
    would walk them all and pause every request for 70-150 ms, to what requests leave behind.
    Thawed at shutdown, so an app started again in the same process (tests) leaks nothing."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _openapi() -> OpenAPIConfig:
    assets = "/static/swagger-ui"
    return OpenAPIConfig(
        title="装维调度 Field Service API",
        version="0.1.0",
        description=(
            "Work orders, dispatch clocks and the operator's dispatch manual. "
            "Log in with POST /api/auth/login, then press Authorize and paste the token."
        ),
        path="/schema",
        render_plugins=[
            SwaggerRenderPlugin(
                path="/",
                js_url=f"{assets}/swagger-ui-bundle.js",
                css_url=f"{assets}/swagger-ui.css",
                standalone_preset_js_url=f"{assets}/swagger-ui-standalone-preset.js",
            )
        ],
        components=Components(
            security_schemes={
                "bearer": SecurityScheme(
                    type="http", scheme="bearer", description="token from /api/auth/login"
                )
            },
        ),
        security=[{"bearer": []}],
    )


def _logging() -> StructlogConfig:
    """One JSON line per request (method, path, status; never bodies: they carry passwords and
    customer data). Expected 4xx errors are not logged as exceptions; 500s are, in api/errors.py.
    Other libraries' records with a traceback (asyncpg's pool while PostgreSQL restarts) get it
    as text: Litestar's JSON chain for them has no exception step and failed on the tuple."""
    json_lines = not sys.stderr.isatty()
    stdlib = default_structlog_standard_lib_processors(as_json=json_lines)
    if json_lines:
        stdlib.insert(-1, structlog.processors.format_exc_info)
    return StructlogConfig(
        structlog_logging_config=StructLoggingConfig(
            log_exceptions="debug",
            standard_lib_logging_config=LoggingConfig(
                formatters={
                    "standard": {"()": structlog.stdlib.ProcessorFormatter, "processors": stdlib}
                }
            ),
        ),
        middleware_logging_config=LoggingMiddlewareConfig(
            request_log_fields=("path", "method", "query"),
            response_log_fields=("status_code",),
            exclude=["^/(healthz|readyz|metrics)$", "^/static/"],
        ),
    )


def _request_metrics() -> PrometheusConfig:
    """Request count and latency by route template (`/api/work-orders/{order_id}/dispatch`, never one
    series per order). Not the endless event stream, nor the probes."""
    return PrometheusConfig(
        app_name="fieldservice",
        prefix="fieldservice",
        group_path=True,
        exclude=["^/api/events", "^/(healthz|readyz|metrics)$"],
    )


def create_app() -> Litestar:
    handlers: list = [
        AuthController,
        PolicyController,
        ReferenceController,
        work_order_router,
        SyncController,
        PushController,
        healthz,
        readyz,
        metrics,
    ]
    handlers += [UploadController, EvidenceController, DispatchController, EventController]
    handlers += [OutageController, DetectionPolicyController, HandoverController]
    handlers += [CallbackController, ReportController, AccountController]
    handlers += [ReachController, EscalationPolicyController]
    handlers += [
        TelephonyController,
        OrderCallController,
        CallPolicyController,
        SystemClientController,
    ]
    handlers += [
        BroadcastController,
        RosterController,
        CallInController,
        ContractorRoutingController,
    ]  # issue 19
    if SWAGGER_ASSETS.is_dir():
        handlers.append(
            create_static_files_router(
                path="/static/swagger-ui", directories=[SWAGGER_ASSETS], include_in_schema=False
            )
        )
    if (
        PWA_DIST.is_dir()
    ):  # at `/`, so its service worker controls the whole app; always revalidated
        handlers.append(
            create_static_files_router(
                path="/",
                directories=[PWA_DIST],
                html_mode=True,
                name="pwa",
                include_in_schema=False,
                cache_control=CacheControlHeader(no_cache=True),
            )
        )
    return Litestar(
        route_handlers=handlers,
        lifespan=[
            database,
            push_sender,
            reach_worker,
            sync_housekeeping,
            live_events,
            settled_heap,
        ],
        middleware=[
            _request_metrics().middleware,
            DefineMiddleware(TokenAuthMiddleware, exclude=PUBLIC_PATHS),
        ],
        guards=[role_guard],
        before_send=[security_headers(inline_script_hashes(PWA_DIST))],
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=_openapi(),
        # Not the event stream: its messages are small and must not wait in a compressor.
        compression_config=CompressionConfig(
            backend="gzip", minimum_size=1024, exclude="^/api/events$"
        ),
        plugins=[StructlogPlugin(_logging())],
        debug=False,
    )


app = create_app()
