"""A request body sent with ``Transfer-Encoding: chunked`` (no Content-Length)
is read, bounded by PATRON_API_MAX_BODY_BYTES, when the server has decoded it
(gunicorn); a server that cannot answers 411 saying why."""

from __future__ import annotations

import http.client
import io
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from patron.core import services
from patron.core.models import ApiScope, Shop
from patron.events.models import Event
from patron.events.tests.factories import event
from patron.members.tests.factories import MemberFactory

URL = "/api/v1/events"


def _chunked(client: Client, token: str, body: bytes, *, terminated: bool = True) -> Any:
    """POST ``body`` as a WSGI server hands over a chunked request: no
    Content-Length, the decoded bytes on ``wsgi.input`` (read to its end when
    the server says ``wsgi.input_terminated``)."""
    environ: dict[str, Any] = {
        "CONTENT_LENGTH": "",
        "HTTP_TRANSFER_ENCODING": "chunked",
        "wsgi.input": io.BytesIO(body),
    }
    if terminated:
        environ["wsgi.input_terminated"] = True
    return client.generic(
        "POST",
        URL,
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
        **environ,
    )


@pytest.fixture
def token(shop: Shop) -> str:
    MemberFactory.create(shop=shop, external_id="M1")
    return services.api_key_create(shop=shop, name="t", scopes=ApiScope.values).token


@pytest.mark.django_db
def test_a_chunked_body_is_read_and_applied(token: str):
    body = json.dumps(event("custom.x", id="chunked-1")).encode()

    response = _chunked(Client(), token, body)

    assert response.status_code == 201, response.content
    assert response.json()["result"]["id"] == "chunked-1"
    assert Event.objects.filter(external_id="chunked-1").exists()


@pytest.mark.django_db
def test_a_chunked_body_over_the_limit_is_413(token: str, settings: Any):
    settings.PATRON_API_MAX_BODY_BYTES = 100
    body = json.dumps(event("custom.x", {"pad": "x" * 200})).encode()

    response = _chunked(Client(), token, body)

    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert (response.json()["code"], response.json()["field"]) == ("body_too_large", "body")
    assert not Event.objects.exists()


@pytest.mark.django_db
def test_a_chunked_body_the_server_cannot_end_is_411(token: str):
    body = json.dumps(event("custom.x")).encode()

    response = _chunked(Client(), token, body, terminated=False)

    assert response.status_code == 411
    problem = response.json()
    assert (problem["code"], problem["field"]) == ("length_required", "body")
    assert "Content-Length" in problem["detail"]
    assert not Event.objects.exists()


# --- through gunicorn, the server `patron serve` runs -------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def gunicorn() -> Iterator[int]:
    """gunicorn serving this test's database (committed rows: transactional test)."""
    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "test-only",
        "PATRON_API_MAX_BODY_BYTES": "2000",
    }
    bindir = Path(sys.executable).parent
    proc = subprocess.Popen(  # noqa: S603
        [str(bindir / "gunicorn"), "patron.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _send_chunked(port: int, token: str, body: bytes) -> tuple[int, dict[str, Any]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    chunks = (body[i : i + 50] for i in range(0, len(body), 50))
    conn.request(
        "POST",
        URL,
        body=chunks,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        encode_chunked=True,
    )
    response = conn.getresponse()
    answer = json.loads(response.read())
    conn.close()
    return response.status, answer


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_gunicorn_reads_a_real_chunked_request(token: str, gunicorn: int):
    small = json.dumps(event("custom.x", id="live-1")).encode()
    big = json.dumps(event("custom.x", {"pad": "x" * 3000}, id="live-2")).encode()

    applied = _send_chunked(gunicorn, token, small)
    refused = _send_chunked(gunicorn, token, big)

    assert (applied[0], applied[1]["result"]["id"]) == (201, "live-1")
    assert (refused[0], refused[1]["code"]) == (413, "body_too_large")
    assert list(Event.objects.values_list("external_id", flat=True)) == ["live-1"]
