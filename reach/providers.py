"""The remote services behind the WeCom and SMS channels, over their documented HTTPS APIs (aiohttp,
as web push uses): WeCom application messages (gettoken, then message/send), Aliyun SMS
(SendSms, RPC signature) and Tencent Cloud SMS (SendSms 2021-01-11, TC3-HMAC-SHA256). Each answer
becomes a push.sender.Outcome: sent, retry (network trouble, 5xx, the provider's rate limit:
the whole app's, or one mobile number's), failed (a refusal that retrying would not change) or, for
SMS, unknown (the request may have reached the provider). Credentials come only from settings."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

import aiohttp

from push.sender import SEND_TIMEOUT_SECONDS, Outcome, Verdict
from settings import Settings

TIMEOUT = aiohttp.ClientTimeout(total=SEND_TIMEOUT_SECONDS)
# The retry a rate-limited provider gets when it names no time (WeCom, Aliyun and Tencent don't).
RATE_LIMITED_RETRY = "60"


def _network_trouble(exc: Exception) -> Outcome:
    return Outcome(Verdict.retry, error=f"{type(exc).__name__}: {exc}"[:200])


# No connection was made: the request never left, sending it again cannot send it twice.
NOT_SENT = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)


def _sms_trouble(exc: Exception) -> Outcome:
    """An SMS has no idempotency key: once the request may have reached the provider (a timeout,
    a connection broken before the answer, an unreadable answer), a resend could be a second SMS."""
    if isinstance(exc, NOT_SENT):
        return _network_trouble(exc)
    return Outcome(Verdict.unknown, error=f"{type(exc).__name__}: {exc}"[:200])


# ---- WeCom ------------------------------------------------------------------------------------

# errcodes: https://developer.work.weixin.qq.com/document/path/90313
WECOM_TOKEN_INVALID = frozenset({40014, 42001, 41001})
WECOM_RATE_LIMITED = frozenset({45009, 45033, 45047})
WECOM_BUSY = -1
# WeCom drops a message identical to one sent in this window: a resend after a crash between
# sending and marking (the outbox's lease) does not reach the phone twice.
WECOM_DUPLICATE_WINDOW_SECONDS = 4 * 3600


class WeCom:
    """An application's access token is fetched once and reused until near its expiry (7200 s),
    as WeCom asks: fetching it per message gets an app rate-limited."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._token: tuple[str, float] | None = None

    def configured(self) -> bool:
        s = self.settings
        return bool(s.wecom_corp_id and s.wecom_agent_id and s.wecom_secret)

    async def _access_token(self, session: aiohttp.ClientSession) -> str:
        if self._token and self._token[1] > time.monotonic():
            return self._token[0]
        params = {"corpid": self.settings.wecom_corp_id, "corpsecret": self.settings.wecom_secret}
        async with session.get(
            f"{self.settings.wecom_api_base}/cgi-bin/gettoken", params=params, timeout=TIMEOUT
        ) as r:
            answer = await r.json(content_type=None)
        if answer.get("errcode", 0) != 0:
            raise WeComRefused(answer)
        self._token = (
            answer["access_token"],
            time.monotonic() + int(answer.get("expires_in", 7200)) - 300,
        )
        return self._token[0]

    async def send(self, session: aiohttp.ClientSession, user_id: str, text: str) -> Outcome:
        body = {
            "touser": user_id,
            "msgtype": "text",
            "agentid": int(self.settings.wecom_agent_id),
            "text": {"content": text},
            "safe": 0,
            "enable_duplicate_check": 1,
            "duplicate_check_interval": WECOM_DUPLICATE_WINDOW_SECONDS,
        }
        try:
            for _ in range(2):  # a token that expired early is fetched again once
                token = await self._access_token(session)
                url = f"{self.settings.wecom_api_base}/cgi-bin/message/send"
                async with session.post(
                    url, params={"access_token": token}, json=body, timeout=TIMEOUT
                ) as r:
                    if r.status >= 500:
                        return Outcome(Verdict.retry, r.status, error=f"HTTP {r.status}")
                    answer = await r.json(content_type=None)
                code = answer.get("errcode", -1)
                if code in WECOM_TOKEN_INVALID:
                    self._token = None
                    continue
                return wecom_outcome(answer)
            return Outcome(Verdict.retry, error="access token refused twice")
        except WeComRefused as refused:
            return wecom_outcome(refused.answer)
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
            return _network_trouble(exc)


