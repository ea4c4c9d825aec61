"""Headers every answer carries, set in one place: the app's `before_send` hook, so 401s, 404s,
problem details and static files get them too.

- Under /api every answer is `Cache-Control: no-store`: it carries a token (login), the caller's
  identity or the operator's data, none of which a browser or proxy cache may keep. /metrics too:
  it answers to METRICS_TOKEN with the operation's live figures.
- A Content-Security-Policy without 'unsafe-inline': scripts, styles, images and connections from
  this origin only; the two inline scripts of the technician app's index.html are allowed by their
  SHA-256, which build.mjs writes into dist/build.json. A page that needs more (the printable
  service record's own <style>) sends its own policy, which is kept. Not on /schema: the API docs
  page is Swagger UI's, inline scripts and all.
- nosniff, no framing (frame-ancestors 'none', X-Frame-Options for older browsers), no Referer
  leaving the app, and of the powerful features only the camera and location the app uses.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

PERMISSIONS = "camera=(self), geolocation=(self), microphone=(), payment=(), usb=(), serial=(), bluetooth=(), interest-cohort=()"


def content_security_policy(
    script_hashes: Iterable[str] = (), style_hashes: Iterable[str] = ()
) -> str:
    scripts = " ".join(["'self'", *(f"'sha256-{h}'" for h in script_hashes)])
    styles = " ".join(["'self'", *(f"'sha256-{h}'" for h in style_hashes)])
    return (
        f"default-src 'self'; script-src {scripts}; style-src {styles}; img-src 'self' blob: data:; "
        "connect-src 'self'; worker-src 'self'; manifest-src 'self'; font-src 'self'; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


def inline_script_hashes(dist: Path) -> list[str]:
    """The SHA-256 (base64) of each inline script of the built app, as build.mjs recorded them."""
    try:
        return json.loads((dist / "build.json").read_text())["inline_scripts"]
    except (OSError, KeyError, ValueError):
        return []  # no build: no inline script is allowed


def security_headers(script_hashes: Iterable[str]) -> Callable[[Message, Scope], Awaitable[None]]:
    policy = content_security_policy(script_hashes)

    async def add(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = MutableScopeHeaders.from_message(message)
        path = scope["path"]
        if path.startswith("/api/") or path == "/metrics":
            headers["Cache-Control"] = "no-store"
        if not path.startswith("/schema") and "content-security-policy" not in headers:
            headers["Content-Security-Policy"] = policy
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"
        headers["Referrer-Policy"] = "no-referrer"
        headers["Permissions-Policy"] = PERMISSIONS

    return add
