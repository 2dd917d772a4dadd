"""Alibaba Cloud SMS (阿里云短信服务, Dysmsapi ``SendSms``, API version 2017-05-25).

The RPC-style request: the action's parameters and the common parameters are
signed with HMAC-SHA1 (signature version 1.0) and sent form-encoded; the
answer is JSON with a ``Code`` ("OK" or an error code). What each code means
for Patron (retry or not) is in ``_CODES``; the sources are listed in
docs/decisions/sms-gateways.md.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping
from urllib.parse import quote

import httpx
import phonenumbers

from patron.core import clock
from patron.messaging.sms.base import (
    BALANCE_RETRY_SECONDS,
    SmsError,
    SmsErrorKind,
    SmsRequest,
    SmsResult,
    checked_phone,
)

DEFAULT_ENDPOINT = "https://dysmsapi.aliyuncs.com/"
API_VERSION = "2017-05-25"

# Rate limited per number (1 a minute, 5 an hour, 10 a day by default): wait a minute.
RATE_LIMIT_RETRY_SECONDS = 60.0

# code -> (kind, transient, retry_after); any other code is a permanent "rejected".
_CODES: dict[str, tuple[SmsErrorKind, bool, float | None]] = {
    "isv.BUSINESS_LIMIT_CONTROL": ("rate_limited", True, RATE_LIMIT_RETRY_SECONDS),
    "Throttling.User": ("rate_limited", True, 1.0),
    "isv.MOBILE_NUMBER_ILLEGAL": ("bad_number", False, None),
    "isv.AMOUNT_NOT_ENOUGH": ("insufficient_balance", True, BALANCE_RETRY_SECONDS),
    "isp.SYSTEM_ERROR": ("unavailable", True, None),
}


def percent_encode(value: str) -> str:
    """Alibaba's encoding: UTF-8, RFC 3986 unreserved characters (A-Z a-z 0-9
    - _ . ~) kept, everything else %XY in upper case, a space as %20."""
    return quote(value, safe="~")  # quote keeps -_. and alphanumerics already


def string_to_sign(method: str, params: Mapping[str, str]) -> str:
    """METHOD&%2F&encode(canonical query); the query sorted by parameter name,
    each name and value percent-encoded, Signature itself left out."""
    canonical = "&".join(
        f"{percent_encode(k)}={percent_encode(params[k])}"
        for k in sorted(params)
        if k != "Signature"
    )
    return f"{method.upper()}&{percent_encode('/')}&{percent_encode(canonical)}"


def sign(method: str, params: Mapping[str, str], secret: str) -> str:
    """Base64 of HMAC-SHA1 over :func:`string_to_sign`, keyed by the secret and "&"."""
    digest = hmac.new(
        f"{secret}&".encode(), string_to_sign(method, params).encode(), hashlib.sha1
    ).digest()
    return base64.b64encode(digest).decode()


def phone_numbers_param(phone: phonenumbers.PhoneNumber) -> str:
    """Mainland numbers as their 11 digits; others as country code and number, no +."""
    national = phonenumbers.national_significant_number(phone)
    return national if phone.country_code == 86 else f"{phone.country_code}{national}"


class AliyunSmsGateway:
    """``PATRON_SMS = {"BACKEND": "patron.messaging.sms.aliyun.AliyunSmsGateway",
    "ACCESS_KEY_ID": ..., "ACCESS_KEY_SECRET": ..., "ENDPOINT": (optional),
    "REGION_ID": "cn-hangzhou", "TIMEOUT": 5}``"""

    def __init__(
        self,
        *,
        access_key_id: str,
        access_key_secret: str,
        endpoint: str = DEFAULT_ENDPOINT,
        region_id: str = "cn-hangzhou",
        timeout: float = 5.0,
    ) -> None:
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.endpoint = endpoint
        self.region_id = region_id
        self.timeout = timeout

    def signed_params(self, request: SmsRequest, phone: phonenumbers.PhoneNumber) -> dict[str, str]:
        params = {
            "AccessKeyId": self.access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": phone_numbers_param(phone),
            "RegionId": self.region_id,
            "SignName": request.sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": request.template_code,
            "Timestamp": clock.now().astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": API_VERSION,
        }
        if request.params:
            params["TemplateParam"] = json.dumps(request.params, ensure_ascii=False)
        params["Signature"] = sign("POST", params, self.access_key_secret)
        return params

    def send(self, request: SmsRequest) -> SmsResult:
        phone = checked_phone(request.phone)
        params = self.signed_params(request, phone)
        try:
            response = httpx.post(
                self.endpoint,
                content="&".join(
                    f"{percent_encode(k)}={percent_encode(v)}" for k, v in params.items()
                ),
                headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
                timeout=self.timeout,
            )
        except httpx.TimeoutException as exc:
            raise SmsError("unavailable", f"timed out: {exc!r}", transient=True) from exc
        except httpx.HTTPError as exc:
            raise SmsError("unavailable", f"connection failed: {exc!r}", transient=True) from exc
        if response.status_code >= 500:
            raise SmsError(
                "unavailable", f"HTTP {response.status_code}: {response.text[:200]}", transient=True
            )
        try:
            answer = response.json()
            code = str(answer.get("Code", ""))
        except (ValueError, AttributeError) as exc:
            raise SmsError(
                "rejected",
                f"HTTP {response.status_code} with an unreadable answer: {response.text[:200]}",
                transient=False,
            ) from exc
        if code == "OK" and answer.get("BizId"):
            return SmsResult(provider_id=str(answer["BizId"]))
        kind, transient, retry_after = _CODES.get(code, ("rejected", False, None))
        raise SmsError(
            kind,
            f"{code or 'no Code'}: {answer.get('Message', '')}",
            transient=transient,
            retry_after=retry_after,
        )
