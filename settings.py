"""Settings read from the environment once, at import.

Every knob an operator may turn lives here; code elsewhere imports `settings` and never reads
`os.environ` itself.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent
# The browsers' push services: Chrome/Edge (FCM), Firefox, Safari, Windows.
PUSH_SERVICES = (
    "https://fcm.googleapis.com",
    "https://updates.push.services.mozilla.com",
    "https://*.push.apple.com",
    "https://*.notify.windows.com",
)


def _networks(name: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    raw = os.environ.get(name, "")
    return tuple(
        ipaddress.ip_network(part.strip(), strict=False) for part in raw.split(",") if part.strip()
    )


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    database_url: str = field(
        default_factory=lambda: os.environ.get(
            "DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'fieldservice.db'}"
        )
    )
    # "demo" creates the demo accounts (password `demo`) and data; "production" never does.
    mode: str = field(default_factory=lambda: os.environ.get("APP_MODE", "production"))
    # Local time of the branch: working days, appointment half-days and callback due dates.
    timezone: str = field(
        default_factory=lambda: os.environ.get("BRANCH_TIMEZONE", "Asia/Shanghai")
    )
    token_ttl_minutes: int = field(
        default_factory=lambda: int(os.environ.get("TOKEN_TTL_MINUTES", str(12 * 60)))
    )
    # A bearer token once looked up is trusted this long in each worker process (0: look it up
    # on every request). A revoked token keeps working for at most this long in other workers.
    token_cache_seconds: float = field(
        default_factory=lambda: float(os.environ.get("TOKEN_CACHE_SECONDS", "1"))
    )
    # Failed logins allowed per window before 429: per username from one client address (never
    # per username alone, so nobody can lock an account out from elsewhere), and per address.
    login_window_seconds: int = field(
        default_factory=lambda: int(os.environ.get("LOGIN_WINDOW_SECONDS", "900"))
    )
    login_max_failures_per_user_address: int = field(
        default_factory=lambda: int(os.environ.get("LOGIN_MAX_FAILURES_PER_USER_ADDRESS", "5"))
    )
    login_max_failures_per_address: int = field(
        default_factory=lambda: int(os.environ.get("LOGIN_MAX_FAILURES_PER_ADDRESS", "20"))
    )
    # Reverse proxies (addresses or CIDRs, comma-separated) whose X-Forwarded-For is believed: the
    # client's address (login limits, audit) is then the last one in it that is not such a proxy.
    # Empty (the default): no forwarded header is believed, the peer's address counts. Run uvicorn
    # with --no-proxy-headers (`make run` does), so it does not rewrite the peer itself.
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = field(
        default_factory=lambda: _networks("TRUSTED_PROXIES")
    )
    # A device clock may run this far ahead of the server before its time is clamped.
    device_clock_tolerance_seconds: int = field(
        default_factory=lambda: int(os.environ.get("DEVICE_CLOCK_TOLERANCE_SECONDS", "120"))
    )
    # asyncpg pool for PostgreSQL; tests switch it off so test code and app share no pool.
    db_pool: bool = field(default_factory=lambda: _bool("DB_POOL", True))
    # Removals a device has not pulled are kept this long (longer than any offline period);
    # a device whose cursor is older starts again from a snapshot.
    sync_tombstone_days: int = field(
        default_factory=lambda: int(os.environ.get("SYNC_TOMBSTONE_DAYS", "30"))
    )
    # A closed order leaves its technician's scope (and phone) this many days after its closing.
    sync_closed_order_days: int = field(
        default_factory=lambda: int(os.environ.get("SYNC_CLOSED_ORDER_DAYS", "3"))
    )
    # argon2id cost; the defaults are argon2-cffi's (RFC 9106 low-memory profile). Tests lower them.
    argon2_time_cost: int = field(
        default_factory=lambda: int(os.environ.get("ARGON2_TIME_COST", "3"))
    )
    argon2_memory_kib: int = field(
        default_factory=lambda: int(os.environ.get("ARGON2_MEMORY_KIB", "65536"))
    )
    # Web push (push/): the background sender runs in the app's lifespan unless switched off
    # (tests drive it by hand). The VAPID subject is who push services contact about abuse:
    # a real mailto: or https: address (Apple refuses placeholders).
    push_worker: bool = field(default_factory=lambda: _bool("PUSH_WORKER", True))
    push_vapid_subject: str = field(
        default_factory=lambda: os.environ.get("PUSH_VAPID_SUBJECT", "mailto:webpush@localhost")
    )
    # Push endpoints are URLs the browser chose, which the server then POSTs to: only these
    # origins (fnmatch patterns on scheme://host[:port]) are accepted, so a subscription cannot
    # aim the server at internal hosts.
    push_endpoint_origins: tuple[str, ...] = field(
        default_factory=lambda: tuple(
            p.strip()
            for p in os.environ.get("PUSH_ENDPOINT_ORIGINS", ",".join(PUSH_SERVICES)).split(",")
            if p.strip()
        )
    )
    # How long a push service keeps an order notification for a phone that is offline.
    push_ttl_seconds: int = field(
        default_factory=lambda: int(os.environ.get("PUSH_TTL_SECONDS", str(12 * 3600)))
    )
    # A technician is warned of a clock when the order turns at risk, and at the latest this
    # many minutes before it breaches.
    push_clock_warning_minutes: int = field(
        default_factory=lambda: int(os.environ.get("PUSH_CLOCK_WARNING_MINUTES", "5"))
    )
    # How often the sender looks for notifications to send (the assignment-to-phone delay).
    push_poll_seconds: float = field(
        default_factory=lambda: float(os.environ.get("PUSH_POLL_SECONDS", "1"))
    )
    # Reaching technicians (reach/, issue 18): the channels tried in turn when a notice is not
    # delivered (a user's own preference overrides the order). A channel whose credentials are
    # empty is skipped. WeCom application messages: corp id, agent id, the app's secret.
    reach_channels: tuple[str, ...] = field(
        default_factory=lambda: tuple(
            c.strip()
            for c in os.environ.get("REACH_CHANNELS", "webpush,wecom,sms").split(",")
            if c.strip()
        )
    )
    wecom_corp_id: str = field(default_factory=lambda: os.environ.get("WECOM_CORP_ID", ""))
    wecom_agent_id: str = field(default_factory=lambda: os.environ.get("WECOM_AGENT_ID", ""))
    wecom_secret: str = field(
        default_factory=lambda: os.environ.get("WECOM_SECRET", ""), repr=False
    )
    wecom_api_base: str = field(
        default_factory=lambda: os.environ.get("WECOM_API_BASE", "https://qyapi.weixin.qq.com")
    )
    # SMS through one provider, "aliyun" or "tencent" (empty: no SMS); only templates approved in
    # advance can be sent, so the text is SMS_TEMPLATE_ID with the notice's parameters.
    sms_provider: str = field(default_factory=lambda: os.environ.get("SMS_PROVIDER", ""))
    sms_access_key_id: str = field(default_factory=lambda: os.environ.get("SMS_ACCESS_KEY_ID", ""))
    sms_access_key_secret: str = field(
        default_factory=lambda: os.environ.get("SMS_ACCESS_KEY_SECRET", ""), repr=False
    )
    sms_sign_name: str = field(default_factory=lambda: os.environ.get("SMS_SIGN_NAME", ""))
    sms_template_id: str = field(default_factory=lambda: os.environ.get("SMS_TEMPLATE_ID", ""))
    sms_app_id: str = field(
        default_factory=lambda: os.environ.get("SMS_APP_ID", "")
    )  # Tencent's SmsSdkAppId
    sms_region: str = field(default_factory=lambda: os.environ.get("SMS_REGION", "ap-guangzhou"))
    sms_api_base: str = field(
        default_factory=lambda: os.environ.get("SMS_API_BASE", "")
    )  # empty: the provider's
    # Job evidence. Unfinished uploads always sit on local disk under EVIDENCE_DIR/incoming;
    # finished photos go to EVIDENCE_STORE: "local" (EVIDENCE_DIR/blobs) or "s3".
    evidence_dir: Path = field(
        default_factory=lambda: Path(os.environ.get("EVIDENCE_DIR", str(ROOT / "var" / "evidence")))
    )
    evidence_store: str = field(default_factory=lambda: os.environ.get("EVIDENCE_STORE", "local"))
    # S3-compatible storage; credentials come from the usual AWS_* variables.
    s3_bucket: str = field(default_factory=lambda: os.environ.get("EVIDENCE_S3_BUCKET", ""))
    s3_endpoint: str | None = field(
        default_factory=lambda: os.environ.get("EVIDENCE_S3_ENDPOINT") or None
    )
    s3_region: str = field(
        default_factory=lambda: os.environ.get("EVIDENCE_S3_REGION", "us-east-1")
    )
    # A phone photo is 2–8 MB; HEIC less. Anything past this is refused at upload creation.
    photo_max_bytes: int = field(
        default_factory=lambda: int(os.environ.get("PHOTO_MAX_BYTES", str(25 * 1024 * 1024)))
    )
    # 50 megapixels is above any phone camera; more is a decompression bomb.
    photo_max_pixels: int = field(
        default_factory=lambda: int(os.environ.get("PHOTO_MAX_PIXELS", str(50_000_000)))
    )
    # An unfinished upload is kept this long for the technician's phone to come back online.
    upload_expiry_hours: int = field(
        default_factory=lambda: int(os.environ.get("UPLOAD_EXPIRY_HOURS", str(7 * 24)))
    )

    # Live events (GET /api/events): a comment line this often keeps proxies from closing an idle
    # stream (and finds dead clients); a browser this many events behind is dropped with a resync.
    events_keepalive_seconds: float = field(
        default_factory=lambda: float(os.environ.get("EVENTS_KEEPALIVE_SECONDS", "15"))
    )
    events_queue_size: int = field(
        default_factory=lambda: int(os.environ.get("EVENTS_QUEUE_SIZE", "256"))
    )

    # GET /metrics answers callers from these networks (their address as the app sees it, so
    # behind the proxy TRUSTED_PROXIES decides), or any caller presenting METRICS_TOKEN as a
    # bearer token (empty: no token opens it).
    metrics_allowed_networks: tuple[str, ...] = field(
        default_factory=lambda: tuple(
            n.strip()
            for n in os.environ.get("METRICS_ALLOWED_NETWORKS", "127.0.0.1/32,::1/128").split(",")
            if n.strip()
        )
    )
    metrics_token: str = field(default_factory=lambda: os.environ.get("METRICS_TOKEN", ""))
    # prometheus-client's own variable: with several app processes on a host, a directory they
    # all write their metrics to, so one scrape of any of them reports the sum of all.
    metrics_multiprocess_dir: str = field(
        default_factory=lambda: os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    )

    @property
    def demo(self) -> bool:
        return self.mode == "demo"


settings = Settings()
