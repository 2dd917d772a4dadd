"""The SMS adapters against a real local HTTP server that implements each
provider's documented request and answers (docs/decisions/sms-gateways.md)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import urllib.parse
from typing import Any

import pytest
from django.test import override_settings

from patron.core import clock
from patron.messaging.sms import SmsError, SmsRequest, gateway_from_settings
from patron.messaging.sms.aliyun import AliyunSmsGateway
from patron.messaging.sms.console import ConsoleSmsGateway
from patron.messaging.sms.http_json import JsonHttpSmsGateway
from patron.messaging.tests.http_server import Received, Reply, local_server

KEY_ID = "LTAI-test-key"
SECRET = "test-secret/with+odd=chars"
REQUIRED = {
    "AccessKeyId",
    "Action",
    "Format",
    "PhoneNumbers",
    "SignName",
    "SignatureMethod",
    "SignatureNonce",
    "SignatureVersion",
    "TemplateCode",
    "Timestamp",
    "Version",
    "Signature",
}


def request(phone: str = "+8613800000001", **params: str) -> SmsRequest:
    return SmsRequest(
        phone=phone,
        template_code="SMS_153055065",
        params=params or {"name": "张三", "points": "1,200"},
        text="张三,您的积分 1,200 即将到期",
        sign_name="派创会员",
    )


# --- Alibaba Cloud ------------------------------------------------------------


def _enc(value: str) -> str:
    # The documented rule written out on the server side: unreserved kept,
    # the rest %XY upper-case, space %20 (not +), * as %2A, ~ kept.
    out = []
    for byte in value.encode("utf-8"):
        ch = chr(byte)
        if ch.isascii() and (ch.isalnum() or ch in "-_.~"):
            out.append(ch)
        else:
            out.append(f"%{byte:02X}")
    return "".join(out)


def aliyun_signature_ok(received: Received, secret: str) -> bool:
    params = dict(urllib.parse.parse_qsl(received.body.decode(), keep_blank_values=True))
    signature = params.pop("Signature", "")
    canonical = "&".join(f"{_enc(k)}={_enc(v)}" for k, v in sorted(params.items()))
    to_sign = f"{received.method}&{_enc('/')}&{_enc(canonical)}"
    expected = base64.b64encode(
        hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()
    ).decode()
    return hmac.compare_digest(expected, signature)


class AliyunServer:
    """Dysmsapi SendSms as documented: checks the common parameters and the
    signature, then answers by phone number."""

    def __init__(self) -> None:
        self.codes: dict[str, str] = {}
        self.status: dict[str, int] = {}

    def __call__(self, received: Received) -> Reply:
        params = dict(urllib.parse.parse_qsl(received.body.decode(), keep_blank_values=True))
        missing = REQUIRED - params.keys()
        if missing:
            return Reply(400, json.dumps({"Code": "MissingParameter", "Message": str(missing)}))
        if not aliyun_signature_ok(received, SECRET):
            return Reply(400, json.dumps({"Code": "SignatureDoesNotMatch", "Message": "bad"}))
        phone = params["PhoneNumbers"]
        code = self.codes.get(phone, "OK")
        body: dict[str, Any] = {"Code": code, "Message": code, "RequestId": "req-1"}
        if code == "OK":
            body["BizId"] = f"biz-{phone}"
        return Reply(self.status.get(phone, 200), json.dumps(body))


def aliyun(url: str, secret: str = SECRET, timeout: float = 2.0) -> AliyunSmsGateway:
    return AliyunSmsGateway(
        access_key_id=KEY_ID, access_key_secret=secret, endpoint=url + "/", timeout=timeout
    )


def test_aliyun_sends_the_documented_signed_request_and_returns_the_biz_id() -> None:
    clock.freeze(dt.datetime(2026, 12, 3, 10, 20, 30, tzinfo=dt.UTC))
    server = AliyunServer()
    with local_server(server) as srv:
        result = aliyun(srv.url).send(request())

    assert result.provider_id == "biz-13800000001"
    (received,) = srv.received
    assert received.method == "POST"
    params = dict(urllib.parse.parse_qsl(received.body.decode()))
    assert params["Action"] == "SendSms"
    assert params["Version"] == "2017-05-25"
    assert params["Format"] == "JSON"
    assert params["SignatureMethod"] == "HMAC-SHA1"
    assert params["SignatureVersion"] == "1.0"
    assert params["AccessKeyId"] == KEY_ID
    assert params["Timestamp"] == "2026-12-03T10:20:30Z"
    assert params["PhoneNumbers"] == "13800000001"
    assert params["SignName"] == "派创会员"
    assert params["TemplateCode"] == "SMS_153055065"
    assert json.loads(params["TemplateParam"]) == {"name": "张三", "points": "1,200"}
    assert aliyun_signature_ok(received, SECRET)


def test_aliyun_signature_made_with_another_secret_is_refused_by_the_server() -> None:
    with local_server(AliyunServer()) as srv, pytest.raises(SmsError) as caught:
        aliyun(srv.url, secret="wrong").send(request())
    assert caught.value.kind == "rejected"
    assert "SignatureDoesNotMatch" in caught.value.detail
    assert caught.value.transient is False


def test_aliyun_nonce_differs_per_request() -> None:
    with local_server(AliyunServer()) as srv:
        gateway = aliyun(srv.url)
        gateway.send(request())
        gateway.send(request())
    nonces = {dict(urllib.parse.parse_qsl(r.body.decode()))["SignatureNonce"] for r in srv.received}
    assert len(nonces) == 2


def test_aliyun_international_number_is_sent_with_its_country_code() -> None:
    with local_server(AliyunServer()) as srv:
        aliyun(srv.url).send(request(phone="+85251234567"))
    assert dict(urllib.parse.parse_qsl(srv.received[0].body.decode()))["PhoneNumbers"] == (
        "85251234567"
    )


@pytest.mark.parametrize(
    ("code", "kind", "transient", "retry_after"),
    [
        ("isv.BUSINESS_LIMIT_CONTROL", "rate_limited", True, 60.0),
        ("isv.MOBILE_NUMBER_ILLEGAL", "bad_number", False, None),
        ("isv.AMOUNT_NOT_ENOUGH", "insufficient_balance", True, 3600.0),
        ("isv.SMS_TEMPLATE_ILLEGAL", "rejected", False, None),
        ("isv.SMS_SIGNATURE_ILLEGAL", "rejected", False, None),
        ("isp.SYSTEM_ERROR", "unavailable", True, None),
    ],
)
def test_aliyun_answer_codes_map_to_error_kinds(
    code: str, kind: str, transient: bool, retry_after: float | None
) -> None:
    server = AliyunServer()
    server.codes["13800000001"] = code
    with local_server(server) as srv, pytest.raises(SmsError) as caught:
        aliyun(srv.url).send(request())
    error = caught.value
    assert (error.kind, error.transient, error.retry_after) == (kind, transient, retry_after)
    assert code in error.detail


def test_aliyun_http_5xx_is_unavailable_and_transient() -> None:
    server = AliyunServer()
    server.status["13800000001"] = 503
    with local_server(server) as srv, pytest.raises(SmsError) as caught:
        aliyun(srv.url).send(request())
    assert (caught.value.kind, caught.value.transient) == ("unavailable", True)
    assert "503" in caught.value.detail


def test_aliyun_timeout_is_unavailable_and_transient() -> None:
    with (
        local_server(lambda r: Reply(200, "{}", delay=1.0)) as srv,
        pytest.raises(SmsError) as caught,
    ):
        aliyun(srv.url, timeout=0.2).send(request())
    assert (caught.value.kind, caught.value.transient) == ("unavailable", True)
    assert "timed out" in caught.value.detail


def test_connection_refused_is_unavailable_and_transient() -> None:
    with local_server(AliyunServer()) as srv:
        url = srv.url
    # the server is closed now: nothing listens on its port
    with pytest.raises(SmsError) as caught:
        aliyun(url).send(request())
    assert (caught.value.kind, caught.value.transient) == ("unavailable", True)


@pytest.mark.parametrize("phone", ["13800000001", "+86123", "+861380000000", "not a phone", ""])
def test_a_bad_number_is_refused_before_any_http_call(phone: str) -> None:
    with local_server(AliyunServer()) as srv:
        for gateway in (aliyun(srv.url), JsonHttpSmsGateway(url=srv.url, token="t")):
            with pytest.raises(SmsError) as caught:
                gateway.send(request(phone=phone))
            assert (caught.value.kind, caught.value.transient) == ("bad_number", False)
            assert caught.value.detail.startswith("phone: ")
    assert srv.received == []


# --- Generic JSON HTTP gateway ----------------------------------------------------


class JsonServer:
    """The generic gateway's documented contract (docs/messaging.md)."""

    def __init__(self) -> None:
        self.replies: dict[str, Reply] = {}

    def __call__(self, received: Received) -> Reply:
        if received.headers.get("authorization") != "Bearer tok-1":
            return Reply(401, json.dumps({"error": "unauthorized"}))
        body = json.loads(received.body)
        if body.keys() != {"to", "text", "template_code", "params", "sign_name"}:
            return Reply(400, json.dumps({"error": "bad_request"}))
        return self.replies.get(body["to"], Reply(200, json.dumps({"id": "msg-1"})))


