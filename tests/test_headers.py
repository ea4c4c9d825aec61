"""Headers a browser enforces, on the app's pages and the API: a Content-Security-Policy without
'unsafe-inline', nosniff, no framing, no Referer, and only the camera and location as features."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from app import PWA_DIST


def assert_hardened(response) -> str:
    policy = response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    allowed = {
        f.split("=")[0].strip()
        for f in response.headers["permissions-policy"].split(",")
        if "=(self)" in f
    }
    assert allowed == {"camera", "geolocation"}
    return policy


def inline_hashes(html: str, tag: str) -> set[str]:
    return {
        base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        for body in re.findall(rf"<{tag}>(.*?)</{tag}>", html, re.S)
    }


@pytest.mark.skipif(not PWA_DIST.is_dir(), reason="the PWA is not built")
def test_the_app_s_pages_allow_exactly_their_own_inline_scripts(client):
    page = client.get("/")
    policy = assert_hardened(page)
    scripts = inline_hashes(page.text, "script")
    assert len(scripts) == 2  # the database warm-up and the first paint of the job list
    assert {f"'sha256-{h}'" for h in scripts} <= set(
        policy.split("script-src ")[1].split(";")[0].split()
    )
    assert_hardened(client.get("/console/"))
    assert_hardened(client.get("/api/auth/me"))  # a 401 problem too


def test_the_printable_service_record_allows_its_own_style_only(api):
    order = api.create()
    page = api.get("dispatcher", f"/api/work-orders/{order['id']}/service-record")
    assert page.status_code == 200
    policy = assert_hardened(page)
    (style,) = inline_hashes(page.text, "style")
    assert f"style-src 'self' 'sha256-{style}'" in policy
