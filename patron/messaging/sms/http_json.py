"""A generic JSON HTTP gateway, for providers (or an in-house relay) that take
the rendered message as JSON. The contract is in docs/messaging.md:

    POST <URL>   Authorization: Bearer <TOKEN>
    {"to": "+8613800000001", "text": "...", "template_code": "...",
     "params": {...}, "sign_name": "..."}

    200 {"id": "..."}                      accepted
    429 (Retry-After: seconds)             rate_limited, transient
    400 {"error": "invalid_number"}        bad_number, permanent
    402                                    insufficient_balance, transient
    5xx, timeout, connection refused       unavailable, transient
    anything else                          rejected, permanent
"""

from __future__ import annotations

import httpx

from patron.messaging.sms.base import (
    BALANCE_RETRY_SECONDS,
    SmsError,
    SmsRequest,
    SmsResult,
    checked_phone,
    retry_after_seconds,
)


class JsonHttpSmsGateway:
    """``PATRON_SMS = {"BACKEND": "patron.messaging.sms.http_json.JsonHttpSmsGateway",
    "URL": "https://sms.example.com/send", "TOKEN": "...", "TIMEOUT": 5}``"""

    def __init__(self, *, url: str, token: str, timeout: float = 5.0) -> None:
        self.url = url
        self.token = token
        self.timeout = timeout

    def send(self, request: SmsRequest) -> SmsResult:
        checked_phone(request.phone)
        body = {
            "to": request.phone,
            "text": request.text,
            "template_code": request.template_code,
            "params": request.params,
            "sign_name": request.sign_name,
        }
        try:
            response = httpx.post(
                self.url,
                json=body,
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=self.timeout,
            )
        except httpx.TimeoutException as exc:
            raise SmsError("unavailable", f"timed out: {exc!r}", transient=True) from exc
        except httpx.HTTPError as exc:
            raise SmsError("unavailable", f"connection failed: {exc!r}", transient=True) from exc
        status = response.status_code
        excerpt = response.text[:200]
        if status == 200:
            try:
                provider_id = response.json().get("id")
            except (ValueError, AttributeError):
                provider_id = None
            if provider_id:
                return SmsResult(provider_id=str(provider_id))
            raise SmsError("rejected", f"HTTP 200 without an id: {excerpt}", transient=False)
        if status == 429:
            raise SmsError(
                "rate_limited",
                f"HTTP 429: {excerpt}",
                transient=True,
                retry_after=retry_after_seconds(response.headers.get("Retry-After")),
            )
        if status == 402:
            raise SmsError(
                "insufficient_balance",
                f"HTTP 402: {excerpt}",
                transient=True,
                retry_after=BALANCE_RETRY_SECONDS,
            )
        if status >= 500:
            raise SmsError("unavailable", f"HTTP {status}: {excerpt}", transient=True)
        if status == 400 and _error_of(response) == "invalid_number":
            raise SmsError("bad_number", f"HTTP 400: {excerpt}", transient=False)
        raise SmsError("rejected", f"HTTP {status}: {excerpt}", transient=False)


def _error_of(response: httpx.Response) -> str | None:
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return None
    return str(error) if error is not None else None