class WeComRefused(Exception):
    def __init__(self, answer: Mapping) -> None:
        super().__init__(answer.get("errmsg", ""))
        self.answer = answer


def wecom_outcome(answer: Mapping) -> Outcome:
    code = answer.get("errcode", -1)
    status, error = f"wecom:{code}", str(answer.get("errmsg", ""))[:200]
    if code == 0 and not answer.get("invaliduser"):
        return Outcome(Verdict.sent, error=status)
    if code == 0:  # accepted, but the user id is unknown to the corp
        return Outcome(Verdict.failed, error=f"{status} invaliduser {answer['invaliduser']}"[:200])
    if code in WECOM_RATE_LIMITED:
        return Outcome(
            Verdict.retry, retry_after=RATE_LIMITED_RETRY, error=f"{status} {error}"[:200]
        )
    if code == WECOM_BUSY:
        return Outcome(Verdict.retry, error=f"{status} {error}"[:200])
    return Outcome(Verdict.failed, error=f"{status} {error}"[:200])


# ---- SMS --------------------------------------------------------------------------------------


def _pct(text: str) -> str:
    """RFC 3986 percent-encoding, as Aliyun's RPC signature wants it."""
    return quote(text, safe="~")


class AliyunSms:
    """dysmsapi SendSms: a GET whose query is signed with HMAC-SHA1 (signature version 1.0)."""

    default_base = "https://dysmsapi.aliyuncs.com"
    RATE_LIMITED = frozenset({"Throttling.User", "Throttling"})  # the account's API rate
    NUMBER_LIMITED = frozenset({"isv.BUSINESS_LIMIT_CONTROL"})  # one number's minute/hour/day

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def signed_query(
        self, mobile: str, parameters: Mapping[str, str], now: datetime
    ) -> dict[str, str]:
        s = self.settings
        query = {
            "AccessKeyId": s.sms_access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": mobile.removeprefix("+86"),
            "RegionId": "cn-hangzhou",
            "SignName": s.sms_sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": secrets.token_hex(16),
            "SignatureVersion": "1.0",
            "TemplateCode": s.sms_template_id,
            "TemplateParam": json.dumps(
                dict(parameters), ensure_ascii=False, separators=(",", ":")
            ),
            "Timestamp": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }
        canonical = "&".join(f"{_pct(k)}={_pct(v)}" for k, v in sorted(query.items()))
        to_sign = f"GET&{_pct('/')}&{_pct(canonical)}"
        digest = hmac.new(
            f"{s.sms_access_key_secret}&".encode(), to_sign.encode(), hashlib.sha1
        ).digest()
        return {**query, "Signature": base64.b64encode(digest).decode()}

    async def send(
        self, session: aiohttp.ClientSession, mobile: str, parameters: Mapping[str, str]
    ) -> Outcome:
        base = self.settings.sms_api_base or self.default_base
        try:
            query = self.signed_query(mobile, parameters, datetime.now(UTC))
            async with session.get(f"{base}/", params=query, timeout=TIMEOUT) as r:
                if r.status >= 500:
                    return Outcome(Verdict.retry, r.status, error=f"HTTP {r.status}")
                answer = await r.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
            return _sms_trouble(exc)
        code = str(answer.get("Code", ""))
        error = f"aliyun:{code} {answer.get('Message', '')}"[:200]
        if code == "OK":
            return Outcome(Verdict.sent, error=f"aliyun:OK {answer.get('BizId', '')}"[:200])
        if code in self.NUMBER_LIMITED:
            return Outcome(Verdict.retry, recipient_limited=True, error=error)
        if code in self.RATE_LIMITED:
            return Outcome(Verdict.retry, retry_after=RATE_LIMITED_RETRY, error=error)
        if code in ("ServiceUnavailable", "InternalError"):
            return Outcome(Verdict.retry, error=error)
        return Outcome(Verdict.failed, error=error)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


