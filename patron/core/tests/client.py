"""The test client of the shop API (the ``api`` fixture in patron/conftest.py
makes one). Here, in core, so that tests of every app may name its type."""

from __future__ import annotations

from typing import Any

from django.test import Client


class ApiClient:
    """A Django test client that sends the shop's API key and JSON bodies."""

    def __init__(self, token: str) -> None:
        self.client = Client()
        self.token = token

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **(extra or {})}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, params, headers=self._headers(None))

    def post(
        self,
        path: str,
        body: Any = None,
        *,
        raw: str | bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        import json

        data = raw if raw is not None else json.dumps(body)
        return self.client.post(
            path, data=data, content_type="application/json", headers=self._headers(headers)
        )