def test_json_gateway_posts_the_documented_body_with_the_bearer_token() -> None:
    with local_server(JsonServer()) as srv:
        result = JsonHttpSmsGateway(url=srv.url + "/send", token="tok-1").send(request())
    assert result.provider_id == "msg-1"
    (received,) = srv.received
    assert received.path == "/send"
    assert received.headers["content-type"] == "application/json"
    assert json.loads(received.body) == {
        "to": "+8613800000001",
        "text": "张三,您的积分 1,200 即将到期",
        "template_code": "SMS_153055065",
        "params": {"name": "张三", "points": "1,200"},
        "sign_name": "派创会员",
    }


@pytest.mark.parametrize(
    ("reply", "kind", "transient", "retry_after"),
    [
        (Reply(429, "", {"Retry-After": "30"}), "rate_limited", True, 30.0),
        (Reply(429, ""), "rate_limited", True, None),
        (Reply(400, json.dumps({"error": "invalid_number"})), "bad_number", False, None),
        (Reply(400, json.dumps({"error": "template_unknown"})), "rejected", False, None),
        (Reply(402, ""), "insufficient_balance", True, 3600.0),
        (Reply(500, "boom"), "unavailable", True, None),
        (Reply(502, ""), "unavailable", True, None),
        (Reply(200, "{}"), "rejected", False, None),
        (Reply(403, ""), "rejected", False, None),
    ],
)
def test_json_gateway_answers_map_to_error_kinds(
    reply: Reply, kind: str, transient: bool, retry_after: float | None
) -> None:
    server = JsonServer()
    server.replies["+8613800000001"] = reply
    with local_server(server) as srv, pytest.raises(SmsError) as caught:
        JsonHttpSmsGateway(url=srv.url, token="tok-1").send(request())
    error = caught.value
    assert (error.kind, error.transient, error.retry_after) == (kind, transient, retry_after)