class TencentSms:
    """sms SendSms (API 2021-01-11): a JSON POST signed with TC3-HMAC-SHA256."""

    default_base = "https://sms.tencentcloudapi.com"
    # One number's limits (LimitExceeded.PhoneNumberOneHourLimit, …DailyLimit, …); the others
    # (RequestLimitExceeded, LimitExceeded.AppDailyLimit, …) are the whole app's.
    NUMBER_LIMITED_PREFIX = "LimitExceeded.PhoneNumber"
    RATE_LIMITED_PREFIXES = ("RequestLimitExceeded", "LimitExceeded")

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def signed_request(
        self, host: str, mobile: str, parameters: Mapping[str, str], at: int
    ) -> tuple[dict[str, str], bytes]:
        s = self.settings
        body = json.dumps(
            {
                "PhoneNumberSet": [mobile if mobile.startswith("+") else f"+86{mobile}"],
                "SmsSdkAppId": s.sms_app_id,
                "SignName": s.sms_sign_name,
                "TemplateId": s.sms_template_id,
                "TemplateParamSet": list(parameters.values()),
                "SessionContext": "",
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        content_type = "application/json; charset=utf-8"
        canonical = f"POST\n/\n\ncontent-type:{content_type}\nhost:{host}\n\ncontent-type;host\n{_sha256(body)}"
        day = datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d")
        scope = f"{day}/sms/tc3_request"
        to_sign = f"TC3-HMAC-SHA256\n{at}\n{scope}\n{_sha256(canonical.encode())}"
        key = _hmac(
            _hmac(_hmac(f"TC3{s.sms_access_key_secret}".encode(), day), "sms"), "tc3_request"
        )
        signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        headers = {
            "Authorization": f"TC3-HMAC-SHA256 Credential={s.sms_access_key_id}/{scope}, "
            f"SignedHeaders=content-type;host, Signature={signature}",
            "Content-Type": content_type,
            "Host": host,
            "X-TC-Action": "SendSms",
            "X-TC-Timestamp": str(at),
            "X-TC-Version": "2021-01-11",
            "X-TC-Region": s.sms_region,
        }
        return headers, body

    async def send(
        self, session: aiohttp.ClientSession, mobile: str, parameters: Mapping[str, str]
    ) -> Outcome:
        base = self.settings.sms_api_base or self.default_base
        try:
            headers, body = self.signed_request(
                urlsplit(base).netloc, mobile, parameters, int(time.time())
            )
            async with session.post(f"{base}/", data=body, headers=headers, timeout=TIMEOUT) as r:
                if r.status >= 500:
                    return Outcome(Verdict.retry, r.status, error=f"HTTP {r.status}")
                answer = (await r.json(content_type=None)).get("Response", {})
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
            return _sms_trouble(exc)
        statuses = answer.get("SendStatusSet") or [{}]
        code = str(answer.get("Error", {}).get("Code") or statuses[0].get("Code", ""))
        message = answer.get("Error", {}).get("Message") or statuses[0].get("Message", "")
        error = f"tencent:{code} {message}"[:200]
        if code == "Ok":
            return Outcome(
                Verdict.sent, error=f"tencent:Ok {statuses[0].get('SerialNo', '')}"[:200]
            )
        if code.startswith(self.NUMBER_LIMITED_PREFIX):
            return Outcome(Verdict.retry, recipient_limited=True, error=error)
        if code.startswith(self.RATE_LIMITED_PREFIXES):
            return Outcome(Verdict.retry, retry_after=RATE_LIMITED_RETRY, error=error)
        if code.startswith("InternalError"):
            return Outcome(Verdict.retry, error=error)
        return Outcome(Verdict.failed, error=error)


SMS_PROVIDERS = {"aliyun": AliyunSms, "tencent": TencentSms}


def sms_provider(settings: Settings) -> AliyunSms | TencentSms | None:
    """The configured provider, or None when SMS is not configured (the channel is skipped)."""
    provider = SMS_PROVIDERS.get(settings.sms_provider)
    s = settings
    needed = [s.sms_access_key_id, s.sms_access_key_secret, s.sms_sign_name, s.sms_template_id]
    if settings.sms_provider == "tencent":
        needed.append(s.sms_app_id)
    return provider(settings) if provider and all(needed) else None
