"""Gunicorn's access log without personal data (``patron serve`` runs gunicorn
with ``--logger-class patron.core.access_log.GunicornLogger``). Apart from
``patron.core.logging`` so that Django's logging set-up does not import
gunicorn."""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger as _GunicornLogger

from patron.core.logging import scrub


class GunicornLogger(_GunicornLogger):
    """Gunicorn's logger with every access-log field scrubbed: the request line,
    the query string and the referer carry what operators searched for."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        return {
            key: scrub(value) if isinstance(value, str) else value for key, value in atoms.items()
        }
