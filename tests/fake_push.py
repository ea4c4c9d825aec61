"""A push service on loopback, in a thread, that checks what a real one checks and reads what only
the phone could read: the VAPID JWT (signature, aud, exp, sub; RFC 8292) with `cryptography`, and
the aes128gcm body (RFC 8188/8291) decrypted with `http_ece` and the subscriber's private key.

Each subscriber is a real P-256 key pair and auth secret, as a browser makes them. A subscriber's
answers can be scripted (410, 429 with Retry-After, …); the default is 201 Created. Whatever fails
a check is answered 400 and recorded in `errors`, so a test asserts `errors == []`.
Also used by bench/push_delivery.py.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import string
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

TOPIC_ALPHABET = set(string.ascii_letters + string.digits + "-_")  # RFC 8030 §5.4


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Subscriber:
    """A browser's side of one subscription."""

    token: str
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes

    @property
    def p256dh(self) -> str:
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64url(point)

    @property
    def auth(self) -> str:
        return b64url(self.auth_secret)

    def subscription(self, device_id: str, **extra: Any) -> dict[str, Any]:
        """The body of POST /api/push/subscriptions."""
        return {
            "device_id": device_id,
            "endpoint": self.endpoint,
            "keys": {"p256dh": self.p256dh, "auth": self.auth},
            **extra,
        }


@dataclass
class Delivery:
    """One push the service accepted."""

    token: str
    received_at: float  # time.time()
    headers: dict[str, str]
    claims: dict[str, Any]
    message: dict[str, Any]  # the decrypted payload


@dataclass
class FakePushService:
    subject: str  # the VAPID `sub` the server must send
    server_key: str | None = (
        None  # the server's VAPID public key (base64url); None: not checked yet
    )
    subscribers: dict[str, Subscriber] = field(default_factory=dict)
    scripts: dict[str, list[tuple[int, dict[str, str]]]] = field(default_factory=dict)
    deliveries: list[Delivery] = field(default_factory=list)
    requests: list[tuple[str, int]] = field(default_factory=list)  # (token, status answered)
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real push services do

            def do_POST(self) -> None:  # http.server's name for it
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status, headers = service._receive(self.path, dict(self.headers.items()), body)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakePushService:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def subscriber(self) -> Subscriber:
        token = secrets.token_urlsafe(16)
        subscriber = Subscriber(
            token,
            f"{self.origin}/push/{token}",
            ec.generate_private_key(ec.SECP256R1()),
            os.urandom(16),
        )
        self.subscribers[token] = subscriber
        return subscriber

    def script(self, subscriber: Subscriber, *answers: tuple[int, dict[str, str]]) -> None:
        """The next answers to pushes for this subscriber, in order; then 201 again."""
        self.scripts.setdefault(subscriber.token, []).extend(answers)

    def wait_for(self, count: int, timeout: float = 60.0) -> list[Delivery]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.deliveries) >= count, timeout=timeout)
            return list(self.deliveries)

    def for_subscriber(self, subscriber: Subscriber) -> list[Delivery]:
        return [d for d in self.deliveries if d.token == subscriber.token]

    # ---- the checks ----------------------------------------------------------------------

    def _receive(
        self, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str]]:
        token = path.rsplit("/", 1)[-1]
        headers = {k.lower(): v for k, v in headers.items()}
        with self.lock:
            subscriber = self.subscribers.get(token)
            scripted = self.scripts.get(token)
            answer = scripted.pop(0) if scripted else None
        if subscriber is None:
            return self._answer(token, 404, {})
        try:
            claims = self._check_vapid(headers.get("authorization", ""))
            self._check_headers(headers)
            plain = http_ece.decrypt(
                body,
                private_key=subscriber.private_key,
                auth_secret=subscriber.auth_secret,
                version="aes128gcm",
            )
            message = json.loads(plain)
        except (
            Exception
        ) as exc:  # every failed check is a finding, answered as a real service would
            with self.lock:
                self.errors.append(f"{type(exc).__name__}: {exc}")
            return self._answer(token, 400, {})
        if answer is not None:
            return self._answer(token, *answer)
        with self.arrived:
            self.deliveries.append(Delivery(token, time.time(), headers, claims, message))
            self.arrived.notify_all()
        return self._answer(
            token, 201, {"Location": f"{self.origin}/message/{secrets.token_hex(4)}"}
        )

    def _answer(
        self, token: str, status: int, headers: dict[str, str]
    ) -> tuple[int, dict[str, str]]:
        with self.lock:
            self.requests.append((token, status))
        return status, headers

    def _check_vapid(self, authorization: str) -> dict[str, Any]:
        scheme, _, params = authorization.partition(" ")
        assert scheme.lower() == "vapid", f"Authorization scheme {scheme!r}, not vapid"
        parts = dict(p.strip().split("=", 1) for p in params.split(","))
        if self.server_key is not None:
            assert parts["k"] == self.server_key, (
                "signed with a key that is not the server's VAPID key"
            )
        header_b64, claims_b64, signature_b64 = parts["t"].split(".")
        header = json.loads(unb64url(header_b64))
        assert header["alg"] == "ES256", f"JWT alg {header['alg']}"
        signature = unb64url(signature_b64)
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(parts["k"]))
        try:
            public.verify(
                encode_dss_signature(
                    int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
                ),
                f"{header_b64}.{claims_b64}".encode(),
                ec.ECDSA(hashes.SHA256()),
            )
        except InvalidSignature:
            raise AssertionError("VAPID JWT signature does not verify") from None
        claims = json.loads(unb64url(claims_b64))
        assert claims["aud"] == self.origin, (
            f"aud {claims['aud']} is not this push service {self.origin}"
        )
        now = time.time()
        assert now < claims["exp"] <= now + 24 * 3600, (
            f"exp {claims['exp']} not within the next 24 hours"
        )
        assert claims["sub"] == self.subject, f"sub {claims['sub']} is not {self.subject}"
        return claims

    @staticmethod
    def _check_headers(headers: dict[str, str]) -> None:
        assert headers.get("content-encoding") == "aes128gcm", headers.get("content-encoding")
        assert int(headers["ttl"]) > 0, "TTL 0: the push is dropped if the phone is offline"
        assert headers.get("urgency") in ("very-low", "low", "normal", "high"), headers.get(
            "urgency"
        )
        topic = headers.get("topic", "")
        assert 0 < len(topic) <= 32 and set(topic) <= TOPIC_ALPHABET, f"Topic {topic!r}"