def test_json_gateway_retry_after_as_an_http_date() -> None:
    clock.freeze(dt.datetime(2026, 12, 3, 10, 0, 0, tzinfo=dt.UTC))
    server = JsonServer()
    server.replies["+8613800000001"] = Reply(
        429, "", {"Retry-After": "Thu, 03 Dec 2026 10:02:00 GMT"}
    )
    with local_server(server) as srv, pytest.raises(SmsError) as caught:
        JsonHttpSmsGateway(url=srv.url, token="tok-1").send(request())
    assert caught.value.retry_after == 120.0


def test_json_gateway_timeout_is_unavailable_and_transient() -> None:
    with (
        local_server(lambda r: Reply(200, '{"id": "late"}', delay=1.0)) as srv,
        pytest.raises(SmsError) as caught,
    ):
        JsonHttpSmsGateway(url=srv.url, token="tok-1", timeout=0.2).send(request())
    assert (caught.value.kind, caught.value.transient) == ("unavailable", True)


# --- Console gateway and settings -------------------------------------------------


def test_console_gateway_only_logs_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="patron.messaging.sms"):
        result = ConsoleSmsGateway().send(request())
    assert result.provider_id.startswith("console-")
    assert "NOT SENT" in caplog.text
    assert "13800000001" not in caplog.text  # masked
    assert "SMS_153055065" in caplog.text


@override_settings(PATRON_SMS=None)
def test_gateway_from_settings_defaults_to_the_console_gateway() -> None:
    assert isinstance(gateway_from_settings(), ConsoleSmsGateway)


def test_gateway_from_settings_builds_the_named_backend_with_its_options() -> None:
    with override_settings(
        PATRON_SMS={
            "BACKEND": "patron.messaging.sms.http_json.JsonHttpSmsGateway",
            "URL": "http://127.0.0.1:9/send",
            "TOKEN": "tok",
            "TIMEOUT": 3,
        }
    ):
        gateway = gateway_from_settings()
    assert isinstance(gateway, JsonHttpSmsGateway)
    assert (gateway.url, gateway.token, gateway.timeout) == ("http://127.0.0.1:9/send", "tok", 3)
