"""WeCom and SMS services on loopback, in a thread, checking what the real ones check and recording
what they deliver (like tests/fake_push.py for web push):

- WeCom: `GET /cgi-bin/gettoken` with the corp id and secret gives an access token (a new one each
  time; `expire_tokens()` makes the current ones invalid, errcode 42001); `POST /cgi-bin/message/send`
  needs a valid token, the agent id, a user id and a text.
- Aliyun SMS (`GET /aliyun/`): the HMAC-SHA1 signature of the query, the sign name, the template
  code, the template parameters (JSON).
- Tencent SMS (`POST /tencent/`): the TC3-HMAC-SHA256 Authorization over the body and the signed
  headers, the app id, sign name, template id and the parameter list.

Answers can be scripted per service (`script("wecom", {"errcode": 45009, ...})`, an HTTP status as an
int; None: the service's own answer) or per mobile number, every time (`limit_number(...)`, a
provider's limit for one number); `stall(service, seconds)` delivers the next message but answers
only that much later (a provider that took it, its answer lost). A failed check is answered 400 and
recorded in `errors`, so a test asserts `errors == []`.
Also used by bench/notice_reach.py.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

CORP_ID, AGENT_ID, CORP_SECRET = "ww-test-corp", "1000002", "wecom-secret"
KEY_ID, KEY_SECRET = "test-key-id", "test-key-secret"
SIGN_NAME, TEMPLATE, APP_ID = "装维调度", "SMS_123456", "1400000001"


@dataclass
class Delivery:
    service: str  # wecom / aliyun / tencent
    to: str
    text: str = ""
    parameters: Any = None
    at: float = 0.0  # time.time() of receipt


@dataclass
class FakeChannels:
    deliveries: list[Delivery] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    token_fetches: int = 0
    _tokens: set[str] = field(default_factory=set)
    _scripts: dict[str, list[Any]] = field(default_factory=dict)
    _number_answers: dict[str, Any] = field(default_factory=dict)
    _stalls: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __enter__(self) -> FakeChannels:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                fake._handle(self, "GET")

            def do_POST(self) -> None:
                fake._handle(self, "POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    def script(self, service: str, *answers: Any) -> None:
        """The next answers of a service (a dict is sent as JSON with 200, an int as that status)."""
        with self._lock:
            self._scripts.setdefault(service, []).extend(answers)

    def limit_number(self, number: str, answer: Any) -> None:
        """Every SMS to this number (as the provider gets it) is answered so; None lifts it."""
        with self._lock:
            self._number_answers[number] = answer

    def stall(self, service: str, seconds: float) -> None:
        """The next request is served, then answered only `seconds` later."""
        with self._lock:
            self._stalls[service] = seconds

    def expire_tokens(self) -> None:
        with self._lock:
            self._tokens.clear()

    def of(self, service: str) -> list[Delivery]:
        with self._lock:
            return [d for d in self.deliveries if d.service == service]

    # ---- the services ----------------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(request.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        body = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        service = {"/cgi-bin/message/send": "wecom", "/aliyun/": "aliyun", "/tencent/": "tencent"}
        try:
            if url.path == "/cgi-bin/gettoken" and method == "GET":
                answer = self._gettoken(query)
            elif url.path == "/cgi-bin/message/send" and method == "POST":
                answer = self._scripted("wecom") or self._wecom_send(query, json.loads(body))
            elif url.path == "/aliyun/" and method == "GET":
                answer = (
                    self._scripted("aliyun")
                    or self._for_number(query.get("PhoneNumbers"))
                    or self._aliyun(query)
                )
            elif url.path == "/tencent/" and method == "POST":
                answer = (
                    self._scripted("tencent")
                    or self._for_number(json.loads(body)["PhoneNumberSet"][0])
                    or self._tencent(request.headers, body)
                )
            else:
                raise AssertionError(f"unexpected {method} {url.path}")
        except AssertionError as exc:
            with self._lock:
                self.errors.append(str(exc))
            answer = 400
        with self._lock:
            stall = self._stalls.pop(service.get(url.path, ""), 0)
        time.sleep(stall)
        try:
            self._answer(request, answer)
        except OSError:  # the sender gave up waiting (stalled on purpose)
            pass

    def _answer(self, request: BaseHTTPRequestHandler, answer: Any) -> None:
        if isinstance(answer, int):
            request.send_response(answer)
            request.send_header("Content-Length", "0")
            request.end_headers()
            return
        data = json.dumps(answer, ensure_ascii=False).encode()
        request.send_response(200)
        request.send_header("Content-Type", "application/json; charset=utf-8")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    def _for_number(self, number: str | None) -> Any:
        with self._lock:
            return self._number_answers.get(number or "")

    def _scripted(self, service: str) -> Any:
        with self._lock:
            queue = self._scripts.get(service)
            return queue.pop(0) if queue else None

    def _record(self, delivery: Delivery) -> None:
        delivery.at = time.time()
        with self._lock:
            self.deliveries.append(delivery)

    def _gettoken(self, query: dict[str, str]) -> dict:
        assert query.get("corpid") == CORP_ID and query.get("corpsecret") == CORP_SECRET, (
            "wecom: wrong corp id or secret"
        )
        token = secrets.token_hex(16)
        with self._lock:
            self.token_fetches += 1
            self._tokens.add(token)
        return {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200}

    def _wecom_send(self, query: dict[str, str], message: dict) -> dict:
        with self._lock:
            valid = query.get("access_token") in self._tokens
        if not valid:
            return {"errcode": 42001, "errmsg": "access_token expired"}
        assert str(message.get("agentid")) == AGENT_ID, f"wecom: agentid {message.get('agentid')}"
        assert message.get("msgtype") == "text" and message["text"]["content"], "wecom: no text"
        assert message.get("touser"), "wecom: no user"
        assert message.get("enable_duplicate_check") == 1, "wecom: duplicate check off"
        self._record(Delivery("wecom", message["touser"], text=message["text"]["content"]))
        return {"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": secrets.token_hex(8)}

    def _aliyun(self, query: dict[str, str]) -> dict:
        signature = query.pop("Signature", "")
        pairs = sorted(query.items())
        canonical = "&".join(quote(k, safe="~") + "=" + quote(v, safe="~") for k, v in pairs)
        expected = base64.b64encode(
            hmac.new(
                (KEY_SECRET + "&").encode(),
                ("GET&%2F&" + quote(canonical, safe="~")).encode(),
                hashlib.sha1,
            ).digest()
        ).decode()
        assert signature == expected, "aliyun: bad signature"
        assert query["AccessKeyId"] == KEY_ID and query["Action"] == "SendSms", (
            "aliyun: key or action"
        )
        assert query["SignName"] == SIGN_NAME and query["TemplateCode"] == TEMPLATE, (
            "aliyun: sign name or template"
        )
        self._record(
            Delivery("aliyun", query["PhoneNumbers"], parameters=json.loads(query["TemplateParam"]))
        )
        return {
            "Code": "OK",
            "Message": "OK",
            "BizId": secrets.token_hex(8),
            "RequestId": secrets.token_hex(8),
        }

    def _tencent(self, headers: Any, body: bytes) -> dict:
        timestamp = headers["X-TC-Timestamp"]
        day = datetime.fromtimestamp(int(timestamp), UTC).date().isoformat()
        request = "\n".join(
            [
                "POST",
                "/",
                "",
                f"content-type:{headers['Content-Type']}",
                f"host:{headers['Host']}",
                "",
                "content-type;host",
                hashlib.sha256(body).hexdigest(),
            ]
        )
        scope = f"{day}/sms/tc3_request"
        text = "\n".join(
            ["TC3-HMAC-SHA256", timestamp, scope, hashlib.sha256(request.encode()).hexdigest()]
        )
        key = ("TC3" + KEY_SECRET).encode()
        for part in (day, "sms", "tc3_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        expected = hmac.new(key, text.encode(), hashlib.sha256).hexdigest()
        assert headers["Authorization"] == (
            f"TC3-HMAC-SHA256 Credential={KEY_ID}/{scope}, SignedHeaders=content-type;host, Signature={expected}"
        ), "tencent: bad signature"
        assert headers["X-TC-Action"] == "SendSms" and headers["X-TC-Version"] == "2021-01-11", (
            "tencent: action"
        )
        message = json.loads(body)
        assert message["SmsSdkAppId"] == APP_ID and message["SignName"] == SIGN_NAME, (
            "tencent: app or sign name"
        )
        assert message["TemplateId"] == TEMPLATE, "tencent: template"
        self._record(
            Delivery(
                "tencent", message["PhoneNumberSet"][0], parameters=message["TemplateParamSet"]
            )
        )
        return {
            "Response": {
                "SendStatusSet": [{"Code": "Ok", "Message": "send success", "SerialNo": "1"}],
                "RequestId": secrets.token_hex(8),
            }
        }

    def settings(self, base_settings: Any, sms: str = "aliyun", **more: Any) -> Any:
        """`base_settings` pointed at this fake, with both channels configured."""
        from dataclasses import replace

        return replace(
            base_settings,
            wecom_corp_id=CORP_ID,
            wecom_agent_id=AGENT_ID,
            wecom_secret=CORP_SECRET,
            wecom_api_base=self.base,
            sms_provider=sms,
            sms_access_key_id=KEY_ID,
            sms_access_key_secret=KEY_SECRET,
            sms_sign_name=SIGN_NAME,
            sms_template_id=TEMPLATE,
            sms_app_id=APP_ID,
            sms_api_base=f"{self.base}/{sms}",
            **more,
        )
